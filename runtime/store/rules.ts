// The approval, trust, pause and anchor rules shared by every back-end: validation, computed
// status, state transitions and change notifications. Back-ends only load and save records and
// call these inside their own atomic section; memory.ts, sqlite.ts, redis.ts and postgres.ts consume it.

import {
  PendingCapError,
  StoreError,
  type Anchor,
  type Approval,
  type ApprovalChange,
  type ApprovalFilter,
  type ApprovalListener,
  type ApprovalRequest,
  type ApprovalResolution,
  type ApprovalStatus,
  type ConsumeResult,
  type CreateOptions,
  type Pause,
  type PauseRequest,
  type ToolClass,
  type TrustRecord,
} from "./types.js";
import { checkTime } from "./window.js";

// ---------------------------------------------------------------------------
// Approvals

/** What back-ends persist: `expired` is never stored, and the call is kept as JSON text. */
export type StoredState = "pending" | "approved" | "rejected" | "consumed";

export interface StoredApproval extends Omit<ApprovalRequest, "call"> {
  callJson: string;
  state: StoredState;
  resolvedBy?: string;
  resolvedAt?: number;
  note?: string;
  consumedAt?: number;
}

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ["pending", "approved", "rejected", "expired", "consumed"];

function checkText(value: unknown, what: string, allowEmpty = false): void {
  if (typeof value !== "string" || (!allowEmpty && value === "")) {
    throw new StoreError("invalid", `${what} must be a ${allowEmpty ? "" : "non-empty "}string`);
  }
}

function checkTextList(value: unknown, what: string): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new StoreError("invalid", `${what} must be a list of strings`);
  }
}

/** Serialises the call once, so every back-end returns the same JSON-shaped copy. */
export function encodeCall(call: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(call);
  } catch (err) {
    throw new StoreError("invalid", `approval call is not json-serialisable: ${String((err as Error).message).toLowerCase()}`);
  }
  if (json === undefined) throw new StoreError("invalid", "approval call is not json-serialisable");
  return json;
}

/** Validates a create request and returns the record to store. */
export function newApproval(req: ApprovalRequest): StoredApproval {
  if (req === null || typeof req !== "object") throw new StoreError("invalid", "approval request must be an object");
  checkText(req.id, "approval id");
  checkText(req.callHash, "approval call hash");
  checkText(req.tool, "approval tool");
  checkText(req.agentId, "approval agent id", true);
  if (req.runId !== undefined) checkText(req.runId, "approval run id", true);
  if (req.policyHash !== undefined) checkText(req.policyHash, "approval policy hash");
  if (req.rule !== undefined) checkText(req.rule, "approval rule");
  if (req.requestedBy !== undefined) checkText(req.requestedBy, "approval requester");
  checkText(req.decisionId, "approval decision id");
  checkTextList(req.groups, "approval groups");
  checkTextList(req.reasons, "approval reasons");
  checkTime(req.createdAt, "approval creation time");
  checkTime(req.expiresAt, "approval expiry time");
  if (req.expiresAt <= req.createdAt) throw new StoreError("invalid", `approval \`${req.id}\` must expire after it is created`);
  const stored: StoredApproval = {
    id: req.id,
    callHash: req.callHash,
    tool: req.tool,
    agentId: req.agentId,
    groups: [...req.groups],
    reasons: [...req.reasons],
    callJson: encodeCall(req.call),
    decisionId: req.decisionId,
    createdAt: req.createdAt,
    expiresAt: req.expiresAt,
    state: "pending",
  };
  if (req.runId !== undefined) stored.runId = req.runId;
  if (req.policyHash !== undefined) stored.policyHash = req.policyHash;
  if (req.rule !== undefined) stored.rule = req.rule;
  if (req.requestedBy !== undefined) stored.requestedBy = req.requestedBy;
  return stored;
}

/** The pending cap of a create, validated; undefined when there is none. */
export function pendingCap(options: CreateOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") throw new StoreError("invalid", "approval create options must be an object");
  const cap = options.maxPendingPerAgent;
  if (cap === undefined) return undefined;
  if (typeof cap !== "number" || !Number.isInteger(cap) || cap < 1) {
    throw new StoreError("invalid", `maxPendingPerAgent must be a whole number >= 1, got \`${String(cap)}\``);
  }
  return cap;
}

