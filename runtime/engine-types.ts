// The Engine's public shapes: options, the decision it returns, hooks, trust settings and errors.
// Fed by embedding services (Engine.load options); consumed by engine.ts and the modules it
// composes (approvals, trust, pauses, guard) and re-exported from runtime/index.ts.

import type { Effect } from "../language/ast.js";
import type { CallIdOptions } from "./decide-for.js";
import type { LoadOptions } from "./loader.js";
import type { RolloutOptions } from "./reload.js";
import type { AuditSink, JsonlAuditOptions, PostgresAuditSpec } from "./audit/index.js";
import type { Approval, StoreSpec, ToolClass } from "./store/index.js";

/** Where time comes from (ms since the epoch). Injected so tests can move time; stores never read the clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What made the final call, in the order the Engine applies them. */
export type DecidedBy =
  | "rule" | "default" // the policy
  | "schema" // the call does not fit the tool's schema
  | "pause" // the kill switch
  | "trust" // the agent is revoked, or its trust is below the minimum for writes
  | "approval" // a granted approval of exactly this call was used (or, from guard, the approval was rejected or expired)
  | "limit" // a limit would be exceeded
  | "error"; // an internal error: always deny

/** What a caller of `engine.decide(call, options)` knows beyond the call itself. */
export interface DecideOptions {
  /**
   * Who sent the call, where the caller authenticates senders (pol serve passes the signed-in
   * principal). An approval the call asks for records it, nobody resolves an approval they
   * requested, and a repeat of the call from someone else asks for an approval of its own.
   * A non-empty string of at most 256 characters; anything else denies the call.
   */
  requestedBy?: string;
}

/** The answer to `engine.decide(call)`. Also what hooks and PolicyDenied carry. */
export interface EngineDecision {
  /** Unique, sortable by time (ULID-like); names the decision in the audit log. */
  id: string;
  effect: Effect;
  decidedBy: DecidedBy;
  /** The policy rule (label or `file:line`) or default that decided, even when a later stage overrode it; null when the policy never ran. */
  rule: string | null;
  reasons: string[];
  /** Approver groups when the effect is approve; empty means any approver. */
  approvers: string[];
  /** The approval created or still pending (effect approve), or the one used (decidedBy approval). */
  approval?: string;
  /** The limit that denied (decidedBy limit). */
  limit?: string;
  /** The pause that denied (decidedBy pause). */
  pause?: string;
  /** The agent's trust score the policy saw as `agent.trust`. */
  trust: number;
  /** sha256 of the policy module that decided. */
  policyHash: string;
  /** Set when the canary policy decided (its share of runs), not the live one. */
  canary?: true;
  /** Time spent deciding, up to and excluding the audit append, in microseconds. */
  latencyUs: number;
}

export interface TrustOptions {
  /** Below this score, write and destructive calls the policy allows need an approval. Default 50. */
  minimum?: number;
  /** The score an operator's restore sets unless told otherwise. Default 80. */
  recovery?: number;
  /** Added per tool execution that succeeded. Default 1. */
  reward?: number;
  /** Subtracted per tool execution that failed. Default 5. */
  penalty?: number;
  /** Subtracted when a human rejects one of the agent's approval requests. Default 10. */
  rejectedPenalty?: number;
  /** Subtracted per call the policy denies (rule or default, not schema, pause or limit). Default 0. */
  deniedPenalty?: number;
  /** Approver groups for approvals the trust minimum requires; default none (any approver). */
  approvers?: string[];
  /** The score of an agent never seen, for stores the Engine opens itself. Default 100. */
  initial?: number;
}

/** Everything trust needs, with defaults applied. */
export type TrustSettings = Required<TrustOptions>;

/**
 * Observers: they see, they cannot decide. Each gets a frozen copy; what one throws, or a promise
 * it returns rejects with (it is not awaited), is a `PolEngineWarning`, never a failed call.
 */
export interface EngineHooks {
  /** After every decision is audited. */
  onDecision?(decision: EngineDecision, call: unknown): void;
  /** After every execution outcome recorded by guard(). */
  onOutcome?(outcome: OutcomeRecord): void;
  /** An internal error that was failed closed or could not be audited. */
  onError?(error: Error, where: string): void;
  /** Groups of an approver, checked by `approvals.resolve`; without it any `by` may resolve. */
  approverGroups?(by: string): string[] | Promise<string[]>;
}

/** Decides when cached pauses and trust scores must be re-read: a token that changes whenever another writer may have changed the store. */
export interface StateProbe {
  token(): unknown;
  close(): void;
}

export type AuditOption = string | false | AuditSink | ({ path: string } & JsonlAuditOptions) | PostgresAuditSpec;

