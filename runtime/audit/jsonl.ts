// The embedded audit sink: an append-only JSONL hash chain with group commits, rotation and crash
// recovery (format and durability guarantee in FORMAT.md). append() checks each entry on the
// caller's thread and copies its canonical body, all but `prev`, into a bounded shared queue
// (ring.mjs); a writer thread (writer.mjs) fills in `prev`, hashes, MACs, writes, syncs and
// rotates, so records reach the file whatever the caller's event loop does, and the chain's
// hashing (SHA-256 and HMAC, with canonical JSON ~19 µs a record here before) stays off the
// decision path. Fed entries by the Engine on every decision and outcome; read back by verify.ts.

import * as fs from "node:fs";
import { basename, dirname } from "node:path";
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { entryBody } from "./canonical.mjs";
import { sealedLineBytes } from "./seal.mjs";
import {
  AuditError, GENESIS_HASH, HEX64, checkEntry, loadKey, wrapIo,
  type AuditEntry, type AuditSink, type KeyOptions,
} from "./chain.js";
import { acquireLock, chainFiles, headPath, listRotated, readHead, readTail, releaseLock, rotatedPath } from "./files.js";
import { createQueue, MAX_QUEUE_BYTES, MIN_QUEUE_BYTES, QueueProducer, queueCapacity } from "./ring.mjs";
import { startWriter, type WriterEnd, type WriterLink } from "./writer-thread.js";
import { makeDir } from "../make-dir.js";

export interface JsonlAuditOptions extends KeyOptions {
  /** Make each append durable (written, fdatasync'ed, in the head file) before it returns. Default false. */
  sync?: boolean;
  /** How often the writer thread takes what was appended and writes it, in ms; 0 means at once. Default 5. */
  batchMs?: number;
  /** Rotate once the current file exceeds this many bytes. Default 100 MiB. */
  rotateBytes?: number;
  /**
   * Bytes of records that may wait for the writer thread (rounded up to a power of two, 64 KiB to
   * 1 GiB); an append that finds the queue full blocks until there is room. Default 4 MiB.
   */
  queueBytes?: number;
  /**
   * How long one append may block its thread, in ms: waiting for room in a full queue and, with
   * `sync`, for its record to become durable. Past it the append throws AuditError `io`; after
   * that, appends throw at once, without waiting, until the writer makes room again (or, with
   * `sync`, makes that record durable), so a stalled disk costs the caller's thread one wait, not
   * one per append. Default 10,000.
   */
  waitMs?: number;
}

/** `event` of the admin record that open() writes after finding a cut-short write. */
export const RECOVERY_EVENT = "audit.recovered";

/** A file that ended in a partial record when the log was reopened; `file` is a base name. */
export interface DamagedFile { file: string; bytes: number }

const DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024;
/** JsonlAuditOptions.waitMs's default. */
const WAIT_MS = 10_000;
/** How long a process exiting without close() waits for the writer to make every record durable. */
const EXIT_WAIT_MS = 5_000;
/** Blocking waits are sliced: a wake-up that races a writer failure is missed for at most this long. */
const SLICE_MS = 50;
/** A wait as a message says it: `10 s`, `0.2 s`. */
const seconds = (ms: number) => `${ms / 1000} s`;

interface ResumePoint {
  seq: number;
  hash: string;
  /** Files ending in a partial record after the last whole one, oldest first. */
  damaged: Array<{ path: string; bytes: number }>;
  /** True when the head file is ahead of the records: whole records were removed, not cut short. */
  behindHead: boolean;
  headAbsent: boolean;
}

/** What the writer thread reports when it fails (writer.mjs `fail`). */
interface WriterFailure { phase: "open" | "write"; code?: string; message: string; rotateTarget?: string }

/** Logs open in this process, settled by the exit hook below. */
const openLogs = new Set<() => void>();
let exitHooked = false;

