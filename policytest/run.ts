// Running suites: compiles each suite's policy once, checks every case
// against the policy (unknown tools, schema breaks, unknown rule and limit
// names are suite errors), runs the cases through a backend (the compiled
// wasm behind the runtime Engine) and collects per-rule coverage.

import type { Target } from "../language/ast.js";
import type { Decision } from "../language/call.js";
import type { PolicyMeta } from "../language/meta.js";
import { closest } from "../language/suggest.js";
import { anyTargetMatches } from "../language/targets.js";
import { validateCall } from "../language/validate.js";
import { compileErrors, compileFile } from "../compiler/compile-file.js";
import type { Expect, StateSpec, Suite, SuiteError, TestCase } from "./suite.js";

/** One case's runtime: a fresh engine with the case's state applied. */
export interface CaseRuntime {
  decide(call: Record<string, unknown>): Promise<{ decision: Decision; audit?: unknown }>;
  close(): Promise<void>;
}

/** Creates runtimes for a compiled policy. */
export interface Backend {
  prepare(wasm: Uint8Array): Promise<{ meta: PolicyMeta; open(state: StateSpec): Promise<CaseRuntime> }>;
}

export interface CaseResult {
  case: TestCase;
  ok: boolean;
  decision?: Decision;
  /** Why the case failed, one line each. */
  problems: string[];
  ms: number;
}

export interface RuleCoverage { id: string; file: string; line: number; col: number; matched: boolean; decided: boolean }

export interface SuiteResult {
  suite: Suite;
  policyFile: string;
  /** Compile or suite errors (exit code 2). */
  errors: SuiteError[];
  /** Rendered policy diagnostics, when the policy does not compile. */
  policyErrors?: string;
  results: CaseResult[];
  coverage: RuleCoverage[];
}

const key = (v: unknown) => JSON.stringify(v);

function checkExpectation(e: Expect, d: Decision, audit: unknown): string[] {
  const out: string[] = [];
  if (d.effect !== e.effect) out.push(`expected ${e.effect}, got ${d.effect}`);
  if (e.rule !== undefined && !d.rules.some((r) => r.id === e.rule)) out.push(`expected rule \`${e.rule}\` to decide, decided by ${d.rules.map((r) => `\`${r.id}\``).join(", ") || "nothing"}`);
  if (e.approvers !== undefined && key([...d.approvers].sort()) !== key([...e.approvers].sort())) out.push(`expected approvers ${key(e.approvers)}, got ${key(d.approvers)}`);
  if (e.reason !== undefined && !d.reasons.some((r) => r.includes(e.reason!))) out.push(`expected a reason containing ${key(e.reason)}, got ${key(d.reasons)}`);
  for (const path of e.redacted ?? []) {
    let cur: unknown = audit;
    for (const f of path.split(".")) cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[f] : undefined;
    if (cur !== "[redacted]") out.push(`expected \`${path}\` to be redacted in the audit record, found ${key(cur)}`);
  }
  return out;
}

/** Suite errors that need the policy: unknown tools, calls that break the schema, unknown rules and limits. */
function checkAgainstPolicy(c: TestCase, meta: PolicyMeta): SuiteError[] {
  const errs: string[] = [];
  const targets: Target[][] = [...meta.rules.map((r) => r.targets), ...meta.limits.map((l) => l.targets), ...meta.defaultsFor.map((d) => d.targets!)] as Target[][];
  for (const call of [...c.before, c.call]) {
    const tool = call["tool"];
    if (typeof tool !== "string") {
      errs.push("the call has no `tool`");
      continue;
    }
    if (!c.allowUnknownTool && !meta.tools.has(tool) && !targets.some((t) => anyTargetMatches(t, tool, meta.tools.get(tool)?.toolClass))) {
      const near = closest(tool, meta.tools.keys());
      errs.push(`the policy neither declares nor targets tool \`${tool}\`${near ? `; did you mean \`${near}\`?` : "; set `allow_unknown_tool: true` if that is the point"}`);
    }
    // The Engine passes the run's history, its state and its clock itself: a case's call need not.
    const v = validateCall(meta, { ...call, history: undefined, state: undefined, time: c.state.time ?? 0 });
    const isMain = call === c.call;
    if (!v.ok && !(isMain && c.expect.invalid)) errs.push(`the call breaks the schema: ${v.reason} (set \`invalid: true\` in \`expect\` to test that)`);
    if (v.ok && isMain && c.expect.invalid) errs.push("the case says `invalid: true` but the call fits the schema");
  }
  // Defaults decide too: `default` (the policy's) and `default for TARGETS`.
  const ids = [...meta.rules.map((r) => r.id), "default", ...meta.defaultsFor.map((d) => `default for ${d.targets!.map((t) => t.text).join(", ")}`)];
  if (c.expect.rule !== undefined && !ids.includes(c.expect.rule)) {
    const near = closest(c.expect.rule, ids);
    errs.push(`no rule \`${c.expect.rule}\` in the policy${near ? `; did you mean \`${near}\`?` : ""}`);
  }
  for (const l of c.state.limits) {
    if (!meta.limits.some((m) => m.id === l.limit)) errs.push(`no limit \`${l.limit}\` in the policy${closest(l.limit, meta.limits.map((m) => m.id)) ? `; did you mean \`${closest(l.limit, meta.limits.map((m) => m.id))}\`?` : ""}`);
  }
  for (const [name, v] of Object.entries(c.state.run ?? {})) {
    const decl = meta.state.find((x) => x.name === name);
    if (!decl) errs.push(`no run state \`${name}\` in the policy${closest(name, meta.state.map((x) => x.name)) ? `; did you mean \`${closest(name, meta.state.map((x) => x.name))}\`?` : ""}`);
    else if ((decl.type.kind === "list") !== Array.isArray(v)) errs.push(`run state \`${name}\` is ${decl.type.kind === "list" ? "a list" : "a number"} in the policy`);
  }
  return errs.map((message) => ({ ...c.where, message }));
}

