// Suite 1: the bare evaluator (WasmPolicy.evaluate: validation + marshalling +
// wasm + decision assembly) on examples/support_agent, per call and mixed, with
// a cost breakdown and the reference interpreter for scale. Run by benchmarks/run.ts.

import type { WasmPolicy } from "../../runtime/loader.js";
import { loadPolicy } from "../../runtime/loader.js";
import { loadFile } from "../../language/load.js";
import { evaluate } from "../../language/interpret.js";
import { SUPPORT_CALLS, type BenchCall } from "../calls.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { sample, sampleRuns, throughput, type Latency } from "../lib/sample.js";

export const EXAMPLE = "examples/support_agent/support_agent.pol";

/** A function that cycles through `calls`, one per invocation (the "mix"). */
export function cycling(calls: BenchCall[], decide: (call: Record<string, unknown>) => unknown): () => unknown {
  const cs = calls.map((c) => c.call);
  let i = 0;
  return () => {
    const r = decide(cs[i]!);
    if (++i === cs.length) i = 0;
    return r;
  };
}

/**
 * Where the time of one evaluate() goes: the generated codec (validation and
 * writing slots), pol_decide alone, and the remainder (reading the matched
 * rules and assembling the Decision). Reads WasmPolicy's private fields, so it
 * degrades to undefined if their shape changes.
 */
function breakdown(p: WasmPolicy, c: BenchCall, samples: number): { codec: number; decide: number; rest: number } | undefined {
  const x = p as unknown as { tools: Map<string, { id: number; codec: (call: unknown, w: unknown) => boolean }>; other: { id: number; codec: (call: unknown, w: unknown) => boolean }; writer: { reset(): void; used: number }; ex: { pol_decide(t: number, u: number): number } };
  if (!x.tools || !x.writer || !x.ex) return undefined;
  const t = x.tools.get(c.call["tool"] as string) ?? x.other;
  const w = x.writer;
  const full = sample(() => p.evaluate(c.call), { samples }).p50;
  const codec = sample(() => { w.reset(); return t.codec(c.call, w); }, { samples }).p50;
  w.reset();
  t.codec(c.call, w);
  const used = w.used;
  const decide = sample(() => x.ex.pol_decide(t.id, used), { samples }).p50;
  return { codec, decide, rest: full - codec - decide };
}

export async function bare(o: SuiteOptions) {
  const samples = o.quick ? 2_000 : 10_000;
  const runs = o.quick ? 1 : 3;
  const p = await loadPolicy(EXAMPLE);
  const l = loadFile(EXAMPLE);
  // The figures mean nothing unless the compiled policy decides like the interpreter.
  for (const c of SUPPORT_CALLS) {
    const a = p.evaluate(c.call).effect;
    const b = evaluate(l.checked!, c.call).effect;
    if (a !== b) throw new Error(`wasm and interpreter disagree on ${c.name}: ${a} vs ${b}`);
  }
  const calls: { name: string; effect: string; latency: Latency; breakdown?: ReturnType<typeof breakdown>; interpreterP50: number }[] = [];
  for (const c of SUPPORT_CALLS) {
    const latency = sampleRuns(() => p.evaluate(c.call), { samples, runs });
    const interpreterP50 = sample(() => evaluate(l.checked!, c.call), { samples: Math.ceil(samples / 10) }).p50;
    calls.push({ name: c.name, effect: p.evaluate(c.call).effect, latency, breakdown: breakdown(p, c, Math.ceil(samples / 4)), interpreterP50 });
    log(`${c.name.padEnd(30)} p50 ${latency.p50.toFixed(0)} ns  p99 ${latency.p99.toFixed(0)} ns`);
  }
  const mix = sampleRuns(cycling(SUPPORT_CALLS, (c) => p.evaluate(c)), { samples, runs });
  log(`${"mix".padEnd(30)} p50 ${mix.p50.toFixed(0)} ns  p99 ${mix.p99.toFixed(0)} ns  p99.9 ${mix.p999.toFixed(0)} ns`);
  const cases: [string, () => unknown][] = [["mix", cycling(SUPPORT_CALLS, (c) => p.evaluate(c))]];
  if (!o.quick) cases.push(...SUPPORT_CALLS.map((c): [string, () => unknown] => [c.name, () => p.evaluate(c.call)]));
  const tp = await throughput("bare evaluator", cases, o.quick ? 0.25 : 1);
  return { policy: EXAMPLE, policyHash: p.hash, samples, runs, calls, mix, throughput: tp };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(bare);
