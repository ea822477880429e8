// Rule indexing: when many rules of a tool test one input slot against constants, as a conjunct
// of their condition (`args.kind == "k17" and ...`, `args.kind in ["a", "b"] and ...`), the tool's
// code dispatches on that slot's value (a hash, a binary search over the constants' hashes, then
// equality) and evaluates only the rules keyed by the value, instead of every rule of the tool.
// Planned here from a lowered Program (called at the end of lower.ts); emitted by emitIndex for
// emit.ts. The decision still lists every matched rule: a rule skipped by the dispatch has a
// conjunct that is false, so its whole condition is false (in three-valued logic too: false
// absorbs ⊥ in `and`), and the matches are sorted back into rule order afterwards.

import type { IR, Program, ToolPlan } from "./ir.js";

/** A tool's index: the slot it dispatches on, the rules keyed by each constant, and the rest. */
export interface RuleIndex {
  /** Offset of the slot in the input block, and its type. */
  offset: number;
  t: "string" | "number";
  /** Per distinct constant, its hash and the tool's rules keyed by it, ascending. */
  keys: { value: string | number; hash: number; rules: number[] }[];
  /** Rules of the tool evaluated one by one, as without an index (ascending). */
  rest: number[];
}

/**
 * Fewer rules keyed on one slot than this are evaluated one by one (~8 ns a rule). An index
 * doubles the tool's -O3 compile time and grows the module by 60% (a rule keyed by several
 * constants is emitted once per constant). Measured at 8 and at 16, ten keyed rules a tool:
 * evaluation 185 → 265 ns, 1,000 rules over 100 tools compiled at -O3 in 26.8 → 13.4 s
 * (1.18 → 0.74 MB); builds alternated in one process, benchmarks/FINDINGS.md "Rules".
 */
export const MIN_INDEXED = 16;

/** FNV-1a (32-bit) over UTF-16 code units: stdlib/as/str.ts `str_hash` computes the same in the module. */
export function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** FNV-1a over a number's bits, -0 as 0: stdlib/as/str.ts `num_hash`. */
export function numHash(x: number): number {
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, x === 0 ? 0 : x, true);
  let h = 0x811c9dc5;
  h = Math.imul(h ^ d.getUint32(0, true), 16777619) >>> 0;
  return Math.imul(h ^ d.getUint32(4, true), 16777619) >>> 0;
}

type Key = { offset: number; t: "string" | "number"; values: (string | number)[] };

const constant = (e: IR): string | number | undefined => (e.k === "str" || e.k === "num" ? e.v : undefined);
const slotOf = (e: IR, t: string): number | undefined => (e.k === "load" && e.base.kind === "in" && e.t === t ? e.offset : undefined);

/** The conjuncts of `e` that test an input slot against constants. */
function keysOf(e: IR, out: Key[] = []): Key[] {
  if (e.k === "and") {
    keysOf(e.l, out);
    keysOf(e.r, out);
  } else if (e.k === "cmp" && e.op === "==" && (e.t === "string" || e.t === "number")) {
    const [at, c] = slotOf(e.l, e.t) !== undefined ? [slotOf(e.l, e.t), constant(e.r)] : [slotOf(e.r, e.t), constant(e.l)];
    if (at !== undefined && c !== undefined) out.push({ offset: at, t: e.t, values: [c] });
  } else if (e.k === "inlit" && !e.negate && (e.t === "string" || e.t === "number")) {
    const at = slotOf(e.l, e.t);
    const cs = e.items.map(constant);
    if (at !== undefined && cs.every((c) => c !== undefined)) out.push({ offset: at, t: e.t, values: cs as (string | number)[] });
  }
  return out;
}

/** The index for one tool, if enough of its rules are keyed on one slot. */
function planTool(p: Program, t: ToolPlan): RuleIndex | undefined {
  if (t.patterns) return undefined;
  const keyed = new Map<number, Key>();
  const count = new Map<string, number>();
  for (const i of t.rules) {
    const c = p.conds[i];
    if (t.blind.has(i) || !c) continue;
    const k = keysOf(c)[0];
    if (!k) continue;
    keyed.set(i, k);
    const slot = `${k.t}@${k.offset}`;
    count.set(slot, (count.get(slot) ?? 0) + 1);
  }
  const best = [...count].sort((a, b) => b[1] - a[1])[0];
  if (!best || best[1] < MIN_INDEXED) return undefined;
  const [t0, off] = best[0].split("@") as ["string" | "number", string];
  const offset = Number(off);
  const byValue = new Map<string, { value: string | number; rules: number[] }>();
  const rest: number[] = [];
  for (const i of t.rules) {
    // Only a conjunct on the chosen slot keys a rule; rules keyed on another slot stay linear.
    const k = keysOf(p.conds[i] || { k: "bool", v: true }).find((x) => x.t === t0 && x.offset === offset);
    if (!k || t.blind.has(i)) {
      rest.push(i);
      continue;
    }
    for (const v of new Set(k.values.map((v) => (typeof v === "number" && v === 0 ? 0 : v)))) {
      // `x == NaN` is never true: such a value keys nothing.
      if (typeof v === "number" && Number.isNaN(v)) continue;
      const id = typeof v === "number" ? `n${v}` : `s${v}`;
      let b = byValue.get(id);
      if (!b) byValue.set(id, (b = { value: v, rules: [] }));
      b.rules.push(i);
    }
  }
  const keys = [...byValue.values()].map((b) => ({ ...b, hash: typeof b.value === "number" ? numHash(b.value) : strHash(b.value) }));
  keys.sort((a, b) => a.hash - b.hash || (String(a.value) < String(b.value) ? -1 : 1));
  return { offset, t: t0, keys, rest };
}

