// Constant folding over the IR: operators and builtins whose operands are
// all constants become constants, and `and`/`or` with a constant side
// simplify. Builtins fold through the same TypeScript implementations the
// interpreter uses (kept equal to the AssemblyScript ones by stdlib's tests);
// one that fails on constants folds to ⊥, which strict operators pass on.

import { BUILTINS } from "../stdlib/signatures.js";
import { globMatch } from "../stdlib/ts/index.js";
import type { IR } from "./ir.js";
import { fallible } from "./tri.js";

type Lit = Extract<IR, { k: "num" | "str" | "bool" }>;
const isLit = (e: IR): e is Lit => e.k === "num" || e.k === "str" || e.k === "bool";
const lit = (v: unknown): IR => (typeof v === "number" ? { k: "num", v } : typeof v === "string" ? { k: "str", v } : { k: "bool", v: v as boolean });

/**
 * A strict operator's operands are evaluated in order, the first ⊥ being the
 * result: when that first one is a constant ⊥, so is the whole (the site of
 * an earlier operand that may fail at run time would come first otherwise).
 */
function firstBot(xs: IR[]): IR | undefined {
  for (const x of xs) {
    if (x.k === "bot") return x;
    if (!isLit(x)) return undefined;
  }
  return undefined;
}
export function foldIR(e: IR): IR {
  switch (e.k) {
    case "num": case "str": case "bool": case "load": case "var": case "present": case "toolmatch": case "bot": case "clock":
      return e;
    case "sel": {
      const key = foldIR(e.key);
      if (key.k === "bot") return key;
      const values = e.values.map(foldIR);
      if (isLit(key) && e.keys.every(isLit)) {
        const i = e.keys.findIndex((k) => (k as Lit).v === key.v);
        // No such key: only read under a `has` guard that is then false, so any value of the type will do.
        return i >= 0 ? values[i]! : e.t === "number" ? { k: "num", v: 0 } : e.t === "string" ? { k: "str", v: "" } : { k: "bool", v: false };
      }
      return { ...e, key, values };
    }
    case "not": {
      const x = foldIR(e.e);
      return x.k === "bool" ? { k: "bool", v: !x.v } : x.k === "bot" ? x : { k: "not", e: x };
    }
    case "neg": {
      const x = foldIR(e.e);
      return x.k === "num" ? { k: "num", v: -x.v } : x.k === "bot" ? x : { k: "neg", e: x };
    }
    case "and":
    case "or": {
      const l = foldIR(e.l);
      const r = foldIR(e.r);
      const absorbing = e.k === "or"; // true absorbs `or`, false absorbs `and`
      if (l.k === "bool") return l.v === absorbing ? l : r;
      if (r.k === "bool") return r.v === absorbing ? r : l;
      return { k: e.k, l, r };
    }
    case "cmp": {
      const l = foldIR(e.l);
      const r = foldIR(e.r);
      const bot = firstBot([l, r]);
      if (bot) return bot;
      if (!isLit(l) || !isLit(r)) return { ...e, l, r };
      const a = l.v as number;
      const b = r.v as number;
      const v = { "==": a === b, "!=": a !== b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b }[e.op];
      return { k: "bool", v };
    }
    case "arith": {
      const l = foldIR(e.l);
      const r = foldIR(e.r);
      const bot = firstBot([l, r]);
      if (bot) return bot;
      if (l.k !== "num" || r.k !== "num") return { ...e, l, r };
      return { k: "num", v: e.op === "+" ? l.v + r.v : e.op === "-" ? l.v - r.v : l.v * r.v };
    }
    case "inlit": {
      const l = foldIR(e.l);
      const items = e.items.map(foldIR);
      const bot = firstBot([l, ...items]);
      if (bot) return bot;
      // `x in []` is false, unless x may be ⊥ (then it is x's ⊥: strict, as every operator).
      if (items.length === 0 && !fallible(l)) return { k: "bool", v: e.negate };
      if (isLit(l) && items.every(isLit)) return { k: "bool", v: items.some((x) => x.v === l.v) !== e.negate };
      return { ...e, l, items };
    }
    case "inlist": {
      const l = foldIR(e.l);
      return l.k === "bot" ? l : { ...e, l, list: foldIR(e.list) };
    }
    case "quant": return { ...e, list: foldIR(e.list), body: foldIR(e.body) };
    case "listlen": return { ...e, list: foldIR(e.list) };
    case "call": {
      const args = e.args.map(foldIR);
      const bot = firstBot(args);
      if (bot) return bot;
      // Lists (urls, emails) stay calls: the IR has no list constants.
      if (e.t !== "list" && args.every(isLit)) {
        const v = BUILTINS.get(e.fn)!.run(...args.map((a) => (a as Lit).v));
        return v === null ? { k: "bot", site: e.site! } : lit(v);
      }
      return { ...e, args };
    }
    case "glob": {
      const s = foldIR(e.s);
      return s.k === "str" ? { k: "bool", v: globMatch(e.pattern, s.v) } : s.k === "bot" ? s : { ...e, s };
    }
    case "regex": {
      const s = foldIR(e.s);
      return s.k === "bot" ? s : { ...e, s };
    }
  }
}
