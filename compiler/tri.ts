// Code generation for expressions that can meet the failure value ⊥ (a call
// of host/domain/in_cidr, or a folded ⊥): three-valued bools as i32 (0 false,
// 1 true, 2 + site ⊥), strict operators hoisting each failing call into a
// check that returns early. Driven by emit.ts for such rules and sums only.

import { BUILTINS } from "../stdlib/signatures.js";
import type { IR, Scalar } from "./ir.js";

export type AsType = "f64" | "bool" | "i64" | "usize" | "i32";
export interface Param { name: string; type: AsType }

/** What tri.ts needs of the two-valued emitter (compiler/emit.ts). */
export interface Gen {
  expr(e: IR, scope: Param[]): string;
  helper(params: Param[], ret: AsType, body: string): string;
  eq(t: Scalar, a: string, b: string): string;
  str(s: string): string;
  /** The name of a helper `(x, list, ...scope): bool` testing membership of x in an input list of `t`. */
  inlistHelper(t: Scalar, scope: Param[]): string;
}

const memo = new WeakMap<IR, boolean>();

/** Whether `e` can evaluate to ⊥: it holds a builtin that can fail, or a folded ⊥. */
export function fallible(e: IR): boolean {
  let v = memo.get(e);
  if (v !== undefined) return v;
  switch (e.k) {
    case "num": case "str": case "bool": case "load": case "var": case "present": case "toolmatch": case "clock": v = false; break;
    case "listlen": v = fallible(e.list); break;
    case "sel": v = fallible(e.key) || e.values.some(fallible); break;
    case "bot": v = true; break;
    case "not": case "neg": v = fallible(e.e); break;
    case "and": case "or": case "cmp": case "arith": v = fallible(e.l) || fallible(e.r); break;
    case "inlit": v = fallible(e.l) || e.items.some(fallible); break;
    case "inlist": v = fallible(e.l) || fallible(e.list); break;
    case "quant": v = fallible(e.body) || fallible(e.list); break;
    case "call": v = e.site !== undefined || e.args.some(fallible); break;
    case "glob": case "regex": v = fallible(e.s); break;
  }
  memo.set(e, v);
  return v;
}

/** Thrown when hoisting meets a constant ⊥: the checks so far, then that failure, are the whole body. */
class Dead {
  constructor(readonly code: string) {}
}

/**
 * Evaluates the operands of a strict operator one by one into locals, in the
 * interpreter's order, so the first ⊥ decides (`fail(code)` is the statement
 * run with `code` = 2 + site); what is left is a plain expression.
 */
class Hoist {
  readonly stmts: string[] = [];
  private n = 0;

  constructor(private readonly t: Tri, private readonly scope: Param[], private readonly fail: (code: string) => string) {}

  private local(type: AsType, init: string): string {
    const name = `q${this.n++}`;
    this.stmts.push(`const ${name}: ${type} = ${init};`);
    return name;
  }

  /** The value of `x` as a two-valued AssemblyScript expression, its failures checked above it. */
  value(x: IR): string {
    if (!fallible(x)) return this.t.g.expr(x, this.scope);
    switch (x.k) {
      case "bot": throw new Dead(String(2 + x.site));
      case "neg": return `(-(${this.value(x.e)}))`;
      case "arith": {
        const l = this.value(x.l);
        return `(${l} ${x.op} ${this.value(x.r)})`;
      }
      case "call": return this.call(x);
      case "listlen": return `<f64>(<u32>(${this.value(x.list)} >>> 32))`;
      default: {
        // A bool operand (compared, or tested for membership): its own three-valued result.
        const v = this.local("i32", this.t.tri(x, this.scope));
        this.stmts.push(`if (${v} > 1) ${this.fail(v)}`);
        return `(${v} == 1)`;
      }
    }
  }

  call(x: Extract<IR, { k: "call" }>): string {
    const args = x.args.map((a) => this.value(a)).join(", ");
    const b = BUILTINS.get(x.fn)!;
    if (x.site === undefined) return `${b.asName}(${args})`;
    const code = String(2 + x.site);
    if (x.t === "string") {
      const v = this.local("i64", `${b.asName}(${args})`);
      this.stmts.push(`if (is_bot(${v})) ${this.fail(code)}`);
      return v;
    }
    // A number-valued builtin (date, time) gives NaN for ⊥: it never returns NaN otherwise.
    if (x.t === "number") {
      const v = this.local("f64", `${b.asName}(${args})`);
      this.stmts.push(`if (isNaN(${v})) ${this.fail(code)}`);
      return v;
    }
    const v = this.local("i32", `${b.asName}(${args})`);
    this.stmts.push(`if (${v} > 1) ${this.fail(code)}`);
    return `(${v} == 1)`;
  }

  /** A value used more than once, in a local. */
  once(x: IR, type: AsType): string {
    return this.local(type, this.value(x));
  }
}

const asTypeOf = (t: Scalar): AsType => (t === "number" ? "f64" : t === "bool" ? "bool" : "i64");

export class Tri {
  constructor(readonly g: Gen) {}

