// The audit writer thread (started by writer-thread.ts, one per process): for each open
// JsonlAuditLog it drains the queue that append() fills (ring.mjs) with records' canonical bodies,
// seals each as the next record of the chain (fills in `prev`, then SHA-256 and HMAC, seal.mjs, so
// none of it runs on the decision path) and writes the lines to the chain's files, one write per
// batch and rotating between whole records, and makes what it wrote durable (fdatasync, then the
// head file), its fdatasyncs on the libuv pool while the next batch is written. Plain JavaScript,
// so Node runs it from the sources and from dist/ alike. FORMAT.md specifies what it leaves on
// disk; each log's failures go back on that log's `errors` port.

import * as fs from "node:fs";
import { dirname } from "node:path";
import { parentPort } from "node:worker_threads";
import { headPath, headText, rotatedPath } from "./layout.mjs";
import { QueueConsumer } from "./ring.mjs";
import { LINE_EXTRA_BYTES, recordMac, sha256Hex } from "./seal.mjs";

/**
 * Empty polls (one per batchMs) before the writer sleeps until woken. While records keep coming
 * the producer never makes a system call; after a quiet spell the first append pays one notify.
 */
const IDLE_POLLS = 50;

/** Thrown when rotation would replace an existing file (rename would destroy part of the chain). */
class RotationTargetExists extends Error {
  constructor(file) {
    super(`${file} already exists`);
    this.file = file;
  }
}

const fdatasync = (fd) => new Promise((resolve) => fs.fdatasync(fd, (err) => resolve(err)));

