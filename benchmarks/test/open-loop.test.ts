// The open-loop load generator of suite 7 (benchmarks/lib/open-loop.ts) against real node:http
// servers on loopback: it sends exactly rate × seconds requests (after an uncounted warm-up on the
// same connections, when asked), reads answers framed by
// Content-Length and chunked, counts non-2xx apart, keeps sending on schedule while answers are
// slow (open loop: a stalled server's queue shows in the latency), and fails instead of hanging
// when the server stops answering. No timing is asserted beyond what the schedule implies.

import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openLoop } from "../lib/open-loop.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
});

async function serve(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** Reads the body, then answers with `send` (after `delayMs`). */
const answering = (send: (res: Parameters<RequestListener>[1], body: string, n: number) => void, delayMs = 0): RequestListener => {
  let n = 0;
  return (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString())).on("end", () => {
      const i = n++;
      setTimeout(() => send(res, body, i), delayMs);
    });
  };
};

const base = { path: "/v1/decide", headers: { "content-type": "application/json" }, connections: 8 };

describe("open-loop load generator", () => {
  it("sends rate × seconds requests, each body in turn, and reads Content-Length and chunked answers", async () => {
    const seen: string[] = [];
    const url = await serve(answering((res, body, i) => {
      seen.push(body);
      // Alternate framings: a fixed length, then node's default (chunked).
      if (i % 2) res.writeHead(200, { "content-type": "application/json" }).end('{"effect":"allow"}');
      else res.writeHead(200, { "content-length": "2" }).end("{}");
    }));
    const r = await openLoop({ ...base, url, bodies: ['{"a":1}', '{"b":2}'], rate: 400, seconds: 0.5 });
    expect(r.requests).toBe(200);
    expect(r.errors).toBe(0);
    expect(r.non2xx).toBe(0);
    expect(r.latency.samples).toBe(200);
    expect(seen.filter((b) => b === '{"a":1}').length).toBe(100);
    expect(seen.filter((b) => b === '{"b":2}').length).toBe(100);
  });

  it("counts non-2xx answers apart from the latency", async () => {
    const url = await serve(answering((res, _b, i) => res.writeHead(i % 4 === 0 ? 400 : 200, { "content-length": "0" }).end()));
    const r = await openLoop({ ...base, url, bodies: ["{}"], rate: 400, seconds: 0.5 });
    expect(r.non2xx).toBe(50);
    expect(r.latency.samples).toBe(150);
    expect(r.requests).toBe(200);
  });

  it("keeps to the schedule while answers are slow, so the wait shows in the latency", async () => {
    // One connection, answers taking 20 ms: a closed loop would send 25 requests in 0.5 s; the
    // open loop releases all 100 on schedule and they queue behind each other.
    const url = await serve(answering((res) => res.writeHead(200, { "content-length": "0" }).end(), 20));
    const r = await openLoop({ ...base, connections: 1, url, bodies: ["{}"], rate: 200, seconds: 0.5 });
    expect(r.requests).toBe(100);
    expect(r.non2xx + r.errors).toBe(0);
    // The last of 100 requests queued behind 20 ms answers waits far longer than one answer.
    expect(r.latency.max).toBeGreaterThan(20 * 20 * 1e6);
  });

  it("sends the warm-up's requests on the same connections and counts only the ones after it", async () => {
    const ports = new Set<number>();
    let seen = 0;
    const url = await serve((req, res) => {
      ports.add(req.socket.remotePort!);
      seen++;
      req.resume().on("end", () => res.writeHead(200, { "content-length": "0" }).end());
    });
    // 400/s: 40 requests in the 0.1 s warm-up, then 100 counted
    const r = await openLoop({ ...base, url, bodies: ["{}"], rate: 400, seconds: 0.25, warmupSeconds: 0.1 });
    expect(seen).toBe(140);
    expect(r.requests).toBe(100);
    expect(r.latency.samples).toBe(100);
    expect(r.lag.samples).toBe(100);
    expect(r.warmupSeconds).toBe(0.1);
    expect(r.non2xx).toBe(0);
    // the warm-up ran on the run's own connections, not on connections of its own
    expect(ports.size).toBeLessThanOrEqual(base.connections);
  });

  it("fails, naming what is unanswered, when the server stops answering", async () => {
    const url = await serve(() => {});
    await expect(openLoop({ ...base, url, bodies: ["{}"], rate: 10, seconds: 0.1, giveUpMs: 500 })).rejects.toThrow(/1 of 1 requests unanswered after 0.5 s/);
  });
});
