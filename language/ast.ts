// The abstract syntax tree of a .pol file. Produced by toAst (from the CST);
// annotated in place by the checker (expression types, resolved paths); read
// by the formatter, the interpreter and the compiler's lowering.

import type { Span } from "./span.js";
import type { Type } from "./types.js";

export type Effect = "allow" | "deny" | "approve";
export type ToolClass = "read" | "write" | "destructive";

export interface Policy {
  kind: "policy";
  file: string;
  header?: PolicyHeader;
  items: Item[];
  comments: Comment[];
  span: Span;
}

export interface PolicyHeader { name: string; description?: string; span: Span; nameSpan: Span }
export interface Comment { text: string; span: Span }

export type Item = ImportDecl | DefaultDecl | ToolDecl | ContextDecl | LetDecl | RuleDecl | LimitDecl | RedactDecl | StateDecl | UpdateDecl;

export interface ImportDecl { kind: "import"; path: string; span: Span }

/** `default EFFECT` (targets undefined) or `default EFFECT for TARGETS`. */
export interface DefaultDecl { kind: "default"; effect: Effect; targets?: Target[]; span: Span }

export interface ToolDecl {
  kind: "tool";
  name: string;
  /** Whether the name was written as a quoted string (`"delete:user"`), so the formatter keeps it. */
  quoted: boolean;
  nameSpan: Span;
  fields: FieldDecl[];
  toolClass?: ToolClass;
  span: Span;
}

export interface ContextDecl { kind: "context"; fields: FieldDecl[]; span: Span }

export interface LetDecl { kind: "let"; name: string; nameSpan: Span; value: Expr; span: Span }

export interface RuleDecl {
  kind: "rule";
  /** The author's label (`small_refund: allow ...`), if any. */
  label?: string;
  /** The label, or `<file basename>:<line>` for unlabelled rules: stable across edits elsewhere in the file. */
  id: string;
  effect: Effect;
  targets: Target[];
  /** Approver groups from `by "group", ...` (approve rules only). */
  approvers: string[];
  condition?: Expr;
  because?: string;
  span: Span;
}

export type WindowUnit = "second" | "minute" | "hour" | "day";
export interface LimitWindow { count: number; unit: WindowUnit; seconds: number; span: Span }

/** What a limit key partitions by: the agent id, the run id, the tool name, or the value at a path. */
export type LimitKey =
  | { kind: "agent"; span: Span }
  | { kind: "run"; span: Span }
  | { kind: "tool"; span: Span }
  | { kind: "path"; path: PathExpr; span: Span };

export interface LimitDecl {
  kind: "limit";
  label?: string;
  id: string;
  targets: Target[];
  /** `N calls per ...` counts calls; `sum EXPR N per ...` adds up EXPR. */
  measure: { kind: "calls" } | { kind: "sum"; expr: Expr };
  max: number;
  maxSpan: Span;
  window: LimitWindow;
  keys: LimitKey[];
  /** `if COND`: the limit counts only the calls for which COND holds. */
  condition?: Expr;
  /** `else approve [by "group"]`: a call over the limit goes to a person instead of being denied. */
  escalate?: { approvers: string[]; span: Span };
  span: Span;
}

/** `state NAME: TYPE [max N]`: a value each run accumulates from its allowed calls (a number, or a list of scalars). */
export interface StateDecl { kind: "state"; name: string; nameSpan: Span; type: TypeExpr; max?: number; maxSpan?: Span; span: Span }

/** `on TARGETS add EXPR to NAME [if COND]`: after the Engine allows a matching call, EXPR is added to run state NAME. */
export interface UpdateDecl {
  kind: "update";
  /** `<file basename>:<line>`. */
  id: string;
  targets: Target[];
  value: Expr;
  state: string;
  stateSpan: Span;
  condition?: Expr;
  span: Span;
}

export interface RedactDecl { kind: "redact"; paths: PathExpr[]; span: Span }

/**
 * A tool target. `text` is the name or pattern as matched against tool names
 * (`stripe.refund`, `db.*`, `delete:*`). In an unquoted dotted pattern `*`
 * stands for one whole segment; in a quoted pattern for any run of characters.
 */
export interface Target {
  text: string;
  quoted: boolean;
  glob: boolean;
  /** `class(write)`: every tool of that class (a tool without a declaration counts as `destructive`); `text` is `class(write)`. */
  cls?: ToolClass;
  span: Span;
}

export interface FieldDecl { name: string; optional: boolean; type: TypeExpr; span: Span; nameSpan: Span }

