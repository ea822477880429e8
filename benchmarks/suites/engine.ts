// Suite 4: the full Engine.decide() (docs/runtime.md) with embedded stores:
// validation, trust and pause reads, limits, approval lookup and the batched
// JSONL audit, on the in-process memory store and on a SQLite file. Run by
// benchmarks/run.ts; its mix also feeds the budget check (benchmarks/budget.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, loadPolicy } from "../../runtime/index.js";
import type { WasmPolicy } from "../../runtime/loader.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { sampleAsync, summariseEach, type Latency } from "../lib/sample.js";
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

export type StoreKind = "memory" | "sqlite";

/** An engine on a fresh store in a temporary directory, with a clock the caller moves. */
export async function openEngine(policy: WasmPolicy, kind: StoreKind) {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-engine-"));
  const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
  const engine = await Engine.load(policy, {
    store: kind === "memory" ? ":memory:" : join(dir, "pol.db"),
    audit: { path: join(dir, "audit.jsonl") },
    clock,
    // Pending approvals never expire during the run, so repeats find them.
    approvalTimeoutMs: 365 * 24 * 3600 * 1000,
  });
  const decide = (call: unknown) => {
    clock.t += 10 * 60 * 1000;
    return engine.decide(call);
  };
  return { engine, decide, close: async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** A function deciding the calls in turn, collecting the Engine's own latencyUs. */
function cyclingDecide(decide: (c: unknown) => Promise<{ latencyUs: number }>, calls: unknown[], seen: number[]) {
  let i = 0;
  return async () => {
    const d = await decide(calls[i]!);
    seen.push(d.latencyUs * 1000);
    if (++i === calls.length) i = 0;
    return d;
  };
}

export async function engineSuite(o: SuiteOptions) {
  const samples = o.quick ? 300 : 2_000;
  const batch = 10;
  const policy = await loadPolicy(EXAMPLE);
  const stores: StoreKind[] = ["memory", "sqlite"];
  const out: Record<StoreKind, { calls: { name: string; effect: string; decidedBy: string; decide: Latency; latencyUs: Latency }[]; mix: { decide: Latency; latencyUs: Latency } }> = {} as never;
  for (const kind of stores) {
    const e = await openEngine(policy, kind);
    const calls = [];
    for (const c of ENGINE_CALLS) {
      const first = await e.decide(c.call);
      const seen: number[] = [];
      const l = await sampleAsync(cyclingDecide(e.decide, [c.call], seen), { samples: Math.ceil(samples / 2), batch, warmup: 200 });
      calls.push({ name: c.name, effect: first.effect, decidedBy: first.decidedBy, decide: l, latencyUs: summariseEach(seen) });
      log(`${kind.padEnd(6)} ${c.name.padEnd(38)} ${first.effect.padEnd(7)} decide() p50 ${(l.p50 / 1000).toFixed(1)} µs  p99 ${(l.p99 / 1000).toFixed(1)} µs`);
    }
    const seen: number[] = [];
    const mix = await sampleAsync(cyclingDecide(e.decide, ENGINE_CALLS.map((c) => c.call), seen), { samples, batch, warmup: 500 });
    log(`${kind.padEnd(6)} ${"mix".padEnd(38)} ${"".padEnd(7)} decide() p50 ${(mix.p50 / 1000).toFixed(1)} µs  p99 ${(mix.p99 / 1000).toFixed(1)} µs`);
    out[kind] = { calls, mix: { decide: mix, latencyUs: summariseEach(seen) } };
    await e.close();
  }
  return { policy: EXAMPLE, samples, batch, clockStepMs: 600_000, stores: out };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(engineSuite);
