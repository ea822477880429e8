// Finds calls whose failure (⊥) a `deny` or `approve` condition can mask:
// Kleene logic makes `false and ⊥` false, so such a rule does not apply to
// input the builtin cannot parse. An abstract evaluation over the outcome
// sets {true, false, ⊥}; check.ts reports W0109 from its answer.

import { BUILTINS } from "../stdlib/signatures.js";
import type { CallExpr, Expr, LetDecl } from "./ast.js";
import { literalItems } from "./check-expr.js";
import { printExpr } from "./format-expr.js";

/** Outcome sets as bit masks. */
const T = 1;
const F = 2;
const B = 4;
const BOOL = T | F;

const kand = (x: number, y: number) => (x === F || y === F ? F : x === T && y === T ? T : B);
const kor = (x: number, y: number) => (x === T || y === T ? T : x === F && y === F ? F : B);

/** Every pair of outcomes combined by `op`. */
function combine(a: number, b: number, op: (x: number, y: number) => number): number {
  let out = 0;
  for (const x of [T, F, B]) for (const y of [T, F, B]) if (a & x && b & y) out |= op(x, y);
  return out;
}

/** How a value can fail: 2 certainly (the target is on a strict path), 1 possibly, 0 never. */
type Fail = 0 | 1 | 2;
const failOf = (o: number): Fail => (o === B ? 2 : o & B ? 1 : 0);
const strict = (f: Fail): number => (f === 2 ? B : f === 1 ? BOOL | B : BOOL);

/**
 * The predicate that is false exactly when the target fails (`is_url(x)` for
 * host(x), ...), by argument text, and the quantifier the target sits in: a
 * guard written as W0109's help says is then seen to cover the target.
 */
interface Guard { pred: string; arg: string; list?: string; variable?: string }

class Analysis {
  constructor(
    private readonly letDecl: (name: string) => LetDecl | undefined,
    private readonly target: CallExpr | null,
    private readonly vars: Map<string, Fail>,
    private readonly guard?: Guard,
  ) {}

  private with(name: string, f: Fail): Analysis {
    return new Analysis(this.letDecl, this.target, new Map(this.vars).set(name, f), this.guard);
  }

  /** The outcomes of a bool expression when the target fails and every other fallible call may or may not. */
  bool(e: Expr): number {
    switch (e.kind) {
      case "bool": return e.value ? T : F;
      case "has": return BOOL;
      case "path": return this.path(e, (v) => this.bool(v)) ?? strict(this.vars.get(e.root) ?? 0);
      case "unary": { const o = this.bool(e.operand); return (o & B) | (o & T ? F : 0) | (o & F ? T : 0); }
      case "binary":
        if (e.op === "and" || e.op === "or") return combine(this.bool(e.left), this.bool(e.right), e.op === "and" ? kand : kor);
        return strict(Math.max(this.value(e.left), this.value(e.right)) as Fail);
      case "matches": case "regex": return strict(this.value(e.subject));
      case "quant": return this.quant(e);
      case "call": return this.call(e);
      default: return strict(this.value(e));
    }
  }

  /** A let's value (or undefined for inputs and variables). */
  private path(e: Extract<Expr, { kind: "path" }>, f: (v: Expr) => number): number | undefined {
    if (e.ref?.kind !== "let" || e.segments.length > 0) return undefined;
    const d = this.letDecl(e.root);
    return d ? f(d.value) : undefined;
  }

  /** How a value (of any type; a list fails when an item can) can fail. */
  value(e: Expr): Fail {
    if (e.type?.kind === "bool") return failOf(this.bool(e));
    switch (e.kind) {
      case "path": return (this.path(e, (v) => this.value(v)) as Fail | undefined) ?? this.vars.get(e.root) ?? 0;
      case "list": return e.items.reduce<Fail>((m, x) => Math.max(m, this.value(x)) as Fail, 0);
      case "unary": return this.value(e.operand);
      case "binary": return Math.max(this.value(e.left), this.value(e.right)) as Fail;
      case "call": return failOf(this.call(e));
      default: return 0;
    }
  }

  private call(e: CallExpr): number {
    if (e === this.target) return B;
    if (this.guard && e.fn === this.guard.pred && e.args[0] && printExpr(e.args[0]) === this.guard.arg) return F;
    const args = e.args.reduce<Fail>((m, x) => Math.max(m, this.value(x)) as Fail, 0);
    if (args === 2) return B;
    return BOOL | (args === 1 || BUILTINS.get(e.fn)?.fails !== undefined ? B : 0);
  }

