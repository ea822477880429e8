// Type checking of expressions: resolves paths (inputs, lets, quantifier
// variables), enforces `has` guards on optional fields, checks builtins
// against the shared signature table, and annotates every node with its type.
// Driven by check.ts once per rule, limit and let.

import { BUILTINS, type ParamKind } from "../stdlib/signatures.js";
import { compileRegex } from "../stdlib/regex/index.js";
import { validCidr } from "../stdlib/ts/index.js";
import { INPUT_ROOTS, type CallExpr, type Expr, type HistoryExpr, type InputRoot, type LetDecl, type PathExpr, type PathSegment } from "./ast.js";
import type { Site } from "./checked.js";
import type { Sink } from "./diagnostics.js";
import { constValue } from "./fold.js";
import { printExpr, printSegment } from "./format-expr.js";
import { assertNever, type Span } from "./span.js";
import { AGENT_TYPE, RUN_TYPE } from "./inputs.js";
import { didYouMean } from "./suggest.js";
import { BOOL, ERROR, NUMBER, STRING, joinType, listOf, sameType, showType, type FieldType, type Type } from "./types.js";


export interface Scope {
  /** Fields of `args` readable here; undefined when no schema applies (`argsWhy` says why). */
  args?: FieldType[];
  argsWhy: string;
  /** Fields some but not all target tools declare: name → tools lacking it. */
  argsPartial: Map<string, string[]>;
  /** Quantifier variables in scope. */
  vars: Map<string, Type>;
  /** The list each quantifier variable ranges over (for messages and constant ranges). */
  origins: Map<string, Expr>;
  /** Paths known present (proved by a `has` on the way here). */
  guarded: Set<string>;
  /** Set when the expression reads `args` (including `has args...`). */
  reads: { args: boolean };
}

export interface ExprEnv {
  sink: Sink;
  ctx: FieldType[];
  /** Type of a let (checked lazily, with cycle detection); undefined if no such let. */
  letType(name: string, use: Span): Type | undefined;
  letDecl(name: string): LetDecl | undefined;
  isLet(name: string): boolean;
  /** Calls of builtins that can fail, numbered as they are checked (CallExpr.site). */
  sites: Site[];
  /** Fields of `state` (the declared run state). */
  state: FieldType[];
  /** The history query of `seen`/`count`/`calls` with these targets (registered on first use): its index and entry type. */
  query(e: HistoryExpr): { index: number; entry: Type };
  /** Called when an expression reads the host's clock (`now()`, `today()`). */
  readsClock(): void;
}

/** The text a guard is keyed by: `args.reason`, `m[args.id].to`. */
export const pathKey = (root: string, segs: readonly PathSegment[]): string => root + segs.map(printSegment).join("");

/** Paths proved present when `e` evaluates to `truthy` (for narrowing `has` guards through and/or/not). */
export function facts(e: Expr, truthy: boolean): Set<string> {
  if (e.kind === "has") {
    if (!truthy) return new Set();
    const segs = e.path.segments;
    return new Set(segs.map((_, i) => pathKey(e.path.root, segs.slice(0, i + 1))));
  }
  if (e.kind === "unary" && e.op === "not") return facts(e.operand, !truthy);
  if (e.kind === "binary" && (e.op === "and" || e.op === "or")) {
    const union = (e.op === "and") === truthy;
    const a = facts(e.left, truthy);
    const b = facts(e.right, truthy);
    return union ? new Set([...a, ...b]) : new Set([...a].filter((x) => b.has(x)));
  }
  return new Set();
}

/** The items of a list written in the policy, directly or through a let; undefined for any other list. */
export function literalItems(e: Expr, letDecl: (name: string) => LetDecl | undefined, depth = 0): Expr[] | undefined {
  if (e.kind === "list") return e.items;
  if (e.kind !== "path" || e.segments.length > 0 || e.ref?.kind !== "let" || depth > 64) return undefined;
  const d = letDecl(e.root);
  return d ? literalItems(d.value, letDecl, depth + 1) : undefined;
}

export class ExprChecker {
  /** Ranges already reported as malformed (a let read by many rules is reported once). */
  private readonly badRanges = new Set<string>();

  constructor(private readonly env: ExprEnv) {}

