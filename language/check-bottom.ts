// Finds calls whose failure (⊥) a `deny` or `approve` condition can mask:
// Kleene logic makes `false and ⊥` false, so such a rule does not apply to
// input the builtin cannot parse. An abstract evaluation over the outcome
// sets {true, false, ⊥}; check.ts reports W0109 from its answer.

import { BUILTINS } from "../stdlib/signatures.js";
import type { CallExpr, Expr, LetDecl, PathExpr } from "./ast.js";
import { literalItems } from "./check-expr.js";
import { constValue } from "./fold.js";
import { printExpr, printPath } from "./format-expr.js";

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
interface Guard {
  pred: string;
  arg: string;
  list?: string;
  variable?: string;
  /** Input paths the target's evaluation reads (so `has` on them is true when it fails), with their prefixes. */
  present: Set<string>;
}

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
      case "history": return BOOL;
      case "has": {
        // `has m[k]` is ⊥ when its key is.
        const kf = this.keys(e.path);
        return kf === 2 ? B : (this.guard?.present.has(printPath(e.path)) ? T : BOOL) | (kf === 1 ? B : 0);
      }
      case "path": return this.path(e, (v) => this.bool(v)) ?? strict(Math.max(this.vars.get(e.root) ?? 0, this.keys(e)) as Fail);
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

  /** How the map keys along a path can fail. */
  private keys(p: PathExpr): Fail {
    return p.segments.reduce<Fail>((m, sg) => (sg.index ? (Math.max(m, this.value(sg.index)) as Fail) : m), 0);
  }

  /** How a value (of any type; a list fails when an item can) can fail. */
  value(e: Expr): Fail {
    if (e.type?.kind === "bool") return failOf(this.bool(e));
    switch (e.kind) {
      case "path": return Math.max((this.path(e, (v) => this.value(v)) as Fail | undefined) ?? this.vars.get(e.root) ?? 0, this.keys(e)) as Fail;
      case "list": return e.items.reduce<Fail>((m, x) => Math.max(m, this.value(x)) as Fail, 0);
      case "record": return e.fields.reduce<Fail>((m, x) => Math.max(m, this.value(x.value)) as Fail, 0);
      case "map": return e.entries.reduce<Fail>((m, x) => Math.max(m, this.value(x.value)) as Fail, 0);
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
    case "record": return e.fields.some((f) => r(f.value));
    case "map": return e.entries.some((x) => r(x.value));
    case "path": { const d = e.ref?.kind === "let" ? letDecl(e.root) : undefined; return e.segments.some((sg) => sg.index !== undefined && r(sg.index)) || (d !== undefined && r(d.value)); }
    case "has": return e.path.segments.some((sg) => sg.index !== undefined && r(sg.index));
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
    case "record": e.fields.forEach((f) => go(f.value)); break;
    case "map": e.entries.forEach((x) => go(x.value)); break;
    case "path": {
      e.segments.forEach((sg) => sg.index && go(sg.index));
      const d = e.ref?.kind === "let" && e.segments.length === 0 ? letDecl(e.root) : undefined;
      if (d) go(d.value);
      break;
    }
    case "has": e.path.segments.forEach((sg) => sg.index && go(sg.index)); break;
    case "unary": go(e.operand); break;
    case "binary": go(e.left); go(e.right); break;
    case "matches": case "regex": go(e.subject); break;
    case "quant": go(e.list); go(e.body); break;
    case "call": {
      e.args.forEach(go);
      const b = BUILTINS.get(e.fn);
      // A call on constants either fails on every call (the rule's condition is then ⊥ or false
      // for all) or never; only input can make it fail sometimes.
      const consts = e.args.map((a) => constValue(a, (n) => letDecl(n)?.value));
      const fixed = b?.fails !== undefined && consts.every((v) => v !== undefined) && b.run(...consts) !== null;
      if (b?.fails !== undefined && !fixed && !out.includes(e)) out.push(e);
      break;
    }
  }
  return out;
}

/** The calls whose failure can leave `cond` false, in source order. */
export function maskedCalls(cond: Expr, letDecl: (name: string) => LetDecl | undefined): CallExpr[] {
  return fallibleCalls(cond, letDecl).filter((c) => {
    const g = guardOf(c, cond, letDecl);
    const o = new Analysis(letDecl, c, new Map(), g).bool(cond);
    // A failure the author tests for (`not is_email(r) or ...`) never becomes ⊥: when the
    // condition is then false, it is by the rest of it, as written, not by a ⊥ swallowed.
    return (o & F) !== 0 && !((o & B) === 0 && guards(cond, g));
  });
}