/** Plans the index of every tool of `p` that has one (ToolPlan.index). */
export function indexRules(p: Program): void {
  for (const t of p.tools) {
    const ix = planTool(p, t);
    if (ix) t.index = ix;
  }
}

/** What emitIndex needs of the emitter (compiler/emit.ts). */
export interface IndexGen {
  /** The statement recording rule `i` of the tool when its condition holds. */
  ruleLine(i: number): string;
  /** A constant string ref expression. */
  str(s: string): string;
  f64(v: number): string;
  /** Adds a module-level function. */
  fn(source: string): void;
  /** A fresh function name with this prefix. */
  name(prefix: string): string;
}

/** Hashes under one subtree function at most: keeps each generated function small for binaryen. */
const SUBTREE = 64;

/**
 * Emits the dispatch for `ix` and returns the name of its function (no arguments): it loads the
 * slot, hashes it, finds the constants with that hash by binary search and runs the rules of the
 * one equal to the value.
 */
export function emitIndex(ix: RuleIndex, g: IndexGen): string {
  const str = ix.t === "string";
  const vType = str ? "i64" : "f64";
  const hashes = [...new Set(ix.keys.map((k) => k.hash))];
  const leaf = (h: number): string => {
    const ks = ix.keys.filter((k) => k.hash === h);
    const arms = ks.map((k) => `if (${str ? `str_eq(v, ${g.str(k.value as string)})` : `v == ${g.f64(k.value as number)}`}) {\n${k.rules.map((i) => g.ruleLine(i)).join("\n")}\n  }`);
    return `if (h == ${h}) {\n  ${arms.join(" else ")}\n  }`;
  };
  const tree = (lo: number, hi: number, top: boolean): string => {
    if (!top && hi - lo <= SUBTREE) {
      const name = g.name("y");
      g.fn(`function ${name}(v: ${vType}, h: u32): void {\n${range(lo, hi)}\n}`);
      return `${name}(v, h);`;
    }
    if (hi - lo <= 4) return range(lo, hi);
    const mid = (lo + hi) >> 1;
    return `if (h < ${hashes[mid]}) {\n${tree(lo, mid, false)}\n} else {\n${tree(mid, hi, false)}\n}`;
  };
  const range = (lo: number, hi: number): string => {
    if (hi - lo <= 4) return hashes.slice(lo, hi).map(leaf).join(" else ");
    const mid = (lo + hi) >> 1;
    return `if (h < ${hashes[mid]}) {\n${range(lo, mid)}\n} else {\n${range(mid, hi)}\n}`;
  };
  const name = g.name("x");
  const load = str ? `load<i64>(IN + ${ix.offset})` : `load<f64>(IN + ${ix.offset})`;
  g.fn(`function ${name}(): void {\n  const v: ${vType} = ${load};\n  const h: u32 = ${str ? "str_hash(v)" : "num_hash(v)"};\n${tree(0, hashes.length, true)}\n}`);
  return name;
}

/**
 * The insertion sort run after an index: matches recorded by the dispatch come after the ones
 * evaluated one by one, and a decision lists them in rule order (with their `why` entries).
 */
export function sortMatches(matched: number, why: number | undefined): string {
  const move = (off: number) => `store<u32>(OUT + ${off} + j * 4, load<u32>(OUT + ${off} + (j - 1) * 4));`;
  return [
    "function msort(): void {",
    "  for (let i: usize = 1; i < N; i++) {",
    `    const m = load<u32>(OUT + ${matched} + i * 4);`,
    ...(why !== undefined ? [`    const w = load<u32>(OUT + ${why} + i * 4);`] : []),
    "    let j = i;",
    `    while (j > 0 && load<u32>(OUT + ${matched} + (j - 1) * 4) > m) {`,
    `      ${move(matched)}${why !== undefined ? ` ${move(why)}` : ""}`,
    "      j--;",
    "    }",
    `    store<u32>(OUT + ${matched} + j * 4, m);${why !== undefined ? ` store<u32>(OUT + ${why} + j * 4, w);` : ""}`,
    "  }",
    "}",
  ].join("\n");
}