  private err(code: Parameters<Sink["report"]>[0], span: Span, message: string, help?: string): Type {
    this.env.sink.report(code, span, message, help ? { help } : {});
    return ERROR;
  }

  check(e: Expr, scope: Scope): Type {
    const t = this.infer(e, scope);
    e.type = t;
    return t;
  }

  /** Checks `e` and reports unless it has type `want`. */
  expect(e: Expr, want: Type, scope: Scope, what: string): Type {
    const t = this.check(e, scope);
    if (!sameType(t, want)) this.err("E0204", e.span, `${what} must be ${showType(want)}, found ${showType(t)}`);
    return t;
  }

  private infer(e: Expr, scope: Scope): Type {
    switch (e.kind) {
      case "number": return NUMBER;
      case "string": return STRING;
      case "bool": return BOOL;
      case "list": return this.list(e, scope);
      case "record": return this.record(e, scope);
      case "map": return this.map(e, scope);
      case "history": return this.history(e);
      case "path": return this.path(e, scope, false);
      case "unary":
        return e.op === "not" ? (this.expect(e.operand, BOOL, scope, "the operand of `not`"), BOOL) : (this.expect(e.operand, NUMBER, scope, "the operand of `-`"), NUMBER);
      case "binary": return this.binary(e, scope);
      case "matches":
        this.expect(e.subject, STRING, scope, "the left side of `matches`");
        if (/(^|[^\\])(\\\\)*\\$/.test(e.pattern)) this.err("E0216", e.patternSpan, "glob pattern ends with a lone `\\`", "escape it as `\\\\`");
        return BOOL;
      case "regex": {
        this.expect(e.subject, STRING, scope, "the left side of `=~`");
        const r = compileRegex(e.source, e.flags);
        if (!r.ok) this.err(r.kind === "syntax" ? "E0214" : "E0215", e.patternSpan, r.message, r.kind === "unsupported" ? "pol matches in linear time; rewrite the pattern without this construct" : undefined);
        return BOOL;
      }
      case "has": return this.has(e.path, scope);
      case "quant": return this.quant(e, scope);
      case "call": return this.call(e, scope);
      default: return assertNever(e, "expression");
    }
  }

  private list(e: Extract<Expr, { kind: "list" }>, scope: Scope): Type {
    let elem: Type = { kind: "never" };
    for (const item of e.items) {
      const t = this.check(item, scope);
      if (!sameType(elem, t)) this.err("E0204", item.span, `list items must all have one type: expected ${showType(elem)}, found ${showType(t)}`);
      else elem = joinType(elem, t);
    }
    return listOf(elem);
  }

  private record(e: Extract<Expr, { kind: "record" }>, scope: Scope): Type {
    const fields: FieldType[] = [];
    for (const f of e.fields) {
      const t = this.check(f.value, scope);
      if (fields.some((g) => g.name === f.name)) this.err("E0220", f.nameSpan, `field \`${f.name}\` is written twice`);
      else fields.push({ name: f.name, type: t, optional: false });
    }
    return { kind: "record", fields };
  }

  private map(e: Extract<Expr, { kind: "map" }>, scope: Scope): Type {
    let value: Type = { kind: "never" };
    const seen = new Set<number | string>();
    const keyKind = typeof e.entries[0]?.key;
    for (const x of e.entries) {
      const t = this.check(x.value, scope);
      const f = this.fallible(x.value);
      if (f) this.err("E0223", f.span, `a map's values cannot call \`${f.fn}\`, which can fail`, "compute it where it is used, outside the map");
      if (typeof x.key !== keyKind) this.err("E0223", x.keySpan, "the keys of a map must all be numbers or all be strings");
      else if (seen.has(x.key)) this.err("E0223", x.keySpan, `key \`${typeof x.key === "string" ? JSON.stringify(x.key) : x.key}\` is written twice`);
      seen.add(x.key);
      if (!sameType(value, t)) this.err("E0204", x.value.span, `the values of a map must all have one type: expected ${showType(value)}, found ${showType(t)}`);
      else value = joinType(value, t);
    }
    return { kind: "map", key: keyKind === "string" ? STRING : NUMBER, value };
  }

  private history(e: HistoryExpr): Type {
    const q = this.env.query(e);
    e.query = q.index;
    return e.fn === "seen" ? BOOL : e.fn === "count" ? NUMBER : listOf(q.entry);
  }

