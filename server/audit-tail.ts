// Reads an audit chain from where it last stopped, and reads records again by position: what the
// console's index thread (audit-index-worker.mjs) needs to keep server/audit-index.ts current and
// to fetch the records a page shows. Two chains: the JSONL log's files (a position is the file's
// number in chain order and the record's byte offset in it) and a fleet's PostgreSQL chain (a
// position is the record's seq). Positions grow in chain order. Runs on the worker thread, so
// its file reads are synchronous.

import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { chainFiles } from "../runtime/audit/files.js";
import type { PgConn } from "../runtime/store/postgres-conn.js";
import type { AuditRow } from "./audit-read.js";
import { parseRow } from "./audit-source.js";
import type { VerifyTarget } from "./verify-thread.js";

/** A record read in chain order: the row when its line is a record, and the line as stored. */
export type EachRecord = (row: AuditRow | null, pos: number, line: string) => void;

export interface ChainTail {
  /**
   * Reads what was appended since the last call (everything, the first time). "reset" when the
   * chain was rewritten under it (a file shrank, was replaced or removed): positions read before
   * mean nothing now, and the caller starts again with a new tail.
   */
  follow(each: EachRecord): Promise<"ok" | "reset">;
  /** The stored lines at `positions` (a line no longer there is null). */
  lines(positions: readonly number[]): Promise<(string | null)[]>;
  /** The records from position `from` to `to`, both included, in chain order; `each` returns false to stop. */
  range(from: number, to: number, each: (line: string, pos: number) => boolean): Promise<void>;
  close(): Promise<void>;
}

export function openTail(target: VerifyTarget): ChainTail {
  return target.kind === "jsonl" ? new JsonlTail(target.path) : new PostgresTail(target.url, target.chain);
}

// ------------------------------------------------------------------------------------------------
// JSONL

/** Bytes an offset may take in a position: files up to 1 TiB, and up to 8,192 files. */
const OFFSET = 2 ** 40;
const MAX_FILES = 2 ** 13;
const CHUNK = 1 << 20;

/**
 * A file of the chain as first seen: its inode, and its first bytes, since a file deleted and
 * made again may get the same inode number back (the first record's seq and hash tell them apart).
 */
interface Known { dev: number; ino: number; head: string; path: string; read: number }

/** Bytes of a file's start compared on each follow. */
const HEAD = 160;

