// fast-check arbitrary of tool calls for a policy's schemas: schema-valid
// calls to its declared tools (edge values, absent and null optionals), calls
// to undeclared names (many matching its glob targets), and schema-invalid
// calls (wrong type, missing or extra field, NaN, lone surrogates, bad shapes).
// Values lean on the policy's own literals so conditions flip both ways. Used
// by the differential tests (test/gen/) and `pol diff` (cli/diff.ts, via spec.ts).

import fc from "fast-check";
import type { Expr } from "../../language/ast.js";
import type { CheckedPolicy } from "../../language/checked.js";
import type { Field, TargetSpec, ToolSpec, Ty } from "./types.js";
import { anyNumber, anyString } from "./values.js";

/**
 * What calls are generated from: the tools' schemas and the context's (a generated PolicySpec is one),
 * and what the policy reads of the run: its history, its state (a number or a set of scalars, at most
 * `max`), the clock. Calls then carry `history`, `state` and `time` as a host would pass them.
 */
export interface CallSpec { tools: ToolSpec[]; context: Field[]; run?: { history: boolean; state: { name: string; type: Ty; max: number }[]; clock: boolean } }

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const ABSENT = Symbol("absent");

/** Literals of a checked policy, and strings that match its globs: values that make its conditions true. */
export interface Pools { strings: string[]; numbers: number[]; names: string[] }

function walk(e: Expr, out: { strings: Set<string>; numbers: Set<number> }): void {
  switch (e.kind) {
    case "number": out.numbers.add(e.value); out.numbers.add(-e.value); out.numbers.add(e.value + 1); out.numbers.add(e.value - 1); return;
    case "string": out.strings.add(e.value); out.strings.add(e.value.toUpperCase()); return;
    case "bool": case "path": case "has": return;
    case "list": e.items.forEach((x) => walk(x, out)); return;
    case "unary": walk(e.operand, out); return;
    case "binary": walk(e.left, out); walk(e.right, out); return;
    case "matches": walk(e.subject, out); for (const s of globSamples(e.pattern, true)) out.strings.add(s); return;
    case "regex": walk(e.subject, out); return;
    case "quant": walk(e.list, out); walk(e.body, out); return;
    case "call": e.args.forEach((x) => walk(x, out)); return;
  }
}

/** Strings a glob matches (and near misses): `*` as nothing or a run, `?` as one character, escapes resolved. */
function globSamples(pattern: string, question: boolean): string[] {
  const render = (star: string, q: string) => {
    let out = "";
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === "\\" && question && i + 1 < pattern.length) out += pattern[++i];
      else if (c === "*") out += star;
      else if (c === "?" && question) out += q;
      else out += c;
    }
    return out;
  };
  return [render("", "a"), render("x.y", "😀"), render("é", "."), pattern];
}

/** The pools for a policy: literals of its checked source (when there is one), names from its targets, and `extra` values (seen in traffic, say). */
export function poolsOf(checked: CheckedPolicy | readonly CheckedPolicy[] | undefined, spec: { tools: { name: string }[]; targets: readonly TargetSpec[] }, extra: { strings?: Iterable<string>; numbers?: Iterable<number> } = {}): Pools {
  const out = { strings: new Set<string>(extra.strings), numbers: new Set<number>(extra.numbers) };
  for (const c of checked === undefined ? [] : Array.isArray(checked) ? checked : [checked as CheckedPolicy]) {
    for (const r of c.rules) if (r.decl.condition) walk(r.decl.condition, out);
    for (const l of c.limits) if (l.decl.measure.kind === "sum") walk(l.decl.measure.expr, out);
    for (const d of c.lets.values()) walk(d.value, out);
  }
  const names = new Set<string>(["db.drop", "db", "db.a.b", "db.", ".", "x", "mcp:", "shell.exec", "files.write", "a\\b", "a\\*", "a*", "délete:x"]);
  for (const t of spec.targets) for (const n of t.glob ? globSamples(t.text, !t.quoted) : [t.text]) if (n) names.add(n);
  for (const t of spec.tools) names.delete(t.name);
  return { strings: [...out.strings], numbers: [...out.numbers].filter(Number.isFinite), names: [...names] };
}

export class CallGen {
  private readonly str: fc.Arbitrary<string>;
  private readonly num: fc.Arbitrary<number>;

