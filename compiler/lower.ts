// Lowering from the checked AST to the IR: resolves every path to an input
// slot (allocating the layout), inlines lets, unrolls quantifiers and `in`
// over literal lists, compiles regular expressions to DFA tables, and plans
// which rules each tool id evaluates. Fed by the checker; feeds fold/emit.

import type { Expr, HistoryExpr, PathExpr, Target } from "../language/ast.js";
import { AGENT_TYPE, RUN_TYPE } from "../language/inputs.js";
import type { CheckedPolicy } from "../language/checked.js";
import { assertNever } from "../language/span.js";
import { targetMatches } from "../language/targets.js";
import type { FieldType, Type } from "../language/types.js";
import { BUILTINS } from "../stdlib/signatures.js";
import { compileRegex, serializeDfa } from "../stdlib/regex/index.js";
import { foldIR } from "./fold.js";
import { indexRules } from "./index-rules.js";
import type { Base, IR, Program, Scalar, ToolPlan } from "./ir.js";
import { newElem, newInputLayout, slotOf, type ElemLayout, type InputLayout, type RecordSlots } from "./layout.js";
import { cases, hasKey, project, sel, type ValueLowerer } from "./lower-values.js";
import { planRun } from "./lower-run.js";

type Binding = { kind: "elem"; elem: ElemLayout; name: string } | { kind: "subst"; expr: Expr };
type Env = ReadonlyMap<string, Binding>;

const EMPTY: Env = new Map();
const scalarOf = (t: Type | undefined): Scalar => {
  if (t?.kind === "number" || t?.kind === "bool" || t?.kind === "string") return t.kind;
  throw new Error(`internal error: expected a scalar type, found ${t?.kind}`);
};
const fieldsOf = (t: Type): FieldType[] => (t.kind === "record" ? t.fields : []);

/** What a path resolves to: a value, plus the presence flags along it and, for lists, the element layout. */
interface Resolved {
  ir?: IR;
  base: Base;
  presence: number[];
  elem?: ElemLayout;
}

class Lowerer {
  readonly layout: InputLayout = newInputLayout();
  readonly tables: Uint8Array[] = [];
  private readonly regexIds = new Map<string, number>();
  /** Fields of `args` for the rule or limit being lowered. */
  private args: FieldType[] = [];
  private fresh = 0;

  constructor(private readonly policy: CheckedPolicy) {}

  lowerTop(e: Expr, tools: string[]): IR {
    this.args = tools.length ? this.policy.tools.get(tools[0]!)!.args : [];
    return foldIR(this.expr(e, EMPTY));
  }

  /** Record and map values of lets (lower-values.ts) lowered in environment `env`. */
  private values(env: Env): ValueLowerer {
    return { expr: (x) => this.expr(x, env), closed: (x) => this.expr(x, EMPTY) };
  }

  /** The lookup a let path makes, with its cases (undefined for paths without `[key]`). */
  private lookup(e: Expr, env: Env): ReturnType<typeof cases> {
    if (e.kind !== "path" || e.ref?.kind !== "let" || !e.segments.some((x) => x.index)) return undefined;
    return cases(e.ref.decl.value, e.segments, this.values(env));
  }

  /** `calls(T)`: the host-filled list slot of history query T, of `{ tool, args }` elements; `seen` and `count` read its length. */
  private history(e: HistoryExpr): { ir: IR; elem: ElemLayout } {
    const q = this.policy.queries[e.query!]!;
    const entry: Type = { kind: "record", fields: [{ name: "tool", type: { kind: "string" }, optional: false }, { name: "args", type: { kind: "record", fields: q.args }, optional: false }] };
    const slot = slotOf(this.layout.history, { name: `q${e.query}`, type: { kind: "list", elem: entry }, optional: false });
    return { ir: { k: "load", t: "list", base: { kind: "in" }, offset: slot.offset }, elem: slot.elem! };
  }