  /** E0222: `args.permission == "x"` where the enum cannot hold "x" can never be true. */
  private enumLiteral(enumType: Type, lit: Expr): void {
    if (enumType.kind !== "string" || !enumType.values || lit.kind !== "string" || enumType.values.includes(lit.value)) return;
    this.err("E0222", lit.span, `${JSON.stringify(lit.value)} is not one of ${showType(enumType)}`, "compare with one of the values the schema allows");
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, scope: Scope): Type {
    const op = e.op;
    if (op === "and" || op === "or") {
      this.expect(e.left, BOOL, scope, `the left side of \`${op}\``);
      const narrowed = { ...scope, guarded: new Set([...scope.guarded, ...facts(e.left, op === "and")]) };
      this.expect(e.right, BOOL, narrowed, `the right side of \`${op}\``);
      return BOOL;
    }
    const l = this.check(e.left, scope);
    const r = this.check(e.right, scope);
    if (l.kind === "error" || r.kind === "error") return op === "+" || op === "-" || op === "*" ? NUMBER : BOOL;
    switch (op) {
      case "==":
      case "!=":
        if (!sameType(l, r)) return this.err("E0204", e.span, `cannot compare ${showType(l)} with ${showType(r)}`);
        if (l.kind === "list" || l.kind === "record" || l.kind === "map") return this.err("E0218", e.opSpan, `\`${op}\` compares numbers, strings and booleans, not ${showType(l)}`, l.kind === "list" ? "test membership with `in`, or compare items inside `any`/`all`" : undefined);
        this.enumLiteral(l, e.right);
        this.enumLiteral(r, e.left);
        return BOOL;
      case "<": case "<=": case ">": case ">=":
        if (l.kind !== "number" || r.kind !== "number") return this.err("E0218", e.opSpan, `\`${op}\` compares numbers, found ${showType(l)} and ${showType(r)}`, l.kind === "string" ? "compare strings with `==`, `starts_with` or `matches`" : undefined);
        return BOOL;
      case "+": case "-": case "*":
        if (l.kind !== "number") this.err("E0204", e.left.span, `\`${op}\` needs numbers, found ${showType(l)}`, l.kind === "string" ? "pol has no string concatenation" : undefined);
        else if (r.kind !== "number") this.err("E0204", e.right.span, `\`${op}\` needs numbers, found ${showType(r)}`);
        return NUMBER;
      case "in":
      case "not in":
        if (r.kind !== "list") return this.err("E0204", e.right.span, `the right side of \`${op}\` must be a list, found ${showType(r)}`, r.kind === "string" ? "for substrings use `contains(text, part)`" : undefined);
        if (l.kind === "list" || l.kind === "record" || l.kind === "map") return this.err("E0218", e.left.span, `\`${op}\` tests numbers, strings or booleans, not ${showType(l)}`);
        if (!sameType(l, r.elem)) return this.err("E0204", e.span, `cannot look for ${showType(l)} in ${showType(r)}`);
        if (e.right.kind === "list") for (const item of e.right.items) this.enumLiteral(l, item);
        return BOOL;
      default:
        return assertNever(op, "operator");
    }
  }

  private quant(e: Extract<Expr, { kind: "quant" }>, scope: Scope): Type {
    const lt = this.check(e.list, scope);
    if (lt.kind !== "list" && lt.kind !== "error") this.err("E0204", e.list.span, `\`${e.quantifier}\` ranges over a list, found ${showType(lt)}`);
    if (scope.vars.has(e.variable) || this.env.isLet(e.variable) || (INPUT_ROOTS as readonly string[]).includes(e.variable)) {
      this.err("E0213", e.variableSpan, `\`${e.variable}\` is already a name here`, "pick another variable name");
    }
    const elem = lt.kind === "list" ? lt.elem : ERROR;
    const vars = new Map(scope.vars).set(e.variable, elem);
    // Guards proved outside about the variable's name would be about another value: drop them
    // (also where it is part of a map key: `m[v.id]`).
    const mentions = new RegExp(`(^|[^\\w.])${e.variable}(\\b|$)`);
    const guarded = new Set([...scope.guarded].filter((k) => !mentions.test(k)));
    const origins = new Map(scope.origins).set(e.variable, e.list);
    this.expect(e.body, BOOL, { ...scope, vars, guarded, origins }, `the body of \`${e.quantifier}\``);
    return BOOL;
  }