  constructor(private readonly spec: CallSpec, private readonly pools: Pools) {
    const ps = pools.strings.length ? pools.strings : [""];
    const pn = pools.numbers.length ? pools.numbers : [0];
    this.str = fc.oneof({ weight: 3, arbitrary: pick(ps) }, { weight: 2, arbitrary: anyString });
    this.num = fc.oneof({ weight: 3, arbitrary: pick(pn) }, { weight: 2, arbitrary: anyNumber });
  }

  value(t: Ty): fc.Arbitrary<unknown> {
    switch (t.k) {
      case "number": return this.num;
      case "string": return t.values ? fc.oneof({ weight: 9, arbitrary: pick(t.values) }, { weight: 1, arbitrary: this.str }) : this.str;
      case "bool": return fc.boolean();
      case "list": return fc.array(this.value(t.elem), { maxLength: 4 });
      case "record": {
        const r = this.record(t.fields);
        // An open record takes fields it does not declare (never read, never refused).
        return t.open ? fc.tuple(r, fc.dictionary(pick(["extra", "kind", "zz"]), fc.oneof(this.str, this.num, fc.constant<unknown>(null)), { maxKeys: 2 })).map(([a, b]) => ({ ...b, ...a })) : r;
      }
    }
  }

  /** `history`, `state` and `time` for a policy that reads the run: mostly valid, sometimes not. */
  private runInputs(): fc.Arbitrary<Record<string, unknown>> {
    const run = this.spec.run;
    if (!run) return fc.constant({});
    const names = [...this.spec.tools.map((t) => t.name), ...this.pools.names.slice(0, 6)];
    const entry = pick(names).chain((tool) => {
      const t = this.spec.tools.find((x) => x.name === tool);
      const args = t ? this.record(t.fields) : fc.dictionary(pick(["url", "to", "x"]), fc.oneof(this.str, this.num), { maxKeys: 2 });
      return args.map((a) => ({ tool, args: a }));
    });
    const history = fc.oneof({ weight: 8, arbitrary: fc.array(entry, { maxLength: 5 }) }, { weight: 1, arbitrary: fc.constant<unknown>(undefined) }, { weight: 1, arbitrary: pick<unknown>([[{ tool: "" }], [{ tool: 1 }], "x", [{ tool: "t", args: [] }]]) });
    const stateValue = (s: { type: Ty; max: number }): fc.Arbitrary<unknown> =>
      s.type.k === "list" ? fc.uniqueArray(this.value(s.type.elem), { maxLength: s.max + 1, selector: (v) => JSON.stringify(v) }) : fc.oneof({ weight: 5, arbitrary: this.num as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: this.str });
    const state = fc.tuple(...run.state.map((s) => fc.option(stateValue(s), { nil: undefined, freq: 6 }).map((v) => [s.name, v] as const)))
      .map((kvs) => Object.fromEntries(kvs.filter(([, v]) => v !== undefined)));
    const time = fc.oneof({ weight: 6, arbitrary: pick<unknown>([Date.UTC(2024, 4, 15, 10), Date.UTC(2025, 0, 1), 0, 1.5e12 + 0.5]) }, { weight: 3, arbitrary: pick<unknown>(["2024-05-15T10:00:00Z", "2024-05-15", "2024-12-31 23:59:59.5-01:00"]) }, { weight: 1, arbitrary: pick<unknown>([undefined, "soon", NaN, null]) });
    return fc.tuple(run.history ? history : fc.constant(undefined), run.state.length ? state : fc.constant(undefined), run.clock ? time : fc.constant(undefined))
      .map(([h, st, tm]) => Object.fromEntries(Object.entries({ history: h, state: st, time: tm }).filter(([, v]) => v !== undefined)));
  }

  /** A record of `fields`: optionals absent, null or present. */
  record(fields: Field[]): fc.Arbitrary<Record<string, unknown>> {
    const parts = fields.map((x) =>
      (x.optional ? fc.oneof({ weight: 2, arbitrary: fc.constant<unknown>(ABSENT) }, { weight: 1, arbitrary: fc.constant<unknown>(null) }, { weight: 5, arbitrary: this.value(x.type) }) : this.value(x.type)).map((v) => [x.name, v] as const),
    );
    return fc.tuple(...parts).map((kvs) => Object.fromEntries(kvs.filter(([, v]) => v !== ABSENT)));
  }

