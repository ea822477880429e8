// The state-store contracts the Engine depends on: limits, approvals, trust and pauses.
// Implemented by memory.ts, sqlite.ts, redis.ts and postgres.ts; consumed by the Engine, the CLI
// (`pol approvals`, `pol pause`), `pol test` and the audit sinks (anchors), and pinned by test/conformance.ts.
//
// Invariants every back-end keeps:
// - every method is async, because networked back-ends are;
// - time is always passed in (`now`, ms since the epoch): stores never read the clock;
// - every failure a user can cause is a thrown StoreError with a one-line lowercase message.

/** Why a store operation failed; lets the CLI and HTTP layers pick an exit code or status. */
/**
 * `unavailable`: a server back-end is down, unreachable or did not answer within the store's deadline
 * (deadline.ts); the operation may or may not have happened, and the caller fails closed.
 */
export type StoreErrorCode = "invalid" | "not-found" | "conflict" | "closed" | "busy" | "io" | "unavailable";

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
  }
}

/** The pending-approval cap an agent reached (CreateOptions.maxPendingPerAgent): a `busy` error the Engine turns into a deny saying so. */
export class PendingCapError extends StoreError {
  constructor(readonly agentId: string, readonly cap: number) {
    super("busy", `agent \`${agentId}\` already has ${cap} pending approval${cap === 1 ? "" : "s"}, the most allowed; resolve or let some expire first`);
  }
}

// ---------------------------------------------------------------------------
// Limits

/** One limit to charge for a call; the Engine builds these from the policy's LimitUse (see limitCharge). */
export interface LimitCharge {
  /** The limit's id, reported back when it denies. */
  id: string;
  /** The bucket, e.g. `refunds|agent=support-bot`. A key must always be charged with the same window. */
  key: string;
  /** 1 for a call-count limit, the summed value for a sum limit; finite and >= 0. */
  amount: number;
  /** The most the window may hold; a charge fits when used + amount <= max. */
  max: number;
  windowMs: number;
}

export interface LimitDenied {
  ok: false;
  /** The first charge, in the order given, that did not fit. */
  id: string;
  key: string;
  /** The bucket's in-window total before this charge. */
  used: number;
  amount: number;
  max: number;
  /**
   * The earliest time at which enough of the window's events have expired for this charge to fit,
   * assuming nothing else is charged meanwhile; null when the amount alone exceeds max (never fits).
   */
  resetAt: number | null;
}

export type LimitResult = { ok: true } | LimitDenied;

export interface LimitStore {
  /** Atomically records every charge, or none of them when any one would exceed its max. */
  consume(charges: readonly LimitCharge[], now: number): Promise<LimitResult>;
  /** The same check as consume, recording nothing. */
  peek(charges: readonly LimitCharge[], now: number): Promise<LimitResult>;
  /** The bucket's total over events with `at > now - windowMs`. */
  usage(key: string, windowMs: number, now: number): Promise<number>;
  /** Records an event unconditionally (test and `pol test` set-up). */
  seed(key: string, amount: number, at: number): Promise<void>;
}

// ---------------------------------------------------------------------------
// Approvals

/**
 * Stored states are pending, approved, rejected and consumed; `expired` is computed on read
 * (pending or approved with now >= expiresAt), so no timer is needed and nothing is missed.
 */
export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "consumed";

export interface ApprovalRequest {
  id: string;
  /** Hash of the exact call; an approval authorises only a call with the same hash. */
  callHash: string;
  tool: string;
  agentId: string;
  runId?: string;
  /** Approver groups; empty means any approver. The Engine checks membership, not the store. */
  groups: string[];
  reasons: string[];
  /** The call as shown to approvers, already redacted; must be JSON-serialisable. */
  call: unknown;
  decisionId: string;
  createdAt: number;
  expiresAt: number;
  /** The policy hash the approval was requested under; stored and returned, nothing else. */
  policyHash?: string;
  /** The policy rule that asked for the approval; stored and returned, nothing else. */
  rule?: string;
  /**
   * Who sent the call, where the caller knows (pol serve: the signed-in principal). Nobody
   * resolves an approval they requested (approval-rules.ts), on whichever server or process
   * they try, so it is stored with the approval, not remembered by the server that decided.
   */
  requestedBy?: string;
}

