// Suite 7: `POST /v1/decide` over loopback HTTP (pol serve: Hono on @hono/node-server, the full
// Engine with a SQLite or memory store and the batched JSONL audit), at a fixed 5,000 requests/s
// and flat out, against the HTTP floor (a bare node:http server answering a fixed decision) and
// the floor doing WORK_US of busy work per request, in the same run. The server runs in its own process; the load generators here. The fixed-rate rows use
// the open-loop generator (lib/open-loop.ts: each millisecond's requests released on schedule
// whatever the answers do, latency from release, so queueing is counted); the flat-out rows use autocannon, which keeps every
// connection busy. autocannon's latency is taken per response from its `response` events (its own
// histogram rounds to whole milliseconds).

import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { probeVm, vmLine } from "../lib/machine.js";
import { ROOT, script } from "../lib/paths.js";
import { openLoop } from "../lib/open-loop.js";
import { median, summariseEach, type Latency } from "../lib/sample.js";
import { ENGINE_CALLS } from "./engine.js";

const autocannon = createRequire(import.meta.url)("autocannon") as (o: Record<string, unknown>) => Promise<Record<string, unknown>> & { on(e: string, f: (...a: never[]) => void): void };

export const TARGET_RATE = 5_000;
const CONNECTIONS = 20;
/** Enough that a request released on time nearly always finds a free connection (one request in flight on each). */
const OPEN_LOOP_CONNECTIONS = 64;
/**
 * Seconds each fixed-rate round runs on its new connections before it is measured (open-loop.ts
 * `warmupSeconds`, as wrk2 calibrates): in a round's first second 1.0–1.7% of pol serve's
 * requests were over 2 ms and 3.1–4.6% of the busy-work peer's, against 0.4–1.0% of either's
 * after it (three rounds each, 2026-12-06).
 */
const ROUND_WARMUP_S = 2;

interface Served { child: ChildProcess; url: string; authorization: string }

type Mode = "sqlite" | "memory" | "floor" | "work";

/**
 * The `work` peer's busy time per request, in µs. With the floor's own work and the wake-ups of
 * answers written one by one, its main thread then spends ~125 µs a request, more than pol
 * serve's 80–95 µs (benchmarks/serve-cost.mjs, 2026-12-05): the rows show what a server that
 * busy, but allocating next to nothing, gets on this machine.
 */
export const WORK_US = 80;

function startChild(mode: Mode): Promise<Served> {
  const child = spawn(process.execPath, [...script(import.meta.url, "../lib/serve-child"), mode, String(WORK_US)], { stdio: ["ignore", "pipe", "inherit"], cwd: ROOT });
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

export interface LoadResult { rate: number | null; seconds: number; requests: number; non2xx: number; errors: number; timeouts: number; perSecond: number; latency: Latency; lag?: Latency }

const headers = (s: Served): Record<string, string> => ({ "content-type": "application/json", ...(s.authorization ? { authorization: s.authorization } : {}) });

/** One autocannon run, flat out, cycling through the suite-4 calls; latency per response, in nanoseconds. */
async function flatOut(s: Served, seconds: number): Promise<LoadResult> {
  const times: number[] = [];
  const requests = ENGINE_CALLS.map((c) => ({ method: "POST", path: "/v1/decide", headers: headers(s), body: JSON.stringify(c.call) }));
  const run = autocannon({ url: s.url, connections: CONNECTIONS, duration: seconds, requests });
  run.on("response", ((_c: unknown, status: number, _b: number, ms: number) => {
    if (status < 300) times.push(ms * 1e6);
  }) as never);
  const r = (await run) as { requests: { total: number }; non2xx: number; errors: number; timeouts: number; duration: number };
  return { rate: null, seconds, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, perSecond: r.requests.total / r.duration, latency: summariseEach(times) };
}

/** One open-loop run at `rate` requests/s, same calls; latency from each request's release. */
async function fixedRate(s: Served, seconds: number, rate: number): Promise<LoadResult> {
  const r = await openLoop({ url: s.url, path: "/v1/decide", headers: headers(s), bodies: ENGINE_CALLS.map((c) => JSON.stringify(c.call)), rate, seconds, warmupSeconds: ROUND_WARMUP_S, connections: OPEN_LOOP_CONNECTIONS });
  return { ...r, timeouts: 0 };
}

/** Per-field medians over rounds (p50 of p50s, p99 of p99s, …), the rate too. */
function medianOf(rs: LoadResult[]): LoadResult {
  const medians = (pick: (r: LoadResult) => Latency) => Object.fromEntries(Object.keys(pick(rs[0]!)).map((k) => [k, median(rs.map((r) => pick(r)[k as keyof Latency] as number))])) as unknown as Latency;
  return { ...rs[0]!, perSecond: median(rs.map((r) => r.perSecond)), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), errors: rs.reduce((a, r) => a + r.errors, 0), latency: medians((r) => r.latency), ...(rs[0]!.lag ? { lag: medians((r) => r.lag!) } : {}) };
}