  /** agent, env, run, ctx: each sometimes omitted, values from the pools and edge cases. */
  private rest(): fc.Arbitrary<Record<string, unknown>> {
    const roles = fc.array(fc.oneof(this.str, pick(["admin", "support", "finance"])), { maxLength: 3 });
    const agent = fc.record({ id: this.str, roles, trust: fc.oneof(this.num, pick([0, 49, 50, 51, 90, -0])) }, { requiredKeys: [] });
    const run = fc.record({ id: this.str, calls: this.num }, { requiredKeys: [] });
    const ctx = fc.tuple(this.record(this.spec.context), fc.option(fc.dictionary(pick(["extra", "zz"]), anyString, { maxKeys: 1 }), { nil: undefined }))
      .map(([c, extra]) => ({ ...(extra ?? {}), ...c }));
    const sometimes = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 5 });
    // ctx is omitted only rarely when it has required fields (the call is then denied for the missing field).
    const required = this.spec.context.some((x) => !x.optional);
    const ctxMaybe = fc.oneof({ weight: required ? 30 : 3, arbitrary: ctx }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant({}) });
    return fc
      .tuple(sometimes(agent), sometimes(fc.oneof(this.str, pick(["production", "staging", ""]))), sometimes(run), ctxMaybe, this.runInputs())
      .map(([a, e, r, c, more]) => ({ ...Object.fromEntries(Object.entries({ agent: a, env: e, run: r, ctx: c }).filter(([, v]) => v !== undefined)), ...more }));
  }

  private declared(): fc.Arbitrary<Record<string, unknown>> {
    return pick(this.spec.tools).chain((t: ToolSpec) => fc.tuple(this.record(t.fields), this.rest()).map(([args, rest]) => ({ tool: t.name, args, ...rest })));
  }

  private undeclared(): fc.Arbitrary<Record<string, unknown>> {
    const args = fc.oneof(fc.constant<unknown>(undefined), fc.dictionary(pick(["amount", "to", "x", "meta"]), fc.oneof(this.num, this.str, fc.constant<unknown>(null)), { maxKeys: 3 }));
    return fc.tuple(pick(this.pools.names), args, this.rest()).map(([tool, a, rest]) => (a === undefined ? { tool, ...rest } : { tool, args: a, ...rest }));
  }

  /** A valid call broken in one place; both engines must deny it for the same reason. */
  private invalid(): fc.Arbitrary<unknown> {
    return fc.tuple(this.declared(), fc.nat(), pick(MUTATIONS)).map(([call, n, m]) => mutate(call, n, m));
  }

  /** A valid call with one value made huge: far past the module's 64 KiB scratch, so memory grows mid-call. */
  private huge(): fc.Arbitrary<unknown> {
    return fc.tuple(this.declared(), fc.nat()).map(([call, n]) => {
      const c = structuredClone(call);
      const all = slots(c).filter((x) => {
        const v = (x.parent as Record<string | number, unknown>)[x.key];
        return typeof v === "string" || (Array.isArray(v) && v.length > 0);
      });
      const at = all[n % Math.max(1, all.length)];
      if (!at) return { ...c, env: "é😀".repeat(40_000) };
      const p = at.parent as Record<string | number, unknown>;
      const v = p[at.key];
      p[at.key] = typeof v === "string" ? [`${"x".repeat(69_990)}@acme.com`, "a".repeat(70_000), "é😀".repeat(40_000)][n % 3] : Array.from({ length: 3000 }, (_, i) => (v as unknown[])[i % (v as unknown[]).length]);
      return c;
    });
  }

  call(): fc.Arbitrary<unknown> {
    return fc.oneof({ weight: 1200, arbitrary: this.declared() }, { weight: 400, arbitrary: this.undeclared() }, { weight: 300, arbitrary: this.invalid() }, { weight: 3, arbitrary: this.huge() });
  }
}

const MUTATIONS = ["wrong-type", "nan", "infinity", "surrogate", "missing", "extra", "null-required", "shape", "inherited"] as const;
type Mutation = (typeof MUTATIONS)[number];

