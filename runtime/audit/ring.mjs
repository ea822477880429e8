// The bounded queue between JsonlAuditLog.append (the producer, on the caller's thread) and the
// writer thread (writer.mjs, the consumer): records' canonical bodies, all but `prev`, in a
// SharedArrayBuffer ring with its positions in Atomics cells, so the writer drains it whatever the
// caller's event loop does; the writer fills in `prev`, hashes and MACs in place (seal.mjs).
// Plain JavaScript for the same reason as layout.mjs; types in ring.d.mts.
//
// Layout: 8 Int32 control cells, 2 BigInt64 seq cells, a Float64 time, the durable record's hash
// (64 bytes), then the ring. Positions are byte counts that run freely and wrap at 2^32, so the
// ring's size is a power of two and `used` is their difference. Each record is a frame: the UTF-8
// byte length of its body (Int32), where its `prev` starts (Int32, relative to the body), then
// the body with 64 bytes left for `prev`, in a frame as large as the record's line would take in
// the old layout (4 + the line's bytes, padded to 4; the 8-byte header fits in the line's extra
// 148), so the queue holds exactly as many records as when it held sealed lines (FORMAT.md,
// "Durability"); a frame never wraps (a WRAP length sends the reader back to offset 0). The
// producer publishes a frame by storing WRITE after the bytes; the consumer frees space by
// storing READ after the lines are in the file. Nothing on the producer's path makes a system
// call unless the writer sleeps (IDLE) or the queue is full.

import { sealedLineBytes } from "./seal.mjs";

const READ = 0;
const WRITE = 1;
/** 1 while the writer sleeps until something is published: the producer must wake it. */
const IDLE = 2;
/** Bumped to end the writer's wait between batches now (flush, sync, a filling queue, close). */
const URGENT = 3;
const STOP = 4;
/** 1 once the writer has failed; the reason is on the writer's error port. */
const FAILED = 5;
/** Odd while the writer rewrites the durable hash (a seqlock: readers retry). */
const HEAD_LOCK = 6;
const CELLS = 8;
/** BigInt64 index: the last seq fdatasync'ed and named by the head file. */
const DURABLE = 0;
const SEQ_OFFSET = CELLS * 4;
/** Float64: Date.now() when a record was put into the empty queue, opening the writer's batch. */
const OPENED_OFFSET = SEQ_OFFSET + 2 * 8;
/** 64 hex characters: the hash of the durable record (DURABLE), GENESIS before any. */
const HASH_OFFSET = OPENED_OFFSET + 8;
const DATA_OFFSET = HASH_OFFSET + 64;

/** The frame's length word, as the queue bounds count it. */
const FRAME = 4;
/** The body starts after its length and its `prev` offset. */
const BODY = 8;
const PREV = 64;
const WRAP = -1;

export const MIN_QUEUE_BYTES = 64 * 1024;
export const MAX_QUEUE_BYTES = 1024 * 1024 * 1024;

/** The ring size for a requested `queueBytes`: the next power of two (positions wrap at 2^32). */
export function queueCapacity(bytes) {
  let c = MIN_QUEUE_BYTES;
  while (c < bytes && c < MAX_QUEUE_BYTES) c *= 2;
  return c;
}

/** A new queue of `capacity` bytes (from queueCapacity), to hand to both ends. */
export function createQueue(capacity) {
  return new SharedArrayBuffer(DATA_OFFSET + capacity);
}

const align = (n) => (n + 3) & ~3;

class QueueView {
  constructor(sab) {
    this.ctl = new Int32Array(sab, 0, CELLS);
    this.seqs = new BigInt64Array(sab, SEQ_OFFSET, 2);
    // written before the WRITE store that publishes the record, read after the load that sees it
    this.opened = new Float64Array(sab, OPENED_OFFSET, 1);
    this.capacity = sab.byteLength - DATA_OFFSET;
    this.mask = this.capacity - 1;
    this.bytes = Buffer.from(sab, DATA_OFFSET, this.capacity);
    this.lengths = new Int32Array(sab, DATA_OFFSET, this.capacity / 4);
    this.hash = Buffer.from(sab, HASH_OFFSET, 64);
  }

  failed() {
    return Atomics.load(this.ctl, FAILED) === 1;
  }

  durable() {
    return Number(Atomics.load(this.seqs, DURABLE));
  }