export interface EngineOptions extends LoadOptions, RolloutOptions {
  /**
   * A SQLite file (created if missing), `":memory:"` for an unpersisted in-process store (the
   * default), a `redis://` or `postgres://` url, a StateStore the caller opened and keeps ownership
   * of, or a source per part (`{ limits: "redis://...", approvals: "postgres://...", ... }`); see
   * runtime/store/open.ts.
   */
  store?: StoreSpec;
  /**
   * The audit log: a JSONL path, `{ path, sync, batchMs, key, keyFile, rotateBytes }`, a postgres://
   * url or `{ url, keyFile, chain, ... }` (one chain for a fleet: runtime/audit/postgres.ts), an AuditSink
   * the caller owns, or false for none. Defaults to `<store file without .db>.audit.jsonl` when the
   * store is a file; required otherwise, so an engine never runs unaudited by accident.
   */
  audit?: AuditOption;
  clock?: Clock;
  /** How long an approval stays open before it expires into a deny. Default 15 minutes. */
  approvalTimeoutMs?: number;
  /** How often `approvals.wait` re-reads the store for changes made by other processes. Default 250 ms. */
  approvalPollMs?: number;
  trust?: TrustOptions;
  hooks?: EngineHooks;
  /** For a StateStore passed in: a change probe. Without one, pauses and trust are cached for cacheTtlMs. */
  probe?: StateProbe;
  /** Cache lifetime for stores without a probe; default 0 (read on every decision, exact). */
  cacheTtlMs?: number;
  /** Longest argument string written to the audit log in full; longer ones are cut (default 4096). */
  auditMaxString?: number;
  /**
   * The engine's secret (bytes or hex, at least 16 bytes): keys the hash approvals are bound to
   * and the hashes standing for redacted values in limit keys. Default: POL_SECRET, else a key
   * file beside a SQLite store (`<store>.key`, created once), else a random key per process.
   * Engines sharing approvals through any other store must share it.
   */
  secret?: Uint8Array | string;
  /**
   * Largest call decided on: string lengths plus list lengths plus object keys, over the whole
   * call (default 4,000,000). A larger call is denied before any of it reaches the policy module.
   */
  maxCallSize?: number;
  /**
   * Pending approval requests one agent may have at once (default 20). A call that would ask for
   * one more is denied, saying so, until approvers resolve some: a flood of requests cannot bury
   * the queue. Kept atomically by the store, across every engine sharing it.
   */
  maxPendingPerAgent?: number;
  /** How many tool-call ids `decideFor` remembers, and for how long (runtime/decide-for.ts). */
  callIds?: CallIdOptions;
  /**
   * For policies that read the run (`seen`, `calls`, `state`): how many allowed calls a run keeps
   * (default 1,000; a call past it is denied, saying so) and how long a run is kept after its last
   * allowed call (default 24 hours).
   */
  runs?: { maxCalls?: number; ttlMs?: number };
}

export type TrustLevel = "trusted" | "restricted" | "revoked";

export interface TrustStatus {
  agentId: string;
  score: number;
  revoked: boolean;
  /** revoked: every call denied; restricted: writes need approval; trusted: the policy alone decides. */
  level: TrustLevel;
  updatedAt: number | null;
}

/** What a tool execution (or an operator) reports about an agent. */
export type TrustOutcome = "success" | "error" | "rejected" | "denied" | { delta: number; reason?: string };

export type OutcomeStatus = "succeeded" | "failed" | "not-run";

/** An execution outcome as audited and passed to hooks.onOutcome. */
export interface OutcomeRecord {
  decision: string;
  tool: string;
  agent: string | null;
  run: string | null;
  status: OutcomeStatus;
  /** Why a call that needed an approval never ran (rejected, expired, timed out). */
  reason?: string;
  error?: string;
  sideEffectId?: string;
  durationMs?: number;
}

/**
 * What recordOutcome did beyond the audit record: `trustError` when the agent's trust change
 * could not be written (the store failed). The record is written either way; it never throws.
 */
export interface OutcomeReport {
  /** The trust change could not be written (the store failed); the outcome is audited. */
  trustError?: string;
  /** With trustError: the decision's one claim was spent first, so reporting it again moves nothing. */
  claimSpent?: true;
  /** Why a trust outcome moved nothing (OutcomeOptions: a receipt that does not check out, or a decision reported already). */
  trustUnchanged?: string;
}

/**
 * For a host that takes outcome reports from outside the process (pol serve's `/v1/outcome`),
 * where the report itself may be made up or repeated. With these options, a trust outcome moves
 * trust at most once per decision across every engine on the store (the decision is claimed in
 * the limit store first).
 */
export interface OutcomeOptions {
  /**
   * The receipt the decision's answer carried (`engine.receipt`): trust moves only when it is the
   * receipt of this decision and agent from an engine sharing this one's secret (a fleet), at most
   * an hour old. null: the host vouches for the allow itself (pol serve remembers the allows it gave).
   */
  receipt: string | null;
}

/** A pause target: a tool pattern (`*` matches any run of characters), a tool class, or both. */
export type PauseTarget = string | { pattern?: string; class?: ToolClass };

export type EngineErrorCode = "invalid" | "not-found" | "forbidden" | "closed";

/** Misuse of the Engine's admin API (decide never throws). One lowercase line. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.name = "EngineError";
    this.code = code;
  }
}

export type { Approval };