async function runCase(c: TestCase, open: (s: StateSpec) => Promise<CaseRuntime>): Promise<CaseResult> {
  const t0 = performance.now();
  let rt: CaseRuntime | undefined;
  try {
    rt = await open(c.state);
    for (const b of c.before) await rt.decide(b);
    const { decision, audit } = await rt.decide(c.call);
    const problems = checkExpectation(c.expect, decision, audit);
    return { case: c, ok: problems.length === 0, decision, problems, ms: performance.now() - t0 };
  } catch (e) {
    return { case: c, ok: false, problems: [`the runtime failed: ${(e as Error).message}`], ms: performance.now() - t0 };
  } finally {
    await rt?.close();
  }
}

const compiled = new Map<string, Promise<{ wasm?: Uint8Array; errors?: string }>>();
function compileOnce(file: string): Promise<{ wasm?: Uint8Array; errors?: string }> {
  let p = compiled.get(file);
  if (!p) {
    p = (async () => {
      const c = await compileFile(file);
      return c.wasm ? { wasm: c.wasm } : { errors: compileErrors(c) };
    })();
    compiled.set(file, p);
  }
  return p;
}

/** Runs one suite; `filter` keeps cases whose name contains it (or matches it as a /regex/). */
export async function runSuite(suite: Suite, backend: Backend, filter?: (name: string) => boolean): Promise<SuiteResult> {
  if (suite.errors.length) return runSuiteOn(suite, new Uint8Array(), backend, filter);
  const c = await compileOnce(suite.policyFile);
  if (!c.wasm) return { suite, policyFile: suite.policyFile, results: [], coverage: [], errors: [{ file: suite.policyFile, line: 1, col: 1, message: "the policy does not compile" }], policyErrors: c.errors ?? "" };
  return runSuiteOn(suite, c.wasm, backend, filter);
}

/** Runs one suite against a compiled module (a bundle's, whose sources are not compiled again). */
export async function runSuiteOn(suite: Suite, wasm: Uint8Array, backend: Backend, filter?: (name: string) => boolean): Promise<SuiteResult> {
  const base = { suite, policyFile: suite.policyFile, results: [] as CaseResult[], coverage: [] as RuleCoverage[] };
  if (suite.errors.length) return { ...base, errors: suite.errors };
  const prepared = await backend.prepare(wasm);
  const errors = suite.cases.flatMap((x) => checkAgainstPolicy(x, prepared.meta));
  if (errors.length) return { ...base, errors };
  const results: CaseResult[] = [];
  for (const x of suite.cases) if (!filter || filter(x.name)) results.push(await runCase(x, (s) => prepared.open(s)));
  const coverage = prepared.meta.rules.map((r) => ({
    id: r.id,
    file: r.span.file,
    line: r.span.line,
    col: r.span.col,
    matched: results.some((x) => x.decision?.matched.includes(r.id)),
    decided: results.some((x) => x.decision?.rules.some((d) => d.kind === "rule" && d.id === r.id)),
  }));
  return { ...base, errors: [], results, coverage };
}

