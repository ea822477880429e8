// An open-loop HTTP/1.1 load generator for suite 7 (serve.ts): requests are released on a fixed
// schedule, `rate` per second in equal groups each millisecond, whatever the server's answers do,
// so a slow answer never holds back the requests behind it (no coordinated omission: a request
// released while every connection is busy waits for one, and that wait is counted). Latency runs
// from the release to the last byte of the answer. The generator's own lateness (a release
// after its millisecond, when this process's event loop is busy) is reported apart, as `lag`.
// A run can begin with `warmupSeconds` at the same rate on the same connections that are not
// counted, as wrk2's calibration period is not: a round's connections are new, and their first
// second (the server's first requests on each, the JIT meeting new objects) is a transient the
// steady state does not have (benchmarks/FINDINGS.md, "pol serve over HTTP").
//
// Written on raw sockets with prebuilt request bytes and a minimal response parser because it
// shares the 2 cores with the server it measures: node:http's client cost 40% of a core at
// 5,000 requests/s here, and every cycle it takes is one the server does not get. autocannon's
// `overallRate` was not used for the fixed rate: it sends each second's quota flat out at the
// start of the second (its httpClient.js), so even a floor server's p99 there is a burst's drain.

import { connect, type Socket } from "node:net";
import { summariseEach, type Latency } from "./sample.js";

export interface OpenLoopOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** Request bodies (JSON), sent in turn. */
  bodies: string[];
  /** Requests per second. */
  rate: number;
  /** Seconds measured, after the warm-up. */
  seconds: number;
  /** Seconds at the rate before the measured ones, on the same connections, not counted; default 0. */
  warmupSeconds?: number;
  /** Keep-alive connections, one request in flight on each. */
  connections: number;
  /** Fail the run when answers are still missing this long after it began; default 3 × seconds + 10 s. */
  giveUpMs?: number;
}

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** Requests counted (released after the warm-up). */
  requests: number;
  /** Answers that were not 2xx, the warm-up's included. */
  non2xx: number;
  /** Always 0: a connection error fails the run instead (the field matches autocannon's results). */
  errors: number;
  /** Counted requests answered per second (from the first counted release to the last answer). */
  perSecond: number;
  /** Nanoseconds from release to the end of the answer, 2xx answers only. */
  latency: Latency;
  /** Nanoseconds each release came after its scheduled millisecond (the generator's own delay). */
  lag: Latency;
}

/** One keep-alive connection: writes a request, parses one answer, reports it, takes the next. */
class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private released = 0n;
  private counted = false;
  busy = false;
  /** Closed by the server (its keep-alive timeout) while idle: skipped from then on. */
  closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly done: (status: number, ns: number, counted: boolean) => void,
    private readonly failed: (e: Error) => void,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.read(d));
    socket.on("error", (e) => this.failed(e));
    socket.on("close", () => {
      this.closed = true;
      if (this.busy) this.failed(new Error("the server closed a connection with a request in flight"));
    });
  }

  send(request: Buffer, released: bigint, counted: boolean): void {
    this.busy = true;
    this.released = released;
    this.counted = counted;
    this.socket.write(request);
  }

  private read(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.buf.toString("latin1", 0, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    // Without a length the body is chunked (node:http's default): it ends with the empty chunk.
    const last = m ? -1 : this.buf.indexOf("\r\n0\r\n\r\n", end);
    if (!m && last < 0) return;
    const size = m ? end + 4 + Number(m[1]) : last + 7;
    if (this.buf.length < size) return;
    if (this.buf.length > size) return this.failed(new Error("bytes after an answer: the server answered a request twice"));
    this.buf = Buffer.alloc(0);
    this.busy = false;
    this.done(Number(head.slice(9, 12)), Number(process.hrtime.bigint() - this.released), this.counted);
  }

  close(): void {
    this.busy = false;
    this.socket.destroy();
  }
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const u = new URL(o.url);
  const head = (len: number) => `POST ${o.path} HTTP/1.1\r\nhost: ${u.host}\r\nconnection: keep-alive\r\n${Object.entries(o.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}content-length: ${len}\r\n\r\n`;
  const requests = o.bodies.map((b) => Buffer.concat([Buffer.from(head(Buffer.byteLength(b)), "latin1"), Buffer.from(b)]));
  const warmupSeconds = o.warmupSeconds ?? 0;
  // requests [0, uncounted) are the warm-up's
  const uncounted = Math.round(o.rate * warmupSeconds);
  const total = uncounted + Math.round(o.rate * o.seconds);
  const perMs = o.rate / 1000;
  const times: number[] = [];
  const lags: number[] = [];
  let answered = 0;
  let non2xx = 0;
  let next = 0;
  let countedFrom = 0n;
  // Released but waiting for a free connection: [request index, release time].
  const waiting: [number, bigint][] = [];
  const idle: Conn[] = [];
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const finished = new Promise<void>((ok, no) => ((finish = ok), (fail = no)));

  const settle = (c: Conn, status: number, ns: number, counted: boolean) => {
    if (status < 200 || status >= 300) non2xx++;
    else if (counted) times.push(ns);
    if (++answered === total) return finish();
    const w = waiting.shift();
    if (w) c.send(requests[w[0] % requests.length]!, w[1], w[0] >= uncounted);
    else idle.push(c);
  };
  // Oldest idle connection first, so every connection stays in use (an idle one would meet the
  // server's keep-alive timeout); one the server closed anyway is dropped.
  const take = (): Conn | undefined => {
    let c = idle.shift();
    while (c?.closed) c = idle.shift();
    return c;
  };
  const conns = await Promise.all(
    Array.from({ length: o.connections }, () => new Promise<Conn>((ok, no) => {
      const s = connect(Number(u.port), u.hostname);
      s.once("error", no);
      s.once("connect", () => {
        s.off("error", no);
        const c: Conn = new Conn(s, (status, ns, counted) => settle(c, status, ns, counted), fail);
        ok(c);
      });
    })),
  );
  idle.push(...conns);

  const t0 = process.hrtime.bigint();
  const tick = () => {
    const now = process.hrtime.bigint();
    const elapsedMs = Number(now - t0) / 1e6;
    const due = Math.min(total, Math.floor((Math.floor(elapsedMs) + 1) * perMs));
    for (; next < due; next++) {
      if (next === uncounted) countedFrom = now;
      // This request's millisecond began at floor(next / perMs); anything after it is the generator's lag.
      if (next >= uncounted) lags.push(Math.max(0, (elapsedMs - Math.floor(next / perMs)) * 1e6));
      const c = take();
      if (c) c.send(requests[next % requests.length]!, now, next >= uncounted);
      else waiting.push([next, now]);
    }
    if (next < total) setTimeout(tick, 1);
  };
  tick();
  // A server that stops answering fails the run instead of hanging it.
  const limitMs = o.giveUpMs ?? (warmupSeconds + o.seconds) * 3_000 + 10_000;
  const deadline = setTimeout(() => fail(new Error(`${total - answered} of ${total} requests unanswered after ${limitMs / 1000} s`)), limitMs);
  try {
    await finished;
  } finally {
    clearTimeout(deadline);
    for (const c of conns) c.close();
  }
  const seconds = Number(process.hrtime.bigint() - countedFrom) / 1e9;
  return { rate: o.rate, seconds: o.seconds, warmupSeconds, requests: total - uncounted, non2xx, errors: 0, perSecond: (answered - uncounted) / seconds, latency: summariseEach(times), lag: summariseEach(lags) };
}
