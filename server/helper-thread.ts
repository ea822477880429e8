// A worker thread that answers requests, for pol serve's helpers that must not run on the thread
// answering decisions: the audit verifier (verify-thread.ts) and the console's audit index
// (audit-index-thread.ts). Started on the first request (or warm()), unref'd so it never keeps
// the process alive except while an answer is owed, and ended by stop(). A worker that fails or
// exits rejects what it was asked; the next request starts a new one. The worker side answers
// each {id, ...request} with {id, ...answer} or {id, error} (worker-setup.mjs sets it up).

import { Worker } from "node:worker_threads";
import { helperNice } from "./threads.js";

/** The built modules, or under this repository's tests their sources (which tsx loads). */
const EXT = import.meta.url.endsWith(".ts") ? "ts" : "js";

/** A module beside this one, as the worker imports it (`../runtime/audit/verify` → its URL). */
export const moduleUrl = (relative: string): string => new URL(`${relative}.${EXT}`, import.meta.url).href;

type Answer = { id: number; error?: string } & Record<string, unknown>;

export class HelperThread<Req extends object, Res> {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, { ok: (a: Res) => void; fail: (e: Error) => void }>();

  /** `name` says whose thread it is in errors; `data` reaches the worker as workerData, with the helpers' nice value. */
  constructor(private readonly script: URL, private readonly name: string, private readonly data: Record<string, unknown>) {}

  /** Sends one request; resolves with the worker's answer, rejects with its error or what stopped it. */
  request(req: Req): Promise<Res> {
    const w = (this.worker ??= this.start());
    const id = ++this.next;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      w.ref(); // while an answer is owed, like any pending I/O
      w.postMessage({ ...req, id });
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
    if (w) this.end(w, new Error(`the ${this.name} was stopped`));
    void w?.terminate();
  }

  private start(): Worker {
    // No inherited execArgv: the worker is plain JavaScript, and flags for the host need not apply to it.
    const w = new Worker(this.script, { workerData: { ...this.data, nice: helperNice() }, execArgv: [] });
    w.unref();
    w.on("message", (a: Answer) => {
      const p = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) w.unref();
      if (!p) return;
      if (typeof a.error === "string") p.fail(new Error(a.error));
      else p.ok(a as Res);
    });
    w.on("error", (e) => this.end(w, e));
    w.on("exit", (code) => this.end(w, new Error(`the ${this.name}'s thread exited (code ${code})`)));
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