  /** A three-valued bool `e` as an i32 expression: 0 false, 1 true, 2 + site for ⊥. */
  tri(e: IR, scope: Param[]): string {
    if (!fallible(e)) return `<i32>(${this.g.expr(e, scope)})`;
    const args = scope.map((s) => s.name);
    const call = (h: string, extra: string[] = []) => `${h}(${[...extra, ...args].join(", ")})`;
    switch (e.k) {
      case "bot": return String(2 + e.site);
      case "not": return `tri_not(${this.tri(e.e, scope)})`;
      // Kleene: false absorbs `and`, true absorbs `or`; otherwise a ⊥ on the left is kept before one on the right.
      case "and":
        return call(this.g.helper(scope, "i32", [
          `  const a = ${this.tri(e.l, scope)};`, "  if (a == 0) return 0;",
          `  const b = ${this.tri(e.r, scope)};`, "  if (b == 0) return 0;", "  return a == 1 ? b : a;",
        ].join("\n")));
      case "or":
        return call(this.g.helper(scope, "i32", [
          `  const a = ${this.tri(e.l, scope)};`, "  if (a == 1) return 1;",
          `  const b = ${this.tri(e.r, scope)};`, "  if (b == 1) return 1;", "  return a == 0 ? b : a;",
        ].join("\n")));
      case "quant": return this.quant(e, scope);
      case "sel": {
        // The key never fails (the checker refuses fallible map keys); a branch may (`host(x) in m[k]`).
        const body = [`  const k = ${this.g.expr(e.key, scope)};`, ...e.keys.map((k, i) => `  if (${this.g.eq(e.keyT, "k", this.g.expr(k, scope))}) return ${this.tri(e.values[i]!, scope)};`), "  return 0;"];
        return call(this.g.helper(scope, "i32", body.join("\n")));
      }
      default: return call(this.boundary(e, scope));
    }
  }

  /** `any` is the Kleene disjunction over the items, `all` the conjunction; the first ⊥ met is kept. */
  private quant(e: Extract<IR, { k: "quant" }>, scope: Param[]): string {
    const v: Param = { name: e.name, type: e.elem.t === "record" ? "usize" : asTypeOf(e.elem.t === "list" ? "string" : e.elem.t) };
    const at = `p + i * ${e.elem.block.size}`;
    const bind = e.elem.t === "record" ? at : e.elem.t === "number" ? `load<f64>(${at})` : e.elem.t === "bool" ? `(load<i32>(${at}) != 0)` : `load<i64>(${at})`;
    const any = e.q === "any";
    const body = [
      "  const p = <usize>(list & 0xffffffff);",
      "  const n = <usize>(list >>> 32);",
      `  let r: i32 = ${any ? 0 : 1};`,
      `  for (let i: usize = 0; i < n; i++) {\n    const ${e.name}: ${v.type} = ${bind};\n    const x = ${this.tri(e.body, [...scope, v])};`,
      `    if (x == ${any ? 1 : 0}) return x;\n    if (x > 1 && r < 2) r = x;\n  }`,
      "  return r;",
    ].join("\n");
    const h = this.g.helper([{ name: "list", type: "i64" }, ...scope], "i32", body);
    if (!fallible(e.list)) return `${h}(${[this.g.expr(e.list, scope), ...scope.map((s) => s.name)].join(", ")})`;
    // A list a builtin computes from a failing argument (`urls(domain(x))`) is ⊥: hoisted like any operand.
    const hoist = new Hoist(this, scope, (code) => `return ${code};`);
    let lines: string[];
    try {
      const list = hoist.value(e.list);
      lines = [...hoist.stmts, `return ${h}(${[list, ...scope.map((s) => s.name)].join(", ")});`];
    } catch (d) {
      if (!(d instanceof Dead)) throw d;
      lines = [...hoist.stmts, `return ${d.code};`];
    }
    return `${this.g.helper(scope, "i32", lines.map((l) => `  ${l}`).join("\n"))}(${scope.map((s) => s.name).join(", ")})`;
  }

  /** A helper computing a strict bool operator with its operands hoisted (Hoist); returns its name. */
  private boundary(e: IR, scope: Param[]): string {
    const h = new Hoist(this, scope, (code) => `return ${code};`);
    let result: string;
    try {
      result = `return <i32>(${this.strict(e, h, scope)});`;
    } catch (d) {
      if (!(d instanceof Dead)) throw d;
      result = `return ${d.code};`;
    }
    return this.g.helper(scope, "i32", [...h.stmts, result].map((l) => `  ${l}`).join("\n"));
  }

  private strict(e: IR, h: Hoist, scope: Param[]): string {
    switch (e.k) {
      case "cmp": {
        const l = h.value(e.l);
        const r = h.value(e.r);
        if (e.t === "string") return e.op === "==" ? `str_eq(${l}, ${r})` : `!str_eq(${l}, ${r})`;
        return `(${l} ${e.op} ${r})`;
      }
      case "inlit": {
        const x = h.once(e.l, asTypeOf(e.t));
        const items = e.items.map((it) => this.g.eq(e.t, x, h.value(it)));
        return `${e.negate ? "!" : ""}(${items.join(" || ") || "false"})`;
      }
      case "inlist": {
        const x = h.value(e.l);
        return `${e.negate ? "!" : ""}${this.g.inlistHelper(e.t, scope)}(${[x, h.value(e.list), ...scope.map((s) => s.name)].join(", ")})`;
      }
      case "glob": return `std_glob(${this.g.str(e.pattern)}, ${h.value(e.s)})`;
      case "regex": return `std_dfa_search(RX${e.table}, ${h.value(e.s)})`;
      case "call": return h.call(e);
      default: throw new Error(`internal error: ${e.k} is not a strict bool operator`);
    }
  }

  /**
   * The body of a function returning the value of a (number) expression that
   * may fail: on failure it runs `fail(code)`, which must return.
   */
  valueBody(e: IR, fail: (code: string) => string, finish: (v: string) => string[] = (v) => [`return ${v};`]): string[] {
    const h = new Hoist(this, [], fail);
    try {
      const v = h.value(e);
      return [...h.stmts, ...finish(v)];
    } catch (d) {
      if (!(d instanceof Dead)) throw d;
      return [...h.stmts, fail(d.code)];
    }
  }
}
