// The shapes that cross the library boundary: a tool call as agents send it,
// and the decision every engine returns. Produced by the interpreter and the
// wasm evaluator alike; consumed by the runtime, the CLI and `pol test`.

import type { Effect } from "./ast.js";
import type { Span } from "./span.js";

/** A tool call. Every field but `tool` may be omitted; what omitted fields read as is in inputs.ts. */
export interface Call {
  tool: string;
  args?: Record<string, unknown>;
  agent?: { id?: string; roles?: string[]; trust?: number };
  env?: string;
  run?: { id?: string; calls?: number };
  ctx?: Record<string, unknown>;
  /**
   * The calls allowed earlier in this run, oldest first (read by `seen`, `count`, `calls`). The
   * Engine fills it from its store and ignores what a caller sends.
   */
  history?: { tool: string; args?: Record<string, unknown> }[];
  /** The run's state (`state` declarations); the Engine fills it from its store. */
  state?: Record<string, unknown>;
  /** The host's clock, for `today()` and `now()`: ms since the epoch, or an ISO date and time. The Engine fills it. */
  time?: number | string;
}

/** A value a call adds to run state when the Engine allows it (`on ... add ... to ...`). */
export interface StateUpdate {
  state: string;
  value: number | string | boolean;
}

export interface RuleRef {
  /** The rule's label or `file:line` id; for defaults `default` or `default for <targets>`. */
  id: string;
  kind: "rule" | "default";
  effect: Effect;
  span: Span;
}

export interface LimitUse {
  id: string;
  kind: "calls" | "sum";
  /** 1 for a call-count limit; the value of the summed expression otherwise. */
  amount: number;
  max: number;
  windowSeconds: number;
  /** The bucket: the limit id and the values of its `per` keys, e.g. `refunds|agent=support-bot`. */
  key: string;
  /** Set for `else approve` limits: a call over the limit goes to these approver groups (empty: any) instead of being denied. */
  escalate?: string[];
  span: Span;
}

export interface Decision {
  effect: Effect;
  /** What decided: a rule, a default, the schema check of the call, or an internal error (always deny). */
  decidedBy: "rule" | "default" | "schema" | "error";
  /** The deciding rules: every matched rule with the winning effect, or the default that applied. */
  rules: RuleRef[];
  /** Ids of every rule whose targets and condition matched the call, in source order. */
  matched: string[];
  reasons: string[];
  /** Approver groups (approve decisions); empty means any approver. */
  approvers: string[];
  /** Limits whose targets cover the call, to be checked and consumed by the runtime. */
  limits: LimitUse[];
  /** Argument paths declared with `redact`; the audit log also hides default secret keys (runtime/audit/redact.ts). */
  redact: string[];
  /** What the call adds to run state if it is allowed; present only for policies with `on` statements. */
  updates?: StateUpdate[];
}
