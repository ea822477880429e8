// Types of ring.mjs: the bounded shared-memory queue of record bodies between JsonlAuditLog.append
// and the writer thread, which seals them. Internal to runtime/audit; not part of the package's public surface.

export const MIN_QUEUE_BYTES: number;
export const MAX_QUEUE_BYTES: number;
/** The ring size for a requested `queueBytes`: the next power of two within the limits. */
export function queueCapacity(bytes: number): number;
/** A new queue of `capacity` bytes (from queueCapacity), to hand to both ends. */
export function createQueue(capacity: number): SharedArrayBuffer;

declare class QueueView {
  /** Bytes of the ring. */
  readonly capacity: number;
  /** True once the writer has failed. */
  failed(): boolean;
  /** The last seq fdatasync'ed and named by the head file. */
  durable(): number;
  /** That record's seq and hash, read consistently. */
  durableHead(): { seq: number; hash: string };
}

export class QueueProducer extends QueueView {
  constructor(sab: SharedArrayBuffer, durableSeq: number, durableHash: string);
  /** Frame bytes a record whose body takes `bodyBytes` UTF-8 bytes needs (as much as its sealed line, plus 4). */
  frameBytes(bodyBytes: number): number;
  /** Copies a record's body (head, 64 bytes for prev, tail) in and publishes it; false when the queue lacks room now. */
  tryPut(head: string, tail: string): boolean;
  /** Ends the writer's pause now. */
  urge(): void;
  /** Where the writer's reading has got to (a byte count that wraps): it moves whenever the writer frees space. */
  released(): number;
  /** Blocks until the writer frees space, fails, or `ms` pass. */
  waitForRoom(ms: number): void;
  /** Blocks until `seq` is durable, the writer fails, or `ms` pass. */
  waitDurable(seq: number, ms: number): void;
  /** Resolves once `seq` is durable, the writer fails, or `ms` pass. */
  waitDurableAsync(seq: number, ms: number): Promise<void>;
  /** Tells the writer to drain, sync, close its file and exit. */
  stop(): void;
}

export class QueueConsumer extends QueueView {
  constructor(sab: SharedArrayBuffer);
  /** The ring's bytes; take() hands out ranges of it. */
  readonly bytes: Uint8Array;
  pending(): number;
  stopping(): boolean;
  /** Resolves once the producer has stopped the log. */
  stopped(): Promise<void>;
  /** When the pending records' batch opened: the oldest's put into an empty queue, or the last take() if later. */
  openedAt(): number;
  /** Visits the byte range of every body published since the last take, in order, with where its prev goes. */
  take(visit: (start: number, end: number, prevAt: number) => void): void;
  /** Frees what take() visited. */
  release(): void;
  /** Waits up to `ms` or until urged. */
  pause(ms: number): Promise<void>;
  /** Sleeps until something is published or the producer stops. */
  sleep(): Promise<void>;
  /** Publishes record `seq`, whose hash is `hash`, as durable. */
  setDurable(seq: number, hash: string): void;
  fail(): void;
}

export {};
