// `npm run bench:budget`: the latency and promotion guard run by .ci/run after the tests. It compares ratios,
// not absolute times: pol against the hand-written JavaScript floor (benchmarks/peers/js.ts)
// measured in the same process, alternated, so a slow or loaded machine slows both and does not
// fail the check, while a real regression in pol moves the ratio. Checks: the bare evaluator on
// the peer mix (p50 and p99 over the floor's), and Engine.decide with each embedded store (p50
// and p90 over the floor's). The Engine's decisions are timed one per event-loop turn,
// interleaved with windows of the floor (FLOOR_WINDOW calls, about as long as a decision) timed
// the same way, so both meet the same load. Its p90 is the slowest of the mix's five calls (each a
// fifth of it), so a regression in any one call moves it; its p99 is not checked: on this shared
// 2-core machine it ranged 0.09-1.5 ms between runs minutes apart (GC, the audit writer thread
// waiting for a core), a spread no budget could tell from a regression (FINDINGS.md, Budgets). Exits 1
// when a ratio exceeds benchmarks/budget.json; noise only adds time to either side, so each check
// takes the best of up to three attempts and stops at the first one within budget. It also checks
// what Engine.decide promotes into V8's old generation per decision (lib/promotion.ts), in bytes:
// that figure, not a time, is what brought pol serve's mark-compacts back when it regressed.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stopCompiler } from "../compiler/asc.js";
import { loadPolicy } from "../runtime/loader.js";
import { PEER_CALLS } from "./calls.js";
import { BENCH } from "./lib/paths.js";
import { promotedPer } from "./lib/promotion.js";
import { percentile, sampleAlternating } from "./lib/sample.js";
import { decideByHand } from "./peers/js.js";
import { fmtNs } from "./render.js";
import { cycling, EXAMPLE } from "./suites/bare.js";
import { ENGINE_CALLS, openEngine, type StoreKind } from "./suites/engine.js";
import { PEER_POLICY } from "./suites/peers.js";

interface Budget {
  bare: { p50: number; p99: number };
  engine: Record<StoreKind, { p50: number; p90: number }>;
  promoted: { bytesPerDecision: number };
}

const ATTEMPTS = 3;
/** Floor calls per timed window beside each decision: 500 × ~20 ns is about a decision's 10 µs. */
const FLOOR_WINDOW = 500;

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Decisions per promotion measurement: ~100 scavenges' worth, after as many to warm up. */
const PROMOTION_DECISIONS = 50_000;

/** `n` decisions in a row, yielding to the event loop every 50 (as a server's turns do). */
async function decideMany(decide: (c: unknown) => Promise<unknown>, calls: unknown[], n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await decide(calls[i % calls.length]);
    if (i % 50 === 49) await nextTurn();
  }
}

/** `n` decisions and `n` floor windows, interleaved, each timed alone in its own event-loop turn (ns; the floor per call). */
async function interleaved(decide: (c: unknown) => Promise<unknown>, calls: unknown[], floor: () => unknown, n: number): Promise<{ decide: number[]; floor: number[] }> {
  const d: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < n; i++) {
    await nextTurn();
    let a = process.hrtime.bigint();
    await decide(calls[i % calls.length]);
    d.push(Number(process.hrtime.bigint() - a));
    await nextTurn();
    a = process.hrtime.bigint();
    for (let k = 0; k < FLOOR_WINDOW; k++) floor();
    f.push(Number(process.hrtime.bigint() - a) / FLOOR_WINDOW);
  }
  return { decide: d, floor: f };
}

interface Ratio { name: string; ratio: number; budget: number; detail: string }

async function within(measure: () => Promise<Ratio[]>): Promise<boolean> {
  let best: Ratio[] | undefined;
  for (let a = 1; a <= ATTEMPTS; a++) {
    const rs = await measure();
    best = best ? best.map((b, i) => (rs[i]!.ratio < b.ratio ? rs[i]! : b)) : rs;
    if (best.every((r) => r.ratio <= r.budget)) break;
  }
  for (const r of best!) console.log(`${r.ratio <= r.budget ? "ok  " : "FAIL"} ${r.name.padEnd(34)} ${r.ratio.toFixed(1).padStart(7)}× the floor  (budget ${r.budget}×)  ${r.detail}`);
  return best!.every((r) => r.ratio <= r.budget);
}