/** Whether `e` calls the guard predicate on the guard's argument. */
function guards(e: Expr, g: Guard): boolean {
  let found = false;
  const walk = (x: Expr): void => {
    if (found) return;
    if (x.kind === "call" && x.fn === g.pred && x.args[0] !== undefined && printExpr(x.args[0]) === g.arg) found = true;
    else forEachChild(x, walk);
  };
  walk(e);
  return found;
}

/** Calls `f` on each direct sub-expression of `e` (map keys in paths included). */
function forEachChild(e: Expr, f: (x: Expr) => void): void {
  switch (e.kind) {
    case "list": e.items.forEach(f); break;
    case "record": e.fields.forEach((x) => f(x.value)); break;
    case "map": e.entries.forEach((x) => f(x.value)); break;
    case "path": e.segments.forEach((sg) => sg.index && f(sg.index)); break;
    case "has": f(e.path); break;
    case "unary": f(e.operand); break;
    case "binary": f(e.left); f(e.right); break;
    case "matches": case "regex": f(e.subject); break;
    case "quant": f(e.list); f(e.body); break;
    case "call": e.args.forEach(f); break;
  }
}

/** The quantifier variables in scope at `target` inside `e`, with the lists they range over (undefined if not found). */
function originsAt(e: Expr, target: CallExpr, outer: ReadonlyMap<string, Expr> = new Map()): ReadonlyMap<string, Expr> | undefined {
  if (e === target) return outer;
  const go = (x: Expr, o = outer) => originsAt(x, target, o);
  switch (e.kind) {
    case "list": for (const x of e.items) { const r = go(x); if (r) return r; } return undefined;
    case "record": for (const f of e.fields) { const r = go(f.value); if (r) return r; } return undefined;
    case "map": for (const x of e.entries) { const r = go(x.value); if (r) return r; } return undefined;
    case "path": case "has": for (const sg of (e.kind === "has" ? e.path : e).segments) { const r = sg.index && go(sg.index); if (r) return r; } return undefined;
    case "unary": return go(e.operand);
    case "binary": return go(e.left) ?? go(e.right);
    case "matches": case "regex": return go(e.subject);
    case "quant": return go(e.list) ?? go(e.body, new Map(outer).set(e.variable, e.list));
    case "call": for (const x of e.args) { const r = go(x); if (r) return r; } return undefined;
    default: return undefined;
  }
}

/** The input paths `e` reads (each with its prefixes), through lets. */
function inputPaths(e: Expr, letDecl: (name: string) => LetDecl | undefined, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 64) return out;
  const go = (x: Expr) => void inputPaths(x, letDecl, out, depth + 1);
  switch (e.kind) {
    case "path":
      if (e.ref?.kind === "input") for (let i = 1; i <= e.segments.length; i++) out.add([e.root, ...e.segments.slice(0, i).map((x) => x.name)].join("."));
      else if (e.ref?.kind === "let") { const d = letDecl(e.root); if (d) go(d.value); }
      e.segments.forEach((sg) => sg.index && go(sg.index));
      break;
    case "has": e.path.segments.forEach((sg) => sg.index && go(sg.index)); break;
    case "list": e.items.forEach(go); break;
    case "record": e.fields.forEach((f) => go(f.value)); break;
    case "map": e.entries.forEach((x) => go(x.value)); break;
    case "unary": go(e.operand); break;
    case "binary": go(e.left); go(e.right); break;
    case "matches": case "regex": go(e.subject); break;
    case "quant": go(e.list); go(e.body); break;
    case "call": e.args.forEach(go); break;
  }
  return out;
}

/** The guard predicate of call `c` (false exactly when it fails), the quantifier it sits in inside `cond`, the paths it proves present. */
function guardOf(c: CallExpr, cond: Expr, letDecl: (name: string) => LetDecl | undefined): Guard {
  const x = guardArg(c);
  const pred = x !== c.args[0] ? "is_url" : BUILTINS.get(c.fn)!.guard!;
  const origins = originsAt(cond, c) ?? new Map<string, Expr>();
  const present = inputPaths(c, letDecl);
  for (const l of origins.values()) inputPaths(l, letDecl, present);
  const g = { pred, arg: printExpr(x), present };
  const root = x.kind === "path" ? x.root : undefined;
  const list = root !== undefined ? origins.get(root) : undefined;
  return list ? { ...g, list: printExpr(list), variable: root! } : g;
}

