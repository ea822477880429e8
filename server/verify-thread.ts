// Runs verifyAudit on a thread of its own (verify-worker.mjs) for the AuditVerifier of
// audit-read.ts: started on the first verification, unref'd so it never keeps the process alive,
// and ended by stop(). A worker that fails or exits rejects what it was asked; the next call
// starts a new one.

import { Worker } from "node:worker_threads";
import type { VerifyCheckpoint, VerifyResult } from "../runtime/audit/index.js";

const WORKER = new URL("./verify-worker.mjs", import.meta.url);
/** verify.ts's built module, or under this repository's tests its source. */
const VERIFY = new URL(`../runtime/audit/verify.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);

type Answer = { id: number; result: VerifyResult; text: string } | { id: number; error: string };

export class VerifyThread {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, { ok: (a: { result: VerifyResult; text: string }) => void; fail: (e: Error) => void }>();

  /** verifyAudit(path, { from }) on the thread; rejects with what stopped it. */
  verify(path: string, from: VerifyCheckpoint | undefined): Promise<{ result: VerifyResult; text: string }> {
    const w = (this.worker ??= this.start());
    const id = ++this.next;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      w.ref(); // while a verification is owed, like any pending I/O
      w.postMessage({ id, path, from });
    });
  }

  stop(): void {
    const w = this.worker;
    if (w) this.end(w, new Error("the audit verifier was stopped"));
    void w?.terminate();
  }

  private start(): Worker {
    // No inherited execArgv: the worker is plain JavaScript, and flags for the host need not apply to it.
    const w = new Worker(WORKER, { workerData: { module: VERIFY.href }, execArgv: [] });
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
