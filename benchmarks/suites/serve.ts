// Suite 7: `POST /v1/decide` over loopback HTTP (pol serve: Hono on @hono/node-server, the full
// Engine with a SQLite or memory store and the batched JSONL audit) under autocannon, at a fixed 5,000
// requests/s and flat out, against the HTTP floor (a bare node:http server answering a fixed
// decision) in the same run. The server runs in its own process; the load generator here.
// Latency is taken per response from autocannon's `response` events (its own histogram
// rounds to whole milliseconds), so percentiles are to the microsecond; at a fixed rate they
// are service times, not corrected for coordinated omission.

import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { ROOT, script } from "../lib/paths.js";
import { summariseEach, type Latency } from "../lib/sample.js";
import { ENGINE_CALLS } from "./engine.js";

const autocannon = createRequire(import.meta.url)("autocannon") as (o: Record<string, unknown>) => Promise<Record<string, unknown>> & { on(e: string, f: (...a: never[]) => void): void };

export const TARGET_RATE = 5_000;
const CONNECTIONS = 20;

interface Served { child: ChildProcess; url: string; authorization: string }

type Mode = "sqlite" | "memory" | "floor";

function startChild(mode: Mode): Promise<Served> {
  const child = spawn(process.execPath, [...script(import.meta.url, "../lib/serve-child"), mode], { stdio: ["ignore", "pipe", "inherit"], cwd: ROOT });
  return new Promise((ok, fail) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) ok({ child, ...(JSON.parse(out.slice(0, nl)) as { url: string; authorization: string }) });
    });
    child.once("exit", (code) => fail(new Error(`the ${mode} server exited with ${code}`)));
  });
}

function stop(s: Served): Promise<void> {
  return new Promise((r) => {
    s.child.once("exit", () => r());
    s.child.kill("SIGTERM");
  });
}

export interface LoadResult { rate: number | null; seconds: number; requests: number; non2xx: number; errors: number; timeouts: number; perSecond: number; latency: Latency }

/** One autocannon run cycling through the suite-4 calls; latency per response, in nanoseconds. */
async function load(s: Served, seconds: number, rate: number | null): Promise<LoadResult> {
  const times: number[] = [];
  const requests = ENGINE_CALLS.map((c) => ({ method: "POST", path: "/v1/decide", headers: { "content-type": "application/json", ...(s.authorization ? { authorization: s.authorization } : {}) }, body: JSON.stringify(c.call) }));
  const run = autocannon({ url: s.url, connections: CONNECTIONS, duration: seconds, requests, ...(rate ? { overallRate: rate } : {}) });
  run.on("response", ((_c: unknown, status: number, _b: number, ms: number) => {
    if (status < 300) times.push(ms * 1e6);
  }) as never);
  const r = (await run) as { requests: { total: number }; non2xx: number; errors: number; timeouts: number; duration: number };
  return { rate, seconds, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, perSecond: r.requests.total / r.duration, latency: summariseEach(times) };
}

export async function serveSuite(o: SuiteOptions) {
  const seconds = o.quick ? 3 : 10;
  const out: Record<Mode, { fixed: LoadResult; max: LoadResult }> = {} as never;
  for (const mode of ["floor", "sqlite", "memory"] as const) {
    const s = await startChild(mode);
    try {
      // Warm-up, flat out: a fresh pol serve answers its first seconds of load at a fraction of its
      // later rate (675 then 2,483 requests/s in consecutive 5 s runs: the JIT and the audit log's
      // first batches; 20 connections each verifying the same credential with scrypt was another
      // part, fixed in server/auth/users.ts), so the rows measure the steady state.
      await load(s, 5, null);
      const max = await load(s, seconds, null);
      const fixed = await load(s, seconds, TARGET_RATE);
      out[mode] = { fixed, max };
      for (const [name, r] of [["5,000/s", fixed], ["max", max]] as const) {
        log(`${mode.padEnd(6)} ${name.padEnd(8)} ${Math.round(r.perSecond)} req/s  p50 ${(r.latency.p50 / 1e6).toFixed(3)} ms  p99 ${(r.latency.p99 / 1e6).toFixed(3)} ms  p99.9 ${(r.latency.p999 / 1e6).toFixed(3)} ms  non-2xx ${r.non2xx} errors ${r.errors}`);
      }
    } finally {
      await stop(s);
    }
  }
  return { calls: ENGINE_CALLS.map((c) => c.name), connections: CONNECTIONS, targetRate: TARGET_RATE, seconds, ...out };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(serveSuite);
