// The reference interpreter: the executable semantics of pol. Fed a checked
// policy and a call; returns the Decision every engine must return. The
// compiled wasm is proven equal to this by the differential tests.

import { BUILTINS } from "../stdlib/signatures.js";
import { compileRegex, dfaSearch, type Dfa } from "../stdlib/regex/index.js";
import { globMatch } from "../stdlib/ts/index.js";
import { nowOf, todayOf } from "../stdlib/ts/dates.js";
import type { Expr, PathExpr, Target } from "./ast.js";
import type { Decision } from "./call.js";
import type { CheckedPolicy } from "./checked.js";
import { Assembler, denyWith, factsOfInput, isBlind, metaOf, type Failures, type PolicyMeta, type RunOutputs } from "./meta.js";
import { applyBinary } from "./fold.js";
import { assertNever } from "./span.js";
import { anyTargetMatches } from "./targets.js";
import { validateCall, type Input, type ValidateOptions } from "./validate.js";

type V = unknown;

/**
 * The failure value ⊥: what a builtin gives on input it cannot parse, and
 * every operator on it (Kleene logic: `false and ⊥` is false, `true or ⊥` is
 * true). Carries the call site (CheckedPolicy.sites) so reasons can name the
 * input; where two ⊥ meet, the one evaluated first is kept, as the wasm does.
 */
export class Bottom {
  constructor(readonly site: number) {}
}
const isBot = (v: V): v is Bottom => v instanceof Bottom;

