// Live approval changes for the console over server-sent events: each create, resolve and use
// made through this server's Engine is one `approvals` event; the queue re-fetches its rows on
// it (so each viewer sees the buttons their own roles allow). Changes made by other processes
// sharing the store are not announced by the store; the queue also re-fetches every few seconds.
// Each stream holds a connection and a listener for as long as the tab is open, so how many one
// person and the whole server may hold is capped: past a cap the stream is refused with a 429,
// and htmx's SSE extension retries it later.

import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServeHost } from "./host.js";

const KEEPALIVE_MS = 15_000;
/** Streams one principal may hold at once: many tabs and browsers, never a connection flood. */
export const MAX_STREAMS_PER_PRINCIPAL = 16;
/** Streams the server holds at once, whoever opened them. */
export const MAX_STREAMS = 1_000;
/** When a refused tab should try again, in seconds. */
const RETRY_S = 30;

export class ApprovalEvents {
  private readonly streams = new Set<() => void>();
  /** Open streams by principal name (lower case, as names compare). */
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(private readonly host: ServeHost) {}

  /**
   * The SSE response for the console tab of principal `who`; ends when the tab goes away or the
   * server closes. A 429 when `who` or the server already holds as many streams as allowed.
   */
  stream(c: Context, who: string): Response {
    const name = who.toLowerCase();
    const mine = this.held.get(name) ?? 0;
    const refusal = mine >= MAX_STREAMS_PER_PRINCIPAL
      ? `${who} already has ${mine} live console streams open (at most ${MAX_STREAMS_PER_PRINCIPAL}); close some tabs`
      : this.total >= MAX_STREAMS ? `the server already holds ${MAX_STREAMS} live console streams` : undefined;
    if (refusal) return c.text(`${refusal}; try again in ${RETRY_S} s`, 429, { "Retry-After": String(RETRY_S) });
    // counted before the stream starts, so simultaneous requests cannot all pass the check
    this.held.set(name, mine + 1);
    this.total++;
    const uncount = () => {
      this.total--;
      const n = (this.held.get(name) ?? 1) - 1;
      if (n > 0) this.held.set(name, n);
      else this.held.delete(name);
    };
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
        uncount();
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