  /** The durable record's seq and hash, read consistently (the writer may be replacing them). */
  durableHead() {
    for (;;) {
      const l = Atomics.load(this.ctl, HEAD_LOCK);
      if ((l & 1) === 0) {
        const seq = Number(Atomics.load(this.seqs, DURABLE));
        const hash = this.hash.latin1Slice(0, 64);
        if (Atomics.load(this.ctl, HEAD_LOCK) === l) return { seq, hash };
      }
    }
  }
}

/** Bytes a record's frame takes: as much as its sealed line plus a length word, padded to 4. */
const frameSize = (bodyBytes) => align(FRAME + sealedLineBytes(bodyBytes));

export class QueueProducer extends QueueView {
  constructor(sab, durableSeq, durableHash) {
    super(sab);
    // Touch every page now (~3 ms for 4 MiB): a fresh ring otherwise takes a page fault every few
    // appends on its first pass, on the decision path (Engine.decide p99 117 → 102 µs here).
    this.bytes.fill(0);
    this.hash.latin1Write(durableHash, 0, 64);
    Atomics.store(this.seqs, DURABLE, BigInt(durableSeq));
  }

  /** Frame bytes a record whose body takes `bodyBytes` UTF-8 bytes needs; a frame over `capacity` can never fit. */
  frameBytes(bodyBytes) {
    return frameSize(bodyBytes);
  }

  /**
   * Copies a record's body in as one frame (`head`, 64 bytes the writer fills with `prev`, `tail`:
   * canonical.mjs entryBody) and publishes it; false when the queue lacks room now (nothing is
   * published then, except perhaps a WRAP). The caller has checked that the frame fits at all.
   */
  tryPut(head, tail) {
    const w = Atomics.load(this.ctl, WRITE);
    const used = (w - Atomics.load(this.ctl, READ)) >>> 0;
    if (used === 0) this.opened[0] = Date.now();
    const free = this.capacity - used;
    const off = w & this.mask;
    const room = this.capacity - off;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: when that fits, encode without measuring first
    const worst = frameSize((head.length + tail.length) * 3 + PREV);
    if (worst > room || worst > free) {
      const need = frameSize(Buffer.byteLength(head, "utf8") + PREV + Buffer.byteLength(tail, "utf8"));
      if (need > free) return false;
      if (need > room) {
        // the frame must start at offset 0; `room` is a multiple of 4, so a WRAP always fits
        this.lengths[off >> 2] = WRAP;
        Atomics.store(this.ctl, WRITE, (w + room) | 0);
        return this.tryPut(head, tail);
      }
    }
    const h = this.bytes.utf8Write(head, off + BODY);
    const n = h + PREV + this.bytes.utf8Write(tail, off + BODY + h + PREV);
    this.lengths[off >> 2] = n;
    this.lengths[(off >> 2) + 1] = h;
    const size = frameSize(n);
    Atomics.store(this.ctl, WRITE, (w + size) | 0);
    // crossing half full ends the writer's pause early, so a burst rarely has to wait for room
    if (used < this.capacity / 2 && used + size >= this.capacity / 2) this.urge();
    else if (Atomics.load(this.ctl, IDLE) === 1) this.wake();
    return true;
  }

  /** Wakes the writer if it sleeps. It sets IDLE before its last look, so one side always sees the other. */
  wake() {
    if (Atomics.compareExchange(this.ctl, IDLE, 1, 0) === 1) Atomics.notify(this.ctl, IDLE);
  }

  /** Ends the writer's pause now (and wakes it if it sleeps). */
  urge() {
    Atomics.add(this.ctl, URGENT, 1);
    Atomics.notify(this.ctl, URGENT);
    this.wake();
  }

  /** Where the writer's reading has got to (a byte count that wraps): it moves whenever the writer frees space. */
  released() {
    return Atomics.load(this.ctl, READ);
  }

  /** Blocks the calling thread until the writer frees space, fails, or `ms` pass. */
  waitForRoom(ms) {
    const r = Atomics.load(this.ctl, READ);
    this.urge();
    if (!this.failed()) Atomics.wait(this.ctl, READ, r, ms);
  }

  /** Blocks the calling thread until `seq` is durable, the writer fails, or `ms` pass. */
  waitDurable(seq, ms) {
    const d = Atomics.load(this.seqs, DURABLE);
    if (Number(d) < seq && !this.failed()) Atomics.wait(this.seqs, DURABLE, d, ms);
  }

