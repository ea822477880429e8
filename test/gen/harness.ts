// The differential harness: generates (policy, calls) cases, compiles the
// policies in batches (one asc run each), runs every call through the
// reference interpreter and the compiled wasm, and compares whole Decisions.
// Mismatches are printed as reproducers (after shrink.ts has made them small).
// Driven by test/differential.test.ts and test/soak.ts.

import fc from "fast-check";
import { compileBatch } from "../../compiler/compile.js";
import { lower } from "../../compiler/lower.js";
import type { CheckedPolicy } from "../../language/checked.js";
import { evaluate } from "../../language/interpret.js";

export { evaluate };
import { loadText } from "../../language/load.js";
import type { ValidateOptions } from "../../language/validate.js";
import { WasmPolicy } from "../../runtime/loader.js";
import { CallGen, poolsOf } from "../../policytest/gen/calls.js";
import { FILE, policyArb, type PolicySpec } from "./policy.js";

export interface Case { spec: PolicySpec; checked: CheckedPolicy; calls: unknown[] }
export interface Rejected { spec: PolicySpec; errors: string[] }

/** One disagreement: `wasm` is the engine's decision, or why the policy did not compile. */
export interface Mismatch { spec: PolicySpec; checked: CheckedPolicy; call: unknown; interp: string; wasm: string; options: ValidateOptions }

/** Validation options runs alternate between: the defaults, and tight limits with extra arguments ignored. */
export const OPTION_SETS: ValidateOptions[] = [{}, { extraArgs: "ignore", maxString: 24, maxList: 3 }];

export const DEFAULT_SEED = 20_240_601;
export function seedFromEnv(fallback: number = DEFAULT_SEED): number {
  const s = process.env["POL_SEED"];
  return s === undefined || s === "" ? fallback : Number(s);
}

/** Checks a source; returns the checked policy, or the error messages. */
export function checkSource(source: string): { checked?: CheckedPolicy; errors: string[] } {
  const l = loadText(source, FILE, () => { throw new Error("generated policies import nothing"); });
  const errors = l.sink.items.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);
  return errors.length || !l.checked ? { errors } : { checked: l.checked, errors };
}

/** `count` policies from `seed`, each with `callsPer` calls (their own seed, so one policy's calls do not shift another's). */
export function generate(seed: number, count: number, callsPer: number, offset = 0): { cases: Case[]; rejected: Rejected[] } {
  const specs = fc.sample(policyArb, { seed: seed + offset, numRuns: count });
  const cases: Case[] = [];
  const rejected: Rejected[] = [];
  specs.forEach((spec, i) => {
    const { checked, errors } = checkSource(spec.source);
    if (!checked) return void rejected.push({ spec, errors });
    const calls = fc.sample(new CallGen(spec, poolsOf(checked, spec)).call(), { seed: seed + offset + 7919 * (i + 1), numRuns: callsPer });
    cases.push({ spec, checked, calls });
  });
  return { cases, rejected };
}

export const safe = (f: () => unknown): string => {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `threw: ${(e as Error).stack ?? e}`;
  }
};

/** Both engines' decisions for one call, as JSON (a throw is recorded as text: both must never throw). */
export function decide(checked: CheckedPolicy, engine: WasmPolicy, call: unknown, options: ValidateOptions): { interp: string; wasm: string } {
  return { interp: safe(() => evaluate(checked, call, options)), wasm: safe(() => engine.evaluate(call)) };
}

/** Lowering is synchronous and throws on internal errors: find such policies before they break a whole batch. */
export function lowerError(checked: CheckedPolicy): string | undefined {
  try {
    lower(checked);
    return undefined;
  } catch (e) {
    return `lowering failed: ${(e as Error).message}`;
  }
}

/** Compiles policies in one module; on an asc failure, halves the batch to find the policies that break it. */
export async function compileEngines(checked: CheckedPolicy[], optimize: boolean, options: ValidateOptions): Promise<(WasmPolicy | string)[]> {
  try {
    const { wasm, manifests } = await compileBatch(checked, { optimize });
    return await WasmPolicy.fromBatch(wasm, manifests, options);
  } catch (e) {
    if (checked.length === 1) return [`compile failed: ${(e as Error).message.slice(0, 1500)}`];
    const mid = checked.length >> 1;
    return [...(await compileEngines(checked.slice(0, mid), optimize, options)), ...(await compileEngines(checked.slice(mid), optimize, options))];
  }
}

export interface RunResult { pairs: number; mismatches: Mismatch[] }

/** Cases with their engines compiled (or why they did not compile). */
export interface Prepared { cases: Case[]; engines: (WasmPolicy | string)[]; options: ValidateOptions }

/** Compiles the cases' policies in one module (asc runs in a worker: callers may generate the next batch meanwhile). */
export async function prepare(cases: Case[], optimize: boolean, options: ValidateOptions = {}): Promise<Prepared> {
  const errs = cases.map((c) => lowerError(c.checked));
  const ok = cases.filter((_, i) => errs[i] === undefined);
  const compiled = ok.length ? await compileEngines(ok.map((c) => c.checked), optimize, options) : [];
  let k = 0;
  return { cases, engines: cases.map((_, i) => errs[i] ?? compiled[k++]!), options };
}

/** Runs every call through both engines. A policy that failed to compile counts as one mismatch per call. */
export function compare({ cases, engines, options }: Prepared): RunResult {
  const mismatches: Mismatch[] = [];
  let pairs = 0;
  cases.forEach((c, i) => {
    const engine = engines[i]!;
    for (const call of c.calls) {
      pairs++;
      if (typeof engine === "string") {
        mismatches.push({ spec: c.spec, checked: c.checked, call, interp: safe(() => evaluate(c.checked, call, options)), wasm: engine, options });
        continue;
      }
      const d = decide(c.checked, engine, call, options);
      if (d.interp !== d.wasm) mismatches.push({ spec: c.spec, checked: c.checked, call, ...d, options });
    }
  });
  return { pairs, mismatches };
}

export async function runCases(cases: Case[], optimize: boolean, options: ValidateOptions = {}): Promise<RunResult> {
  return compare(await prepare(cases, optimize, options));
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JavaScript literal for a call: keeps -0, NaN, Infinity, undefined and lone surrogates visible. */
export function show(v: unknown): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (isObj(v)) {
    const own = `{ ${Object.keys(v).map((k) => `${JSON.stringify(k)}: ${show(v[k])}`).join(", ")} }`;
    const proto = Object.getPrototypeOf(v) as object | null;
    return proto === Object.prototype || proto === null ? own : `Object.assign(Object.create(${show(proto)}), ${own})`;
  }
  return String(v);
}

export function report(m: Mismatch): string {
  const numbered = m.spec.lines.map((l, i) => `${String(i + 1).padStart(3)} | ${l}`).join("\n");
  return [`--- policy (${FILE})`, numbered, `--- call (options ${JSON.stringify(m.options)})`, show(m.call), "--- interpreter", m.interp, "--- wasm", m.wasm].join("\n");
}
