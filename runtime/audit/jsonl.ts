// The embedded audit sink: an append-only JSONL hash chain with batched group commits, rotation
// and crash recovery (format in FORMAT.md). Fed entries by the Engine on every decision and
// outcome; its files are read back by verify.ts (`pol audit verify`).

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { basename, dirname } from "node:path";
import {
  AuditError, GENESIS_HASH, HEX64, loadKey, sealEntry, wrapIo,
  type AuditEntry, type AuditRecord, type AuditSink, type KeyOptions, type Sealed,
} from "./chain.js";
import {
  acquireLock, chainFiles, exists, headPath, headText, listRotated, readHead, readTail, releaseLock, rotatedPath,
} from "./files.js";

export interface JsonlAuditOptions extends KeyOptions {
  /** Make each append durable (write, fdatasync, head update) before it returns. Default false. */
  sync?: boolean;
  /** How long an append may wait to share a write with later ones; 0 means the next tick. Default 5. */
  batchMs?: number;
  /** Rotate once the current file exceeds this many bytes. Default 100 MiB. */
  rotateBytes?: number;
}

/** `event` of the admin record that open() writes after finding a cut-short write. */
export const RECOVERY_EVENT = "audit.recovered";

/** A file that ended in a partial record when the log was reopened; `file` is a base name. */
export interface DamagedFile { file: string; bytes: number }

interface ResumePoint {
  seq: number;
  hash: string;
  /** Files ending in a partial record after the last whole one, oldest first. */
  damaged: Array<{ path: string; bytes: number }>;
  /** True when the head file is ahead of the records: whole records were removed, not cut short. */
  behindHead: boolean;
}

export class JsonlAuditLog implements AuditSink {
  readonly path: string;
  /** What open() recovered from (files left with a partial record by a crash); usually empty. */
  readonly recovered: readonly DamagedFile[];
  private readonly key: Uint8Array;
  private readonly sync: boolean;
  private readonly batchMs: number;
  private readonly rotateBytes: number;
  private fd: number;
  private size: number;
  private nextN: number;
  private _seq: number;
  private _hash: string;
  private _durableSeq: number;
  private pending: string[] = [];
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private failure: AuditError | null = null;
  private closing: Promise<void> | null = null;

  /**
   * Opens (creating if needed) the log at `path` and resumes its chain. A crash that cut a write
   * short leaves a partial last line; that file is set aside as a rotated file, never appended to,
   * and the next record is an authenticated `audit.recovered` admin record naming it (FORMAT.md).
   */
  static async open(path: string, opts: JsonlAuditOptions = {}): Promise<JsonlAuditLog> {
    const batchMs = opts.batchMs ?? 5;
    const rotateBytes = opts.rotateBytes ?? 100 * 1024 * 1024;
    if (!(Number.isFinite(batchMs) && batchMs >= 0)) throw new AuditError("invalid", "batchMs must be a number >= 0");
    if (!(Number.isFinite(rotateBytes) && rotateBytes > 0)) throw new AuditError("invalid", "rotateBytes must be a number > 0");
    try {
      fs.mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw wrapIo(e, `cannot create the directory of ${path}`);
    }
    const key = loadKey(path, opts, true);
    acquireLock(path);
    try {
      return new JsonlAuditLog(path, key, opts.sync ?? false, batchMs, rotateBytes);
    } catch (e) {
      releaseLock(path);
      throw wrapIo(e, `cannot open audit log ${path}`);
    }
  }