export type TypeExpr =
  | { kind: "number"; span: Span }
  | { kind: "string"; span: Span }
  | { kind: "bool"; span: Span }
  | { kind: "list"; elem: TypeExpr; span: Span }
  /** `{ ... }`; `open` when written with a trailing `...` (other fields allowed, never read). */
  | { kind: "record"; fields: FieldDecl[]; open?: boolean; span: Span }
  /** `"r" | "rw"`: a string that must be one of the values. */
  | { kind: "enum"; values: string[]; span: Span };

// ---------------------------------------------------------------- expressions

export type BinaryOp = "and" | "or" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "in" | "not in";
export type UnaryOp = "not" | "-";

interface ExprBase {
  span: Span;
  /** Set by the checker. */
  type?: Type;
}

export interface NumberLit extends ExprBase { kind: "number"; value: number }
export interface StringLit extends ExprBase { kind: "string"; value: string }
export interface BoolLit extends ExprBase { kind: "bool"; value: boolean }
export interface ListLit extends ExprBase { kind: "list"; items: Expr[] }
/** `{ to: "SE35...", amount: 50 }`: a record value. */
export interface RecordLit extends ExprBase { kind: "record"; fields: { name: string; nameSpan: Span; value: Expr }[] }
/** `{ 6: ..., 7: ... }` or `{ "a": ... }`: a map from number or string keys, read as `m[key]`. */
export interface MapLit extends ExprBase { kind: "map"; entries: { key: number | string; keySpan: Span; value: Expr }[] }
/** A path segment: `.name`, or `[key]` (a lookup in a map; `name` is then ""). */
export interface PathSegment { name: string; span: Span; index?: Expr }
export interface PathExpr extends ExprBase {
  kind: "path";
  root: string;
  rootSpan: Span;
  segments: PathSegment[];
  /** Set by the checker. */
  ref?: PathRef;
}
export interface UnaryExpr extends ExprBase { kind: "unary"; op: UnaryOp; operand: Expr }
export interface BinaryExpr extends ExprBase { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; opSpan: Span }
/** `subject matches "glob*"`: `*` any run, `?` one character; whole-string match. */
export interface MatchesExpr extends ExprBase { kind: "matches"; subject: Expr; pattern: string; patternSpan: Span }
/** `subject =~ /source/flags`: search semantics (unanchored unless the pattern anchors), compiled to a DFA. */
export interface RegexExpr extends ExprBase { kind: "regex"; subject: Expr; source: string; flags: string; patternSpan: Span }
export interface HasExpr extends ExprBase { kind: "has"; path: PathExpr }
export interface QuantExpr extends ExprBase {
  kind: "quant";
  quantifier: "any" | "all";
  variable: string;
  variableSpan: Span;
  list: Expr;
  body: Expr;
}
/**
 * `seen(T, ...)`, `count(T, ...)`, `calls(T, ...)`: the calls the Engine allowed earlier in this
 * run whose tool matches the targets (whether there is one, how many, the list of `{ tool, args }`).
 */
export interface HistoryExpr extends ExprBase {
  kind: "history";
  fn: "seen" | "count" | "calls";
  fnSpan: Span;
  targets: Target[];
  /** Set by the checker: the index of its query in CheckedPolicy.queries. */
  query?: number;
}
export interface CallExpr extends ExprBase {
  kind: "call";
  fn: string;
  fnSpan: Span;
  args: Expr[];
  /** Set by the checker on calls of builtins that can fail: the index of this call in CheckedPolicy.sites. */
  site?: number;
}

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | ListLit
  | RecordLit
  | MapLit
  | PathExpr
  | UnaryExpr
  | BinaryExpr
  | MatchesExpr
  | RegexExpr
  | HasExpr
  | QuantExpr
  | HistoryExpr
  | CallExpr;

/** The inputs a path can start from. */
export type InputRoot = "args" | "agent" | "env" | "tool" | "run" | "ctx" | "state";
export const INPUT_ROOTS: readonly InputRoot[] = ["args", "agent", "env", "tool", "run", "ctx", "state"];

/**
 * What a path refers to, resolved by the checker:
 * - an input (`args.amount`, `agent.trust`, `env`), with the field names after the root;
 * - a `let` constant (its value is inlined by the compiler);
 * - a quantifier variable, with the field names after it.
 */
export type PathRef =
  | { kind: "input"; root: InputRoot; fields: string[] }
  | { kind: "let"; decl: LetDecl; fields: string[] }
  | { kind: "var"; name: string; fields: string[] };
