// Approvals in the Engine: the operator-facing API (`engine.approvals`: list, get, resolve, wait,
// onChange) and the decision-side flow (find a granted approval of the exact call, reuse a pending
// one, request a new one, use one up). Both sit on the ApprovalStore, which binds approvals to a
// call hash, makes them single-use and computes expiry on read; this file adds who may resolve,
// auditing of resolutions, and waiting across processes. (The trust penalty for a rejection is
// applied by guard.ts, which sees rejections made anywhere, including by the CLI.)

import { EngineError, type Clock, type EngineHooks } from "./engine-types.js";
import type { AuditEntry } from "./audit/index.js";
import { entry, isoTime } from "./audit-entries.js";
import { ownGrant, resolverProblem } from "./approval-rules.js";
import { IdGenerator } from "./ids.js";
import { StoreError, type Approval, type ApprovalFilter, type ApprovalListener, type ApprovalRequest, type ApprovalStore, type ConsumeResult } from "./store/index.js";

/** What the approvals API needs from the Engine. */
export interface ApprovalsContext {
  store: ApprovalStore;
  clock: Clock;
  pollMs: number;
  hooks: EngineHooks;
  /** Appends an admin entry; failures are reported, never thrown (the resolution already happened). */
  audit(e: AuditEntry): void;
  closed(): boolean;
  /** Resolves once the decision that requested this approval is audited (at once for older ones). */
  announced(id: string): Promise<void>;
}

export interface ResolveOptions {
  approve: boolean;
  /** Who resolves; recorded in the store and the audit log. */
  by: string;
  note?: string;
  /** The resolver's groups; when given (or when hooks.approverGroups is set) membership is checked. */
  groups?: string[];
}

/** First pause before `wait` reads a store again after it failed to answer; doubled up to 16×. */
const RETRY_MS = 50;

export class EngineApprovals {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly ctx: ApprovalsContext) {}

  /** Oldest first; `group` selects approvals a member of that group may resolve. */
  list(filter: ApprovalFilter = {}): Promise<Approval[]> {
    return this.ctx.store.list(filter, this.ctx.clock.now());
  }

  get(id: string): Promise<Approval | undefined> {
    return this.ctx.store.get(id, this.ctx.clock.now());
  }

  /**
   * Approves or rejects a pending approval. Refuses an agent resolving its own request, and a
   * resolver outside the approval's groups when the resolver's groups are known.
   */
  async resolve(id: string, opts: ResolveOptions): Promise<Approval> {
    if (this.ctx.closed()) throw new EngineError("closed", "the engine is closed");
    if (!opts || typeof opts.approve !== "boolean") throw new EngineError("invalid", "resolve needs `approve` true or false");
    if (typeof opts.by !== "string" || opts.by === "") throw new EngineError("invalid", "resolve needs `by`, the approver's name");
    // An approver reacting to the `created` notification must not get its record into the log
    // ahead of the decision that asked for the approval.
    await this.ctx.announced(id);
    const a = await this.get(id);
    if (!a) throw new EngineError("not-found", `unknown approval \`${id}\``);
    const groups = opts.groups ?? (this.ctx.hooks.approverGroups ? await this.ctx.hooks.approverGroups(opts.by) : undefined);
    const refused = resolverProblem(a, opts.by, groups);
    if (refused) throw new EngineError("forbidden", refused);
    const now = this.ctx.clock.now();
    const out = await this.ctx.store.resolve(id, { approve: opts.approve, by: opts.by, ...(opts.note !== undefined ? { note: opts.note } : {}) }, now);
    this.ctx.audit(entry({
      type: "admin", time: isoTime(now), event: opts.approve ? "approval.approved" : "approval.rejected",
      approval: id, decision: a.decisionId, callHash: a.callHash, tool: a.tool, agent: a.agentId, run: a.runId, by: opts.by, note: opts.note,
    }));
    return out;
  }

  /**
   * Resolves once the approval is no longer pending (approved, rejected, expired, consumed) or
   * `timeoutMs` has passed (then it is still pending). Changes made through this engine wake it at
   * once; changes by other processes (the CLI) are seen within `approvalPollMs`.
   */
  async wait(id: string, timeoutMs: number): Promise<Approval> {
    if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) throw new EngineError("invalid", "wait needs a timeout of 0 ms or more");
    const deadline = performance.now() + timeoutMs;
    /** The approval as last read, and how many reads in a row the store has failed since. */
    let last: Approval | undefined;
    let failures = 0;
    for (;;) {
      if (this.ctx.closed()) throw new EngineError("closed", "the engine closed while waiting for an approval");
      let a: Approval | undefined;
      try {
        a = await this.get(id);
        failures = 0;
      } catch (e) {
        // A store that is down or slow for a moment (a server restarting, a reconnecting pool)
        // must not end a wait that has time left: read again after a short, growing pause. At the
        // deadline the wait ends as it would have: with the approval as last seen (still pending,
        // so the caller does not go ahead), or, never having read it, with the store's error.
        if (!(e instanceof StoreError && e.code === "unavailable")) throw e;
        const left = deadline - performance.now();
        if (left <= 0) {
          if (last) return last;
          throw e;
        }
        await this.changeOrTick(id, Math.min(left, RETRY_MS * 2 ** Math.min(failures++, 4)));
        continue;
      }
      if (!a) throw new EngineError("not-found", `unknown approval \`${id}\``);
      last = a;
      const left = deadline - performance.now();
      if (a.status !== "pending" || left <= 0) return a;
      await this.changeOrTick(id, Math.min(left, this.ctx.pollMs));
    }
  }

  /** Calls the listener after each create, resolve and use made through this engine. Returns the unsubscribe function. */
  onChange(listener: ApprovalListener): () => void {
    return this.ctx.store.onChange(listener);
  }

  /** Wakes every waiter (on close); each then throws a closed error. */
  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  private changeOrTick(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        this.waiters.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      const unsubscribe = this.ctx.store.onChange((c) => {
        if (c.approval.id === id) finish();
      });
      this.waiters.add(finish);
    });
  }
}

