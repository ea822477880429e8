// The JSONL audit chain's head, anchored outside the log: in the state store's anchors, which
// the log's writers cannot roll back (AnchorStore.advance never moves backwards). Whoever can edit
// the log's directory can rewrite records, the head file and, with the key beside them, every MAC;
// `pol audit verify --anchor <store>` then still sees the log end before, or differ from, the
// record the anchor names. Fed by engine.ts, which owns one per JSONL log it writes; the
// PostgreSQL sink anchors its own chain (audit/postgres.ts).
//
// Only durable records are anchored (the log's durableHead: what its head file names), so an
// anchor never names a record a crash could lose.

import { hostname } from "node:os";
import { resolve } from "node:path";
import type { AnchorStore } from "./store/index.js";

/** What the anchor reads from the log. */
export interface AnchoredLog {
  readonly path: string;
  /** The last durable record's seq and hash. */
  durableHead(): { seq: number; hash: string };
}

/** The anchor's name for a JSONL log: host and absolute path, so logs of many hosts share one store. */
export const jsonlAnchorName = (path: string, host = hostname()): string => `jsonl:${host}:${resolve(path)}`;

/** How often the head is anchored while the engine runs (and always on flush and close). */
export const ANCHOR_EVERY_MS = 1000;

export class HeadAnchor {
  readonly name: string;
  private anchored = 0;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: AnchoredLog,
    private readonly anchors: AnchorStore,
    private readonly now: () => number,
    private readonly report: (e: unknown) => void,
    everyMs = ANCHOR_EVERY_MS,
  ) {
    this.name = jsonlAnchorName(log.path);
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  /** Anchors the log's durable head if it moved on. Never throws. */
  tick(): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        const p = this.log.durableHead();
        if (p.seq > this.anchored) {
          await this.anchors.advance(this.name, { seq: p.seq, hash: p.hash, at: this.now() });
          this.anchored = p.seq;
        }
      } catch (e) {
        this.report(e);
      }
    });
    return this.running;
  }

  /** After the log's flush: everything appended is durable, so the current head is anchored now. */
  anchorNow(): Promise<void> {
    return this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
