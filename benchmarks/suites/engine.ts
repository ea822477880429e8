// Suite 4: the full Engine.decide() (docs/runtime.md) with embedded stores: validation, trust and
// pause reads, limits, approval lookup and the batched JSONL audit, on the in-process memory
// store and on a SQLite file. Every decision is timed alone, in its own event-loop turn (as a
// service's request handler sees it), so the percentiles are of decisions, not of batch means.
// One agent against 2,500 agents with 5,000 pending approvals, alternated round by round so load
// from other processes falls on both. Run by benchmarks/run.ts; budget.ts reuses its pieces.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, loadPolicy } from "../../runtime/index.js";
import type { EngineHooks } from "../../runtime/engine-types.js";
import type { WasmPolicy } from "../../runtime/loader.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { median, summariseEach, type Latency } from "../lib/sample.js";
import { EXAMPLE } from "./bare.js";

const agent = { id: "support-bot", roles: ["support"], trust: 90 };
const run = { id: "run-42", calls: 3 };

/**
 * Engine calls. The refund is $5 so that, with the clock moving 10 minutes per
 * decision, neither limit (20 calls per hour, $1,000 per day) is ever reached:
 * every allowed refund is charged and audited, never denied by a limit. The
 * $120 refund finds its pending approval (the approval lookup path).
 */