function writeAllSync(fd, buf) {
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Makes a create or rename durable; some platforms cannot fsync a directory, which is tolerable. */
function syncDir(dir) {
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

class AuditWriter {
  constructor(d) {
    this.path = d.path;
    this.key = d.key;
    this.rotateBytes = d.rotateBytes;
    this.batchMs = d.batchMs;
    this.nextN = d.nextN;
    this.errors = d.errors;
    this.queue = new QueueConsumer(d.queue);
    this.writtenSeq = this.durableSeq = d.seq;
    this.writtenHash = d.hash;
    /** The last record sealed: the next one follows it. */
    this.sealedSeq = d.seq;
    this.sealedHash = d.hash;
    this.fd = -1;
    this.size = 0;
    /** The batch's sealed lines, where each ends, and each one's hash. */
    this.out = Buffer.allocUnsafe(64 * 1024);
    this.ends = [];
    this.hashes = [];
    this.syncRunning = false;
    this.syncDone = Promise.resolve();
    /** The sync loop's fdatasync of the current file while in flight: rotation must not close the file under it. */
    this.dataSync = null;
    this.failed = false;
  }

  /** Opens the current file as JsonlAuditLog.open decided. */
  async start(setAsideCurrent, headAbsent) {
    if (setAsideCurrent) this.renameCurrent();
    const created = !fs.existsSync(this.path);
    this.fd = fs.openSync(this.path, "a");
    this.size = fs.fstatSync(this.fd).size;
    if (created) syncDir(dirname(this.path));
    if (headAbsent) await this.writeHead(this.durableSeq, this.writtenHash);
    if (this.size > this.rotateBytes) await this.rotate();
  }

  /** Drains batches until stopped (or failed), then makes everything written durable. */
  async run() {
    let empty = 0;
    while (!this.failed) {
      if (this.queue.pending() > 0) {
        empty = 0;
        // a batch opens with its first record; later ones join it until batchMs after that
        const wait = Math.min(this.batchMs, this.queue.openedAt() + this.batchMs - Date.now());
        if (wait > 0) await this.queue.pause(wait);
        try {
          await this.drain();
        } catch (e) {
          this.fail("write", e);
          break;
        }
        this.startSync();
        // a turn of this thread's event loop between batches: fdatasync completions and the
        // other logs' writers run even while this log's queue never empties
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (this.queue.stopping()) break;
      if (this.batchMs === 0 || ++empty >= IDLE_POLLS) await this.queue.sleep();
      else await this.queue.pause(this.batchMs);
    }
    this.startSync();
    await this.syncDone;
    // a failed writer keeps its file until the log is closed, so nothing else writes to it
    await this.queue.stopped();
  }

  /**
   * Seals every queued entry after the chain's last record and writes the lines: one write per
   * file touched, rotating after the record that crosses the limit.
   */
  async drain() {
    const q = this.queue;
    const ends = this.ends;
    const hashes = this.hashes;
    ends.length = 0;
    hashes.length = 0;
    let len = 0;
    q.take((start, end, prevAt) => {
      // the body is canonical JSON with 64 bytes left for `prev` (canonical.mjs entryBody): fill
      // them in, hash the bytes as they are, and write the body with hash and mac spliced in last
      // (seal.mjs recordLine); the hex is ASCII, so latin1 writes it byte for byte
      q.bytes.latin1Write(this.sealedHash, prevAt, 64);
      const body = q.bytes.subarray(start, end);
      const hash = sha256Hex(body);
      const mac = recordMac(this.key, hash);
      const size = end - start + LINE_EXTRA_BYTES;
      if (len + size > this.out.length) this.grow(len + size, len);
      body.copy(this.out, len, 0, body.length - 1);
      len += body.length - 1;
      len += this.out.latin1Write(`,"hash":"${hash}","mac":"${mac}"}\n`, len);
      ends.push(len);
      hashes.push(hash);
      this.sealedSeq++;
      this.sealedHash = hash;
    });
    let from = 0;
    let lines = 0;
    for (let i = 0; i < ends.length; i++) {
      if (this.size + ends[i] - from > this.rotateBytes) {
        this.write(from, ends[i], i + 1 - lines, hashes[i]);
        from = ends[i];
        lines = i + 1;
        await this.rotate();
      }
    }
    if (from < len) this.write(from, len, ends.length - lines, hashes[ends.length - 1]);
    q.release();
  }

  grow(need, keep) {
    const bigger = Buffer.allocUnsafe(Math.max(need, this.out.length * 2));
    this.out.copy(bigger, 0, 0, keep);
    this.out = bigger;
  }

  /** Writes lines [from, to) of the batch, `count` records, the last of which has hash `hash`. */
  write(from, to, count, hash) {
    writeAllSync(this.fd, this.out.subarray(from, to));
    this.size += to - from;
    this.writtenSeq += count;
    this.writtenHash = hash;
  }

  /** fdatasync the current file, move it to the next rotated name and start an empty one. */
  async rotate() {
    while (this.dataSync) await this.dataSync;
    // from here to the end nothing awaits, so the sync loop cannot start on the old descriptor
    fs.fdatasyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    this.renameCurrent();
    this.fd = fs.openSync(this.path, "a");
    this.size = 0;
    syncDir(dirname(this.path));
  }

  renameCurrent() {
    const to = rotatedPath(this.path, this.nextN++);
    if (fs.existsSync(to)) throw new RotationTargetExists(to);
    fs.renameSync(this.path, to);
  }

  startSync() {
    if (this.syncRunning || this.failed) return;
    this.syncRunning = true;
    this.syncDone = this.syncLoop();
  }

  /** Until what is written is durable: fdatasync the current file, then name its last record in the head. */
  async syncLoop() {
    try {
      while (this.durableSeq < this.writtenSeq && !this.failed) {
        // records before this seq are in this file or in rotated files, synced before their rename
        const seq = this.writtenSeq;
        const hash = this.writtenHash;
        this.dataSync = fdatasync(this.fd);
        const err = await this.dataSync;
        this.dataSync = null;
        if (err) throw err;
        // A log file deleted under the writer takes every record written to it along: fail (the
        // Engine then denies) rather than go on writing into a file nobody can read.
        if (fs.fstatSync(this.fd).nlink === 0) throw Object.assign(new Error("the log file was deleted while it was being written"), { code: "EDELETED" });
        await this.writeHead(seq, hash);
        this.durableSeq = seq;
        this.queue.setDurable(seq, hash);
      }
    } catch (e) {
      this.fail("write", e);
    } finally {
      this.syncRunning = false;
    }
  }

  /**
   * Replaces the head file: a temporary file, fdatasync'ed, renamed over it. Only the fdatasync
   * goes to the libuv pool, so the writer goes on writing batches meanwhile; opening, writing,
   * closing and renaming take microseconds and are done here. Through fs/promises the same five
   * steps were five trips through the pool and back, a quarter of this thread's time and most of
   * the pool's under load (benchmarks/FINDINGS.md, "pol serve over HTTP").
   */
  async writeHead(seq, hash) {
    const tmp = `${headPath(this.path)}.tmp`;
    const fd = fs.openSync(tmp, "w");
    try {
      writeAllSync(fd, Buffer.from(headText(this.key, seq, hash), "utf8"));
      const err = await fdatasync(fd);
      if (err) throw err;
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, headPath(this.path));
  }

  /** Stops the log: the producer sees FAILED on its next call and reads why from `errors`. */
  fail(phase, e) {
    if (this.failed) return;
    this.failed = true;
    this.errors.postMessage({
      phase,
      code: typeof e?.code === "string" ? e.code : undefined,
      message: String(e?.message ?? e),
      rotateTarget: e instanceof RotationTargetExists ? e.file : undefined,
    });
    this.queue.fail();
  }

  closeFile() {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // a failed rotation may have closed it; the failure was reported already
    }
    this.fd = -1;
  }
}

/** Serves one log from its open message until the log stops it; failures reach the log through its error port. */
async function serve(m) {
  const writer = new AuditWriter(m);
  writers.add(writer);
  let started = false;
  try {
    await writer.start(m.setAsideCurrent, m.headAbsent);
    started = true;
  } catch (e) {
    writer.fail("open", e);
  }
  parentPort.postMessage({ id: m.id, event: started ? "ready" : "failed" });
  if (started) {
    try {
      await writer.run();
    } catch (e) {
      writer.fail("write", e);
    }
  }
  writer.closeFile();
  writers.delete(writer);
  if (started) parentPort.postMessage({ id: m.id, event: "closed" });
}

// One thread serves every log of the process; its port keeps it alive (a pending
// Atomics.waitAsync does not) while the parent keeps it unref'd.
const writers = new Set();
process.on("uncaughtException", (e) => {
  for (const w of writers) w.fail("write", e);
});
parentPort.on("message", (m) => void serve(m));
