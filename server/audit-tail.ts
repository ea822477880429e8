// Reads an audit chain from where it last stopped, and reads records again by position: what the
// console's index thread (audit-index-worker.mjs) needs to keep server/audit-index.ts current and
// to fetch the records a page shows. Two chains: the JSONL log's files (a position is the
// record's byte offset from the start of the chain) and a fleet's PostgreSQL chain (a position is
// the record's seq). Positions grow in chain order. Runs on the worker thread, so its file reads
// are synchronous.

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

/** `list`: how a JSONL chain's files are found (chainFiles; a test passes a stale listing, as a rotation racing a follow makes one). */
export function openTail(target: VerifyTarget, list: (logPath: string) => string[] = chainFiles): ChainTail {
  return target.kind === "jsonl" ? new JsonlTail(target.path, list) : new PostgresTail(target.url, target.chain);
}

// ------------------------------------------------------------------------------------------------
// JSONL
//
// A position is a byte count from the start of the chain: the sizes of the files before the
// record's file, plus its offset in that file. Rotated files never change, so positions stay
// put as the chain grows, and a chain of any number of files fits (2^53 bytes).

const CHUNK = 1 << 20;
/** Bytes of a file's start, and of what was read last, compared when the file looks changed. */
const MARK = 160;

/**
 * A file of the chain as first seen. `head` (its first bytes) tells a file made again under a
 * reused inode number from the one read before; `tail` (the bytes just before `read`) tells a
 * file cut short and grown again (a restored backup, then new appends) from one only appended to.
 */
interface Known {
  dev: number; ino: number; path: string;
  /** Position of the file's first byte. */
  base: number;
  /** Bytes read, up to the end of the last whole line. */
  read: number;
  head: string; tail: string;
  /** What stat said at the last look: the checks run again only when it changes. */
  stamp: string;
}