  expr(e: Expr, env: Env): IR {
    switch (e.kind) {
      case "number": return { k: "num", v: e.value };
      case "string": return { k: "str", v: e.value };
      case "bool": return { k: "bool", v: e.value };
      case "list": throw new Error("internal error: a list literal outside `in`, `len` or a quantifier");
      case "record": case "map": throw new Error("internal error: a record or map value read whole");
      case "history": {
        const list = this.history(e).ir;
        if (e.fn === "calls") return list;
        return e.fn === "count" ? { k: "listlen", list } : { k: "cmp", op: ">", t: "number", l: { k: "listlen", list }, r: { k: "num", v: 0 } };
      }
      case "path": {
        const r = this.path(e, env);
        if (!r.ir) throw new Error(`internal error: path ${e.root} has no value`);
        return r.ir;
      }
      case "unary": return e.op === "not" ? { k: "not", e: this.expr(e.operand, env) } : { k: "neg", e: this.expr(e.operand, env) };
      case "binary": return this.binary(e, env);
      case "matches": return { k: "glob", pattern: e.pattern, s: this.expr(e.subject, env) };
      case "regex": return { k: "regex", table: this.regex(e.source, e.flags), s: this.expr(e.subject, env) };
      case "has": {
        const c = this.lookup(e.path, env);
        return c ? hasKey(c) : { k: "present", base: this.path(e.path, env).base, offsets: this.path(e.path, env).presence };
      }
      case "quant": return this.quant(e, env);
      case "call": {
        if (e.fn === "len" && e.args[0]!.type?.kind === "list") {
          const c = this.lookup(e.args[0]!, env);
          if (c) return sel(c, "number", (v) => this.expr({ ...e, args: [v] }, EMPTY));
          const items = this.literalItems(e.args[0]!, env);
          return items ? { k: "num", v: items.length } : { k: "listlen", list: this.expr(e.args[0]!, env) };
        }
        const b = BUILTINS.get(e.fn)!;
        if (b.clock) return { k: "clock", unit: b.clock, offset: slotOf(this.layout.top, { name: "time", type: { kind: "number" }, optional: false }).offset };
        const t = b.result.kind === "list" ? "list" : scalarOf(b.result);
        return { k: "call", fn: e.fn, t, args: e.args.map((a) => this.expr(a, env)), ...(e.site !== undefined ? { site: e.site } : {}) };
      }
      default: return assertNever(e, "expression");
    }
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, env: Env): IR {
    const l = this.expr(e.left, env);
    switch (e.op) {
      case "and": return { k: "and", l, r: this.expr(e.right, env) };
      case "or": return { k: "or", l, r: this.expr(e.right, env) };
      case "==": case "!=": case "<": case "<=": case ">": case ">=":
        return { k: "cmp", op: e.op, t: scalarOf(e.left.type?.kind === "never" ? e.right.type : e.left.type), l, r: this.expr(e.right, env) };
      case "+": case "-": case "*": return { k: "arith", op: e.op, l, r: this.expr(e.right, env) };
      case "in": case "not in": {
        const negate = e.op === "not in";
        const t = scalarOf(e.left.type);
        const c = this.lookup(e.right, env);
        if (c) return sel(c, "bool", (v) => this.expr({ ...e, right: v }, env));
        const items = this.literalItems(e.right, env);
        if (items) return { k: "inlit", t, l, items: items.map((x) => this.expr(x, env)), negate };
        return { k: "inlist", t, l, list: this.expr(e.right, env), negate };
      }
      default: return assertNever(e.op, "operator");
    }
  }

  /** The items of a list written in the policy (directly, through lets, or through a substituted variable). */
  private literalItems(e: Expr, env: Env): Expr[] | undefined {
    if (e.kind === "list") return e.items;
    if (e.kind !== "path" || e.segments.length > 0) return undefined;
    if (e.ref?.kind === "let") return this.literalItems(e.ref.decl.value, EMPTY);
    const b = e.ref?.kind === "var" ? env.get(e.root) : undefined;
    return b?.kind === "subst" ? this.literalItems(b.expr, env) : undefined;
  }

  private quant(e: Extract<Expr, { kind: "quant" }>, env: Env): IR {
    const items = this.literalItems(e.list, env);
    if (items) {
      // Unroll: the body once per item with the variable replaced by the item (expressions are pure).
      const bodies = items.map((x) => this.expr(e.body, new Map(env).set(e.variable, { kind: "subst", expr: x })));
      if (bodies.length === 0) return { k: "bool", v: e.quantifier === "all" };
      return bodies.reduce((a, b) => (e.quantifier === "any" ? { k: "or", l: a, r: b } : { k: "and", l: a, r: b }));
    }
    const c = this.lookup(e.list, env);
    if (c) return sel(c, "bool", (v) => this.quant({ ...e, list: v }, env));
    // A list a builtin returns (urls, emails): strings in the arena, 8 bytes each.
    const r = e.list.kind === "path" ? this.path(e.list, env)
      : e.list.kind === "history" ? this.history(e.list)
      : e.list.kind === "call" ? { ir: this.expr(e.list, env), elem: newElem(e.list.type!.kind === "list" ? e.list.type!.elem : { kind: "string" }) }
      : undefined;
    if (!r?.ir || !r.elem) throw new Error("internal error: quantifier over something that is not an input list");
    const name = `${e.variable}_${this.fresh++}`;
    const body = this.expr(e.body, new Map(env).set(e.variable, { kind: "elem", elem: r.elem, name }));
    const et = r.elem.type;
    const t = et.kind === "record" ? "record" : et.kind === "list" ? "list" : scalarOf(et);
    return { k: "quant", q: e.quantifier, name, list: r.ir, elem: { t, block: r.elem.block }, body };
  }