  private call(e: Extract<Expr, { kind: "call" }>, scope: Scope): Type {
    const b = BUILTINS.get(e.fn);
    if (!b) {
      e.args.forEach((a) => this.check(a, scope));
      return this.err("E0207", e.fnSpan, `unknown function \`${e.fn}\``, didYouMean(e.fn, BUILTINS.keys()).help ?? `builtins: ${[...BUILTINS.keys()].join(", ")}`);
    }
    const types = e.args.map((a) => this.check(a, scope));
    if (types.length !== b.params.length) {
      return this.err("E0208", e.span, `\`${e.fn}\` takes ${b.params.length} argument${b.params.length === 1 ? "" : "s"}, found ${types.length}`, `${e.fn}(${b.params.join(", ")}): ${b.doc}`);
    }
    types.forEach((t, i) => {
      if (!accepts(b.params[i]!, t)) this.err("E0204", e.args[i]!.span, `argument ${i + 1} of \`${e.fn}\` must be ${b.params[i]!.replace("|", " or ")}, found ${showType(t)}`);
    });
    if (b.clock) this.env.readsClock();
    if (b.fails !== undefined && e.site === undefined) {
      e.site = this.env.sites.length;
      this.env.sites.push({ fn: e.fn, failure: this.failure(e, b.fails, scope) });
    }
    if (e.fn === "in_cidr") this.checkRanges(e.args[1]!, scope);
    return b.result;
  }

  /** "`args.url` is not a URL pol can parse unambiguously": what a decision says when call `e` fails. */
  private failure(e: CallExpr, what: string, scope: Scope): string {
    const subject = (x: Expr): string => {
      const root = x.kind === "path" ? scope.origins.get(x.root) : undefined;
      return root && scope.vars.has((x as PathExpr).root) ? `\`${printExpr(x)}\` (an item of \`${printExpr(root)}\`)` : `\`${printExpr(x)}\``;
    };
    const range = e.args[1];
    const dynamicRange = e.fn === "in_cidr" && range !== undefined && this.ranges(range, scope) === undefined;
    return `${subject(e.args[0]!)} is not ${what}${dynamicRange ? ` (or ${subject(range)} is not a CIDR range)` : ""}`;
  }

  /** The constant ranges an in_cidr range argument can take (a literal, a let, a variable over a written list), or undefined. */
  private ranges(arg: Expr, scope: Scope): { value: string; span: Span }[] | undefined {
    const lets = (n: string) => this.env.letDecl(n)?.value;
    const v = constValue(arg, lets);
    // Reported where the text is written: through lets, at the literal.
    let at = arg;
    for (let i = 0; i < 64 && at.kind === "path" && at.segments.length === 0 && at.ref?.kind === "let"; i++) at = lets(at.root) ?? at;
    if (typeof v === "string") return [{ value: v, span: at.span }];
    if (arg.kind !== "path" || arg.segments.length > 0 || !scope.vars.has(arg.root)) return undefined;
    const list = scope.origins.get(arg.root);
    const items = list && literalItems(list, (n) => this.env.letDecl(n));
    if (!items) return undefined;
    const out: { value: string; span: Span }[] = [];
    for (const item of items) {
      const x = constValue(item, lets);
      if (typeof x !== "string") return undefined;
      out.push({ value: x, span: item.span });
    }
    return out;
  }

  /** A range written in the policy that in_cidr cannot read is an error now, not a failure on every call. */
  private checkRanges(arg: Expr, scope: Scope): void {
    for (const r of this.ranges(arg, scope) ?? []) {
      const key = `${r.span.file}:${r.span.start}`;
      if (validCidr(r.value) || this.badRanges.has(key)) continue;
      this.badRanges.add(key);
      this.err("E0221", r.span, `\`${r.value}\` is not a CIDR range`, "write an address and a prefix length, such as `10.0.0.0/8` or `fd00::/8` (IPv4 as four decimal numbers without leading zeros), or an address alone");
    }
  }

  private has(p: PathExpr, scope: Scope): Type {
    const t = this.path(p, scope, true);
    p.type = t;
    return BOOL;
  }