async function main(): Promise<number> {
  const budget = JSON.parse(readFileSync(join(BENCH, "budget.json"), "utf8")) as Budget;
  const peer = await loadPolicy(PEER_POLICY);
  const support = await loadPolicy(EXAMPLE);
  await stopCompiler();
  const floorMix = cycling(PEER_CALLS, (c) => decideByHand(c));
  const polMix = cycling(PEER_CALLS, (c) => peer.evaluate(c));
  let ok = await within(async () => {
    const m = sampleAlternating({ pol: polMix, floor: floorMix }, { samples: 2_000, runs: 3 });
    return [
      { name: "bare evaluator p50 (peer mix)", ratio: m.pol.p50 / m.floor.p50, budget: budget.bare.p50, detail: `pol ${fmtNs(m.pol.p50)}, floor ${fmtNs(m.floor.p50)}` },
      { name: "bare evaluator p99 (peer mix)", ratio: m.pol.p99 / m.floor.p99, budget: budget.bare.p99, detail: `pol ${fmtNs(m.pol.p99)}, floor ${fmtNs(m.floor.p99)}` },
    ];
  });
  for (const kind of ["memory", "sqlite"] as const) {
    // With an onDecision hook, as pol serve's metrics are: the copy hooks get is on the path.
    let reasons = 0;
    const e = await openEngine(support, kind, { onDecision: (d) => { reasons += d.reasons.length; } });
    const calls = ENGINE_CALLS.map((c) => c.call);
    await interleaved(e.decide, calls, floorMix, 1_000);
    ok = (await within(async () => {
      const t = await interleaved(e.decide, calls, floorMix, 2_000);
      const [d, f] = [t.decide, t.floor].map((xs) => Float64Array.from(xs).sort());
      return (["p50", "p90"] as const).map((q) => {
        const [a, b] = [percentile(d!, q === "p50" ? 0.5 : 0.9), percentile(f!, q === "p50" ? 0.5 : 0.9)];
        return { name: `Engine.decide ${q} (${kind})`, ratio: a / b, budget: budget.engine[kind][q], detail: `decide ${fmtNs(a)}, floor ${fmtNs(b)}` };
      });
    })) && ok;
    // Bytes, not time: no attempts needed, and no ratio. A copy that V8 promotes shows as hundreds
    // of bytes a decision where ~10 is normal (FINDINGS.md, Budgets).
    // A mark-compact in the stretch hides what the scavenges before it promoted: measure again
    // (a decision path that promotes makes them, so a regression fails all three attempts).
    await decideMany(e.decide, calls, PROMOTION_DECISIONS);
    let p = { bytes: Infinity, scavenges: 0, majors: 0 };
    for (let a = 1; a <= ATTEMPTS; a++) {
      p = await promotedPer(PROMOTION_DECISIONS, () => decideMany(e.decide, calls, PROMOTION_DECISIONS));
      if (p.majors === 0 && p.bytes <= budget.promoted.bytesPerDecision) break;
    }
    const pOk = p.majors === 0 && p.bytes <= budget.promoted.bytesPerDecision;
    console.log(`${pOk ? "ok  " : "FAIL"} ${`old generation growth (${kind})`.padEnd(34)} ${p.bytes.toFixed(1).padStart(7)} B a decision (budget ${budget.promoted.bytesPerDecision} B)  over ${p.scavenges} scavenges and ${p.majors} mark-compacts, ${reasons > 0 ? "hook ran" : "hook never ran"}`);
    ok = pOk && reasons > 0 && ok;
    await e.close();
  }
  console.log(ok ? "budget: ok" : "budget: exceeded (see benchmarks/RESULTS.md for the expected figures)");
  return ok ? 0 : 1;
}

process.exitCode = await main();