  private constructor(path: string, key: Uint8Array, sync: boolean, batchMs: number, rotateBytes: number) {
    this.path = path;
    this.key = key;
    this.sync = sync;
    this.batchMs = batchMs;
    this.rotateBytes = rotateBytes;
    const resume = findResumePoint(path, key);
    const rotated = listRotated(path);
    this.nextN = rotated.length > 0 ? rotated[rotated.length - 1]!.n + 1 : 1;
    // Never append after garbage: a current file ending in a partial record becomes a rotated one.
    for (const d of resume.damaged) if (d.path === path) d.path = this.renameCurrent();
    const created = !exists(path);
    this.fd = fs.openSync(path, "a");
    this.size = fs.fstatSync(this.fd).size;
    this._seq = this._durableSeq = resume.seq;
    this._hash = resume.hash;
    this.recovered = resume.damaged.map((d) => ({ file: basename(d.path), bytes: d.bytes }));
    try {
      if (created) syncDir(dirname(path));
      if (readHead(path, key).state === "absent") this.writeHeadSync(resume.seq, resume.hash);
      // Behind the head the loss is real, and the seq gap left by resuming from the head reports
      // it; a recovery record there would only paper over it.
      if (this.recovered.length > 0 && !resume.behindHead) {
        this.appendDurable({ type: "admin", time: new Date().toISOString(), event: RECOVERY_EVENT,
          reason: "a write was cut short", damaged: this.recovered.map((d) => ({ ...d })), resumedAfter: resume.seq });
      }
      if (this.size > this.rotateBytes) this.rotate();
    } catch (e) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // a failed rotation may have closed it already; the first error is the one to report
      }
      throw e;
    }
  }

  get seq(): number {
    return this._seq;
  }

  get lastHash(): string {
    return this._hash;
  }

  /** Seq of the last record written, fdatasync'ed and recorded in the head file. */
  get durableSeq(): number {
    return this._durableSeq;
  }

  append(entry: AuditEntry): AuditRecord {
    if (this.closing) throw new AuditError("closed", `audit log ${this.path} is closed`);
    if (this.failure) throw this.failure;
    if (this.sync) return this.appendDurable(entry);
    const sealed = sealEntry(entry, this._seq + 1, this._hash, this.key);
    this.pending.push(sealed.line);
    this.advance(sealed);
    this.schedule();
    return sealed.record;
  }

  async flush(): Promise<void> {
    while ((this.pending.length > 0 && !this.failure) || this.running) await this.startDrain();
    if (this.failure) throw this.failure;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.cancelTimer?.();
      try {
        fs.closeSync(this.fd);
      } catch (e) {
        // a write failure (already being thrown) may have left no open file behind
        if (!this.failure) this.failure = wrapIo(e, `cannot close audit log ${this.path}`);
      }
      releaseLock(this.path);
    }
    if (this.failure) throw this.failure;
  }

  private advance(sealed: Sealed): void {
    this._seq = sealed.record.seq;
    this._hash = sealed.record.hash;
  }

  // -------------------------------------------------------------------------
  // Synchronous path: sync mode and the recovery record.

  private appendDurable(entry: AuditEntry): AuditRecord {
    const sealed = sealEntry(entry, this._seq + 1, this._hash, this.key);
    try {
      const buf = Buffer.from(sealed.line, "utf8");
      writeAllSync(this.fd, buf);
      fs.fdatasyncSync(this.fd);
      this.size += buf.length;
      if (this.size > this.rotateBytes) this.rotate();
      this.writeHeadSync(sealed.record.seq, sealed.record.hash);
    } catch (e) {
      // The record may be half written; refusing further appends keeps the damage at the tail.
      this.failure = wrapIo(e, `cannot write audit log ${this.path}`);
      throw this.failure;
    }
    this.advance(sealed);
    this._durableSeq = sealed.record.seq;
    return sealed.record;
  }

  private writeHeadSync(seq: number, hash: string): void {
    const tmp = `${headPath(this.path)}.tmp`;
    const fd = fs.openSync(tmp, "w");
    try {
      writeAllSync(fd, Buffer.from(headText(this.key, seq, hash), "utf8"));
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, headPath(this.path));
  }

  /** Moves the current file to the next rotated name and starts an empty one. */
  private rotate(): void {
    fs.closeSync(this.fd);
    this.renameCurrent();
    this.fd = fs.openSync(this.path, "a");
    this.size = 0;
    syncDir(dirname(this.path));
  }

  private renameCurrent(): string {
    const to = rotatedPath(this.path, this.nextN++);
    // rename would silently replace an existing file, destroying part of the chain
    if (exists(to)) throw new AuditError("io", `cannot rotate audit log: ${to} already exists`);
    fs.renameSync(this.path, to);
    return to;
  }

  // -------------------------------------------------------------------------
  // Batched path: appends queue lines; one drain loop writes them as group commits.

  private schedule(): void {
    if (this.cancelTimer || this.running) return;
    const fire = (): void => {
      this.cancelTimer = null;
      void this.startDrain();
    };
    if (this.batchMs > 0) {
      const t = setTimeout(fire, this.batchMs);
      this.cancelTimer = () => clearTimeout(t);
    } else {
      const t = setImmediate(fire);
      this.cancelTimer = () => clearImmediate(t);
    }
  }

  /** Starts the drain loop unless it runs; the returned promise never rejects (see `failure`). */
  private startDrain(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
        // appends that landed after the loop's last check must not wait for another append
        if (this.pending.length > 0 && !this.failure) this.schedule();
      });
    }
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.failure) {
      const lines = this.pending;
      this.pending = [];
      // appends are synchronous, so the newest appended record is the batch's last line
      const seq = this._seq;
      const hash = this._hash;
      try {
        await this.writeBatch(lines);
        await this.writeHead(seq, hash);
        this._durableSeq = seq;
      } catch (e) {
        this.failure = wrapIo(e, `cannot write audit log ${this.path}`);
      }
    }
  }

  /** Writes lines with one write per file touched, rotating where the size limit is crossed. */
  private async writeBatch(lines: string[]): Promise<void> {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < lines.length; i++) {
      bytes += Buffer.byteLength(lines[i]!, "utf8");
      if (this.size + bytes > this.rotateBytes) {
        await this.writeChunk(lines.slice(start, i + 1), bytes);
        this.rotate();
        start = i + 1;
        bytes = 0;
      }
    }
    if (start < lines.length) await this.writeChunk(lines.slice(start), bytes);
  }

  private async writeChunk(lines: string[], bytes: number): Promise<void> {
    const fd = this.fd;
    await writeAll(fd, Buffer.from(lines.join(""), "utf8"));
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.size += bytes;
  }

  private async writeHead(seq: number, hash: string): Promise<void> {
    const tmp = `${headPath(this.path)}.tmp`;
    const fh = await fsp.open(tmp, "w");
    try {
      await fh.writeFile(headText(this.key, seq, hash), "utf8");
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, headPath(this.path));
  }
}