/** `len` bytes of the file at `path` from `at` ("" when it cannot be read), as latin1 so any bytes compare. */
function bytesOf(path: string, at: number, len: number): string {
  try {
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(len);
      return buf.toString("latin1", 0, readSync(fd, buf, 0, len, at));
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/**
 * How many times follow() lists the chain's files again before a mismatch counts as a rewrite. A
 * rotation between the listing and the checks (a file renamed, a new current file) makes the
 * listing stale, not the chain rewritten, and a fresh listing agrees; a rewrite fails every time.
 */
const LISTINGS = 3;

class JsonlTail implements ChainTail {
  /** The chain's files in chain order. */
  private readonly files: Known[] = [];

  constructor(private readonly logPath: string, private readonly list: (logPath: string) => string[]) {}

  async follow(each: EachRecord): Promise<"ok" | "reset"> {
    for (let i = 1; this.check(this.list(this.logPath)) === "reset"; i++) if (i === LISTINGS) return "reset";
    for (let i = 0; i < this.files.length; i++) this.readNew(this.files[i]!, i < this.files.length - 1, each);
    return "ok";
  }

  /**
   * Matches the listed files to the files read before (by device and inode, in order), adds new
   * ones at the end, and checks that none was cut short, replaced or restored under it. Files that
   * pass keep their new path, head and stamp whatever a later one does: what they say is true.
   */
  private check(paths: readonly string[]): "ok" | "reset" {
    let seen = 0;
    for (const path of paths) {
      let st;
      try {
        st = statSync(path);
      } catch {
        return "reset"; // rotated or removed between listing and reading
      }
      const at = this.files.findIndex((f) => f.dev === st.dev && f.ino === st.ino);
      // Files keep their order: a rotation renames the current file (same inode) and starts a new one.
      if (at !== -1 && at !== seen) return "reset";
      if (at === -1) {
        if (seen !== this.files.length) return "reset"; // a new file before one already read
        const prev = this.files[seen - 1];
        // The file before is rotated now, so its size is final: this file's positions start after it.
        const base = prev ? prev.base + statSync(prev.path).size : 0;
        this.files.push({ dev: st.dev, ino: st.ino, path, base, read: 0, head: "", tail: "", stamp: "" });
      }
      const f = this.files[seen]!;
      seen++;
      f.path = path;
      const stamp = `${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      if (stamp === f.stamp) continue;
      if (st.size < f.read) return "reset";
      const head = bytesOf(path, 0, MARK);
      if (!head.startsWith(f.head)) return "reset";
      if (f.read > 0 && bytesOf(path, Math.max(0, f.read - MARK), Math.min(MARK, f.read)) !== f.tail) return "reset";
      f.head = head;
      f.stamp = stamp;
    }
    return seen === this.files.length ? "ok" : "reset"; // else a file of the chain went away
  }

  /** Reads `f` from where it was left; a rotated file's last line counts without its newline (a cut-short write set aside). */
  private readNew(f: Known, rotated: boolean, each: EachRecord): void {
    let fd: number;
    try {
      fd = openSync(f.path, "r");
    } catch {
      return; // gone since the listing: the next follow resets
    }
    try {
      if (fstatSync(fd).ino !== f.ino) return;
      const before = f.read;
      f.read = scanLines(fd, f.read, Infinity, rotated, (line, offset) => {
        each(parseRow(line), f.base + offset, line);
        return true;
      });
      if (f.read !== before) {
        f.tail = bytesOf(f.path, Math.max(0, f.read - MARK), Math.min(MARK, f.read));
        f.stamp = ""; // its size changed since the stat: look again next time
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The file holding `pos`, open, with the offset in it; null when it is gone or was replaced. */
  private open(pos: number): { fd: number; offset: number; file: number } | null {
    let i = this.files.length - 1;
    while (i > 0 && this.files[i]!.base > pos) i--;
    const f = this.files[i];
    if (!f || pos < f.base) return null;
    try {
      const fd = openSync(f.path, "r");
      if (fstatSync(fd).ino === f.ino) return { fd, offset: pos - f.base, file: i };
      closeSync(fd); // rotated since the follow: its path names another file now
    } catch {
      // gone
    }
    return null;
  }

  async lines(positions: readonly number[]): Promise<(string | null)[]> {
    return positions.map((pos) => {
      const at = this.open(pos);
      if (!at) return null;
      try {
        return lineAt(at.fd, at.offset);
      } finally {
        closeSync(at.fd);
      }
    });
  }

  async range(from: number, to: number, each: (line: string, pos: number) => boolean): Promise<void> {
    for (let pos = from; pos <= to; ) {
      const at = this.open(pos);
      if (!at) return;
      const f = this.files[at.file]!;
      let go = true;
      try {
        scanLines(at.fd, at.offset, to - f.base, at.file < this.files.length - 1, (line, offset) => (go = each(line, f.base + offset)));
      } finally {
        closeSync(at.fd);
      }
      const next = this.files[at.file + 1];
      if (!go || !next) return;
      pos = next.base;
    }
  }

  async close(): Promise<void> {}
}

/**
 * Calls `each(line, offset)` for the whole lines of `fd` that start at `from` or later and at or
 * before `last`, until it returns false; a rotated file's unterminated last line counts too.
 * Returns the offset just past the last whole line read.
 */
function scanLines(fd: number, from: number, last: number, rotated: boolean, each: (line: string, offset: number) => boolean): number {
  let offset = from;
  let buf = Buffer.allocUnsafe(CHUNK);
  while (offset <= last) {
    const n = readSync(fd, buf, 0, buf.length, offset);
    if (n === 0) return offset;
    let start = 0;
    for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < n; nl = buf.indexOf(10, start)) {
      if (offset + start > last) return offset + start;
      const line = buf.toString("utf8", start, nl);
      if (line !== "" && !each(line, offset + start)) return offset + nl + 1;
      start = nl + 1;
    }
    if (n < buf.length) {
      // The end of the file: a line without its newline is still being written, unless the
      // file is rotated (then it is a write cut short, which a whole read of the chain shows too).
      if (rotated && start < n && offset + start <= last) {
        const line = buf.toString("utf8", start, n);
        each(line, offset + start);
        return offset + n;
      }
      return offset + start;
    }
    if (start === 0) buf = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
    offset += start;
  }
  return offset;
}

/** The line that starts at `offset` (without its newline), or null when none ends there. */
function lineAt(fd: number, offset: number): string | null {
  let size = 4096;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    const n = readSync(fd, buf, 0, size, offset);
    const nl = buf.indexOf(10);
    if (nl !== -1 && nl < n) return buf.toString("utf8", 0, nl);
    if (n < size) return n > 0 ? buf.toString("utf8", 0, n) : null;
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
  /** The record at `last` as read (a few KB at most). */
  private lastRecord: string | undefined;

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
      // The fleet's chain only grows: a last-read record that is gone or different (a database
      // restored to an earlier point, then appended to again) means it was rewritten.
      const r = await c.query<{ record: string }>("SELECT record FROM audit_records WHERE chain = $1 AND seq = $2", [this.chain, this.last]);
      if (r.rows[0]?.record !== this.lastRecord) return "reset";
    }
    for (;;) {
      const page = await c.query<{ seq: string; record: string }>("SELECT seq, record FROM audit_records WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3", [this.chain, this.last, PAGE]);
      for (const row of page.rows) {
        this.last = Number(row.seq);
        this.lastRecord = row.record;
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