const MAX_REMEMBERED = 10_000;

/** A call hash is hex, so a newline cannot occur in it and the two parts cannot run together. */
const pendingKey = (callHash: string, requestedBy: string | undefined): string => (requestedBy === undefined ? callHash : `${callHash}\n${requestedBy}`);

/** The decision side: one instance per Engine. */
export class ApprovalFlow {
  private readonly ids = new IdGenerator();
  /**
   * callHash (and requester, when known) → id of the pending approval this engine requested, so
   * retries of one call by one sender share it. Another sender's repeat gets an approval of its
   * own: each approval names one requester, whom it refuses as approver (approval-rules.ts).
   */
  private readonly pendingByHash = new Map<string, string>();

  constructor(private readonly store: ApprovalStore, private readonly timeoutMs: number, private readonly maxPendingPerAgent: number) {}

  /** The oldest approved, unused, unexpired approval of exactly this call. */
  granted(callHash: string, now: number): Promise<Approval | undefined> {
    return this.store.findApproved(callHash, now);
  }

  /** The sender's own card of this call, when this engine requested it and someone else approved it (unused, unexpired). */
  async ownGranted(callHash: string, requestedBy: string, now: number): Promise<Approval | undefined> {
    const id = this.pendingByHash.get(pendingKey(callHash, requestedBy));
    const a = id === undefined ? undefined : await this.store.get(id, now);
    return a && a.status === "approved" && !ownGrant(a, requestedBy) ? a : undefined;
  }

  /** The id of a still-pending approval this engine requested for the same call and sender, if any. */
  async pending(callHash: string, requestedBy: string | undefined, now: number): Promise<{ id: string } | undefined> {
    const key = pendingKey(callHash, requestedBy);
    const id = this.pendingByHash.get(key);
    if (id === undefined) return undefined;
    // The status alone where the store can tell it (no decoding of the call on every repeat).
    const status = this.store.status ? await this.store.status(id, now) : (await this.store.get(id, now))?.status;
    if (status === "pending") return { id };
    this.pendingByHash.delete(key);
    return undefined;
  }

  /** Creates a pending approval; `before` sees its id before the store announces it to listeners. */
  async request(req: Omit<ApprovalRequest, "id" | "expiresAt">, before: (id: string) => void = () => {}): Promise<Approval> {
    const id = `apr_${this.ids.next(req.createdAt)}`;
    before(id);
    // The cap is the store's to keep, atomically: an agent cannot flood the queue (300 requests in
    // 254 ms once went through against a 5-per-hour limit, which only charges allowed calls).
    const a = await this.store.create({ ...req, id, expiresAt: req.createdAt + this.timeoutMs }, { maxPendingPerAgent: this.maxPendingPerAgent });
    if (this.pendingByHash.size >= MAX_REMEMBERED) this.pendingByHash.clear();
    this.pendingByHash.set(pendingKey(req.callHash, req.requestedBy), a.id);
    return a;
  }

  /** Uses the approval up (single use); fails if another call took it first or it expired meanwhile. */
  use(id: string, callHash: string, now: number): Promise<ConsumeResult> {
    return this.store.consume(id, callHash, now);
  }
}