  private regex(source: string, flags: string): number {
    const key = `${flags}/${source}`;
    let id = this.regexIds.get(key);
    if (id === undefined) {
      const r = compileRegex(source, flags);
      if (!r.ok) throw new Error(`internal error: unchecked regular expression /${source}/: ${r.message}`);
      id = this.tables.length;
      this.tables.push(serializeDfa(r.dfa));
      this.regexIds.set(key, id);
    }
    return id;
  }

  /** Resolves a path to its slot (allocating it), following substitutions and lets. */
  path(p: PathExpr, env: Env): Resolved {
    const ref = p.ref;
    if (!ref) throw new Error(`internal error: unresolved path ${p.root}`);
    const segs = p.segments.map((s) => s.name);
    if (ref.kind === "let") {
      const c = cases(ref.decl.value, p.segments, this.values(env));
      if (c) return { ir: sel(c, scalarOf(p.type), (v) => this.expr(v, EMPTY)), base: { kind: "in" }, presence: [] };
      // A let naming an input (`let roles = agent.roles`, `let me = agent` read as `me.trust`) resolves to that
      // input's slot, element layout included, so quantifiers can range over it and fields can be read;
      // a field of a record written in the let is that field's expression.
      const v = project(ref.decl.value, p.segments);
      if (!v) throw new Error(`internal error: path ${p.root} into a let value`);
      if (v.kind === "path") return this.path(v, EMPTY);
      return { ir: this.expr(v, EMPTY), base: { kind: "in" }, presence: [] };
    }
    if (ref.kind === "var") {
      const b = env.get(p.root);
      if (!b) throw new Error(`internal error: unbound variable ${p.root}`);
      if (b.kind === "subst") {
        if (segs.length === 0) return b.expr.kind === "path" ? this.path(b.expr, env) : { ir: this.expr(b.expr, env), base: { kind: "in" }, presence: [] };
        // An item of a literal list: a path (read further), or a record literal (its field).
        const v = project(b.expr, p.segments);
        if (!v) throw new Error("internal error: field of a substitution that is neither a path nor a record");
        return v.kind === "path" ? this.path(v, env) : { ir: this.expr(v, env), base: { kind: "in" }, presence: [] };
      }
      const name = b.name;
      if (b.elem.record) return this.walk({ kind: "var", name }, b.elem.record, fieldsOf(b.elem.type), segs);
      if (segs.length > 0) throw new Error("internal error: field of a scalar element");
      const et = b.elem.type;
      return { ir: { k: "var", name, t: et.kind === "list" ? "list" : scalarOf(et) }, base: { kind: "var", name }, presence: [], ...(b.elem.elem ? { elem: b.elem.elem } : {}) };
    }
    const IN: Base = { kind: "in" };
    switch (ref.root) {
      case "args": return this.walk(IN, this.layout.args, this.args, segs);
      case "ctx": return this.walk(IN, this.layout.ctx, this.policy.context, segs);
      case "agent": return this.walk(IN, this.layout.agent, fieldsOf(AGENT_TYPE), segs);
      case "run": return this.walk(IN, this.layout.run, fieldsOf(RUN_TYPE), segs);
      case "state": return this.walk(IN, this.layout.state, this.policy.state.map((x) => ({ name: x.name, type: x.type, optional: false })), segs);
      case "env": return { ir: { k: "load", t: "string", base: IN, offset: slotOf(this.layout.top, { name: "env", type: { kind: "string" }, optional: false }).offset }, base: IN, presence: [] };
      case "tool":
        this.layout.readsTool = true;
        return { ir: { k: "load", t: "string", base: IN, offset: this.layout.tool.offset }, base: IN, presence: [] };
      default: return assertNever(ref.root, "input root");
    }
  }

