// What rollout costs a decision, as ratios in one process: Engine.decide on the engine suite's
// calls (suites/engine.ts) with no candidate, with a shadow, and with a 50% canary, in
// alternating batches so machine noise falls on all three alike. The shadow's own evaluations run
// after decide returns (shadow.ts); they are timed apart, per decision, as `shadowWorkNs`.
// Run: `npx tsx benchmarks/rollout.ts` (prints JSON; not part of `npm run bench`).

import { readFileSync } from "node:fs";
import { compileFile, compileText } from "../compiler/compile-file.js";
import { Engine } from "../runtime/engine.js";
import { WasmPolicy } from "../runtime/loader.js";
import { EXAMPLE } from "./suites/bare.js";
import { ENGINE_CALLS } from "./suites/engine.js";

const ROUNDS = 150;
const PER = 500;
type Kind = "bare" | "shadow" | "canary";

const live = await WasmPolicy.fromBytes((await compileFile(EXAMPLE)).wasm!);
// The candidate: the same rules under another file name (so another policy hash): the two decide
// alike, so the cost measured is the comparison, not audit appends of differences (audit is off).
const candidate = await WasmPolicy.fromBytes((await compileText(readFileSync(EXAMPLE, "utf8"), "candidate.pol")).wasm!);

async function open(kind: Kind) {
  const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
  const extra = kind === "shadow" ? { shadow: candidate } : kind === "canary" ? { canary: { policy: candidate, percent: 50 } } : {};
  const engine = await Engine.load(live, { store: ":memory:", audit: false, clock, approvalTimeoutMs: 365 * 24 * 3600e3, ...extra });
  return { engine, clock };
}

const kinds: Kind[] = ["bare", "shadow", "canary"];
const engines = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await open(k)] as const))) as Record<Kind, Awaited<ReturnType<typeof open>>>;
const calls = ENGINE_CALLS.map((c) => c.call);
const decide: Record<Kind, number[]> = { bare: [], shadow: [], canary: [] };
const after: Record<Kind, number[]> = { bare: [], shadow: [], canary: [] };

async function batch(k: Kind, n: number): Promise<void> {
  const { engine, clock } = engines[k];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    clock.t += 600_000;
    await engine.decide(calls[i % calls.length]);
  }
  const t1 = process.hrtime.bigint();
  await engine.flush();
  decide[k].push(Number(t1 - t0) / n);
  after[k].push(Number(process.hrtime.bigint() - t1) / n);
}

for (const k of kinds) await batch(k, 5_000);
for (const k of kinds) decide[k].length = after[k].length = 0;
for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 ? kinds : [...kinds].reverse()) await batch(k, PER);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const out = Object.fromEntries(kinds.map((k) => [k, { decideNs: Math.round(med(decide[k])), shadowWorkNs: Math.round(med(after[k])), vsBare: +(med(decide[k]) / med(decide.bare)).toFixed(3) }]));
console.log(JSON.stringify({ rounds: ROUNDS, perRound: PER, ...out, shadowStatus: engines.shadow.engine.policyStatus().shadow }, null, 1));
for (const k of kinds) await engines[k].engine.close();
process.exit(0);
