// Generated calls for comparing two versions of a policy (`pol diff`): the tools both declare,
// with each version's schema, fed to the differential tests' call generator (calls.ts). Values
// lean on both versions' literals when their sources are known (bundles, .pol files), on their
// target names, and on values seen in the replayed traffic, so a changed threshold shows even
// when no recorded call sits on it.

import fc from "fast-check";
import type { CheckedPolicy } from "../../language/checked.js";
import type { PolicyMeta } from "../../language/meta.js";
import type { FieldType, Type } from "../../language/types.js";
import { CallGen, poolsOf } from "./calls.js";
import type { Field, TargetSpec, ToolSpec, Ty } from "./types.js";

/** One side of the comparison: its metadata (from the module's manifest) and, when known, its checked source. */
export interface Side { meta: PolicyMeta; checked?: CheckedPolicy }

function tyOf(t: Type): Ty {
  switch (t.kind) {
    case "number": case "bool": return { k: t.kind };
    case "string": return t.values ? { k: "string", values: [...t.values] } : { k: "string" };
    case "list": return { k: "list", elem: tyOf(t.elem) };
    case "record": return { k: "record", fields: t.fields.map(fieldOf), ...(t.open ? { open: true } : {}) };
    // Never in a declared schema (the checker refuses them there); a string is the harmless stand-in.
    case "never": case "error": case "map": return { k: "string" };
  }
}
const fieldOf = (f: FieldType): Field => ({ name: f.name, type: tyOf(f.type), optional: f.optional });

/** Every target either policy names (rules, limits, defaults): undeclared tool names the generator tries. */
function targetsOf(m: PolicyMeta): TargetSpec[] {
  return [...m.rules.flatMap((r) => r.targets), ...m.limits.flatMap((l) => l.targets), ...m.defaultsFor.flatMap((d) => d.targets ?? [])];
}

/** The declared tools both policies share, sorted. */
export function sharedTools(a: PolicyMeta, b: PolicyMeta): string[] {
  return [...a.tools.keys()].filter((t) => b.tools.has(t)).sort();
}

/** The tools either policy declares, the ones generated calls go to. */
export function eitherTools(a: PolicyMeta, b: PolicyMeta): string[] {
  return [...new Set([...a.tools.keys(), ...b.tools.keys()])].sort();
}

/**
 * `count` calls over the tools either policy declares, each side's half with its own schemas (so a
 * changed schema shows, and so does a tool one side no longer declares: the other decides it as
 * undeclared), reproducible from `seed`; none when neither declares a tool.
 */
export function generatedCalls(a: Side, b: Side, opts: { count: number; seed: number; strings?: Iterable<string>; numbers?: Iterable<number> }): unknown[] {
  const sides = [a, b].filter((s) => s.meta.tools.size > 0);
  if (sides.length === 0 || opts.count <= 0) return [];
  const targets = [...targetsOf(a.meta), ...targetsOf(b.meta)];
  const checked = [a.checked, b.checked].filter((c): c is CheckedPolicy => c !== undefined);
  const extra = { strings: [...(opts.strings ?? [])], numbers: [...(opts.numbers ?? [])] };
  const out: unknown[] = [];
  sides.forEach((side, i) => {
    const tools: ToolSpec[] = [...side.meta.tools.keys()].sort().map((name) => ({ name, quoted: false, fields: side.meta.tools.get(name)!.args.map(fieldOf) }));
    const spec = { tools, context: side.meta.context.map(fieldOf) };
    const gen = new CallGen(spec, poolsOf(checked, { tools, targets }, extra));
    const n = sides.length === 1 ? opts.count : i === 0 ? Math.ceil(opts.count / 2) : Math.floor(opts.count / 2);
    if (n > 0) out.push(...fc.sample(gen.call(), { seed: opts.seed + (side === b ? 1 : 0), numRuns: n }));
  });
  return out;
}