export function tooManyPending(agentId: string, cap: number): StoreError {
  return new PendingCapError(agentId, cap);
}

/** Pending and approved approvals expire at expiresAt; resolved outcomes are final. */
export function statusOf(a: StoredApproval, now: number): ApprovalStatus {
  if ((a.state === "pending" || a.state === "approved") && now >= a.expiresAt) return "expired";
  return a.state;
}

/** A fresh caller-owned copy with the status as of now; optional fields are omitted, not undefined. */
export function toApproval(a: StoredApproval, now: number): Approval {
  const out: Approval = {
    id: a.id,
    callHash: a.callHash,
    tool: a.tool,
    agentId: a.agentId,
    groups: [...a.groups],
    reasons: [...a.reasons],
    call: JSON.parse(a.callJson) as unknown,
    decisionId: a.decisionId,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
    status: statusOf(a, now),
  };
  if (a.runId !== undefined) out.runId = a.runId;
  if (a.policyHash !== undefined) out.policyHash = a.policyHash;
  if (a.rule !== undefined) out.rule = a.rule;
  if (a.requestedBy !== undefined) out.requestedBy = a.requestedBy;
  if (a.resolvedBy !== undefined) out.resolvedBy = a.resolvedBy;
  if (a.resolvedAt !== undefined) out.resolvedAt = a.resolvedAt;
  if (a.note !== undefined) out.note = a.note;
  if (a.consumedAt !== undefined) out.consumedAt = a.consumedAt;
  return out;
}

export function checkFilter(filter: ApprovalFilter): void {
  if (filter === null || typeof filter !== "object") throw new StoreError("invalid", "approval filter must be an object");
  if (filter.status !== undefined && !APPROVAL_STATUSES.includes(filter.status)) {
    throw new StoreError("invalid", `unknown approval status \`${String(filter.status)}\``);
  }
  if (filter.group !== undefined) checkText(filter.group, "approval group");
  if (filter.newest !== undefined && !(Number.isSafeInteger(filter.newest) && filter.newest > 0)) {
    throw new StoreError("invalid", `approval filter \`newest\` must be a whole number above 0, got ${String(filter.newest)}`);
  }
  if (filter.settled !== undefined && typeof filter.settled !== "boolean") throw new StoreError("invalid", `approval filter \`settled\` must be true or false, got ${String(filter.settled)}`);
}

/** An approval a member of `group` may resolve names the group or is open to any approver. */
export function matchesFilter(a: StoredApproval, filter: ApprovalFilter, now: number): boolean {
  if (filter.status !== undefined && statusOf(a, now) !== filter.status) return false;
  if (filter.settled !== undefined && (statusOf(a, now) === "pending") === filter.settled) return false;
  if (filter.group !== undefined && a.groups.length > 0 && !a.groups.includes(filter.group)) return false;
  return true;
}

/** The resolved record, or a StoreError when the approval is unknown or no longer pending. */
export function resolveApproval(a: StoredApproval | undefined, id: string, r: ApprovalResolution, now: number): StoredApproval {
  checkTime(now);
  if (r === null || typeof r !== "object" || typeof r.approve !== "boolean") {
    throw new StoreError("invalid", "approval resolution needs `approve` true or false");
  }
  checkText(r.by, "approver");
  if (r.note !== undefined) checkText(r.note, "approval note", true);
  if (a === undefined) throw new StoreError("not-found", `unknown approval \`${id}\``);
  const status = statusOf(a, now);
  if (status !== "pending") throw new StoreError("conflict", `approval \`${id}\` is ${status}, not pending`);
  const out: StoredApproval = { ...a, state: r.approve ? "approved" : "rejected", resolvedBy: r.by, resolvedAt: now };
  if (r.note !== undefined) out.note = r.note;
  return out;
}

const CONSUME_MESSAGES: Record<Exclude<ConsumeResult, { ok: true }>["reason"], string> = {
  unknown: "is unknown",
  pending: "is still pending",
  rejected: "was rejected",
  expired: "has expired",
  consumed: "was already used",
  "call-mismatch": "was granted for a different call",
};