export class JsonlAuditLog implements AuditSink {
  readonly path: string;
  /** What open() recovered from (files left with a partial record by a crash); usually empty. */
  readonly recovered: readonly DamagedFile[];
  private readonly key: Uint8Array;
  private readonly sync: boolean;
  private readonly queue: QueueProducer;
  private readonly writer: WriterLink;
  private readonly errors: MessagePort;
  private readonly settle = (): void => this.settleAtExit();
  private _seq: number;
  /** JsonlAuditOptions.waitMs. */
  private readonly waitMs: number;
  /** When a wait for room ran out (Date.now()) and where the writer's reading stood; null once it has moved. */
  private full: { since: number; released: number } | null = null;
  /** With `sync`: the record whose durability wait ran out and when; new records are refused until it is durable. */
  private undurable: { seq: number; since: number } | null = null;
  private failure: AuditError | null = null;
  private closing: Promise<void> | null = null;

  /**
   * Opens (creating if needed) the log at `path`, resumes its chain and starts its writer thread.
   * A crash that cut a write short leaves a partial last line; that file is set aside as a rotated
   * file, never appended to, and the next record is an authenticated `audit.recovered` admin
   * record naming it (FORMAT.md).
   */
  static async open(path: string, opts: JsonlAuditOptions = {}): Promise<JsonlAuditLog> {
    const batchMs = opts.batchMs ?? 5;
    const rotateBytes = opts.rotateBytes ?? 100 * 1024 * 1024;
    const queueBytes = opts.queueBytes ?? DEFAULT_QUEUE_BYTES;
    const waitMs = opts.waitMs ?? WAIT_MS;
    if (!(Number.isFinite(batchMs) && batchMs >= 0)) throw new AuditError("invalid", "batchMs must be a number >= 0");
    if (!(Number.isFinite(rotateBytes) && rotateBytes > 0)) throw new AuditError("invalid", "rotateBytes must be a number > 0");
    if (!(Number.isFinite(waitMs) && waitMs > 0)) throw new AuditError("invalid", "waitMs must be a number of milliseconds > 0");
    if (!(Number.isFinite(queueBytes) && queueBytes > 0 && queueBytes <= MAX_QUEUE_BYTES)) {
      throw new AuditError("invalid", `queueBytes must be a number from ${MIN_QUEUE_BYTES} to ${MAX_QUEUE_BYTES}`);
    }
    try {
      makeDir(dirname(path));
    } catch (e) {
      throw wrapIo(e, `cannot create the directory of ${path}`);
    }
    const key = loadKey(path, opts, true);
    acquireLock(path);
    let log: JsonlAuditLog | undefined;
    try {
      const resume = findResumePoint(path, key);
      log = new JsonlAuditLog(path, key, opts.sync ?? false, { batchMs, rotateBytes, queueBytes, waitMs }, resume);
      await log.starting();
      // Behind the head the loss is real, and the seq gap left by resuming from the head reports
      // it; a recovery record there would only paper over it.
      if (log.recovered.length > 0 && !resume.behindHead) {
        log.append({ type: "admin", time: new Date().toISOString(), event: RECOVERY_EVENT,
          reason: "a write was cut short", damaged: log.recovered.map((d) => ({ ...d })), resumedAfter: resume.seq });
        await log.flush();
      }
      return log;
    } catch (e) {
      await log?.stopWriter();
      releaseLock(path);
      throw wrapIo(e, `cannot open audit log ${path}`);
    }
  }

  private constructor(path: string, key: Uint8Array, sync: boolean, o: { batchMs: number; rotateBytes: number; queueBytes: number; waitMs: number }, resume: ResumePoint) {
    this.path = path;
    this.key = key;
    this.sync = sync;
    this.waitMs = o.waitMs;
    this._seq = resume.seq;
    const rotated = listRotated(path);
    const nextN = rotated.length > 0 ? rotated[rotated.length - 1]!.n + 1 : 1;
    // Never append after garbage: a current file ending in a partial record becomes a rotated one.
    const setAsideCurrent = resume.damaged.some((d) => d.path === path);
    this.recovered = resume.damaged.map((d) => ({ file: basename(d.path === path ? rotatedPath(path, nextN) : d.path), bytes: d.bytes }));
    const sab = createQueue(queueCapacity(o.queueBytes));
    this.queue = new QueueProducer(sab, resume.seq, resume.hash);
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    this.errors.unref();
    this.writer = startWriter({
      path, key, rotateBytes: o.rotateBytes, batchMs: o.batchMs, seq: resume.seq, hash: resume.hash, nextN,
      setAsideCurrent, headAbsent: resume.headAbsent, queue: sab,
    }, port2);
    void this.writer.ended.then((end) => {
      openLogs.delete(this.settle);
      if (end.how === "lost") this.failure ??= this.lostWriter(end.error);
    });
    openLogs.add(this.settle);
    if (!exitHooked) {
      exitHooked = true;
      process.on("exit", () => {
        for (const settle of openLogs) settle();
      });
    }
  }