/** The first HEAD bytes of the file at `path` ("" when it cannot be read). */
function headOf(path: string): string {
  try {
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(HEAD);
      return buf.toString("latin1", 0, readSync(fd, buf, 0, HEAD, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

class JsonlTail implements ChainTail {
  /** The chain's files by number, in chain order, with how far each is read (to its last whole line). */
  private readonly files: Known[] = [];

  constructor(private readonly logPath: string) {}

  async follow(each: EachRecord): Promise<"ok" | "reset"> {
    const paths = chainFiles(this.logPath);
    const seen: number[] = [];
    for (const path of paths) {
      let st;
      try {
        st = statSync(path);
      } catch {
        return "reset"; // rotated or removed between listing and reading
      }
      let fid = this.files.findIndex((f) => f.dev === st.dev && f.ino === st.ino);
      if (fid === -1) {
        // A file not seen before must come after every file seen (a rotation names the old
        // current file, which keeps its inode, and starts a new one).
        fid = this.files.length;
        if (fid >= MAX_FILES) throw new Error(`the audit log has more than ${MAX_FILES} files; the console indexes at most that many`);
        this.files.push({ dev: st.dev, ino: st.ino, head: "", path, read: 0 });
      }
      if (seen.length > 0 && fid <= seen[seen.length - 1]!) return "reset";
      seen.push(fid);
      const f = this.files[fid]!;
      f.path = path;
      if (st.size < f.read) return "reset";
      // The same start as when first read (a file made again under a reused inode is not).
      const head = headOf(path);
      if (!head.startsWith(f.head)) return "reset";
      f.head = head;
    }
    if (seen.length !== this.files.length) return "reset"; // a file of the chain went away
    for (let fid = 0; fid < this.files.length; fid++) this.readNew(fid, each);
    return "ok";
  }

  private readNew(fid: number, each: EachRecord): void {
    const f = this.files[fid]!;
    let fd: number;
    try {
      fd = openSync(f.path, "r");
    } catch {
      return; // gone since the listing: the next follow resets
    }
    try {
      if (fstatSync(fd).ino !== f.ino) return;
      let buf = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, f.read);
        if (n === 0) return;
        let start = 0;
        for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < n; nl = buf.indexOf(10, start)) {
          const line = buf.toString("utf8", start, nl);
          if (line !== "") each(parseRow(line), fid * OFFSET + f.read + start, line);
          start = nl + 1;
        }
        if (start === 0) {
          if (n < buf.length) return; // a line still being written
          buf = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
          continue;
        }
        f.read += start;
        if (n < buf.length) return;
      }
    } finally {
      closeSync(fd);
    }
  }

  async lines(positions: readonly number[]): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    const fds = new Map<number, number>();
    try {
      for (const pos of positions) {
        const fid = Math.floor(pos / OFFSET);
        const f = this.files[fid];
        if (!f) {
          out.push(null);
          continue;
        }
        let fd = fds.get(fid);
        if (fd === undefined) {
          try {
            fd = openSync(f.path, "r");
          } catch {
            out.push(null);
            continue;
          }
          fds.set(fid, fd);
        }
        out.push(lineAt(fd, pos % OFFSET));
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
    return out;
  }

  async range(from: number, to: number, each: (line: string, pos: number) => boolean): Promise<void> {
    for (let fid = Math.floor(from / OFFSET); fid <= Math.floor(to / OFFSET); fid++) {
      const f = this.files[fid];
      if (!f) return;
      let offset = fid === Math.floor(from / OFFSET) ? from % OFFSET : 0;
      const last = fid === Math.floor(to / OFFSET) ? to % OFFSET : Infinity;
      const fd = openSync(f.path, "r");
      try {
        let buf = Buffer.allocUnsafe(CHUNK);
        while (offset <= last) {
          const n = readSync(fd, buf, 0, buf.length, offset);
          if (n === 0) break;
          let start = 0;
          for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < n && offset + start <= last; nl = buf.indexOf(10, start)) {
            const line = buf.toString("utf8", start, nl);
            if (line !== "" && !each(line, fid * OFFSET + offset + start)) return;
            start = nl + 1;
          }
          if (start === 0) {
            if (n < buf.length) break;
            buf = Buffer.allocUnsafe(buf.length * 2);
            continue;
          }
          offset += start;
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  async close(): Promise<void> {}
}

/** The line that starts at `offset` (without its newline), or null when none ends there. */
function lineAt(fd: number, offset: number): string | null {
  let size = 4096;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    const n = readSync(fd, buf, 0, size, offset);
    const nl = buf.indexOf(10);
    if (nl !== -1 && nl < n) return buf.toString("utf8", 0, nl);
    if (n < size) return null;
    size *= 4;
  }
}

// ------------------------------------------------------------------------------------------------
// PostgreSQL

/** Rows read per query, as audit-source.ts's postgresSource pages. */
const PAGE = 2000;

class PostgresTail implements ChainTail {
  private conn: Promise<PgConn> | undefined;
  private last = 0;

  constructor(private readonly url: string, private readonly chain: string) {}

  private connect(): Promise<PgConn> {
    return (this.conn ??= import("../runtime/store/postgres-conn.js").then((m) => m.connectPostgres(this.url, {})).catch((e: unknown) => {
      this.conn = undefined; // the next read tries again
      throw e;
    }));
  }

  async follow(each: EachRecord): Promise<"ok" | "reset"> {
    const c = await this.connect();
    if (this.last > 0) {
      // A chain whose last read record is gone was rewritten (the fleet's chain only grows).
      const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM audit_records WHERE chain = $1 AND seq = $2", [this.chain, this.last]);
      if (Number(r.rows[0]?.n ?? 0) === 0) return "reset";
    }
    for (;;) {
      const page = await c.query<{ seq: string; record: string }>("SELECT seq, record FROM audit_records WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3", [this.chain, this.last, PAGE]);
      for (const row of page.rows) {
        this.last = Number(row.seq);
        each(parseRow(row.record), this.last, row.record);
      }
      if (page.rows.length < PAGE) return "ok";
    }
  }

  async lines(positions: readonly number[]): Promise<(string | null)[]> {
    if (positions.length === 0) return [];
    const c = await this.connect();
    const r = await c.query<{ seq: string; record: string }>("SELECT seq, record FROM audit_records WHERE chain = $1 AND seq = ANY($2::bigint[])", [this.chain, positions.map(String)]);
    const bySeq = new Map(r.rows.map((row) => [Number(row.seq), row.record]));
    return positions.map((p) => bySeq.get(p) ?? null);
  }

  async range(from: number, to: number, each: (line: string, pos: number) => boolean): Promise<void> {
    const c = await this.connect();
    for (let after = from - 1; after < to; ) {
      const page = await c.query<{ seq: string; record: string }>("SELECT seq, record FROM audit_records WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4", [this.chain, after, to, PAGE]);
      for (const row of page.rows) {
        after = Number(row.seq);
        if (!each(row.record, after)) return;
      }
      if (page.rows.length < PAGE) return;
    }
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    await (await c?.catch(() => undefined))?.pool.end().catch(() => undefined);
  }
}
