// The compiler's intermediate representation: typed expressions over input
// slots (no names, no lets, no literal lists left), and per-tool plans of
// which rules and limit sums to evaluate. Produced by lower.ts, folded by
// fold.ts, printed as AssemblyScript by emit.ts.

import type { Effect } from "../language/ast.js";
import type { RuleIndex } from "./index-rules.js";
import type { Block, InputLayout } from "./layout.js";

export type Scalar = "number" | "bool" | "string";
/** Where a load reads from: the fixed input block, or the element a quantifier variable points at. */
export type Base = { kind: "in" } | { kind: "var"; name: string };

export type IR =
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "bool"; v: boolean }
  /** A value slot: f64, i32 bool, i64 string ref or i64 list ref. */
  | { k: "load"; t: Scalar | "list"; base: Base; offset: number }
  /** A quantifier variable bound to a scalar or list element (record elements are read through loads). */
  | { k: "var"; name: string; t: Scalar | "list" }
  /** True when every presence flag is set. */
  | { k: "present"; base: Base; offsets: number[] }
  | { k: "not"; e: IR }
  | { k: "neg"; e: IR }
  | { k: "and"; l: IR; r: IR }
  | { k: "or"; l: IR; r: IR }
  | { k: "cmp"; op: "==" | "!=" | "<" | "<=" | ">" | ">="; t: Scalar; l: IR; r: IR }
  | { k: "arith"; op: "+" | "-" | "*"; l: IR; r: IR }
  /** `l in [a, b, ...]` over a literal list (l evaluated once). */
  | { k: "inlit"; t: Scalar; l: IR; items: IR[]; negate: boolean }
  /** `l in LIST` over an input list of scalars. */
  | { k: "inlist"; t: Scalar; l: IR; list: IR; negate: boolean }
  /**
   * `any/all name in LIST: body` over an input list; `elem` says what `name` holds. `block` is the element's
   * layout block itself, not a copy of its size: later rules may still add fields to the element, and the
   * stride must be the final size the encoder writes.
   */
  | { k: "quant"; q: "any" | "all"; name: string; list: IR; elem: { t: Scalar | "list" | "record"; block: Block }; body: IR }
  | { k: "listlen"; list: IR }
  /** A builtin (`t` "list": a list of strings in the arena, from urls/emails); `site` is set for the ones that can fail (CheckedPolicy.sites). */
  | { k: "call"; fn: string; t: Scalar | "list"; args: IR[]; site?: number }
  /** The host's clock (`time`, f64 ms at `offset` of the input block) as `today()` (days) or `now()` (seconds). */
  | { k: "clock"; unit: "today" | "now"; offset: number }
  /**
   * A lookup in a map written in a let: `values[i]` when `key` equals the constant `keys[i]`,
   * else the type's zero (only read under a `has` guard, which the checker requires).
   */
  | { k: "sel"; t: Scalar; keyT: Scalar; key: IR; keys: IR[]; values: IR[] }
  /** The failure value ⊥ as a constant (a failing builtin folded), with its call site. */
  | { k: "bot"; site: number }
  | { k: "glob"; pattern: string; s: IR }
  | { k: "regex"; table: number; s: IR }
  /** Whether the call's tool name matches a target pattern (only for tools the module has no id for). */
  | { k: "toolmatch"; pattern: string; quoted: boolean };

export interface RuleCode {
  index: number;
  effect: Effect;
  /** Undefined: the rule matches every call it targets. */
  cond?: IR;
}

export interface ToolPlan {
  /** 0 for every tool name the module has no id for. */
  id: number;
  name: string;
  declared: boolean;
  /** Indices of the rules to evaluate for this tool, ascending. */
  rules: number[];
  /** For id 0: per rule, the target patterns that must match the name (else the rule is skipped). */
  patterns?: Map<number, { pattern: string; quoted: boolean }[]>;
  /** For blind rules (deny/approve reading the args of an undeclared tool): they apply without their condition. */
  blind: Set<number>;
  /** Indices of sum limits whose amount this tool's branch computes. */
  sums: number[];
  /** Indices of limits with `if` whose condition this branch computes (a sum is computed only where it applies). */
  limitConds: number[];
  /** Indices of `on` updates this branch computes. */
  updates: number[];
  /** Set when many rules test one slot against constants: they are dispatched on its value (index-rules.ts). */
  index?: RuleIndex;
}

/** An `on ... add VALUE to STATE [if COND]`, lowered. */
export interface UpdateCode {
  value: IR;
  t: Scalar;
  cond?: IR;
}

export interface Program {
  layout: InputLayout;
  /** Rule conditions, by rule index (undefined = unconditional; `false` = can never match). */
  conds: (IR | undefined | false)[];
  effects: Effect[];
  /** Sum limit amount expressions, by limit index. */
  sumExprs: (IR | undefined)[];
  /** Conditions of limits written with `if`, by limit index (undefined: the limit always applies). */
  limitConds: (IR | undefined)[];
  /** `on` updates, by update index. */
  updates: UpdateCode[];
  tools: ToolPlan[];
  unknown: ToolPlan;
  regexTables: Uint8Array[];
}
