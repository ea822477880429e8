// The reference interpreter: the executable semantics of pol. Fed a checked
// policy and a call; returns the Decision every engine must return. The
// compiled wasm is proven equal to this by the differential tests.

import { BUILTINS } from "../stdlib/signatures.js";
import { compileRegex, dfaSearch, type Dfa } from "../stdlib/regex/index.js";
import { globMatch } from "../stdlib/ts/index.js";
import type { Expr, PathExpr } from "./ast.js";
import type { Decision } from "./call.js";
import type { CheckedPolicy } from "./checked.js";
import { Assembler, denyWith, factsOfInput, isBlind, metaOf, type PolicyMeta } from "./meta.js";
import { applyBinary } from "./fold.js";
import { assertNever } from "./span.js";
import { anyTargetMatches } from "./targets.js";
import { validateCall, type Input, type ValidateOptions } from "./validate.js";

type V = unknown;

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

  constructor(private readonly input: Input) {}

  eval(e: Expr, vars: Map<string, V>): V {
    switch (e.kind) {
      case "number":
      case "string":
      case "bool":
        return e.value;
      case "list": return e.items.map((x) => this.eval(x, vars));
      case "path": return this.path(e, vars).value;
      case "unary": return e.op === "not" ? !this.eval(e.operand, vars) : -(this.eval(e.operand, vars) as number);
      case "binary": return this.binary(e, vars);
      case "matches": return globMatch(e.pattern, this.eval(e.subject, vars) as string);
      case "regex": return dfaSearch(regexOf(e), this.eval(e.subject, vars) as string);
      case "has": return this.path(e.path, vars).present;
      case "quant": {
        const list = this.eval(e.list, vars) as V[];
        const test = (x: V) => this.eval(e.body, new Map(vars).set(e.variable, x)) === true;
        return e.quantifier === "any" ? list.some(test) : list.every(test);
      }
      case "call": {
        const b = BUILTINS.get(e.fn);
        if (!b) throw new Error(`internal error: unknown builtin ${e.fn}`);
        return b.run(...e.args.map((a) => this.eval(a, vars)));
      }
      default:
        return assertNever(e, "expression");
    }
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, vars: Map<string, V>): V {
    // and/or short-circuit: the right side may read a field only the left side proved present.
    if (e.op === "and") return this.eval(e.left, vars) === true && this.eval(e.right, vars) === true;
    if (e.op === "or") return this.eval(e.left, vars) === true || this.eval(e.right, vars) === true;
    return applyBinary(e.op, this.eval(e.left, vars), this.eval(e.right, vars));
  }

  /** The value at a path and whether every field on the way is present. */
  private path(p: PathExpr, vars: Map<string, V>): { value: V; present: boolean } {
    let cur: V;
    const ref = p.ref;
    if (!ref) throw new Error(`internal error: unresolved path ${p.root}`);
    if (ref.kind === "var") cur = vars.get(p.root);
    else if (ref.kind === "let") {
      if (!this.lets.has(p.root)) this.lets.set(p.root, this.eval(ref.decl.value, new Map()));
      cur = this.lets.get(p.root);
    } else {
      const i = this.input;
      cur = { args: i.args, agent: i.agent, env: i.env, tool: i.tool, run: i.run, ctx: i.ctx }[ref.root];
    }
    for (const f of ref.fields) {
      if (typeof cur !== "object" || cur === null || !own(cur, f)) return { value: undefined, present: false };
      cur = (cur as Record<string, V>)[f];
    }
    return { value: cur, present: cur !== undefined };
  }
}

/** Indices of the rules that match, ascending; rules blind to an undeclared tool's args apply if they restrict. */
export function matchRules(policy: CheckedPolicy, input: Input, ev: Evaluator): number[] {
  const out: number[] = [];
  for (const r of policy.rules) {
    if (!anyTargetMatches(r.decl.targets, input.tool)) continue;
    if (isBlind(r, input)) {
      if (r.decl.effect !== "allow") out.push(r.index);
    } else if (!r.decl.condition || ev.eval(r.decl.condition, new Map()) === true) out.push(r.index);
  }
  return out;
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
    const ev = new Evaluator(input);
    const matched = matchRules(policy, input, ev);
    const amounts = new Map<number, number>();
    for (const l of policy.limits) {
      if (l.decl.measure.kind === "sum" && anyTargetMatches(l.decl.targets, input.tool) && !isBlind(l, input)) amounts.set(l.index, ev.eval(l.decl.measure.expr, new Map()) as number);
    }
    return asm.decide(factsOfInput(input), matched, (i) => amounts.get(i) ?? 0);
  } catch (e) {
    return denyWith(meta, "error", `evaluation failed: ${(e as Error).message}`);
  }
}