/** `e` with `from` replaced by `to` (a copy along the way; the rest shared). */
function replace(e: Expr, from: Expr, to: Expr): Expr {
  if (e === from) return to;
  const r = (x: Expr) => replace(x, from, to);
  switch (e.kind) {
    case "list": return { ...e, items: e.items.map(r) };
    case "unary": return { ...e, operand: r(e.operand) };
    case "binary": return { ...e, left: r(e.left), right: r(e.right) };
    case "matches": case "regex": return { ...e, subject: r(e.subject) };
    case "quant": return { ...e, list: r(e.list), body: r(e.body) };
    case "call": return { ...e, args: e.args.map(r) };
    default: return e;
  }
}

/** The `any` quantifier binding `variable` around `target` inside `e`, if that is where it is bound. */
function anyAround(e: Expr, target: CallExpr, variable: string): Extract<Expr, { kind: "quant" }> | undefined {
  let found: Extract<Expr, { kind: "quant" }> | undefined;
  const walk = (x: Expr, binder?: Extract<Expr, { kind: "quant" }>): boolean => {
    if (x === target) return (found = binder), true;
    switch (x.kind) {
      case "list": return x.items.some((i) => walk(i, binder));
      case "record": return x.fields.some((f) => walk(f.value, binder));
      case "map": return x.entries.some((m) => walk(m.value, binder));
      case "path": return x.segments.some((sg) => sg.index !== undefined && walk(sg.index, binder));
      case "has": return x.path.segments.some((sg) => sg.index !== undefined && walk(sg.index, binder));
      case "unary": return walk(x.operand, binder);
      case "binary": return walk(x.left, binder) || walk(x.right, binder);
      case "matches": case "regex": return walk(x.subject, binder);
      case "quant": return walk(x.list, binder) || walk(x.body, x.variable === variable ? x : binder);
      case "call": return x.args.some((a) => walk(a, binder));
      default: return false;
    }
  };
  walk(e);
  return found?.quantifier === "any" ? found : undefined;
}

/**
 * `cond` rewritten so that it holds whenever one of `masked` fails: a guard
 * `not is_url(x) or (...)` in front, or, for a call inside an `any`, inside
 * that quantifier's body (where its variable is bound and its list guarded).
 * The analysis above sees the result as covering each call.
 */
export function guardedCondition(cond: Expr, masked: CallExpr[], letDecl: (name: string) => LetDecl | undefined): string {
  let out = cond;
  const front: string[] = [];
  const seen = new Set<string>();
  for (const c of masked) {
    const g = guardOf(c, cond, letDecl);
    const key = `${g.pred}(${g.arg})@${g.list ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const test = `not ${g.pred}(${g.arg})`;
    const q = g.variable !== undefined ? anyAround(out, c, g.variable) : undefined;
    // The rewritten quantifier stands in the printed tree as a name whose text is already parenthesised.
    if (q) out = replace(out, q, text(`(any ${q.variable} in ${printExpr(q.list)}: ${test} or (${printExpr(q.body)}))`, q));
    else {
      // In front of the condition, optional inputs need the `has` the condition proves them with.
      const reads = g.list === undefined ? inputPaths(guardArg(c), letDecl) : inputPaths(originsAt(cond, c)!.get(g.variable!)!, letDecl);
      const has = hasPaths(cond).filter((p) => reads.has(p));
      const guarded = g.list === undefined ? test : `any ${g.variable} in ${g.list}: ${test}`;
      front.push(has.length ? `(${has.map((p) => `has ${p} and `).join("")}${guarded})` : g.list === undefined ? test : `(${guarded})`);
    }
  }
  return front.length ? `${front.join(" or ")} or (${printExpr(out)})` : printExpr(out);
}

/** The argument whose failure the guard predicate tests (`u` for in_cidr(host(u), ...)). */
function guardArg(c: CallExpr): Expr {
  const x = c.args[0]!;
  return c.fn === "in_cidr" && x.kind === "call" && x.fn === "host" ? x.args[0]! : x;
}

/** The paths `has` tests anywhere in `e`, in order, each once. */
function hasPaths(e: Expr, out: string[] = []): string[] {
  const go = (x: Expr) => void hasPaths(x, out);
  switch (e.kind) {
    case "has": { const p = printPath(e.path); if (!out.includes(p)) out.push(p); break; }
    case "list": e.items.forEach(go); break;
    case "record": e.fields.forEach((f) => go(f.value)); break;
    case "map": e.entries.forEach((x) => go(x.value)); break;
    case "unary": go(e.operand); break;
    case "binary": go(e.left); go(e.right); break;
    case "matches": case "regex": go(e.subject); break;
    case "quant": go(e.list); go(e.body); break;
    case "call": e.args.forEach(go); break;
  }
  return out;
}

/** A node that prints as `t` (a path with no segments prints its root as written). */
const text = (t: string, at: Expr): Expr => ({ kind: "path", root: t, rootSpan: at.span, segments: [], span: at.span });