export interface CreateOptions {
  /**
   * Refuse (StoreError `busy`) when the agent already has this many pending, unexpired approvals
   * as of `createdAt`. Checked and inserted atomically, across processes.
   */
  maxPendingPerAgent?: number;
}

export interface Approval extends ApprovalRequest {
  status: ApprovalStatus;
  resolvedBy?: string;
  resolvedAt?: number;
  note?: string;
  consumedAt?: number;
}

export interface ApprovalResolution {
  approve: boolean;
  by: string;
  note?: string;
}

export interface ApprovalFilter {
  status?: ApprovalStatus;
  /** Approvals a member of this group may resolve: those naming the group, and those open to any approver. */
  group?: string;
  /**
   * Only the newest this many that match (still oldest first): a console showing the latest
   * resolutions reads those, not every approval the store has ever held.
   */
  newest?: number;
  /**
   * Only approvals no longer pending (approved, rejected, expired or consumed): a view of the
   * latest resolutions asks for those alone, not for the pending ones again.
   */
  settled?: boolean;
}

export type ConsumeFailure = "unknown" | "pending" | "rejected" | "expired" | "consumed" | "call-mismatch";

export type ConsumeResult =
  | { ok: true; approval: Approval }
  | { ok: false; reason: ConsumeFailure; message: string };

export interface ApprovalChange {
  type: "created" | "resolved" | "consumed";
  approval: Approval;
}

export type ApprovalListener = (change: ApprovalChange) => void;

export interface ApprovalStore {
  /**
   * Returns the approval as of createdAt (pending); throws a conflict StoreError when the id exists,
   * and a busy one when `maxPendingPerAgent` is reached.
   */
  create(req: ApprovalRequest, options?: CreateOptions): Promise<Approval>;
  get(id: string, now: number): Promise<Approval | undefined>;
  /**
   * The approval's status as of now (undefined for an unknown id), without building the whole
   * approval: the decision path asks this of the pending approval a repeated call reuses. Optional:
   * without it the Engine uses get().
   */
  status?(id: string, now: number): Promise<ApprovalStatus | undefined>;
  /** Oldest first. */
  list(filter: ApprovalFilter, now: number): Promise<Approval[]>;
  /** Approves or rejects a pending, unexpired approval; throws otherwise. */
  resolve(id: string, resolution: ApprovalResolution, now: number): Promise<Approval>;
  /** Single use: succeeds once, for an approved, unexpired approval of exactly this call. */
  consume(id: string, callHash: string, now: number): Promise<ConsumeResult>;
  /**
   * The oldest approved, unconsumed, unexpired approval of exactly this call, if any. An index
   * lookup by call hash in every back-end: the decision path calls it, and thousands of pending
   * approvals must not slow it down.
   */
  findApproved(callHash: string, now: number): Promise<Approval | undefined>;
  /**
   * Calls the listener after each create, resolve and consume made through this store object.
   * Server back-ends (Redis, PostgreSQL) also deliver changes made by other processes as they hear
   * of them, so a waiter wakes at once wherever the approval was resolved. Returns the unsubscribe
   * function. A throwing listener is reported as a process warning and never undoes or fails the operation.
   */
  onChange(listener: ApprovalListener): () => void;
}

// ---------------------------------------------------------------------------
// Trust

export interface TrustRecord {
  agentId: string;
  /** In [0, 100]. */
  score: number;
  /** Set when the score reaches 0; only restore clears it. */
  revoked: boolean;
  /** null for an agent the store has never written. */
  updatedAt: number | null;
}

export interface TrustStore {
  get(agentId: string): Promise<TrustRecord>;
  /** Adds delta, clamped to [0, 100]; reaching 0 revokes. Revocation is sticky. */
  adjust(agentId: string, delta: number, now: number): Promise<TrustRecord>;
  /** Sets a score in [0, 100]; setting 0 revokes; does not clear a revocation. */
  set(agentId: string, score: number, now: number): Promise<TrustRecord>;
  /** Operator action: sets a score in (0, 100] and clears the revocation. */
  restore(agentId: string, score: number, now: number): Promise<TrustRecord>;
  /**
   * adjust, at most once per `claim` (an outcome's decision): the claim and the change are one
   * atomic step across every process on the store, so an outcome counted anywhere counts nowhere
   * else, and a write that fails claims nothing. null when the claim was taken already (until
   * `until`, after which it is forgotten). A score that would not move (rules.ts adjustOnceTrust:
   * a rise at 100 or for a revoked agent, a fall at 0) is not written: the claim alone is, and the
   * record returned as it stands. Optional: without it the Engine claims in the limit store.
   */
  adjustOnce?(agentId: string, delta: number, claim: string, until: number, now: number): Promise<TrustRecord | null>;
}