  get seq(): number {
    return this._seq;
  }

  /**
   * Hash of the last appended record. Records are sealed by the writer thread, so this waits
   * (blocking, like `sync` appends, at most waitMs) until that record is durable; durableHead()
   * never waits.
   */
  get lastHash(): string {
    if (!this.awaitDurable(this._seq)) throw new AuditError("io", `audit log ${this.path}: record ${this._seq} is not durable after ${seconds(this.waitMs)}, so its hash is not known yet`);
    return this.queue.durableHead().hash;
  }

  /** Seq of the last record written, fdatasync'ed and recorded in the head file. */
  get durableSeq(): number {
    return this.queue.durable();
  }

  /** The last durable record's seq and hash (what the head file names), without waiting. */
  durableHead(): { seq: number; hash: string } {
    return this.queue.durableHead();
  }

  /**
   * Checks the entry and queues its canonical body for the writer thread, which seals it as the
   * next record (FORMAT.md): returns undefined, as the record's hash is made there. Throws
   * AuditError (invalid, closed, io) and never half-appends.
   */
  append(entry: AuditEntry): undefined {
    if (this.closing) throw new AuditError("closed", `audit log ${this.path} is closed`);
    this.throwIfFailed();
    if (this.undurable !== null) this.refuseWhileUndurable();
    checkEntry(entry);
    const seq = this._seq + 1;
    let body: { head: string; tail: string };
    try {
      body = entryBody(entry, seq);
    } catch (e) {
      throw new AuditError("invalid", (e as Error).message, { cause: e });
    }
    this.enqueue(body.head, body.tail);
    // A writer failure during the wait throws here: the record goes with the writer, and the chain
    // does not advance. A wait that runs out does advance it: the writer seals the record as `seq`
    // however long the disk takes.
    const durable = !this.sync || this.awaitDurable(seq);
    this._seq = seq;
    if (!durable) {
      this.undurable = { seq, since: Date.now() - this.waitMs };
      throw new AuditError("io", `audit log ${this.path}: record ${seq} was queued but is not durable after ${seconds(this.waitMs)} (a stalled disk?); it is written once the disk takes it, and new records are refused at once until then`);
    }
    return undefined;
  }

  async flush(): Promise<void> {
    this.throwIfFailed();
    const target = this._seq;
    if (this.queue.durable() < target) {
      await this.writer.hold((async () => {
        this.queue.urge();
        while (this.queue.durable() < target && !this.queue.failed() && !this.failure) await this.queue.waitDurableAsync(target, 1000);
      })());
    }
    this.throwIfFailed();
  }

