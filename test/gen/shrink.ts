// Shrinking of differential mismatches into small reproducers: the call
// greedily (fewer keys and items, shorter strings, rounder numbers), the
// policy by deleting statements and then simplifying expressions (a bracketed
// condition replaced by true, false or one of its operands). Every candidate
// policy must still type-check; candidates compile in one asc batch per chunk.
// Used by test/differential.test.ts and test/soak.ts on failure only.

import type { CheckedPolicy } from "../../language/checked.js";
import type { WasmPolicy } from "../../runtime/loader.js";
import { checkSource, compileEngines, decide, evaluate, lowerError, safe, type Mismatch } from "./harness.js";
import { withLines, type PolicySpec } from "./policy.js";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Simpler versions of a value: fewer keys and items, shorter strings, rounder numbers. */
function variants(v: unknown): unknown[] {
  if (Array.isArray(v)) return [...v.map((_, i) => v.filter((_, j) => j !== i)), ...v.flatMap((x, i) => variants(x).map((y) => v.map((z, j) => (j === i ? y : z))))];
  if (isObj(v)) {
    const keys = Object.keys(v);
    const without = (k: string) => Object.fromEntries(Object.entries(v).filter(([x]) => x !== k));
    return [...keys.map(without), ...keys.flatMap((k) => variants(v[k]).map((y) => Object.fromEntries(Object.entries(v).map(([x, z]) => [x, x === k ? y : z]))))];
  }
  if (typeof v === "string") return [...new Set(["", v.slice(0, v.length >> 1), v.slice(1), "a"])].filter((s) => s !== v && s.length <= v.length);
  if (typeof v === "number") return [0, 1, Math.trunc(v)].filter((x) => !Object.is(x, v) && Number.isFinite(x));
  if (v === true) return [false];
  return [];
}

/** Greedy: takes the first simpler call that still fails, until none does (or the budget runs out). */
export function shrinkCall(call: unknown, fails: (c: unknown) => boolean, budget = 3000): unknown {
  let cur = call;
  let progress = true;
  while (progress && budget > 0) {
    progress = false;
    for (const c of variants(cur)) {
      if (--budget <= 0) break;
      if (fails(c)) {
        cur = c;
        progress = true;
        break;
      }
    }
  }
  return cur;
}

/** Bracketed groups of a statement, outside string and regex literals: [start, end) of `( ... )`. */
function groups(line: string): [number, number][] {
  const out: [number, number][] = [];
  const open: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === "\\") i++;
    } else if (c === "/" && line.slice(Math.max(0, i - 3), i) === "=~ ") {
      for (i++; i < line.length && line[i] !== "/"; i++) if (line[i] === "\\") i++;
    } else if (c === "(") open.push(i);
    else if (c === ")" && open.length) out.push([open.pop()!, i + 1]);
  }
  return out;
}

/** The operands of a top-level `and`/`or` chain in `inner` (the text between a group's brackets). */
function operands(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '"') for (i++; i < inner.length && inner[i] !== '"'; i++) { if (inner[i] === "\\") i++; }
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (depth === 0 && (inner.startsWith(" and ", i) || inner.startsWith(" or ", i))) {
      out.push(inner.slice(from, i));
      i += inner.startsWith(" and ", i) ? 4 : 3;
      from = i + 1;
    }
  }
  return out.length ? [...out, inner.slice(from)] : [];
}

/** One-step simplifications of a statement: no reason, no approvers, no label, no condition, smaller conditions. */
function simpler(line: string): string[] {
  const out = new Set<string>([
    line.replace(/ because "(?:[^"\\]|\\.)*"$/, ""),
    line.replace(/ by "(?:[^"\\]|\\.)*"(, "(?:[^"\\]|\\.)*")*/, ""),
    line.replace(/^\w+: /, ""),
    line.replace(/ if .*?( because "(?:[^"\\]|\\.)*")?$/, "$1"),
  ]);
  // One target fewer (generated targets contain neither spaces nor commas).
  const t = /^((?:\w+: )?(?:allow|deny|approve|limit) |default \w+ for )((?:[^ ,]+, )+[^ ,]+)/.exec(line);
  if (t) {
    const targets = t[2]!.split(", ");
    for (let i = 0; i < targets.length; i++) out.add(t[1]! + targets.filter((_, j) => j !== i).join(", ") + line.slice(t[0].length));
  }
  for (const [a, b] of groups(line)) {
    for (const r of ["true", "false", ...operands(line.slice(a + 1, b - 1))]) out.add(line.slice(0, a) + r + line.slice(b));
  }
  out.delete(line);
  return [...out];
}

/**
 * A schema line without one of its top-level fields, with the field's owner (`args` of the tool, or `ctx`) so
 * the call can lose the field too (else it would only be denied for an undeclared field).
 */