  /** Resolves and types a path; `inHas` is true for the operand of `has` (no guard needed there). */
  private path(p: PathExpr, scope: Scope, inHas: boolean): Type {
    const segs = p.segments.map((s) => s.name);
    let t: Type;
    // Only a map written in a `let` is read by key, through the let's name.
    const index = p.segments.find((x) => x.index);
    if (index && !this.env.isLet(p.root)) {
      p.segments.forEach((x) => x.index && this.check(x.index, scope));
      return this.err("E0223", index.span, `\`${p.root}\` is not a \`let\`: only maps written in a \`let\` are read by key`);
    }
    if (scope.vars.has(p.root)) {
      p.ref = { kind: "var", name: p.root, fields: segs };
      t = scope.vars.get(p.root)!;
    } else if (this.env.isLet(p.root)) {
      p.ref = { kind: "let", decl: this.env.letDecl(p.root)!, fields: segs };
      t = this.env.letType(p.root, p.span) ?? ERROR;
      if (inHas && !p.segments.some((x) => x.index)) return this.err("E0204", p.span, `\`has\` tests an input field or a map's key, and \`${p.root}\` is a constant`);
    } else if ((INPUT_ROOTS as readonly string[]).includes(p.root)) {
      const root = p.root as InputRoot;
      p.ref = { kind: "input", root, fields: segs };
      if (root === "args") {
        scope.reads.args = true;
        if (!scope.args) return this.err("E0210", p.rootSpan, `\`args\` cannot be read here: ${scope.argsWhy}`);
      }
      t = this.rootType(root, scope);
    } else {
      const names = [...scope.vars.keys(), ...INPUT_ROOTS];
      return this.err("E0201", p.rootSpan, `unknown name \`${p.root}\``, didYouMean(p.root, names).help ?? "inputs are `args`, `agent`, `env`, `tool`, `run` and `ctx`");
    }
    return this.walk(p, t, scope, inHas);
  }

  private rootType(root: InputRoot, scope: Scope): Type {
    switch (root) {
      case "args": return { kind: "record", fields: scope.args ?? [] };
      case "agent": return AGENT_TYPE;
      case "run": return RUN_TYPE;
      case "ctx": return { kind: "record", fields: this.env.ctx };
      case "state": return { kind: "record", fields: this.env.state };
      case "env":
      case "tool": return STRING;
      default: return assertNever(root, "input root");
    }
  }

  private walk(p: PathExpr, start: Type, scope: Scope, inHas: boolean): Type {
    let t = start;
    let anyOptional = false;
    for (let i = 0; i < p.segments.length; i++) {
      const seg = p.segments[i]!;
      const here = pathKey(p.root, p.segments.slice(0, i));
      const key = pathKey(p.root, p.segments.slice(0, i + 1));
      const upTo = { ...p.span, end: seg.span.end, endCol: seg.span.endCol, endLine: seg.span.endLine };
      if (seg.index) {
        const kt = this.check(seg.index, scope);
        const f = this.fallible(seg.index);
        if (f) return this.err("E0223", f.span, `a map key cannot call \`${f.fn}\`, which can fail`, "a key is looked up before anything can test it: use a value the call carries as it is (an argument), or list the keys in a list and test membership with `in`");
        if (p.segments.slice(0, i).some((x) => x.index)) return this.err("E0223", seg.span, "a path reads one map by key at most", "write the inner map as its own `let`");
        if (t.kind === "error") return ERROR;
        if (t.kind !== "map") return this.err("E0223", seg.span, `\`${here}\` is ${showType(t)}, not a map, so it cannot be read by key`);
        if (!sameType(kt, t.key)) return this.err("E0204", seg.index.span, `the keys of \`${here}\` are ${showType(t.key)}, found ${showType(kt)}`);
        anyOptional = true;
        // Reported once; the rest of the path is still checked (against the map's value type).
        if (!inHas && !scope.guarded.has(key) && !this.constantKey(p, i)) this.err("E0206", upTo, `\`${key}\` may be absent: \`${printExpr(seg.index)}\` may not be a key of \`${here}\``, `guard it: \`has ${key} and ...\``);
        t = t.value;
        continue;
      }
      if (t.kind === "error") return ERROR;
      if (t.kind !== "record") return this.err("E0204", seg.span, `\`${here}\` is ${showType(t)} and has no field \`${seg.name}\``);
      const f = t.fields.find((x) => x.name === seg.name);
      if (!f) return this.unknownField(p, i, t.fields, scope);
      if (f.optional) {
        anyOptional = true;
        if (!inHas && !scope.guarded.has(key)) {
          this.err("E0206", upTo, `\`${key}\` is optional and may be absent`, `guard it: \`has ${key} and ...\``);
          return f.type;
        }
      }
      t = f.type;
    }
    if (inHas && !anyOptional) this.env.sink.report("W0107", p.span, `\`${pathKey(p.root, p.segments)}\` is always present, so \`has\` is always true`);
    return t;
  }