  private walk(base: Base, rec: RecordSlots, fields: FieldType[], segs: string[]): Resolved {
    const presence: number[] = [];
    let cur = rec;
    let curFields = fields;
    for (let i = 0; i < segs.length; i++) {
      const f = curFields.find((x) => x.name === segs[i]);
      if (!f) throw new Error(`internal error: unknown field ${segs[i]}`);
      const slot = slotOf(cur, f);
      if (slot.presence !== undefined) presence.push(slot.presence);
      if (f.type.kind === "record") {
        cur = slot.record!;
        curFields = f.type.fields;
        continue;
      }
      if (i !== segs.length - 1) throw new Error(`internal error: field of a ${f.type.kind}`);
      const t = f.type.kind === "list" ? "list" : scalarOf(f.type);
      return { ir: { k: "load", t, base, offset: slot.offset }, base, presence, ...(slot.elem ? { elem: slot.elem } : {}) };
    }
    return { base, presence };
  }
}

/** Lowers a checked policy (which must have no errors) to the IR program. */
export function lower(policy: CheckedPolicy): Program {
  const L = new Lowerer(policy);
  const conds = policy.rules.map((r) => {
    if (!r.decl.condition) return undefined;
    const ir = L.lowerTop(r.decl.condition, r.tools);
    if (ir.k === "bool") return ir.v ? undefined : false;
    return ir;
  });
  const sumExprs = policy.limits.map((l) => (l.decl.measure.kind === "sum" ? L.lowerTop(l.decl.measure.expr, l.tools) : undefined));
  // Every name the policy mentions exactly gets an id, declared or not, so dispatch is one switch.
  const names = [...policy.tools.keys()];
  const targetsOf = [...policy.rules.map((r) => r.decl.targets), ...policy.limits.map((l) => l.decl.targets), ...policy.defaultsFor.map((d) => d.targets!), ...policy.updates.map((u) => u.decl.targets)];
  for (const ts of targetsOf) for (const t of ts) if (!t.glob && !t.cls && !names.includes(t.text)) names.push(t.text);
  const classOf = (name: string) => policy.tools.get(name)?.toolClass;
  const tools: ToolPlan[] = names.map((name, i) => {
    const declared = policy.tools.has(name);
    // A blind rule (reads args, tool has no schema) applies without its condition, even one that is always false.
    const rules = policy.rules.filter((r) => r.decl.targets.some((t) => targetMatches(t, name, classOf(name))) && (conds[r.index] !== false || (r.readsArgs && !declared)));
    const blindRules = rules.filter((r) => r.readsArgs && !declared);
    return {
      id: i + 1,
      name,
      declared,
      rules: rules.filter((r) => !(r.readsArgs && !declared && r.decl.effect === "allow")).map((r) => r.index),
      blind: new Set(blindRules.map((r) => r.index)),
      sums: policy.limits.filter((l) => l.decl.measure.kind === "sum" && !(l.readsArgs && !declared) && l.decl.targets.some((t) => targetMatches(t, name, classOf(name)))).map((l) => l.index),
      limitConds: [],
      updates: [],
    };
  });
  // Tools the module has no id for: dotted and quoted patterns match their names; `class(destructive)` matches them all.
  const unknownPatterns = (ts: readonly Target[]) => ts.filter((t) => t.glob || t.cls === "destructive").map((t) => (t.cls ? { pattern: "*", quoted: false } : { pattern: t.text, quoted: t.quoted }));
  const reachesUnknown = (ts: readonly Target[]) => unknownPatterns(ts).length > 0;
  const globRules = policy.rules.filter((r) => reachesUnknown(r.decl.targets) && (conds[r.index] !== false || r.readsArgs) && !(r.readsArgs && r.decl.effect === "allow"));
  const unknown: ToolPlan = {
    id: 0,
    name: "*",
    declared: false,
    rules: globRules.map((r) => r.index),
    patterns: new Map(globRules.map((r) => [r.index, unknownPatterns(r.decl.targets)])),
    blind: new Set(globRules.filter((r) => r.readsArgs).map((r) => r.index)),
    sums: policy.limits.filter((l) => l.decl.measure.kind === "sum" && !l.readsArgs && reachesUnknown(l.decl.targets)).map((l) => l.index),
    limitConds: [],
    updates: [],
  };
  const run = planRun(policy, (e, ts) => L.lowerTop(e, ts), [...tools, unknown], classOf, reachesUnknown);
  const program: Program = { layout: L.layout, conds, effects: policy.rules.map((r) => r.decl.effect), sumExprs, ...run, tools, unknown, regexTables: L.tables };
  indexRules(program);
  return program;
}