/** The consumed record, or the reason the approval cannot authorise this call now. */
export function consumeApproval(
  a: StoredApproval | undefined,
  id: string,
  callHash: string,
  now: number,
): { ok: true; stored: StoredApproval } | Exclude<ConsumeResult, { ok: true }> {
  checkTime(now);
  checkText(callHash, "call hash");
  const fail = (reason: keyof typeof CONSUME_MESSAGES) =>
    ({ ok: false, reason, message: `approval \`${id}\` ${CONSUME_MESSAGES[reason]}` }) as const;
  if (a === undefined) return fail("unknown");
  const status = statusOf(a, now);
  if (status !== "approved") return fail(status);
  // Checked after status so a reused approval reports `consumed` whatever call it is offered for.
  if (a.callHash !== callHash) return fail("call-mismatch");
  return { ok: true, stored: { ...a, state: "consumed", consumedAt: now } };
}

/** Fans change notifications out to listeners; a listener's failure never reaches the operation. */
export class ChangeHub {
  private readonly listeners = new Set<ApprovalListener>();

  on(listener: ApprovalListener): () => void {
    if (typeof listener !== "function") throw new StoreError("invalid", "approval listener must be a function");
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry: ApprovalListener = (c) => listener(c);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  emit(type: ApprovalChange["type"], approval: Approval): void {
    const warn = (err: unknown) => process.emitWarning(`approval listener failed: ${String((err as Error)?.message ?? err)}`, "PolStoreWarning");
    for (const listener of [...this.listeners]) {
      try {
        // An async listener's rejection is a warning too, never an unhandled rejection that ends the host.
        const r: unknown = listener({ type, approval: structuredClone(approval) });
        if (typeof (r as PromiseLike<unknown> | undefined)?.then === "function") (r as PromiseLike<unknown>).then(undefined, warn);
      } catch (err) {
        warn(err);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Trust

export const DEFAULT_INITIAL_TRUST = 100;

export function checkInitialTrust(score: number | undefined): number {
  const s = score ?? DEFAULT_INITIAL_TRUST;
  if (typeof s !== "number" || !Number.isFinite(s) || s <= 0 || s > 100) {
    throw new StoreError("invalid", `initial trust must be a number in (0, 100], got \`${String(s)}\``);
  }
  return s;
}

export function unknownAgent(agentId: string, initial: number): TrustRecord {
  checkText(agentId, "agent id", true);
  return { agentId, score: initial, revoked: false, updatedAt: null };
}

function checkScore(score: number, restoring: boolean): void {
  const ok = typeof score === "number" && Number.isFinite(score) && score <= 100 && (restoring ? score > 0 : score >= 0);
  if (!ok) {
    const range = restoring ? "above 0 and at most 100 (0 would revoke again)" : "from 0 to 100";
    throw new StoreError("invalid", `trust score must be ${range}, got \`${String(score)}\``);
  }
}

/** Reaching 0 revokes; revocation is sticky until restore, so a revoked agent cannot earn its way back. */
export function adjustTrust(r: TrustRecord, delta: number, now: number): TrustRecord {
  checkTime(now);
  if (typeof delta !== "number" || !Number.isFinite(delta)) {
    throw new StoreError("invalid", `trust delta must be a finite number, got \`${String(delta)}\``);
  }
  const score = Math.min(100, Math.max(0, r.score + delta));
  return { agentId: r.agentId, score, revoked: r.revoked || score === 0, updatedAt: now };
}

/**
 * adjustOnce's change: adjustTrust, or null when the score would not move (a change of 0, a rise
 * at 100 or for a revoked agent, who cannot earn their way back, a fall at 0): then the claim is
 * taken and nothing else is written, so every process's cache keeps its trust (no change notice).
 * Engine.adjust skips the same cases for in-process outcomes.
 */
export function adjustOnceTrust(r: TrustRecord, delta: number, now: number): TrustRecord | null {
  const next = adjustTrust(r, delta, now); // validates delta and now
  return delta === 0 || (delta > 0 && (r.score >= 100 || r.revoked)) || (delta < 0 && r.score <= 0) ? null : next;
}

/** An adjustOnce claim, validated: a non-empty id, kept until a time after now. */
export function checkClaim(claim: string, until: number, now: number): void {
  checkText(claim, "trust claim");
  checkTime(until, "trust claim expiry");
  if (until <= now) throw new StoreError("invalid", `trust claim \`${claim}\` must be kept until after now`);
}

export function setTrust(r: TrustRecord, score: number, now: number): TrustRecord {
  checkTime(now);
  checkScore(score, false);
  return { agentId: r.agentId, score, revoked: r.revoked || score === 0, updatedAt: now };
}

export function restoreTrust(r: TrustRecord, score: number, now: number): TrustRecord {
  checkTime(now);
  checkScore(score, true);
  return { agentId: r.agentId, score, revoked: false, updatedAt: now };
}

// ---------------------------------------------------------------------------
// Pauses

const TOOL_CLASSES: readonly ToolClass[] = ["read", "write", "destructive"];
const PAUSE_ID = /^pause-([1-9][0-9]*)$/;

/** Pause ids are `pause-N` with N from a never-reused sequence. */
export function pauseId(seq: number): string {
  return `pause-${seq}`;
}

/** The sequence number of a pause id, or null when the text is not one (and so names a pattern). */
export function pauseSeq(idOrPattern: string): number | null {
  const m = PAUSE_ID.exec(idOrPattern);
  return m ? Number(m[1]) : null;
}

/** Validates a pause request; the returned fields omit what was not given. */
export function newPause(req: PauseRequest, now: number): Omit<Pause, "id"> {
  checkTime(now);
  if (req === null || typeof req !== "object") throw new StoreError("invalid", "pause request must be an object");
  if (req.pattern === undefined && req.toolClass === undefined) {
    throw new StoreError("invalid", "a pause needs a tool pattern or a tool class (use pattern `*` to pause everything)");
  }
  if (req.pattern !== undefined) checkText(req.pattern, "pause pattern");
  if (req.toolClass !== undefined && !TOOL_CLASSES.includes(req.toolClass)) {
    throw new StoreError("invalid", `unknown tool class \`${String(req.toolClass)}\`; expected read, write or destructive`);
  }
  checkText(req.reason, "pause reason");
  if (req.by !== undefined) checkText(req.by, "pause author");
  const out: Omit<Pause, "id"> = { reason: req.reason, createdAt: now };
  if (req.pattern !== undefined) out.pattern = req.pattern;
  if (req.toolClass !== undefined) out.toolClass = req.toolClass;
  if (req.by !== undefined) out.by = req.by;
  return out;
}

export function checkResumeTarget(idOrPattern: string): void {
  checkText(idOrPattern, "pause id or pattern");
}

export function nothingToResume(idOrPattern: string): StoreError {
  return new StoreError("not-found", `no pause has id or pattern \`${idOrPattern}\``);
}

// ---------------------------------------------------------------------------
// Anchors

export function checkAnchorName(name: string): void {
  checkText(name, "anchor name");
}

export function checkAnchor(name: string, a: Anchor): void {
  checkAnchorName(name);
  if (a === null || typeof a !== "object") throw new StoreError("invalid", `anchor \`${name}\` must be an object with seq, hash and at`);
  if (!Number.isSafeInteger(a.seq) || a.seq < 0) throw new StoreError("invalid", `anchor \`${name}\` seq must be a whole number >= 0, got \`${String(a.seq)}\``);
  checkText(a.hash, `anchor \`${name}\` hash`);
  checkTime(a.at, `anchor \`${name}\` time`);
}

/**
 * Whether `next` must be written over `current`: true for a first anchor or a higher seq, false for
 * the same seq and hash; a conflict StoreError for a lower seq or the same seq with another hash,
 * since either would roll the anchored chain back.
 */
export function anchorAdvances(name: string, current: Anchor | undefined, next: Anchor): boolean {
  if (current === undefined || next.seq > current.seq) return true;
  if (next.seq === current.seq && next.hash === current.hash) return false;
  const why = next.seq < current.seq ? `seq ${next.seq} is behind the anchored seq ${current.seq}` : `seq ${next.seq} is anchored with another hash`;
  return rejectAnchor(name, why);
}

function rejectAnchor(name: string, why: string): never {
  throw new StoreError("conflict", `anchor \`${name}\` cannot move back: ${why}`);
}

/** A copy with exactly the anchor fields, so back-ends never store or return extra properties. */
export function anchorOf(a: Anchor): Anchor {
  return { seq: a.seq, hash: a.hash, at: a.at };
}