const regexCache = new WeakMap<Expr, Dfa>();
function regexOf(e: Extract<Expr, { kind: "regex" }>): Dfa {
  let d = regexCache.get(e);
  if (!d) {
    const r = compileRegex(e.source, e.flags);
    if (!r.ok) throw new Error(`internal error: unchecked regular expression: ${r.message}`);
    d = r.dfa;
    regexCache.set(e, d);
  }
  return d;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Evaluates expressions over one validated input. Lets are evaluated on first use and remembered. */
export class Evaluator {
  private readonly lets = new Map<string, V>();
  private readonly queries = new Map<number, V[]>();

  constructor(private readonly input: Input, private readonly policy: CheckedPolicy) {}

  /** The entries of history query `q`: the earlier calls whose tool its targets match, as `{ tool, args }`. */
  private history(q: number): V[] {
    let out = this.queries.get(q);
    if (!out) {
      const targets = this.policy.queries[q]!.targets;
      out = this.input.history.filter((h) => anyTargetMatches(targets, h.tool, this.policy.tools.get(h.tool)?.toolClass)).map((h) => ({ tool: h.tool, args: h.args }));
      this.queries.set(q, out);
    }
    return out;
  }

  eval(e: Expr, vars: Map<string, V>): V {
    switch (e.kind) {
      case "number":
      case "string":
      case "bool":
        return e.value;
      case "list": return e.items.map((x) => this.eval(x, vars));
      case "record": {
        const out: Record<string, V> = Object.create(null);
        for (const f of e.fields) out[f.name] = this.eval(f.value, vars);
        return out;
      }
      case "map": return new Map(e.entries.map((x) => [x.key, this.eval(x.value, vars)]));
      case "history": {
        const entries = this.history(e.query!);
        return e.fn === "calls" ? entries : e.fn === "count" ? entries.length : entries.length > 0;
      }
      case "path": return this.path(e, vars).value;
      case "unary": {
        const v = this.eval(e.operand, vars);
        return isBot(v) ? v : e.op === "not" ? !v : -(v as number);
      }
      case "binary": return this.binary(e, vars);
      case "matches": {
        const v = this.eval(e.subject, vars);
        return isBot(v) ? v : globMatch(e.pattern, v as string);
      }
      case "regex": {
        const v = this.eval(e.subject, vars);
        return isBot(v) ? v : dfaSearch(regexOf(e), v as string);
      }
      case "has": return this.path(e.path, vars).present;
      case "quant": return this.quant(e, vars);
      case "call": {
        const b = BUILTINS.get(e.fn);
        if (!b) throw new Error(`internal error: unknown builtin ${e.fn}`);
        if (b.clock) return b.clock === "today" ? todayOf(this.input.time!) : nowOf(this.input.time!);
        const args: V[] = [];
        for (const a of e.args) {
          const v = this.eval(a, vars);
          if (isBot(v)) return v;
          args.push(v);
        }
        const r = b.run(...args);
        return r === null ? new Bottom(e.site!) : r;
      }
      default:
        return assertNever(e, "expression");
    }
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, vars: Map<string, V>): V {
    // and/or short-circuit: the right side may read a field only the left side proved present
    // (a ⊥ left side proves what a true one would: `has` is never ⊥). Kleene otherwise.
    if (e.op === "and") {
      const l = this.eval(e.left, vars);
      if (l === false) return false;
      const r = this.eval(e.right, vars);
      return r === false ? false : l === true ? r : l;
    }
    if (e.op === "or") {
      const l = this.eval(e.left, vars);
      if (l === true) return true;
      const r = this.eval(e.right, vars);
      return r === true ? true : l === false ? r : l;
    }
    // Every other operator is strict: ⊥ on either side (or in a list searched) is the result.
    const l = this.eval(e.left, vars);
    if (isBot(l)) return l;
    const r = this.eval(e.right, vars);
    if (isBot(r)) return r;
    if (e.op === "in" || e.op === "not in") {
      const b = (r as V[]).find(isBot);
      if (b) return b;
    }
    return applyBinary(e.op, l, r);
  }

  /** `any` is Kleene's disjunction over the items, `all` its conjunction. */
  private quant(e: Extract<Expr, { kind: "quant" }>, vars: Map<string, V>): V {
    const any = e.quantifier === "any";
    // A list a builtin computes from a failing argument (`urls(domain(x))`) is ⊥, and so is the quantifier.
    const list = this.eval(e.list, vars);
    if (isBot(list)) return list;
    let bot: Bottom | undefined;
    for (const x of list as V[]) {
      const v = this.eval(e.body, new Map(vars).set(e.variable, x));
      if (v === any) return any;
      if (isBot(v)) bot ??= v;
    }
    return bot ?? !any;
  }

  /**
   * The value at a path and whether every field on the way is present. A map key that is ⊥
   * makes the path (and `has` of it) ⊥.
   */
  private path(p: PathExpr, vars: Map<string, V>): { value: V; present: boolean | Bottom } {
    let cur: V;
    const ref = p.ref;
    if (!ref) throw new Error(`internal error: unresolved path ${p.root}`);
    if (ref.kind === "var") cur = vars.get(p.root);
    else if (ref.kind === "let") {
      if (!this.lets.has(p.root)) this.lets.set(p.root, this.eval(ref.decl.value, new Map()));
      cur = this.lets.get(p.root);
    } else {
      const i = this.input;
      cur = { args: i.args, agent: i.agent, env: i.env, tool: i.tool, run: i.run, ctx: i.ctx, state: i.state }[ref.root];
    }
    for (const seg of p.segments) {
      if (seg.index) {
        const k = this.eval(seg.index, vars);
        if (isBot(k)) return { value: k, present: k };
        if (!(cur instanceof Map) || !cur.has(k)) return { value: undefined, present: false };
        cur = cur.get(k);
        continue;
      }
      if (typeof cur !== "object" || cur === null || !own(cur, seg.name)) return { value: undefined, present: false };
      cur = (cur as Record<string, V>)[seg.name];
    }
    return { value: cur, present: cur !== undefined };
  }
}

/**
 * The rules that match, ascending, with `why[k]` = 0 when matched rule k's
 * condition holds and 1 + site when it is ⊥ (the assembler applies a ⊥
 * deny/approve fail-closed and drops a ⊥ allow). Rules blind to an undeclared
 * tool's args apply if they restrict.
 */
export function matchRules(policy: CheckedPolicy, input: Input, ev: Evaluator): { matched: number[]; why: number[] } {
  const matched: number[] = [];
  const why: number[] = [];
  const cls = policy.tools.get(input.tool)?.toolClass;
  for (const r of policy.rules) {
    if (!anyTargetMatches(r.decl.targets, input.tool, cls)) continue;
    if (isBlind(r, input)) {
      if (r.decl.effect !== "allow") matched.push(r.index), why.push(0);
      continue;
    }
    const v = r.decl.condition ? ev.eval(r.decl.condition, new Map()) : true;
    if (v === true) matched.push(r.index), why.push(0);
    else if (isBot(v)) matched.push(r.index), why.push(v.site + 1);
  }
  return { matched, why };
}

/** A limit or update: whether it covers a call depends on its targets and on whether it reads args. */
type Covered = { decl: { targets: Target[] }; readsArgs: boolean };

/** Conditional limits (computed above) and `on` updates: 0 not applied, 1 applied (with its value), 2 + site ⊥. */
function runOutputs(policy: CheckedPolicy, ev: Evaluator, covers: (x: Covered) => boolean, limitWhy: Map<number, number>): RunOutputs {
  const updateWhy = new Map<number, number>();
  const values = new Map<number, number | string | boolean>();
  for (const u of policy.updates) {
    if (!covers(u)) continue;
    const c = u.decl.condition ? ev.eval(u.decl.condition, new Map()) : true;
    if (c === false) continue;
    if (isBot(c)) {
      updateWhy.set(u.index, c.site + 2);
      continue;
    }
    const v = ev.eval(u.decl.value, new Map());
    if (isBot(v)) updateWhy.set(u.index, v.site + 2);
    else {
      updateWhy.set(u.index, 1);
      values.set(u.index, v as number | string | boolean);
    }
  }
  return { limit: (i) => limitWhy.get(i) ?? 0, update: (i) => updateWhy.get(i) ?? 0, value: (i) => values.get(i)! };
}

const asmCache = new WeakMap<CheckedPolicy, Assembler>();
function assemblerFor(policy: CheckedPolicy): Assembler {
  let a = asmCache.get(policy);
  if (!a) asmCache.set(policy, (a = new Assembler(metaOf(policy))));
  return a;
}
export function metaFor(policy: CheckedPolicy): PolicyMeta {
  return assemblerFor(policy).meta;
}

/** The decision for a call. Never throws: a failure inside evaluation is a deny naming the error. */
export function evaluate(policy: CheckedPolicy, call: unknown, options: ValidateOptions = {}): Decision {
  const asm = assemblerFor(policy);
  const meta = asm.meta;
  const v = validateCall(meta, call, options);
  if (!v.ok) return denyWith(meta, "schema", v.reason);
  const input = v.input;
  try {
    const ev = new Evaluator(input, policy);
    const { matched, why } = matchRules(policy, input, ev);
    const cls = policy.tools.get(input.tool)?.toolClass;
    const covers = (x: Covered) => anyTargetMatches(x.decl.targets, input.tool, cls) && !isBlind(x, input);
    const amounts = new Map<number, number>();
    const sumWhy = new Map<number, number>();
    const limitWhy = new Map<number, number>();
    for (const l of policy.limits) {
      if (!covers(l)) continue;
      // A condition that is ⊥ makes the limit apply (the safe side); its sum is computed only if it applies.
      if (l.decl.condition) {
        const c = ev.eval(l.decl.condition, new Map());
        limitWhy.set(l.index, c === true ? 1 : isBot(c) ? c.site + 2 : 0);
        if (c === false) continue;
      }
      if (l.decl.measure.kind !== "sum") continue;
      const v = ev.eval(l.decl.measure.expr, new Map());
      if (isBot(v)) sumWhy.set(l.index, v.site + 1);
      else amounts.set(l.index, v as number);
    }
    const run = policy.updates.length > 0 || limitWhy.size > 0 ? runOutputs(policy, ev, covers, limitWhy) : undefined;
    const failures: Failures | undefined = sumWhy.size > 0 || why.some((w) => w > 0) ? { rule: why, sum: (i) => sumWhy.get(i) ?? 0 } : undefined;
    return asm.decide(factsOfInput(input), matched, (i) => amounts.get(i) ?? 0, failures, run);
  } catch (e) {
    return denyWith(meta, "error", `evaluation failed: ${(e as Error).message}`);
  }
}