  /** As waitDurable, without blocking: resolves on progress, failure or after `ms`. */
  async waitDurableAsync(seq, ms) {
    const d = Atomics.load(this.seqs, DURABLE);
    if (Number(d) >= seq || this.failed()) return;
    const r = Atomics.waitAsync(this.seqs, DURABLE, d, ms);
    if (r.async) await r.value;
  }

  /** Tells the writer to finish: it drains what is queued, syncs, closes its file and exits. */
  stop() {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, STOP);
    this.urge();
  }
}

export class QueueConsumer extends QueueView {
  constructor(sab) {
    super(sab);
    this.read = Atomics.load(this.ctl, READ);
    this.urgentSeen = Atomics.load(this.ctl, URGENT);
    /** Date.now() at the last take(): every record still pending was published after it. */
    this.takenAt = 0;
  }

  /** Bytes published and not yet taken. */
  pending() {
    return (Atomics.load(this.ctl, WRITE) - this.read) >>> 0;
  }

  stopping() {
    return Atomics.load(this.ctl, STOP) === 1;
  }

  /** Resolves once the producer has stopped the log. */
  async stopped() {
    while (!this.stopping()) {
      const r = Atomics.waitAsync(this.ctl, STOP, 0);
      if (r.async) await r.value;
    }
  }

  /**
   * When the batch of the pending records opened: Date.now() when the oldest was put into the
   * (then empty) queue, or the last take() if that was later. The producer stamps only a put into
   * an empty queue, and between a take and its release the queue is not empty, so under steady
   * appends the stamp is the first batch's: without the take's time every later batch looked
   * batchMs old at once, and the writer drained (and synced) every few records instead of once a
   * batch (~600 head-file rewrites a second at 5,000 appends/s, benchmarks/FINDINGS.md).
   */
  openedAt() {
    return Math.max(this.opened[0], this.takenAt);
  }

  /**
   * Calls `visit(start, end, prevAt)` with the byte range (in `bytes`) of the body of every record
   * published since the last take, in order, and where its 64 bytes of `prev` go. The ranges stay
   * valid (and writable: the writer fills in `prev` there) until release().
   */
  take(visit) {
    // stamped before WRITE is read, so whatever this take leaves was published after the stamp
    this.takenAt = Date.now();
    const w = Atomics.load(this.ctl, WRITE);
    let p = this.read;
    while (p !== w) {
      const off = p & this.mask;
      const n = this.lengths[off >> 2];
      if (n === WRAP) {
        p = (p + this.capacity - off) | 0;
        continue;
      }
      const start = off + BODY;
      visit(start, start + n, start + this.lengths[(off >> 2) + 1]);
      p = (p + frameSize(n)) | 0;
    }
    this.read = w;
  }

  /** Frees what take() visited, waking a producer that waits for room. */
  release() {
    Atomics.store(this.ctl, READ, this.read);
    Atomics.notify(this.ctl, READ);
  }

  /** Waits up to `ms` or until urged (an urge made since the last pause counts at once). */
  async pause(ms) {
    const u = Atomics.load(this.ctl, URGENT);
    if (u === this.urgentSeen && ms > 0) {
      const r = Atomics.waitAsync(this.ctl, URGENT, u, ms);
      if (r.async) await r.value;
    }
    this.urgentSeen = Atomics.load(this.ctl, URGENT);
  }

  /** Sleeps until something is published or the producer stops, with IDLE set so the producer wakes us. */
  async sleep() {
    Atomics.store(this.ctl, IDLE, 1);
    if (this.pending() === 0 && !this.stopping()) {
      const r = Atomics.waitAsync(this.ctl, IDLE, 1);
      if (r.async) await r.value;
    }
    Atomics.store(this.ctl, IDLE, 0);
    this.urgentSeen = Atomics.load(this.ctl, URGENT);
  }

  /** Publishes record `seq`, whose hash is `hash`, as durable. */
  setDurable(seq, hash) {
    Atomics.add(this.ctl, HEAD_LOCK, 1);
    this.hash.latin1Write(hash, 0, 64);
    Atomics.store(this.seqs, DURABLE, BigInt(seq));
    Atomics.add(this.ctl, HEAD_LOCK, 1);
    Atomics.notify(this.seqs, DURABLE);
  }

  /** Marks the writer failed and wakes every wait of the producer so it sees the failure. */
  fail() {
    Atomics.store(this.ctl, FAILED, 1);
    Atomics.notify(this.ctl, READ);
    Atomics.notify(this.seqs, DURABLE);
  }
}