/** Where the chain continues: after the last whole record, or after the head if it is further. */
function findResumePoint(path: string, key: Uint8Array): ResumePoint {
  const head = readHead(path, key);
  const verifyHint = `run \`pol audit verify ${path}\``;
  if (head.state === "malformed") throw new AuditError("damaged", `audit head file ${headPath(path)} ${head.reason}; ${verifyHint}`);
  if (head.state === "forged") throw new AuditError("damaged", `audit head file ${headPath(path)} does not match the key; ${verifyHint}`);
  const damaged: ResumePoint["damaged"] = [];
  let last: { seq: number; hash: string } | null = null;
  const files = chainFiles(path);
  for (let i = files.length - 1; i >= 0 && last === null; i--) {
    const tail = readTail(files[i]!);
    if (tail.partialBytes > 0) damaged.unshift({ path: files[i]!, bytes: tail.partialBytes });
    if (tail.lastLine !== null) last = parseTailRecord(tail.lastLine, files[i]!, verifyHint);
  }
  if (last !== null && head.state === "absent") {
    throw new AuditError("damaged", `audit head file ${headPath(path)} is missing but the log holds records; ${verifyHint}`);
  }
  if (head.state === "ok" && head.seq > (last?.seq ?? 0)) return { seq: head.seq, hash: head.hash, damaged, behindHead: true };
  return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, damaged, behindHead: false };
}

function parseTailRecord(line: string, file: string, hint: string): { seq: number; hash: string } {
  try {
    const r = JSON.parse(line) as { seq?: unknown; hash?: unknown };
    if (Number.isSafeInteger(r.seq) && (r.seq as number) > 0 && typeof r.hash === "string" && HEX64.test(r.hash)) {
      return { seq: r.seq as number, hash: r.hash };
    }
  } catch {
    // reported below
  }
  throw new AuditError("damaged", `audit log ${file} ends in an unreadable record; ${hint}`);
}

function writeAllSync(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void => {
      fs.write(fd, buf, off, buf.length - off, null, (err, n) => {
        if (err) reject(err);
        else if (off + n < buf.length) step(off + n);
        else resolve();
      });
    };
    step(0);
  });
}

/** Makes a create or rename durable; some platforms cannot fsync a directory, which is tolerable. */
function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // best effort
  }
}
