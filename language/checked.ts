// The checker's output: the annotated AST plus the tables every back end
// needs (declared tools with their argument types, rules with the tools they
// cover, limits, defaults, redactions). Consumed by the interpreter, the
// compiler's lowering and the runtime's call validator.

import type { DefaultDecl, Effect, LetDecl, LimitDecl, Policy, RuleDecl, StateDecl, Target, ToolClass, ToolDecl, UpdateDecl } from "./ast.js";
import type { FieldType, Type } from "./types.js";

export interface CheckedTool {
  name: string;
  decl: ToolDecl;
  /** The fields of `args`, as declared. */
  args: FieldType[];
  toolClass: ToolClass;
}

export interface CheckedRule {
  decl: RuleDecl;
  /** Position among the policy's rules: the order of `matched` lists and of the wasm rule table. */
  index: number;
  /** Declared tools the targets cover, in declaration order. */
  tools: string[];
  /** Whether the condition reads `args` (then it cannot be evaluated for an undeclared tool). */
  readsArgs: boolean;
  /** The history queries its condition reads (through lets): what an approver is shown from the run's history. */
  queries: number[];
}

export interface CheckedLimit {
  decl: LimitDecl;
  index: number;
  tools: string[];
  /** Whether the summed expression or the condition reads `args`. */
  readsArgs: boolean;
}

/**
 * One distinct `seen`/`count`/`calls` target list: the host passes, per query,
 * the run's earlier allowed calls whose tool matches, each as `{ tool, args }`.
 */
export interface HistoryQuery {
  /** The targets as printed (`get_webpage, class(read)`): queries with the same text are one. */
  key: string;
  targets: Target[];
  /** The fields of an entry's `args`: those every declared tool the targets cover shares, optional when the targets may match a tool without a schema. */
  args: FieldType[];
}

/** `state NAME: TYPE [max N]`: a number, or a list of scalars (a set) holding at most `max` values. */
export interface CheckedState {
  decl: StateDecl;
  name: string;
  type: Type;
  max: number;
}

/** `on TARGETS add EXPR to NAME [if COND]`. */
export interface CheckedUpdate {
  decl: UpdateDecl;
  index: number;
  tools: string[];
  /** Whether the value or the condition reads `args`. */
  readsArgs: boolean;
  /** Index into CheckedPolicy.state. */
  state: number;
}

/** A call of a builtin that can fail (host, domain, in_cidr): what a decision says when it does. */
export interface Site {
  fn: string;
  /** One clause naming the input, e.g. "`args.url` is not a URL pol can parse unambiguously". */
  failure: string;
}

export interface CheckedPolicy {
  name: string;
  description?: string;
  file: string;
  policy: Policy;
  imports: Policy[];
  /** Declared tools by name, in declaration order (imports first). */
  tools: Map<string, CheckedTool>;
  /** Fields of `ctx`. */
  context: FieldType[];
  lets: Map<string, LetDecl>;
  rules: CheckedRule[];
  limits: CheckedLimit[];
  /** The policy-wide default (deny when the policy has no `default` statement). */
  defaultEffect: Effect;
  defaultDecl?: DefaultDecl;
  /** `default EFFECT for TARGETS` declarations, in source order. */
  defaultsFor: DefaultDecl[];
  /** Argument paths declared with `redact` (`args.card_number`), without the built-in secrets. */
  redact: string[];
  /** Calls of builtins that can fail, by CallExpr.site. */
  sites: Site[];
  /** History queries, by HistoryExpr.query. */
  queries: HistoryQuery[];
  /** Declared run state, in declaration order. */
  state: CheckedState[];
  updates: CheckedUpdate[];
  /** Whether some expression reads the host's clock (`today()`, `now()`): calls must then carry `time`. */
  readsClock: boolean;
}

/** The most values a list in run state may hold when its declaration says no `max`. */
export const DEFAULT_STATE_MAX = 100;
/** The largest `max` a run state list may declare. */
export const STATE_MAX_LIMIT = 10_000;

/** Secrets redacted from audit records even when the policy does not name them. */
export const DEFAULT_REDACT = ["password", "token", "secret", "api_key", "ssn", "card_number", "credit_card"] as const;

/** Effects ordered by restrictiveness: deny beats approve beats allow. */
export const EFFECT_RANK: Record<Effect, number> = { allow: 0, approve: 1, deny: 2 };
