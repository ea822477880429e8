// `npm run bench:budget`: the latency guard run by .ci/run after the tests. It compares ratios,
// not absolute times: pol against the hand-written JavaScript floor (benchmarks/peers/js.ts)
// measured in the same process, alternated, so a slow or loaded machine slows both and does not
// fail the check, while a real regression in pol moves the ratio. Checks: the bare evaluator on
// the peer mix (p50 and p99 over the floor's), and Engine.decide with each embedded store (p50
// and p99 of decisions timed one per event-loop turn, over the floor's p50). Exits 1 when a ratio
// exceeds benchmarks/budget.json; noise only adds time to either side, so each check takes the
// best of up to three attempts and stops at the first one within budget.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stopCompiler } from "../compiler/asc.js";
import { loadPolicy } from "../runtime/loader.js";
import { PEER_CALLS } from "./calls.js";
import { BENCH } from "./lib/paths.js";
import { sampleAlternating, summariseEach } from "./lib/sample.js";
import { decideByHand } from "./peers/js.js";
import { fmtNs } from "./render.js";
import { cycling, EXAMPLE } from "./suites/bare.js";
import { ENGINE_CALLS, openEngine, timeDecisions, type StoreKind } from "./suites/engine.js";
import { PEER_POLICY } from "./suites/peers.js";

interface Budget {
  bare: { p50: number; p99: number };
  engine: Record<StoreKind, { p50: number; p99: number }>;
}

const ATTEMPTS = 3;

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
    const e = await openEngine(support, kind);
    const calls = ENGINE_CALLS.map((c) => c.call);
    await timeDecisions(e.decide, calls, 1_000);
    ok = (await within(async () => {
      const floor = sampleAlternating({ floor: floorMix }, { samples: 1_000, runs: 1 }).floor.p50;
      const d = summariseEach((await timeDecisions(e.decide, calls, 2_000)).all);
      const floorAfter = sampleAlternating({ floor: floorMix }, { samples: 1_000, runs: 1 }).floor.p50;
      const f = Math.min(floor, floorAfter);
      return [
        { name: `Engine.decide p50 (${kind})`, ratio: d.p50 / f, budget: budget.engine[kind].p50, detail: `decide ${fmtNs(d.p50)}, floor ${fmtNs(f)}` },
        { name: `Engine.decide p99 (${kind})`, ratio: d.p99 / f, budget: budget.engine[kind].p99, detail: `decide ${fmtNs(d.p99)}, floor ${fmtNs(f)}` },
      ];
    })) && ok;
    await e.close();
  }
  console.log(ok ? "latency budget: ok" : "latency budget: exceeded (see benchmarks/RESULTS.md for the expected figures)");
  return ok ? 0 : 1;
}

process.exitCode = await main();
