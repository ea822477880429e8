// The checker's output: the annotated AST plus the tables every back end
// needs (declared tools with their argument types, rules with the tools they
// cover, limits, defaults, redactions). Consumed by the interpreter, the
// compiler's lowering and the runtime's call validator.

import type { DefaultDecl, Effect, LetDecl, LimitDecl, Policy, RuleDecl, ToolClass, ToolDecl } from "./ast.js";
import type { FieldType } from "./types.js";

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
}

export interface CheckedLimit {
  decl: LimitDecl;
  index: number;
  tools: string[];
  readsArgs: boolean;
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
}

/** Secrets redacted from audit records even when the policy does not name them. */
export const DEFAULT_REDACT = ["password", "token", "secret", "api_key", "ssn", "card_number", "credit_card"] as const;

/** Effects ordered by restrictiveness: deny beats approve beats allow. */
export const EFFECT_RANK: Record<Effect, number> = { allow: 0, approve: 1, deny: 2 };