const MODES = ["floor", "work", "sqlite", "memory"] as const;

export async function serveSuite(o: SuiteOptions) {
  const seconds = o.quick ? 3 : 10;
  const rounds = o.quick ? 1 : 3;
  // first, on a machine no server of this suite is loading yet
  const vm = probeVm(o.quick ? 0.5 : 2);
  log(vmLine(vm));
  const servers = {} as Record<Mode, Served>;
  const out = {} as Record<Mode, { fixed: LoadResult; rounds: { perSecond: number; p50: number; p99: number; p999: number; lagP99: number }[]; max: LoadResult }>;
  try {
    for (const mode of MODES) {
      servers[mode] = await startChild(mode);
      // Warm-up, flat out: a fresh pol serve answers its first seconds of load at a fraction of its
      // later rate (675 then 2,483 requests/s in consecutive 5 s runs: the JIT and the audit log's
      // first batches; 20 connections each verifying the same credential with scrypt was another
      // part, fixed in server/auth/users.ts), so the rows measure the steady state.
      await flatOut(servers[mode], 5);
    }
    // The fixed rate in rounds alternating the servers, so a noisy minute on this shared
    // machine falls on all of them; the rows are medians over rounds (run-to-run p99 moved 4 →
    // 54 ms for the same server minutes apart).
    const fixed = { floor: [], work: [], sqlite: [], memory: [] } as Record<Mode, LoadResult[]>;
    for (let r = 0; r < rounds; r++) {
      for (const mode of MODES) {
        const f = await fixedRate(servers[mode], seconds, TARGET_RATE);
        fixed[mode].push(f);
        log(`${mode.padEnd(6)} round ${r + 1}: ${Math.round(f.perSecond)} req/s  p50 ${(f.latency.p50 / 1e6).toFixed(3)} ms  p99 ${(f.latency.p99 / 1e6).toFixed(3)} ms  p99.9 ${(f.latency.p999 / 1e6).toFixed(3)} ms  generator lag p99 ${((f.lag?.p99 ?? 0) / 1e6).toFixed(3)} ms  non-2xx ${f.non2xx} errors ${f.errors}`);
      }
    }
    for (const mode of MODES) {
      const max = await flatOut(servers[mode], seconds);
      log(`${mode.padEnd(6)} max: ${Math.round(max.perSecond)} req/s  p50 ${(max.latency.p50 / 1e6).toFixed(3)} ms  p99 ${(max.latency.p99 / 1e6).toFixed(3)} ms  non-2xx ${max.non2xx} errors ${max.errors}`);
      out[mode] = { fixed: medianOf(fixed[mode]), rounds: fixed[mode].map((f) => ({ perSecond: f.perSecond, p50: f.latency.p50, p99: f.latency.p99, p999: f.latency.p999, lagP99: f.lag?.p99 ?? 0 })), max };
    }
  } finally {
    await Promise.all(Object.values(servers).map(stop));
  }
  return { calls: ENGINE_CALLS.map((c) => c.name), connections: CONNECTIONS, openLoopConnections: OPEN_LOOP_CONNECTIONS, roundWarmupSeconds: ROUND_WARMUP_S, targetRate: TARGET_RATE, seconds, rounds, workUs: WORK_US, vm, ...out };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(serveSuite);