  async settled(ms: number): Promise<void> {
    this.throwIfFailed();
    const target = this._seq;
    const until = Date.now() + ms;
    this.queue.urge();
    await this.writer.hold((async () => {
      for (let left = ms; this.queue.durable() < target && !this.queue.failed() && !this.failure && left > 0; left = until - Date.now()) {
        await this.queue.waitDurableAsync(target, Math.min(left, 100));
      }
    })());
    this.throwIfFailed();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.stopWriter();
      releaseLock(this.path);
    }
    this.throwIfFailed();
  }

  /** Waits until the writer has opened the files, or throws why it could not. */
  private async starting(): Promise<void> {
    try {
      await this.writer.hold(this.writer.started);
    } catch (e) {
      const end = e as WriterEnd;
      throw end.how === "failed" ? this.writerFailure() : this.lostWriter(end.how === "lost" ? end.error : null);
    }
  }

  /** Lets the writer drain what is queued, close its file and leave; resolves once it has. */
  private async stopWriter(): Promise<void> {
    this.queue.stop();
    await this.writer.hold(this.writer.ended);
  }

  private lostWriter(error: Error | null): AuditError {
    return new AuditError("io", `cannot write audit log ${this.path} (its writer thread stopped${error ? `: ${error.message}` : ""})`, { cause: error });
  }

  // -------------------------------------------------------------------------
  // The caller's side of the queue

  /** Copies a record's body into the queue, blocking while it is full; throws (appending nothing) when it cannot. */
  private enqueue(head: string, tail: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; only a body that might not fit is measured
    if (this.queue.frameBytes((head.length + tail.length) * 3 + 64) > this.queue.capacity) {
      const bytes = Buffer.byteLength(head, "utf8") + 64 + Buffer.byteLength(tail, "utf8");
      if (this.queue.frameBytes(bytes) > this.queue.capacity) {
        throw new AuditError("invalid", `audit record of ${sealedLineBytes(bytes)} bytes does not fit the log's queue of ${this.queue.capacity} bytes; raise queueBytes or append less`);
      }
    }
    let deadline = 0;
    while (!this.queue.tryPut(head, tail)) {
      this.throwIfFailed();
      // once the writer moves again, appends wait for room as usual
      if (this.full !== null && this.queue.released() !== this.full.released) this.full = null;
      if (this.full !== null) {
        throw new AuditError("io", `audit log ${this.path}: its queue has been full since ${new Date(this.full.since).toISOString()} (the writer is making no room: a stalled disk?), so the record was not appended; appends are refused at once until it makes room`);
      }
      const now = performance.now();
      if (deadline === 0) deadline = now + this.waitMs;
      if (now >= deadline) {
        this.full = { since: Date.now() - this.waitMs, released: this.queue.released() };
        throw new AuditError("io", `audit log ${this.path}: its writer has made no room in the queue for ${seconds(this.waitMs)}, so the record was not appended`);
      }
      this.queue.waitForRoom(Math.min(SLICE_MS, deadline - now));
    }
    this.full = null;
  }

  /** Sync mode after a durability wait ran out: refuses the next record until that one is durable. */
  private refuseWhileUndurable(): void {
    const u = this.undurable!;
    if (this.queue.durable() >= u.seq) {
      this.undurable = null;
      return;
    }
    throw new AuditError("io", `audit log ${this.path}: record ${u.seq} has waited to become durable since ${new Date(u.since).toISOString()} (a stalled disk?); records are refused at once until it is`);
  }

  /** Blocks until the writer has made `seq` durable (true) or waitMs pass (false); throws the writer's failure. */
  private awaitDurable(seq: number): boolean {
    this.queue.urge();
    const deadline = performance.now() + this.waitMs;
    while (this.queue.durable() < seq) {
      this.throwIfFailed();
      const left = deadline - performance.now();
      if (left <= 0) return false;
      this.queue.waitDurable(seq, Math.min(SLICE_MS, left));
    }
    return true;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
    if (this.queue.failed()) {
      this.failure = this.writerFailure();
      throw this.failure;
    }
  }

  /** The writer's failure as an AuditError (the writer posts it before it sets FAILED). */
  private writerFailure(): AuditError {
    if (this.failure) return this.failure;
    const m = receiveMessageOnPort(this.errors)?.message as WriterFailure | undefined;
    if (!m) return new AuditError("io", `cannot write audit log ${this.path} (its writer thread stopped)`);
    if (m.rotateTarget) return new AuditError("io", `cannot rotate audit log: ${m.rotateTarget} already exists`);
    if (m.code === "EDELETED") return new AuditError("io", `audit log ${this.path} was deleted while it was being written; records written to it since are gone: restore it from a copy, or start on a new log`);
    return wrapIo(Object.assign(new Error(m.message), { code: m.code }), `cannot ${m.phase} audit log ${this.path}`);
  }

  /**
   * Runs in process.on("exit") for a log never closed: the writer still runs then, so wait (up to
   * EXIT_WAIT_MS) until everything appended is durable, as close() would, and drop the lock.
   */
  private settleAtExit(): void {
    this.queue.urge();
    const deadline = performance.now() + EXIT_WAIT_MS;
    while (this.queue.durable() < this._seq && !this.queue.failed() && !this.failure) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.queue.waitDurable(this._seq, Math.min(SLICE_MS, left));
    }
    releaseLock(this.path);
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
  const headAbsent = head.state === "absent";
  if (head.state === "ok" && head.seq > (last?.seq ?? 0)) return { seq: head.seq, hash: head.hash, damaged, behindHead: true, headAbsent };
  return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, damaged, behindHead: false, headAbsent };
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
