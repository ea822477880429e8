// How `pol serve` stops without cutting answers: serve.ts makes one Drain per server, gives its
// response class to http.createServer and its signal to the app (the approvals long-poll, api.ts),
// and runs it on close, before the Engine closes (which flushes the audit log).
//
// Why: a rolling deploy sends SIGTERM while agents are mid-call. Closing every connection at once
// cut the answers in flight: in a test under load, 32 requests ended in ECONNRESET, one of them
// decided and audited but never answered, and an agent's approval long-poll was cut too. Now the
// server stops accepting connections, every answer written from then on says `Connection: close`
// (so no client sends another request on that connection), idle connections are closed after a
// grace, long-polls answer at once with the approval as it stands, and only what is still busy at
// the deadline is cut.

import { ServerResponse, type IncomingMessage, type Server } from "node:http";
import { Server as NetServer } from "node:net";

/**
 * How long idle keep-alive connections stay open once the drain starts. A client under load sends
 * its next request on one at any moment; closing it then resets that request (in a test, all 16
 * clients of one process got ECONNRESET). Kept open, the request is answered with `Connection:
 * close`. Only a client idle for this long and sending just as it ends can still meet a reset.
 */
const IDLE_GRACE_MS = 1000;
/** How long the requests in flight have by default before their connections are cut (`--drain-timeout`). */
export const DRAIN_MS = 10_000;
/** How often idle connections are closed after the grace, while the busy ones finish. */
const IDLE_SWEEP_MS = 25;

export class Drain {
  private readonly stopping = new AbortController();

  /** Aborted when the drain starts: long-running handlers answer with what they have. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /**
   * The response class for http.createServer: once draining, an answer not yet started goes out
   * with `Connection: close` and its connection closes after it (Node's own keep-alive switch,
   * checked when the headers are written, so answers in flight at the start are covered too).
   */
  readonly Response: typeof ServerResponse;

  constructor() {
    const signal = this.stopping.signal;
    class DrainingResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {}
    const writeHead = ServerResponse.prototype.writeHead;
    // Every answer passes here: an explicit writeHead, or the implicit one of a first write or end.
    DrainingResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (signal.aborted) this.shouldKeepAlive = false;
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof writeHead;
    this.Response = DrainingResponse;
  }

  /**
   * Stops `server` accepting connections, lets the requests in flight be answered, and resolves
   * once every connection has closed; connections still busy after `timeoutMs` are cut. Resolves
   * with how many were cut.
   */
  async run(server: Server, timeoutMs: number): Promise<number> {
    this.stopping.abort();
    let cut = 0;
    // net.Server's close stops listening; http.Server's would also close the idle connections now.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    let sweep: NodeJS.Timeout | undefined;
    const grace = setTimeout(() => {
      server.closeIdleConnections();
      sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    }, Math.min(IDLE_GRACE_MS, timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      if (!(await Promise.race([closed.then(() => true), deadline]))) {
        cut = await connections(server);
        server.closeAllConnections();
        await closed;
      }
    } finally {
      clearTimeout(grace);
      clearInterval(sweep);
      clearTimeout(timer);
      // http.Server's own close, now a no-op but for the timer it keeps to check request timeouts.
      server.close();
    }
    return cut;
  }
}

/** The server's open connections (0 once it has closed). */
function connections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((e, n) => resolve(e ? 0 : n)));
}
