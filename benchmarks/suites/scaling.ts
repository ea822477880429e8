// Suite 3: how decision latency grows with the number of rules and tools
// (generated policies, one call to one tool) and with the size of arguments the
// policy does not read. Run by benchmarks/run.ts; policies from lib/generate.ts.

import { PAYLOAD_POLICY, payloadCall, scaleCall, scalePolicy } from "../lib/generate.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { buildAndLoad } from "../lib/policy.js";
import { sampleRuns } from "../lib/sample.js";

export interface Cell {
  rules: number;
  tools: number;
  /** Rules whose targets include the called tool: what pol actually evaluates. */
  rulesOfTool: number;
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
  const measure = async (rules: number, tools: number, optimize: boolean) => {
    const b = await buildAndLoad(scalePolicy(rules, tools), `scale_${rules}_${tools}.pol`, optimize);
    const d = b.policy.evaluate(call);
    if (d.effect !== "allow" || d.matched.length !== 1) throw new Error(`scale_${rules}_${tools}: expected one allow match, got ${d.effect} ${d.matched.join(",")}`);
    const l = sampleRuns(() => b.policy.evaluate(call), { samples, runs });
    const cell: Cell = { rules, tools, rulesOfTool: Math.ceil(rules / tools), optimize, p50: l.p50, p99: l.p99, compileMs: b.compileMs, wasmBytes: b.wasm.length };
    cells.push(cell);
    log(`${String(rules).padStart(6)} rules ${String(tools).padStart(5)} tools ${optimize ? "-O3" : "-O0"}  p50 ${l.p50.toFixed(0)} ns  p99 ${l.p99.toFixed(0)} ns  (compile ${(b.compileMs / 1000).toFixed(1)} s)`);
  };
  // The grid is compiled without optimisation: at -O3 one 1,000-rule tool takes minutes
  // to compile (see the compile suite), the whole grid far longer than a bench run.
  for (const rules of ruleCounts) for (const tools of toolCounts) if (tools <= rules) await measure(rules, tools, false);
  // How much -O3 changes evaluation, where it compiles in seconds.
  for (const [rules, tools] of o.quick ? [[10, 1]] : [[10, 1], [100, 1], [1_000, 100]]) await measure(rules!, tools!, true);

  // Input size: the policy reads two fields of doc.put; the payload is validated, never read.
  const doc = await buildAndLoad(PAYLOAD_POLICY, "payload.pol");
  const inputs: { bytes: number; shape: string; actualBytes: number; p50: number; p99: number }[] = [];
  for (const shape of ["string", "items"] as const) {
    for (const bytes of [100, 1_000, 10_000]) {
      const c = payloadCall(bytes, shape);
      if (doc.policy.evaluate(c).effect !== "allow") throw new Error(`payload ${shape} ${bytes}: expected allow`);
      const l = sampleRuns(() => doc.policy.evaluate(c), { samples, runs });
      inputs.push({ bytes, shape, actualBytes: JSON.stringify(c).length, p50: l.p50, p99: l.p99 });
      log(`input ${String(bytes).padStart(6)} B as ${shape.padEnd(6)}  p50 ${l.p50.toFixed(0)} ns  p99 ${l.p99.toFixed(0)} ns`);
    }
  }
  return { samples, runs, call, cells, inputs };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(scaling);
