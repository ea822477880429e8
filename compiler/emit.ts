// AssemblyScript code generation: prints the IR program as one AssemblyScript
// module that imports the stdlib, exposes the ABI (POL_ABI, pol_in, pol_out,
// pol_input, pol_decide) and dispatches on the tool id. Fed by lower/fold;
// compiled by asc.ts. Nothing it emits allocates managed memory.

import { EFFECT_RANK } from "../language/checked.js";
import { BUILTINS } from "../stdlib/signatures.js";
import { AS_IMPORTS, EXPORTS, outLayout, type OutLayout } from "./abi.js";
import type { IR, Program, Scalar, ToolPlan } from "./ir.js";
import { Tri, fallible, type AsType, type Gen, type Param } from "./tri.js";
import { emitIndex, sortMatches } from "./index-rules.js";


/** Whether any rule condition or sum of `p` can meet ⊥ (only then does the module count failures). */
const programFails = (p: Program): boolean => p.conds.some((c) => c !== undefined && c !== false && fallible(c)) || p.sumExprs.some((s) => s !== undefined && fallible(s));

const ZERO: Record<Scalar, string> = { number: "0.0", bool: "false", string: "sref(0, 0)" };

const asTypeOf = (t: Scalar | "list" | "record"): AsType => (t === "number" ? "f64" : t === "bool" ? "bool" : t === "record" ? "usize" : "i64");

function f64Lit(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 53 && !Object.is(v, -0)) return `${v}.0`;
  // Exact bits: no decimal round trip through another parser.
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, v);
  return `reinterpret<f64>(<u64>0x${bits.getBigUint64(0).toString(16)})`;
}

class Emitter implements Gen {
  readonly helpers: string[] = [];
  private strings: number[] = [];
  private readonly stringOffsets = new Map<string, number>();
  readonly tri = new Tri(this);

  constructor(private readonly p: Program) {}

  get stringUnits(): number[] {
    return this.strings;
  }

  str(s: string): string {
    if (s.length === 0) return "sref(0, 0)";
    let off = this.stringOffsets.get(s);
    if (off === undefined) {
      off = this.strings.length;
      for (let i = 0; i < s.length; i++) this.strings.push(s.charCodeAt(i));
      this.stringOffsets.set(s, off);
    }
    return `sref(S + ${off * 2}, ${s.length})`;
  }

  helper(params: Param[], ret: AsType, body: string): string {
    const name = `h${this.helpers.length}`;
    this.helpers.push(`function ${name}(${params.map((x) => `${x.name}: ${x.type}`).join(", ")}): ${ret} {\n${body}\n}`);
    return name;
  }

  private load(t: Scalar | "list", addr: string): string {
    return t === "number" ? `load<f64>(${addr})` : t === "bool" ? `(load<i32>(${addr}) != 0)` : `load<i64>(${addr})`;
  }

  private addr(base: Extract<IR, { k: "load" }>["base"], off: number): string {
    return base.kind === "in" ? `IN + ${off}` : `${base.name} + ${off}`;
  }

  eq(t: Scalar, a: string, b: string): string {
    return t === "string" ? `str_eq(${a}, ${b})` : `(${a} == ${b})`;
  }

  inlistHelper(t: Scalar, scope: Param[]): string {
    const body = [
      "  const p = <usize>(list & 0xffffffff);",
      "  const n = <usize>(list >>> 32);",
      `  for (let i: usize = 0; i < n; i++) if (${this.eq(t, this.load(t, "p + i * 8"), "x")}) return true;`,
      "  return false;",
    ].join("\n");
    return this.helper([{ name: "x", type: asTypeOf(t) }, { name: "list", type: "i64" }, ...scope], "bool", body);
  }

