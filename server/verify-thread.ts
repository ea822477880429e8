// Runs the audit verifier on a thread of its own (verify-worker.mjs) for the AuditVerifier of
// audit-read.ts: verifyAudit for a JSONL log, verifyFleetAudit for a PostgreSQL chain. Started on
// the first verification, unref'd so it never keeps the process alive, and ended by stop(). A
// worker that fails or exits rejects what it was asked; the next call starts a new one.

import { Worker } from "node:worker_threads";
import { helperNice } from "./threads.js";
import type { VerifyCheckpoint, VerifyResult } from "../runtime/audit/index.js";

const WORKER = new URL("./verify-worker.mjs", import.meta.url);
/** The built modules, or under this repository's tests their sources (which tsx loads). */
const EXT = import.meta.url.endsWith(".ts") ? "ts" : "js";
const MODULES = {
  jsonl: new URL(`../runtime/audit/verify.${EXT}`, import.meta.url).href,
  postgres: new URL(`../runtime/audit/fleet.${EXT}`, import.meta.url).href,
};

/** What to verify: plain data, as it crosses to the worker. */
export type VerifyTarget =
  | { kind: "jsonl"; path: string; keyFile?: string }
  /** `anchor`: the store spec (redis://…, a SQLite path) the writers anchor the head in. */
  | { kind: "postgres"; url: string; chain: string; keyFile?: string; anchor?: string };

type Answer = { id: number; result: VerifyResult; text: string } | { id: number; error: string };

export class VerifyThread {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, { ok: (a: { result: VerifyResult; text: string }) => void; fail: (e: Error) => void }>();

  /** The target verified on the thread (a JSONL log from `from` when given); rejects with what stopped it. */
  verify(target: VerifyTarget, from: VerifyCheckpoint | undefined): Promise<{ result: VerifyResult; text: string }> {
    const w = (this.worker ??= this.start());
    const id = ++this.next;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      w.ref(); // while a verification is owed, like any pending I/O
      w.postMessage({ id, target, from });
    });
  }

  /**
   * Starts the thread now, if it is not running: `new Worker` creates the OS thread at once, so a
   * caller that then lowers the process's helper threads (threads.ts) finds it among them instead
   * of its first milliseconds running at the main thread's priority.
   */
  warm(): void {
    this.worker ??= this.start();
  }

  stop(): void {
    const w = this.worker;
    if (w) this.end(w, new Error("the audit verifier was stopped"));
    void w?.terminate();
  }

  private start(): Worker {
    // No inherited execArgv: the worker is plain JavaScript, and flags for the host need not apply to it.
    const w = new Worker(WORKER, { workerData: { modules: MODULES, nice: helperNice() }, execArgv: [] });
    w.unref();
    w.on("message", (a: Answer) => {
      const p = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) w.unref();
      if (!p) return;
      if ("error" in a) p.fail(new Error(a.error));
      else p.ok(a);
    });
    w.on("error", (e) => this.end(w, e));
    w.on("exit", (code) => this.end(w, new Error(`the audit verifier's thread exited (code ${code})`)));
    return w;
  }

  /** Fails what `w` was asked, unless `w` was already replaced (a stopped thread's exit comes later). */
  private end(w: Worker, e: Error): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const p of this.waiting.values()) p.fail(e);
    this.waiting.clear();
  }
}
