// Live approval changes for the console over server-sent events: each create, resolve and use
// made through this server's Engine is one `approvals` event; the queue re-fetches its rows on
// it (so each viewer sees the buttons their own roles allow). Changes made by other processes
// sharing the store are not announced by the store; the queue also re-fetches every few seconds.

import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServeHost } from "./host.js";

const KEEPALIVE_MS = 15_000;

export class ApprovalEvents {
  private readonly streams = new Set<() => void>();

  constructor(private readonly host: ServeHost) {}

  /** The SSE response for one console tab; ends when the tab goes away or the server closes. */
  stream(c: Context): Response {
    return streamSSE(c, async (s) => {
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
    });
  }

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const stop of [...this.streams]) stop();
  }

  get open(): number {
    return this.streams.size;
  }
}