  /** The first call in `e` (through lets) of a builtin that can fail, if any. */
  private fallible(e: Expr, depth = 0): CallExpr | undefined {
    if (depth > 64) return undefined;
    const go = (x: Expr) => this.fallible(x, depth + 1);
    switch (e.kind) {
      case "call": return BUILTINS.get(e.fn)?.fails !== undefined ? e : e.args.map(go).find((x) => x);
      case "list": return e.items.map(go).find((x) => x);
      case "record": return e.fields.map((f) => go(f.value)).find((x) => x);
      case "map": return e.entries.map((m) => go(m.value)).find((x) => x);
      case "unary": return go(e.operand);
      case "binary": return go(e.left) ?? go(e.right);
      case "matches": case "regex": return go(e.subject);
      case "quant": return go(e.list) ?? go(e.body);
      case "path": {
        const d = e.ref?.kind === "let" ? this.env.letDecl(e.root) : undefined;
        return e.segments.map((x) => (x.index ? go(x.index) : undefined)).find((x) => x) ?? (d ? go(d.value) : undefined);
      }
      default: return undefined;
    }
  }

  /** Whether segment i of let path `p` is a constant key its map literal holds (then no guard is needed). */
  private constantKey(p: PathExpr, i: number): boolean {
    const lets = (n: string) => this.env.letDecl(n)?.value;
    const k = constValue(p.segments[i]!.index!, lets);
    if (typeof k !== "number" && typeof k !== "string") return false;
    let at: Expr | undefined = lets(p.root);
    for (let j = 0; j <= i && at; j++) {
      for (let d = 0; d < 64 && at?.kind === "path" && at.segments.length === 0 && at.ref?.kind === "let"; d++) at = lets(at.root);
      const seg = p.segments[j]!;
      if (!at) return false;
      if (seg.index) {
        const key = j === i ? k : constValue(seg.index, lets);
        at = at.kind === "map" ? at.entries.find((x) => x.key === key)?.value : undefined;
        if (j === i) return at !== undefined;
      } else at = at.kind === "record" ? at.fields.find((f) => f.name === seg.name)?.value : undefined;
    }
    return false;
  }

  private unknownField(p: PathExpr, i: number, fields: FieldType[], scope: Scope): Type {
    const seg = p.segments[i]!;
    const owner = pathKey(p.root, p.segments.slice(0, i));
    const names = fields.map((f) => f.name);
    if (p.root === "args" && i === 0) {
      const lacking = scope.argsPartial.get(seg.name);
      if (lacking) return this.err("E0209", seg.span, `\`args.${seg.name}\` is not declared by every tool this rule targets`, `not declared (with the same type) by ${lacking.map((x) => `\`${x}\``).join(", ")}; split the rule per tool`);
      return this.err("E0203", seg.span, `unknown argument \`${seg.name}\``, didYouMean(seg.name, names).help ?? (names.length ? `declared arguments: ${names.join(", ")}` : "the tool declares no arguments"));
    }
    if (p.root === "ctx" && i === 0) return this.err("E0219", seg.span, `unknown context field \`${seg.name}\``, didYouMean(seg.name, names).help ?? "declare it in a `context { ... }` block");
    return this.err("E0201", seg.span, `\`${owner}\` has no field \`${seg.name}\``, didYouMean(seg.name, names).help ?? (names.length ? `fields: ${names.join(", ")}` : undefined));
  }
}

function accepts(k: ParamKind, t: Type): boolean {
  if (t.kind === "error" || t.kind === "never") return true;
  switch (k) {
    case "number": case "string": case "bool": return t.kind === k;
    case "list": return t.kind === "list";
    case "string|list": return t.kind === "string" || t.kind === "list";
    default: return assertNever(k, "parameter kind");
  }
}