/** Every (parent, key) inside `args` and `ctx`, depth first. */
function slots(call: Record<string, unknown>): { parent: Record<string, unknown> | unknown[]; key: string | number }[] {
  const out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); visit(x); });
    else if (typeof v === "object" && v !== null) for (const k of Object.keys(v)) { out.push({ parent: v as Record<string, unknown>, key: k }); visit((v as Record<string, unknown>)[k]); }
  };
  visit(call["args"]);
  visit(call["ctx"]);
  return out;
}

const WRONG: unknown[] = ["1", 1, true, null, [], {}, [1], { a: 1 }];

function mutate(src: Record<string, unknown>, n: number, m: Mutation): unknown {
  const call = structuredClone(src);
  const all = slots(call);
  const at = all.length ? all[n % all.length]! : undefined;
  const set = (v: unknown) => { if (at) (at.parent as Record<string | number, unknown>)[at.key] = v; };
  switch (m) {
    case "wrong-type": {
      const cur = at ? (at.parent as Record<string | number, unknown>)[at.key] : undefined;
      set(WRONG.filter((x) => typeof x !== typeof cur || Array.isArray(x) !== Array.isArray(cur))[n % 5]);
      return at ? call : { ...call, args: 7 };
    }
    case "nan": set([NaN, Infinity, -Infinity][n % 3]); return at ? call : { ...call, agent: { trust: NaN } };
    case "infinity": return n % 2 ? { ...call, run: { calls: Infinity } } : { ...call, agent: { trust: -Infinity } };
    case "surrogate": {
      const bad = ["\ud800", "a\udc00", "\udbff\ud800", "😀".slice(0, 1)][n % 4]!;
      const where = n % 5;
      if (where === 0 && at) { set(bad); return call; }
      if (where === 1) return { ...call, tool: `${call["tool"]}${bad}` };
      if (where === 2) return { ...call, env: bad };
      if (where === 3) return { ...call, agent: { id: bad, roles: ["a", bad] } };
      return { ...call, run: { id: bad } };
    }
    case "missing": {
      const keyed = all.filter((s) => !Array.isArray(s.parent));
      const k = keyed[n % Math.max(1, keyed.length)];
      if (k) delete (k.parent as Record<string, unknown>)[k.key as string];
      else delete call["tool"];
      return call;
    }
    case "extra": {
      const objs = [call["args"], ...all.map((s) => (s.parent as Record<string | number, unknown>)[s.key])].filter((v) => typeof v === "object" && v !== null && !Array.isArray(v)) as Record<string, unknown>[];
      const o = objs[n % Math.max(1, objs.length)];
      if (o) o[["zz_extra", "__extra", "constructor", "toString"][n % 4]!] = 1;
      return call;
    }
    case "null-required": set(null); return call;
    case "inherited": {
      // Only own properties are input: values on a prototype must be ignored alike (the call may stay valid).
      const inherit = <T extends object>(proto: object, own: T): T => Object.assign(Object.create(proto) as T, own);
      const { agent, env, ...rest } = call;
      if (n % 3 === 0) return inherit({ agent: { id: "root", roles: ["admin"], trust: 100 }, env: "production" }, rest);
      if (n % 3 === 1) return { ...call, agent: inherit({ trust: 100, roles: ["admin"] }, { id: "a", ...(agent as object | undefined) }), env };
      const args = (call["args"] ?? {}) as Record<string, unknown>;
      const k = Object.keys(args)[n % Math.max(1, Object.keys(args).length)];
      if (k === undefined) return inherit({ args: { amount: 1 } }, call);
      const { [k]: moved, ...others } = args;
      return { ...call, args: inherit({ [k]: moved }, others) };
    }
    case "shape": {
      const shapes: unknown[] = [
        { ...call, args: [] }, { ...call, args: "x" }, { ...call, agent: [] }, { ...call, agent: 5 }, { ...call, run: "r" }, { ...call, ctx: [] }, { ...call, ctx: 1 },
        { ...call, tool: "" }, { ...call, tool: 5 }, { ...call, agent: { roles: "admin" } }, { ...call, agent: { roles: [1] } }, { ...call, agent: { trust: "9" } },
        { ...call, run: { calls: "3" } }, { ...call, env: 1 }, { ...call, env: null }, null, [], "call", 5, { args: {} },
      ];
      return shapes[n % shapes.length];
    }
  }
}