  expr(e: IR, scope: Param[]): string {
    const g = (x: IR) => this.expr(x, scope);
    const args = scope.map((s) => s.name);
    switch (e.k) {
      case "num": return f64Lit(e.v);
      case "str": return this.str(e.v);
      case "bool": return String(e.v);
      case "load": return this.load(e.t, this.addr(e.base, e.offset));
      case "var": return e.name;
      case "present": return e.offsets.length === 0 ? "true" : `(${e.offsets.map((o) => `load<i32>(${this.addr(e.base, o)}) != 0`).join(" && ")})`;
      case "not": return `!(${g(e.e)})`;
      case "neg": return `(-(${g(e.e)}))`;
      case "and": return `(${g(e.l)} && ${g(e.r)})`;
      case "or": return `(${g(e.l)} || ${g(e.r)})`;
      case "cmp":
        if (e.t === "string") return e.op === "==" ? `str_eq(${g(e.l)}, ${g(e.r)})` : `!str_eq(${g(e.l)}, ${g(e.r)})`;
        return `(${g(e.l)} ${e.op} ${g(e.r)})`;
      case "arith": return `(${g(e.l)} ${e.op} ${g(e.r)})`;
      case "inlit": {
        const x: Param = { name: "x", type: asTypeOf(e.t) };
        const body = e.items.map((it) => this.eq(e.t, "x", this.expr(it, scope))).join(" || ");
        const h = this.helper([x, ...scope], "bool", `  return ${body};`);
        return `${e.negate ? "!" : ""}${h}(${[g(e.l), ...args].join(", ")})`;
      }
      case "inlist": return `${e.negate ? "!" : ""}${this.inlistHelper(e.t, scope)}(${[g(e.l), g(e.list), ...args].join(", ")})`;
      case "quant": {
        const v: Param = { name: e.name, type: asTypeOf(e.elem.t) };
        const at = `p + i * ${e.elem.block.size}`;
        const bind = e.elem.t === "record" ? at : this.load(e.elem.t, at);
        const inner = this.expr(e.body, [...scope, v]);
        const test = e.q === "any" ? `if (${inner}) return true;` : `if (!(${inner})) return false;`;
        const body = [
          "  const p = <usize>(list & 0xffffffff);",
          "  const n = <usize>(list >>> 32);",
          `  for (let i: usize = 0; i < n; i++) {\n    const ${e.name}: ${v.type} = ${bind};\n    ${test}\n  }`,
          `  return ${e.q === "all"};`,
        ].join("\n");
        const h = this.helper([{ name: "list", type: "i64" }, ...scope], "bool", body);
        return `${h}(${[g(e.list), ...args].join(", ")})`;
      }
      case "listlen": return `<f64>(<u32>(${g(e.list)} >>> 32))`;
      case "call": return `${BUILTINS.get(e.fn)!.asName}(${e.args.map(g).join(", ")})`;
      // The clock (f64 ms): the same IEEE division and floor as stdlib/ts/dates.ts.
      case "clock": return e.unit === "today" ? `Math.floor(load<f64>(IN + ${e.offset}) / 86400000.0)` : `(load<f64>(IN + ${e.offset}) / 1000.0)`;
      case "sel": {
        const k: Param = { name: "k", type: asTypeOf(e.keyT) };
        const body = [...e.keys.map((key, i) => `  if (${this.eq(e.keyT, "k", this.expr(key, scope))}) return ${this.expr(e.values[i]!, scope)};`), `  return ${ZERO[e.t]};`].join("\n");
        return `${this.helper([k, ...scope], asTypeOf(e.t), body)}(${[g(e.key), ...args].join(", ")})`;
      }
      case "glob": return `std_glob(${this.str(e.pattern)}, ${g(e.s)})`;
      case "regex": return `std_dfa_search(RX${e.table}, ${g(e.s)})`;
      case "bot": throw new Error("internal error: ⊥ outside a three-valued expression");
      case "toolmatch": {
        if (e.pattern === "*" && !e.quoted) return "true";
        // In a quoted target `*` is the only special character (language/targets.ts); std_tool_match reads `\`
        // as an escape, so each backslash is passed escaped to stay literal.
        const pattern = e.quoted ? e.pattern.replace(/\\/g, "\\\\") : e.pattern;
        return `std_tool_match(${this.str(pattern)}, ${e.quoted}, load<i64>(IN + ${this.p.layout.tool.offset}))`;
      }
    }
  }