export const ENGINE_CALLS = [
  { name: "refund $5 (allow, 2 limits charged)", call: { tool: "stripe.refund", args: { amount: 5, currency: "usd", customer: "cus_1" }, agent, env: "production", run } },
  { name: "refund $120 (approve, pending found)", call: { tool: "stripe.refund", args: { amount: 120, currency: "usd", customer: "cus_1" }, agent, env: "production", run } },
  { name: "refund $500 (deny)", call: { tool: "stripe.refund", args: { amount: 500, currency: "usd", customer: "cus_2" }, agent, env: "production", run } },
  { name: "email internal (allow, no limit)", call: { tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Customer asked for a refund." }, agent, env: "production", run } },
  { name: "unknown tool (deny)", call: { tool: "search.web", args: { q: "refunds" }, agent, env: "production", run } },
];

/** Agents of the fleet run. */
export const AGENTS = 2_500;

/** ENGINE_CALLS as agent `i` makes them: its own id, customer and run, so its approvals and limit buckets are its own. */
export function agentCalls(i: number): Record<string, unknown>[] {
  const a = { id: `agent-${i}`, roles: ["support"], trust: 90 };
  return ENGINE_CALLS.map(({ call }) => ({ ...call, agent: a, run: { id: `run-${i}`, calls: 3 }, args: "customer" in call.args ? { ...call.args, customer: `cus_${i}` } : call.args }));
}

export type StoreKind = "memory" | "sqlite";

/** An engine on a fresh store in a temporary directory, with a clock the caller moves. */
export async function openEngine(policy: WasmPolicy, kind: StoreKind, hooks?: EngineHooks) {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-engine-"));
  const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
  const engine = await Engine.load(policy, {
    store: kind === "memory" ? ":memory:" : join(dir, "pol.db"),
    audit: { path: join(dir, "audit.jsonl") },
    clock,
    // Pending approvals never expire during the run, so repeats find them.
    approvalTimeoutMs: 365 * 24 * 3600 * 1000,
    ...(hooks ? { hooks } : {}),
  });
  const decide = (call: unknown) => {
    clock.t += 10 * 60 * 1000;
    return engine.decide(call);
  };
  return { engine, decide, dir, close: async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Decides `calls` in turn, `n` decisions, each alone in its own event-loop turn; returns each
 * decision's time (ns) and the Engine's own latencyUs (in ns), by position in `calls`.
 */
export async function timeDecisions(decide: (c: unknown) => Promise<{ latencyUs: number }>, calls: unknown[], n: number): Promise<{ all: number[]; byCall: number[][]; own: number[] }> {
  const all: number[] = [];
  const own: number[] = [];
  const byCall = calls.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    await nextTurn();
    const k = i % calls.length;
    const a = process.hrtime.bigint();
    const d = await decide(calls[k]!);
    const ns = Number(process.hrtime.bigint() - a);
    all.push(ns);
    byCall[k]!.push(ns);
    own.push(d.latencyUs * 1000);
  }
  return { all, byCall, own };
}

/** Per figure, the median over rounds of each round's value. */
function medianOf(rounds: Latency[]): Latency {
  const pick = (k: keyof Latency) => median(rounds.map((r) => r[k]));
  return { p50: pick("p50"), p99: pick("p99"), p999: pick("p999"), mean: pick("mean"), min: Math.min(...rounds.map((r) => r.min)), max: Math.max(...rounds.map((r) => r.max)), batch: 1, samples: rounds.reduce((s, r) => s + r.samples, 0), opsPerSec: pick("opsPerSec") };
}

/** Seeds the fleet engine: every agent asks for approval of two refunds, so 5,000 approvals wait. */
async function seedFleet(decide: (c: unknown) => Promise<unknown>): Promise<number> {
  let pending = 0;
  for (let i = 0; i < AGENTS; i++) {
    const calls = agentCalls(i);
    const approve = calls[1]! as { args: Record<string, unknown> };
    for (const amount of [120, 150]) {
      const d = (await decide({ ...approve, args: { ...approve.args, amount } })) as { effect: string; approval?: string };
      if (d.effect === "approve" && d.approval) pending++;
    }
  }
  return pending;
}

export async function engineSuite(o: SuiteOptions) {
  const perRound = o.quick ? 1_000 : 5_000;
  const rounds = o.quick ? 1 : 5;
  const policy = await loadPolicy(EXAMPLE);
  const out: Record<string, unknown> = {};
  for (const kind of ["memory", "sqlite"] as const) {
    const one = await openEngine(policy, kind);
    const fleet = await openEngine(policy, kind);
    const oneCalls = ENGINE_CALLS.map((c) => c.call);
    const fleetCalls = Array.from({ length: AGENTS }, (_, i) => agentCalls(i)).flat();
    const pending = await seedFleet(fleet.decide);
    const effects: { effect: string; decidedBy: string; approval: boolean }[] = [];
    for (const c of ENGINE_CALLS) {
      const d = await one.decide(c.call);
      effects.push({ effect: d.effect, decidedBy: d.decidedBy, approval: d.approval !== undefined });
    }
    await timeDecisions(one.decide, oneCalls, 2_000);
    await timeDecisions(fleet.decide, fleetCalls, 2_000);
    const r1: Latency[] = [];
    const rF: Latency[] = [];
    const own: Latency[] = [];
    const perCall: Latency[][] = ENGINE_CALLS.map(() => []);
    for (let r = 0; r < rounds; r++) {
      // alternated, so a burst of load from other processes falls on both
      const a = await timeDecisions(one.decide, oneCalls, perRound);
      const b = await timeDecisions(fleet.decide, fleetCalls, perRound);
      r1.push(summariseEach(a.all));
      rF.push(summariseEach(b.all));
      own.push(summariseEach(a.own));
      a.byCall.forEach((xs, k) => perCall[k]!.push(summariseEach(xs)));
    }
    const mix = medianOf(r1);
    const agents = medianOf(rF);
    log(`${kind.padEnd(6)} one agent: p50 ${(mix.p50 / 1000).toFixed(1)} µs p99 ${(mix.p99 / 1000).toFixed(1)} µs; ${AGENTS} agents, ${pending} pending: p50 ${(agents.p50 / 1000).toFixed(1)} µs p99 ${(agents.p99 / 1000).toFixed(1)} µs`);
    out[kind] = {
      calls: ENGINE_CALLS.map((c, k) => ({ name: c.name, ...effects[k]!, decide: medianOf(perCall[k]!) })),
      mix: { decide: mix, latencyUs: medianOf(own) },
      fleet: { agents: AGENTS, pending, decide: agents, p99Ratio: median(rF.map((x, i) => x.p99 / r1[i]!.p99)) },
    };
    await one.close();
    await fleet.close();
  }
  return { policy: EXAMPLE, perRound, rounds, clockStepMs: 600_000, stores: out };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(engineSuite);
