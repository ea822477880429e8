// The process's audit writer thread (writer.mjs), shared by every open JsonlAuditLog: started on
// the first open and kept warm afterwards, like the compiler's asc worker, because a Worker takes
// ~40 ms to start (more under load) and a process may open and close many logs. Unref'd, so it
// never keeps the process alive. Used by jsonl.ts; the thread's messages are routed by log id.

import { Worker, type MessagePort } from "node:worker_threads";

const WRITER = new URL("./writer.mjs", import.meta.url);

/** How a log's writer ended: closed when asked, failed to open (reason on the log's error port), or lost with its thread. */
export type WriterEnd = { how: "closed" } | { how: "failed" } | { how: "lost"; error: Error | null };

export interface WriterLink {
  /** Resolves once the writer has opened the log's file; rejects with the WriterEnd otherwise. */
  readonly started: Promise<void>;
  /** Resolves when this log's writer is gone for good. */
  readonly ended: Promise<WriterEnd>;
  /** Keeps the process alive while `p` waits on the writer thread. */
  hold<T>(p: Promise<T>): Promise<T>;
}

type Listener = (end: WriterEnd | "ready") => void;

class WriterThread {
  private readonly worker: Worker;
  private readonly logs = new Map<number, Listener>();
  private nextId = 1;
  private holds = 0;

  constructor() {
    // the writer is plain JavaScript: no TypeScript loader, whatever the parent runs under
    this.worker = new Worker(WRITER, { execArgv: [] });
    this.worker.unref();
    this.worker.on("message", (m: { id: number; event: "ready" | "failed" | "closed" }) => {
      this.logs.get(m.id)?.(m.event === "ready" ? "ready" : { how: m.event });
      if (m.event !== "ready") this.logs.delete(m.id);
    });
    this.worker.on("error", (e) => this.lost(e));
    this.worker.on("exit", () => this.lost(null));
  }

  attach(data: Record<string, unknown>, errors: MessagePort): WriterLink {
    const id = this.nextId++;
    let ready: () => void = () => undefined;
    let refuse: (end: WriterEnd) => void = () => undefined;
    let finish: (end: WriterEnd) => void = () => undefined;
    const started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      refuse = reject;
    });
    const ended = new Promise<WriterEnd>((resolve) => (finish = resolve));
    this.logs.set(id, (e) => {
      if (e === "ready") return ready();
      refuse(e);
      finish(e);
    });
    this.worker.postMessage({ ...data, id, errors }, [errors]);
    return { started, ended, hold: (p) => this.hold(p) };
  }

  private async hold<T>(p: Promise<T>): Promise<T> {
    if (this.holds++ === 0) this.worker.ref();
    try {
      return await p;
    } finally {
      if (--this.holds === 0) this.worker.unref();
    }
  }

  /** The thread died (a bug, or memory exhausted): every log on it has lost its writer. */
  private lost(error: Error | null): void {
    if (thread === this) thread = null;
    for (const onEvent of this.logs.values()) onEvent({ how: "lost", error });
    this.logs.clear();
  }
}

let thread: WriterThread | null = null;

/** Hands a log to the writer thread (starting it if needed): `data` is writer.mjs's open message. */
export function startWriter(data: Record<string, unknown>, errors: MessagePort): WriterLink {
  thread ??= new WriterThread();
  return thread.attach(data, errors);
}