  /** Chunk functions of tool branches, emitted after the rule functions. */
  readonly chunks: string[] = [];
  /** Names taken by index dispatch functions, and whether any tool sorts its matches. */
  private indexNames = 0;
  sorts = false;

  /**
   * One tool's branch: evaluate its rules, record matches, compute limit sums,
   * return the strongest effect or -1. Rules go in chunk functions of at most
   * CHUNK rules, with the match count and effect in module globals (N, E):
   * one function per tool with thousands of rules makes binaryen's inliner
   * superlinear (a 1,000-rule tool took minutes at -O3).
   */
  tool(t: ToolPlan): string {
    const out = outLayout(this.p);
    // When anything can meet ⊥, every match records why it happened (0: the condition held): a host reads
    // the whole `why` array as soon as the failure count is non-zero, which a sum of this tool may make it.
    const fails = programFails(this.p);
    const whys = fails;
    const calls: string[] = [];
    const linear = t.index ? t.index.rest : t.rules;
    for (let from = 0; from < linear.length; from += CHUNK) {
      const name = `c${this.chunks.length}`;
      const lines = linear.slice(from, from + CHUNK).map((i) => this.ruleLine(t, i, out, whys));
      this.chunks.push(`function ${name}(): void {\n${lines.join("\n")}\n}`);
      calls.push(`  ${name}();`);
    }
    if (t.index) {
      // Rules keyed by a constant run only when the slot holds it (index-rules.ts); matches are then sorted into rule order.
      const fn = emitIndex(t.index, { ruleLine: (i) => this.ruleLine(t, i, out, whys), str: (x) => this.str(x), f64: f64Lit, fn: (src) => this.chunks.push(src), name: (p) => `${p}${this.indexNames++}` });
      this.sorts = true;
      calls.push(`  ${fn}();`, "  msort();");
    }
    // A conditional limit's sum is computed only where the limit applies (as the interpreter does): a ⊥
    // amount of a limit that does not apply must not deny the call.
    const sums = t.sums.filter((k) => !t.limitConds.includes(k)).map((k) => `  store<f64>(OUT + ${out.sums + 8 * k}, s${k}());`);
    const sumOf = (k: number) => (t.sums.includes(k) ? ` if (c != 0) store<f64>(OUT + ${out.sums + 8 * k}, s${k}());${this.p.sumExprs[k] && fallible(this.p.sumExprs[k]!) ? ` else store<u32>(OUT + ${out.sumWhy + 4 * k}, 0);` : ""}` : "");
    sums.push(...t.limitConds.map((k) => `  { const c = lc${k}(); store<u32>(OUT + ${out.limWhy + 4 * k}, <u32>c);${sumOf(k)} }`));
    sums.push(...t.updates.map((u) => `  up${u}();`));
    const start = fails ? "  N = 0;\n  E = -1;\n  F = 0;" : "  N = 0;\n  E = -1;";
    const end = fails ? `  store<u32>(OUT, <u32>N);\n  store<u32>(OUT + ${out.failed}, F);` : "  store<u32>(OUT, <u32>N);";
    return `function t${t.id}(): i32 {\n${start}\n${[...calls, ...sums].join("\n")}\n${end}\n  return E;\n}`;
  }

  /** Whether rule `i`, as tool `t` evaluates it, can meet ⊥ (its function then returns a three-valued i32). */
  private condFails(t: ToolPlan, i: number): boolean {
    const c = this.p.conds[i];
    return !t.blind.has(i) && c !== undefined && c !== false && fallible(c);
  }