// ---------------------------------------------------------------------------
// Pauses (the kill switch)

export type ToolClass = "read" | "write" | "destructive";

export interface PauseRequest {
  /** A tool pattern as in policy targets; `*` pauses everything. */
  pattern?: string;
  toolClass?: ToolClass;
  reason: string;
  by?: string;
}

/** A pause with both pattern and toolClass covers calls matching both; the Engine does the matching. */
export interface Pause extends PauseRequest {
  id: string;
  createdAt: number;
}

export interface PauseStore {
  /** Needs a pattern or a tool class. */
  pause(req: PauseRequest, now: number): Promise<Pause>;
  /** Removes the pause with this id, else every pause with this pattern; throws when none match. */
  resume(idOrPattern: string): Promise<Pause[]>;
  /** Oldest first. */
  list(): Promise<Pause[]>;
}

// ---------------------------------------------------------------------------
// Anchors: audit-chain heads kept where the chain's writers cannot roll them back

export interface Anchor {
  /** The chain's last record seq (0 for an empty chain). */
  seq: number;
  /** That record's hash. */
  hash: string;
  /** When it was anchored (ms since the epoch). */
  at: number;
}

export interface AnchorStore {
  get(name: string): Promise<Anchor | undefined>;
  /**
   * Moves the named anchor forward, atomically: a higher seq replaces it; the same seq with the same
   * hash is a no-op; a lower seq, or the same seq with another hash, throws a `conflict` StoreError.
   */
  advance(name: string, anchor: Anchor): Promise<void>;
}

// ---------------------------------------------------------------------------
// Runs: what each run did (the calls the Engine allowed) and what it accumulated (run state)

/** One call of a run, as the Engine recorded it after allowing it. */
export interface RunCall {
  tool: string;
  /** The arguments as the policy validated them (JSON). */
  args: Record<string, unknown>;
  /** When it was recorded (ms since the epoch). */
  at: number;
}

/** A scalar run state holds in a set. */
export type RunScalar = number | string | boolean;

/**
 * A value added to run state: `sum` adds a finite number to a number (0 to begin with); `set` adds a
 * scalar to a list once (a value already there is not added again), holding at most `max` values.
 */
export type RunAddition = { name: string; kind: "sum"; value: number } | { name: string; kind: "set"; value: RunScalar; max: number };

export interface RunRecord {
  /** Oldest first. */
  calls: RunCall[];
  /** By state name: a number (sum) or a list (set, in the order values were added). */
  state: Record<string, number | RunScalar[]>;
}

/** How much a run may hold and how long it lives after its last write. */
export interface RunBounds {
  maxCalls: number;
  ttlMs: number;
}

export type RunResult = { ok: true } | { ok: false; reason: string };

export interface RunStore {
  /** The run's recorded calls and state; empty for a run never recorded, or idle past its ttl. */
  get(runId: string, now: number): Promise<RunRecord>;
  /**
   * Atomically appends `call` (when not null) and applies `additions`, or changes nothing and says
   * why: the run already holds `bounds.maxCalls` calls, a set would pass its `max`, or a sum would
   * not stay finite. Every write renews the run's expiry to `now + bounds.ttlMs`.
   */
  record(runId: string, call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): Promise<RunResult>;
}

// ---------------------------------------------------------------------------

/**
 * Tells a cache of pauses and trust when to re-read: the token changes whenever another writer may
 * have changed them. The Engine's StateCache consumes it (runtime/state-cache.ts).
 */
export interface ChangeProbe {
  token(): unknown;
  close(): void;
}

export interface StateStore {
  limits: LimitStore;
  approvals: ApprovalStore;
  trust: TrustStore;
  pauses: PauseStore;
  anchors: AnchorStore;
  runs: RunStore;
  /**
   * A probe for pauses and trust written by other processes; absent or null when the back-end has
   * no way to tell (the cache then falls back to a lifetime). Each call opens one the caller closes.
   */
  openProbe?(): ChangeProbe | null;
  /** Releases the back-end; every later call throws a `closed` StoreError. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The score of an agent the store has never seen; default 100. */
  initialTrust?: number;
}