function dropFields(line: string): { line: string; owner: { tool: string } | "ctx"; field: string }[] {
  const m = /^(tool ("[^"]*"|[^ ]+)|context) \{ (.*) \}( \w+)?$/.exec(line);
  if (!m) return [];
  const owner = m[2] === undefined ? ("ctx" as const) : { tool: m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2] };
  const fields: string[] = [];
  let depth = 0;
  let from = 0;
  const body = m[3]!;
  for (let i = 0; i <= body.length; i++) {
    const c = body[i];
    if (c === "{" || c === "<") depth++;
    else if (c === "}" || c === ">") depth--;
    else if (i === body.length || (c === "," && depth === 0)) {
      fields.push(body.slice(from, i).trim());
      from = i + 1;
    }
  }
  return fields.map((fd, i) => ({
    line: `${line.slice(0, line.indexOf("{"))}{ ${fields.filter((_, j) => j !== i).join(", ")} }${m[4] ?? ""}`,
    owner,
    field: fd.slice(0, fd.indexOf(":")).replace(/\?$/, ""),
  }));
}

/** The call without `field` in the place `owner` names (unchanged if the call is about another tool). */
function dropFromCall(call: unknown, owner: { tool: string } | "ctx", field: string): unknown {
  if (!isObj(call)) return call;
  const key = owner === "ctx" ? "ctx" : "args";
  if (owner !== "ctx" && call["tool"] !== owner.tool) return call;
  const inner = call[key];
  if (!isObj(inner)) return call;
  return { ...call, [key]: Object.fromEntries(Object.entries(inner).filter(([k]) => k !== field)) };
}

type Engine = WasmPolicy | string;
interface Shrunk { spec: PolicySpec; checked: CheckedPolicy; engine: Engine; call: unknown }
interface Candidate { spec: PolicySpec; call: unknown }

/**
 * The first candidate (in order) that still fails like `was`: a lowering or
 * compile failure of the same kind, or a disagreement on `call`. Candidates are
 * compiled in chunks so a hit early in the list costs one asc run.
 */
async function firstFailing(cands: Candidate[], was: Engine, m: Mismatch): Promise<Shrunk | undefined> {
  const checkedOk = cands
    .map((c) => ({ ...c, checked: checkSource(c.spec.source).checked }))
    .filter((x): x is Candidate & { checked: CheckedPolicy } => x.checked !== undefined);
  for (let from = 0; from < checkedOk.length; from += 40) {
    const chunk = checkedOk.slice(from, from + 40);
    const lowerErrs = chunk.map((x) => lowerError(x.checked));
    let engines: (Engine | undefined)[] = lowerErrs;
    // A lowering failure reproduces without asc; anything else needs the candidates compiled.
    if (!(typeof was === "string" && was.startsWith("lowering failed"))) {
      const ok = chunk.filter((_, i) => lowerErrs[i] === undefined);
      const compiled = ok.length ? await compileEngines(ok.map((x) => x.checked), false, m.options) : [];
      let k = 0;
      engines = chunk.map((_, i) => lowerErrs[i] ?? compiled[k++]);
    }
    const hit = chunk.findIndex((x, i) => {
      const en = engines[i];
      if (typeof was === "string") return typeof en === "string" && en.slice(0, 12) === was.slice(0, 12);
      if (en === undefined || typeof en === "string") return false;
      const d = decide(x.checked, en, x.call, m.options);
      return d.interp !== d.wasm;
    });
    if (hit >= 0) return { ...chunk[hit]!, engine: engines[hit]! };
  }
  return undefined;
}

/** Shrinks a mismatch: the call, then the policy (statements, then expressions), then the call again. */
export async function shrink(m: Mismatch): Promise<Mismatch> {
  const lowered = lowerError(m.checked);
  let cur: Shrunk = { spec: m.spec, checked: m.checked, engine: lowered ?? (await compileEngines([m.checked], false, m.options))[0]!, call: m.call };
  const fails = (s: Shrunk) => (c: unknown) => {
    if (typeof s.engine === "string") return true;
    const d = decide(s.checked, s.engine, c, m.options);
    return d.interp !== d.wasm;
  };
  if (typeof cur.engine !== "string") cur.call = shrinkCall(cur.call, fails(cur));
  for (let round = 0; round < 200; round++) {
    const { spec: sp, call: c } = cur;
    const lines = sp.lines;
    const replace = (i: number, x: string) => withLines(sp, lines.map((y, j) => (j === i ? x : y)));
    const deletions = lines.map((_, i) => ({ spec: withLines(sp, lines.filter((_, j) => j !== i)), call: c }));
    const fields = lines.flatMap((l, i) => dropFields(l).map((d) => ({ spec: replace(i, d.line), call: dropFromCall(c, d.owner, d.field) })));
    const simplified = lines.flatMap((l, i) => simpler(l).map((x) => ({ spec: replace(i, x), call: c })));
    const next = (await firstFailing(deletions, cur.engine, m)) ?? (await firstFailing(fields, cur.engine, m)) ?? (await firstFailing(simplified, cur.engine, m));
    if (!next) break;
    cur = next;
  }
  if (typeof cur.engine !== "string") cur.call = shrinkCall(cur.call, fails(cur));
  const { spec, checked, engine, call } = cur;
  if (typeof engine === "string") return { spec, checked, call, interp: safe(() => evaluate(checked, call, m.options)), wasm: engine, options: m.options };
  return { spec, checked, call, ...decide(checked, engine, call, m.options), options: m.options };
}
