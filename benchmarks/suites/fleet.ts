// Suite 9: the Engine on fleet stores, beside the embedded ones in the same run: decide() per call
// (p50/p99 over single calls, not batch means, since a server round trip is the tail that matters)
// on memory, SQLite, Redis, and Redis with approvals on PostgreSQL, all on loopback; then the
// throughput of 8 processes sharing one Redis limit against one process. Run by benchmarks/run.ts;
// starts its own redis-server and PostgreSQL (runtime/store/test/servers.ts), or records why not.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { compilePolicy } from "../../compiler/index.js";
import { loadFile } from "../../language/load.js";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, loadPolicy } from "../../runtime/index.js";
import type { StoreSpec } from "../../runtime/store/index.js";
import { serverAvailability, startPostgres, startRedis, type PostgresServer, type RedisServer } from "../../runtime/store/test/servers.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { script } from "../lib/paths.js";
import { summariseEach, type Latency } from "../lib/sample.js";
import { ENGINE_CALLS } from "./engine.js";
import { EXAMPLE } from "./bare.js";

const FLEET_POLICY = "benchmarks/policies/fleet.pol";
/** Decisions each throughput process keeps in flight, as a service serving concurrent requests does. */
const IN_FLIGHT = 16;

/** Compiles once, so the throughput processes start without compiling. */
async function compileTo(source: string, out: string): Promise<string> {
  const l = loadFile(source);
  const c = l.checked && (await compilePolicy(l.checked, l.sink));
  if (!c) throw new Error(`${source} does not compile`);
  writeFileSync(out, c.wasm);
  return out;
}

interface StoreRow { name: string; mix: Latency; calls: { name: string; effect: string; decide: Latency }[] }

/** Per-call decide() latencies of every ENGINE_CALLS call in turn, on a fresh engine over `store`. */
async function storeRow(name: string, store: StoreSpec, samples: number, dir: string): Promise<StoreRow> {
  const policy = await loadPolicy(EXAMPLE);
  const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
  const engine = await Engine.load(policy, { store, audit: { path: join(dir, `${name.replace(/\W+/g, "-")}.jsonl`) }, clock, approvalTimeoutMs: 365 * 24 * 3600 * 1000 });
  const per: number[][] = ENGINE_CALLS.map(() => []);
  const effects: string[] = [];
  for (let i = 0; i < samples + 200; i++) {
    const k = i % ENGINE_CALLS.length;
    clock.t += 10 * 60 * 1000;
    const t = process.hrtime.bigint();
    const d = await engine.decide(ENGINE_CALLS[k]!.call);
    const ns = Number(process.hrtime.bigint() - t);
    if (i >= 200) per[k]!.push(ns);
    effects[k] = `${d.effect} (${d.decidedBy})`;
  }
  await engine.close();
  const row = { name, mix: summariseEach(per.flat()), calls: ENGINE_CALLS.map((c, k) => ({ name: c.name, effect: effects[k]!, decide: summariseEach(per[k]!) })) };
  log(`${name.padEnd(30)} decide() p50 ${(row.mix.p50 / 1000).toFixed(1)} µs  p99 ${(row.mix.p99 / 1000).toFixed(1)} µs`);
  return row;
}

/** Decisions per second of `n` processes deciding, each charging one limit in `store`, for `seconds`. */
async function throughput(n: number, seconds: number, wasm: string, store: string): Promise<{ processes: number; decisions: number; denied: number; perSecond: number; allAllowed: boolean }> {
  const children = Array.from({ length: n }, () => spawn(process.execPath, [...script(import.meta.url, "../lib/fleet-child"), JSON.stringify({ wasm, store, seconds, inFlight: IN_FLIGHT })], { stdio: ["pipe", "pipe", "inherit"] }));
  const outs = children.map((c) => {
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    return {
      ready: new Promise<void>((res) => c.stdout.on("data", () => out.includes("ready\n") && res())),
      done: new Promise<{ n: number; allowed: number }>((res, rej) => c.on("close", (code) => (code === 0 ? res(JSON.parse(out.trim().split("\n").at(-1)!)) : rej(new Error(`fleet child exited ${code}`))))),
    };
  });
  await Promise.all(outs.map((o) => o.ready));
  const startAt = Date.now() + 300;
  for (const c of children) c.stdin.end(`${startAt}\n`);
  const results = await Promise.all(outs.map((o) => o.done));
  const decisions = results.reduce((a, r) => a + r.n, 0);
  const allowed = results.reduce((a, r) => a + r.allowed, 0);
  // Only allowed decisions count: a decision denied because the store missed its deadline on a
  // loaded machine is not throughput.
  return { processes: n, decisions, denied: decisions - allowed, perSecond: allowed / seconds, allAllowed: allowed === decisions };
}