  private ruleLine(t: ToolPlan, i: number, out: ReturnType<typeof outLayout>, whys: boolean): string {
    const rank = EFFECT_RANK[this.p.effects[i]!];
    const conds: string[] = [];
    const pats = t.patterns?.get(i);
    if (pats) conds.push(`(${pats.map((x) => this.expr({ k: "toolmatch", pattern: x.pattern, quoted: x.quoted }, [])).join(" || ")})`);
    const record = (why: string, raise: boolean) =>
      `store<u32>(OUT + ${out.matched} + N * 4, ${i}); ${whys ? `store<u32>(OUT + ${out.why} + N * 4, ${why}); ` : ""}N++; ${raise ? `if (E < ${rank}) E = ${rank};` : ""}`.trimEnd();
    if (this.condFails(t, i)) {
      // ⊥: recorded with its site for the reasons; a ⊥ allow is recorded but never raises the effect.
      const x = `{ const x = r${i}(); if (x == 1) { ${record("0", true)} } else if (x > 1) { ${record("<u32>x - 1", rank > 0)} F++; } }`;
      return conds.length ? `  if (${conds.join(" && ")}) ${x}` : `  ${x}`;
    }
    const c = this.p.conds[i];
    if (!t.blind.has(i) && c) conds.push(`r${i}()`);
    return conds.length ? `  if (${conds.join(" && ")}) { ${record("0", true)} }` : `  { ${record("0", true)} }`;
  }
}

/** Rules per chunk function. */
const CHUNK = 32;

/**
 * `up${i}()`: writes update i's status (0 not applied, 1 applied, 2 + site ⊥) and its value to the
 * output block, evaluating the condition first, then the value, as the interpreter does.
 */
function updateFn(em: Emitter, u: Program["updates"][number], i: number, out: OutLayout): string {
  const at = `OUT + ${out.upd + 16 * i}`;
  const lines: string[] = [];
  if (u.cond) lines.push(`const c = ${em.tri.tri(u.cond, [])};`, `if (c == 0) { store<u32>(${at}, 0); return; }`, `if (c > 1) { store<u32>(${at}, <u32>c); return; }`);
  const put = (v: string) => [u.t === "number" ? `store<f64>(${at} + 8, ${v});` : u.t === "bool" ? `store<i32>(${at} + 8, <i32>(${v}));` : `store<i64>(${at} + 8, ${v});`, `store<u32>(${at}, 1);`];
  lines.push(...em.tri.valueBody(u.value, (code) => `{ store<u32>(${at}, <u32>(${code})); return; }`, put));
  return `function up${i}(): void {\n${lines.map((l) => `  ${l}`).join("\n")}\n}`;
}

const header = (root: string) => [
  "// Generated by pol from a checked policy. Do not edit.",
  `import { sref, str_eq, str_hash, num_hash, is_bot, tri_not, std_glob, std_tool_match, std_dfa_search, ${[...BUILTINS.values()].filter((b) => b.asName.startsWith("std_")).map((b) => b.asName).join(", ")} } from "${root}/${AS_IMPORTS.stdlib}";`,
  `import { pol_begin } from "${root}/${AS_IMPORTS.abi}";`,
  `export { ${EXPORTS.abi}, ${EXPORTS.input} } from "${root}/${AS_IMPORTS.abi}";`,
  "",
];

/**
 * One policy's part of a module. Every top-level name carries `prefix`, so a
 * batch of policies (the differential tests compile hundreds per asc run)
 * can share one module; the exports are `${prefix}pol_in/out/decide`.
 */
