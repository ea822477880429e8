// Suite 3: how decision latency grows with the number of rules and tools (generated policies,
// one call to one tool) and with the size of arguments the policy does not read. Rules keyed by
// constants (`==`, `in`) are indexed by the compiler; a `range` row of rules no index can skip
// shows the linear cost that remains for those. Run by benchmarks/run.ts; policies from
// lib/generate.ts; render.ts draws latency against rule count and input size (scaling.svg).

import { PAYLOAD_POLICY, payloadCall, scaleCall, scalePolicy } from "../lib/generate.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { buildAndLoad } from "../lib/policy.js";
import { sampleRuns } from "../lib/sample.js";

export interface Cell {
  rules: number;
  tools: number;
  /** Rules whose targets include the called tool. */
  rulesOfTool: number;
  shape: "keyed" | "range";
  optimize: boolean;
  p50: number;
  p99: number;
  compileMs: number;
  wasmBytes: number;
}

export async function scaling(o: SuiteOptions) {
  const samples = o.quick ? 1_000 : 4_000;
  const runs = o.quick ? 1 : 3;
  const ruleCounts = o.quick ? [10, 1_000] : [10, 100, 1_000, 10_000];
  const toolCounts = o.quick ? [1, 100] : [1, 100, 1_000];
  const cells: Cell[] = [];
  const call = scaleCall();
  const measure = async (rules: number, tools: number, optimize: boolean, shape: Cell["shape"] = "keyed") => {
    const b = await buildAndLoad(scalePolicy(rules, tools, shape), `scale_${rules}_${tools}.pol`, optimize);
    const d = b.policy.evaluate(call);
    if (d.effect !== "allow" || d.matched.length !== 1) throw new Error(`scale_${rules}_${tools}: expected one allow match, got ${d.effect} ${d.matched.join(",")}`);
    // A 10,000-rule range policy takes about a millisecond a call: fewer samples keep the suite bounded.
    const l = sampleRuns(() => b.policy.evaluate(call), { samples: shape === "range" && rules >= 10_000 ? Math.ceil(samples / 4) : samples, runs });
    cells.push({ rules, tools, rulesOfTool: Math.ceil(rules / tools), shape, optimize, p50: l.p50, p99: l.p99, compileMs: b.compileMs, wasmBytes: b.wasm.length });
    log(`${String(rules).padStart(6)} rules ${String(tools).padStart(5)} tools ${shape.padEnd(5)} ${optimize ? "-O3" : "-O0"}  p50 ${l.p50.toFixed(0)} ns  p99 ${l.p99.toFixed(0)} ns  (compile ${(b.compileMs / 1000).toFixed(1)} s)`);
  };
  // The grid is compiled without optimisation: at -O3 one 1,000-rule tool takes minutes
  // to compile (see the compile suite), the whole grid far longer than a bench run.
  for (const rules of ruleCounts) for (const tools of toolCounts) if (tools <= rules) await measure(rules, tools, false);
  // All rules on the called tool, none of them indexable: the cost an index does not remove.
  for (const rules of ruleCounts) await measure(rules, 1, false, "range");
  // How much -O3 changes evaluation, where it compiles in seconds.
  for (const [rules, tools] of o.quick ? [[10, 1]] : [[10, 1], [100, 1], [1_000, 100]]) await measure(rules!, tools!, true);

  // Input size: the policy reads two fields of doc.put; the payload is validated, never read.
  const doc = await buildAndLoad(PAYLOAD_POLICY, "payload.pol");
  const inputs: { bytes: number; shape: string; actualBytes: number; items: number; p50: number; p99: number }[] = [];
  for (const shape of ["string", "items"] as const) {
    for (const bytes of [100, 1_000, 3_000, 10_000]) {
      const c = payloadCall(bytes, shape);
      if (doc.policy.evaluate(c).effect !== "allow") throw new Error(`payload ${shape} ${bytes}: expected allow`);
      const l = sampleRuns(() => doc.policy.evaluate(c), { samples, runs });
      inputs.push({ bytes, shape, actualBytes: JSON.stringify(c).length, items: (c["args"] as { items: unknown[] }).items.length, p50: l.p50, p99: l.p99 });
      log(`input ${String(bytes).padStart(6)} B as ${shape.padEnd(6)}  p50 ${l.p50.toFixed(0)} ns  p99 ${l.p99.toFixed(0)} ns`);
    }
  }
  return { samples, runs, call, cells, inputs };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(scaling);