/**
 * Redis's own time per EVALSHA (INFO commandstats): what one shared limit costs the server, the
 * ceiling on a fleet's charges per second to one limit whatever the clients' machines do.
 */
async function scriptCost(url: string, reset = false): Promise<number> {
  const { createClient } = await import("redis");
  const c = createClient({ url, RESP: 2 });
  await c.connect();
  try {
    if (reset) await c.sendCommand(["CONFIG", "RESETSTAT"]);
    const info = String(await c.sendCommand(["INFO", "commandstats"]));
    return Number(/cmdstat_evalsha:.*?usec_per_call=([\d.]+)/.exec(info)?.[1] ?? Number.NaN);
  } finally {
    c.destroy();
  }
}

/** Raises the server's scheduling priority (nice -10) when this process may; returns whether it did. */
function prioritise(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    setPriority(pid, -10);
    return true;
  } catch {
    return false;
  }
}

export async function fleetSuite(o: SuiteOptions) {
  const { missing } = serverAvailability();
  if (missing) {
    log(`fleet suite skipped: ${missing}`);
    return { skipped: missing };
  }
  const samples = o.quick ? 500 : 5_000;
  const seconds = o.quick ? 2 : 5;
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-fleet-"));
  let redis: RedisServer | null = null;
  let postgres: PostgresServer | null = null;
  try {
    redis = await startRedis();
    postgres = await startPostgres();
    // In a fleet the servers have their own hosts; on this shared 2-core machine the client
    // processes would otherwise starve them. Root only; elsewhere the figures say so.
    const prioritised = prioritise(redis.pid());
    const r = (t: string) => `${redis!.url}?prefix=pol:{${t}}:`;
    const stores: StoreRow[] = [];
    stores.push(await storeRow("memory", ":memory:", samples, dir));
    stores.push(await storeRow("sqlite", join(dir, "pol.db"), samples, dir));
    stores.push(await storeRow("redis", r("bench"), samples, dir));
    stores.push(await storeRow("redis + postgres approvals", { default: r("mixed"), approvals: `${postgres.url}?schema=bench` }, samples, dir));
    const wasm = await compileTo(FLEET_POLICY, join(dir, "fleet.wasm"));
    await scriptCost(redis.url, true); // from here on, only the throughput runs' limit scripts count
    const one = await throughput(1, seconds, wasm, r("tp1"));
    log(`1 process  ${one.perSecond.toFixed(0)} decisions/s against one limit`);
    const eight = await throughput(8, seconds, wasm, r("tp8"));
    log(`8 processes ${eight.perSecond.toFixed(0)} decisions/s against one limit (${(eight.perSecond / one.perSecond).toFixed(2)}× one process)`);
    // The control: the same processes on the memory store share nothing, so their ratio is what
    // the machine itself allows 8 processes against 1.
    const controlOne = await throughput(1, seconds, wasm, ":memory:");
    const controlEight = await throughput(8, seconds, wasm, ":memory:");
    log(`control, memory store: 1 process ${controlOne.perSecond.toFixed(0)}/s, 8 processes ${controlEight.perSecond.toFixed(0)}/s (${(controlEight.perSecond / controlOne.perSecond).toFixed(2)}×)`);
    const scriptUs = await scriptCost(redis.url);
    log(`redis time per limit script ${scriptUs.toFixed(1)} µs: one limit can take ${(1e6 / scriptUs).toFixed(0)} charges/s`);
    return {
      policy: EXAMPLE, throughputPolicy: FLEET_POLICY, samples, clockStepMs: 600_000,
      servers: { redis: `redis-server 7, appendonly yes, appendfsync no${prioritised ? ", at nice -10" : ""}`, postgres: "PostgreSQL 15, fsync on, synchronous_commit on" },
      stores, throughput: { seconds, inFlight: IN_FLIGHT, one, eight, ratio: eight.perSecond / one.perSecond, scriptUs, control: { one: controlOne, eight: controlEight, ratio: controlEight.perSecond / controlOne.perSecond } },
    };
  } finally {
    await redis?.destroy();
    await postgres?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(fleetSuite);