  private quant(e: Extract<Expr, { kind: "quant" }>): number {
    const items = literalItems(e.list, this.letDecl);
    const elem: Fail = items ? (items.reduce<Fail>((m, x) => Math.max(m, this.value(x)) as Fail, 0) === 0 ? 0 : 1) : 0;
    const inner = this.with(e.variable, elem);
    const free = new Analysis(this.letDecl, null, inner.vars).bool(e.body);
    // Over the target's own list with its variable name, some item is the failing one: a guard there sees it.
    const g = this.guard;
    const correlated = g?.list !== undefined && g.list === printExpr(e.list) && g.variable === e.variable;
    if (!this.target || !(correlated || reaches(e.body, this.target, this.letDecl))) return free | BOOL;
    // The failing item, alone or among others that may be anything.
    const one = inner.bool(e.body);
    return one | combine(one, free, e.quantifier === "any" ? kor : kand);
  }
}

/** Whether `target` is `e` or inside it, through lets. */
function reaches(e: Expr, target: CallExpr, letDecl: (name: string) => LetDecl | undefined, depth = 0): boolean {
  if (e === target) return true;
  if (depth > 64) return false;
  const r = (x: Expr) => reaches(x, target, letDecl, depth + 1);
  switch (e.kind) {
    case "list": return e.items.some(r);
    case "path": { const d = e.ref?.kind === "let" ? letDecl(e.root) : undefined; return d !== undefined && r(d.value); }
    case "unary": return r(e.operand);
    case "binary": return r(e.left) || r(e.right);
    case "matches": case "regex": return r(e.subject);
    case "quant": return r(e.list) || r(e.body);
    case "call": return e.args.some(r);
    default: return false;
  }
}

/** The calls of builtins that can fail in `e`, through lets, in source order, each once. */
export function fallibleCalls(e: Expr, letDecl: (name: string) => LetDecl | undefined, out: CallExpr[] = [], depth = 0): CallExpr[] {
  if (depth > 64) return out;
  const go = (x: Expr) => fallibleCalls(x, letDecl, out, depth + 1);
  switch (e.kind) {
    case "list": e.items.forEach(go); break;
    case "path": { const d = e.ref?.kind === "let" && e.segments.length === 0 ? letDecl(e.root) : undefined; if (d) go(d.value); break; }
    case "unary": go(e.operand); break;
    case "binary": go(e.left); go(e.right); break;
    case "matches": case "regex": go(e.subject); break;
    case "quant": go(e.list); go(e.body); break;
    case "call":
      e.args.forEach(go);
      if (BUILTINS.get(e.fn)?.fails !== undefined && !out.includes(e)) out.push(e);
      break;
  }
  return out;
}

/** The calls whose failure can leave `cond` false, in source order. */
export function maskedCalls(cond: Expr, letDecl: (name: string) => LetDecl | undefined): CallExpr[] {
  return fallibleCalls(cond, letDecl).filter((c) => (new Analysis(letDecl, c, new Map(), guardOf(c, cond)).bool(cond) & F) !== 0);
}

/** The guard predicate of call `c` (see failureTest) and the quantifier it sits in inside `cond`. */
function guardOf(c: CallExpr, cond: Expr): Guard {
  let x = c.args[0]!;
  let pred = c.fn === "host" ? "is_url" : c.fn === "domain" ? "is_email" : "is_ip";
  if (c.fn === "in_cidr" && x.kind === "call" && x.fn === "host") {
    x = x.args[0]!;
    pred = "is_url";
  }
  const g: Guard = { pred, arg: printExpr(x) };
  const root = x.kind === "path" ? x.root : undefined;
  const list = root !== undefined ? originsAt(cond, c)?.get(root) : undefined;
  return list ? { ...g, list: printExpr(list), variable: root! } : g;
}

/** The quantifier variables in scope at `target` inside `e`, with the lists they range over (undefined if not found). */
function originsAt(e: Expr, target: CallExpr, outer: ReadonlyMap<string, Expr> = new Map()): ReadonlyMap<string, Expr> | undefined {
  if (e === target) return outer;
  const go = (x: Expr, o = outer) => originsAt(x, target, o);
  switch (e.kind) {
    case "list": for (const x of e.items) { const r = go(x); if (r) return r; } return undefined;
    case "unary": return go(e.operand);
    case "binary": return go(e.left) ?? go(e.right);
    case "matches": case "regex": return go(e.subject);
    case "quant": return go(e.list) ?? go(e.body, new Map(outer).set(e.variable, e.list));
    case "call": for (const x of e.args) { const r = go(x); if (r) return r; } return undefined;
    default: return undefined;
  }
}

/**
 * The test that is true exactly when call `c` (inside `cond`) would fail, for
 * the help of W0109: `not is_url(x)` for host(x), `not is_email(x)` for
 * domain(x), `not is_ip(x)` for in_cidr(x, ...) (`not is_url(u)` when x is
 * host(u)). Inside a quantifier the test ranges over its list: `(any v in L: ...)`.
 */
export function failureTest(c: CallExpr, cond: Expr): string {
  const g = guardOf(c, cond);
  const test = `not ${g.pred}(${g.arg})`;
  return g.list !== undefined ? `(any ${g.variable} in ${g.list}: ${test})` : test;
}
