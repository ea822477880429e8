// Live approval changes for the console over server-sent events: each create, resolve and use
// made through this server's Engine is one `approvals` event; the queue re-fetches its rows on
// it (so each viewer sees the buttons their own roles allow). Changes made by other processes
// sharing the store are not announced by the store; the queue also re-fetches every few seconds.
// Each stream holds a connection and a listener for as long as the tab is open, so how many one
// person and the whole server may hold is capped (holds.ts): past a cap the stream is refused with
// a 429, and htmx's SSE extension retries it later.

import type { Context } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { Holds, RETRY_AFTER_S } from "./holds.js";
import type { ServeHost } from "./host.js";

const KEEPALIVE_MS = 15_000;
/** Streams one principal may hold at once: many tabs and browsers, never a connection flood. */
export const MAX_STREAMS_PER_PRINCIPAL = 16;
/** Streams the server holds at once, whoever opened them. */
export const MAX_STREAMS = 1_000;

export class ApprovalEvents {
  private readonly streams = new Set<() => void>();
  private readonly holds = new Holds(MAX_STREAMS_PER_PRINCIPAL, MAX_STREAMS, "live console streams");

  constructor(private readonly host: ServeHost) {}

  /**
   * The SSE response for the console tab of principal `who`; ends when the tab goes away or the
   * server closes. A 429 when `who` or the server already holds as many streams as allowed.
   */
  stream(c: Context, who: string): Response {
    const release = this.holds.take(who);
    if (typeof release === "string") return c.text(release, 429, { "Retry-After": String(RETRY_AFTER_S) });
    // released however the stream ends, a failure while serve() sets it up included
    return streamSSE(c, (s) => this.serve(s).finally(release));
  }

  /** Sends `ready`, then each approval change and a keep-alive every 15 s, until the tab goes or stop() is called. */
  private async serve(s: SSEStreamingApi): Promise<void> {
    let closed = false;
    let wake: () => void = () => {};
    const stop = () => {
      closed = true;
      wake();
    };
    this.streams.add(stop);
    const off = this.host.approvals.onChange((change) => {
      void s.writeSSE({ event: "approvals", data: change.type }).catch(stop);
    });
    s.onAbort(stop);
    try {
      await s.writeSSE({ event: "ready", data: "connected" });
      while (!closed) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, KEEPALIVE_MS).unref();
        });
        if (!closed) await s.write(": keep-alive\n\n");
      }
    } finally {
      off();
      this.streams.delete(stop);
    }
  }

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const stop of [...this.streams]) stop();
  }

  get open(): number {
    return this.streams.size;
  }
}