function body(p: Program, prefix: string, manifestDigest?: Uint8Array): string[] {
  const em = new Emitter(p);
  const fns: string[] = [];
  const out = outLayout(p);
  p.conds.forEach((c, i) => {
    if (c && fallible(c)) fns.push(`function r${i}(): i32 {\n  return ${em.tri.tri(c, [])};\n}`);
    else if (c) fns.push(`function r${i}(): bool {\n  return ${em.expr(c, [])};\n}`);
  });
  p.limitConds.forEach((c, i) => {
    if (c) fns.push(`function lc${i}(): i32 {\n  return ${em.tri.tri(c, [])};\n}`);
  });
  p.updates.forEach((u, i) => fns.push(updateFn(em, u, i, out)));
  p.sumExprs.forEach((s, i) => {
    if (!s) return;
    if (!fallible(s)) return void fns.push(`function s${i}(): f64 {\n  return ${em.expr(s, [])};\n}`);
    // A ⊥ amount is recorded (1 + site) for the host, which then denies; 0 marks a good amount.
    const at = `OUT + ${out.sumWhy + 4 * i}`;
    const lines = em.tri.valueBody(s, (code) => `{ store<u32>(${at}, <u32>(${code}) - 1); F++; return 0.0; }`);
    fns.push(`function s${i}(): f64 {\n  store<u32>(${at}, 0);\n${lines.map((l) => `  ${l}`).join("\n")}\n}`);
  });
  for (const t of [p.unknown, ...p.tools]) fns.push(em.tool(t));
  const units = em.stringUnits;
  const cases = p.tools.map((t) => `    case ${t.id}: return t${t.id}();`).join("\n");
  const lines = [
    `const IN: usize = memory.data(${Math.max(8, p.layout.block.size)}, 16);`,
    `const OUT: usize = memory.data(${out.size}, 16);`,
    units.length ? `const S: usize = memory.data<u16>([${units.join(",")}]);` : "const S: usize = 0;",
    ...p.regexTables.map((t, i) => `const RX${i}: usize = memory.data<u8>([${Array.from(t).join(",")}]);`),
    "let N: usize = 0;",
    "let E: i32 = -1;",
    ...(programFails(p) ? ["let F: u32 = 0;"] : []),
    ...(manifestDigest ? [`const MD: usize = memory.data<u8>([${Array.from(manifestDigest).join(",")}]);`, `export function ${EXPORTS.manifest}(): usize { return MD; }`] : []),
    `export function ${EXPORTS.in}(): usize { return IN; }`,
    `export function ${EXPORTS.out}(): usize { return OUT; }`,
    "",
    "/** Decides the call already written to memory: records matched rules in OUT, returns the effect rank or -1. */",
    `export function ${EXPORTS.decide}(tool: i32, used: u32): i32 {`,
    "  pol_begin(used);",
    "  switch (tool) {",
    cases,
    "    default: return t0();",
    "  }",
    "}",
    "",
    ...fns,
    ...em.chunks,
    ...(em.sorts ? [sortMatches(out.matched, programFails(p) ? out.why : undefined)] : []),
    ...em.helpers,
    "",
  ];
  if (!prefix) return lines;
  // Generated names are all of the forms below; prefixing them by pattern keeps the emitter itself prefix-free.
  const names = new RegExp(`\\b(IN|OUT|S|N|E|F|RX\\d+|r\\d+|s\\d+|t\\d+|c\\d+|h\\d+|lc\\d+|up\\d+|x\\d+|y\\d+|msort|${EXPORTS.in}|${EXPORTS.out}|${EXPORTS.decide})\\b`, "g");
  return lines.map((l) => l.replace(names, (n) => `${prefix}${n}`));
}

/**
 * The AssemblyScript source of the policy module. `root` is the import path of the project root
 * (holding stdlib/ and wasm/); `manifestDigest` is the SHA-256 of the manifest section the module
 * will carry, compiled into its data so the loader can check the two belong together.
 */
export function emit(p: Program, root: string, manifestDigest: Uint8Array): string {
  return [...header(root), ...body(p, "", manifestDigest)].join("\n");
}

/** One module holding several policies; policy k's exports are prefixed `p${k}_`. */
export function emitBatch(ps: Program[], root = "."): string {
  return [...header(root), ...ps.flatMap((p, k) => body(p, `p${k}_`))].join("\n");
}
