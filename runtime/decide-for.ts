// Decisions keyed by a framework's tool-call id: `engine.decideFor(callId, call)` and
// `engine.waitForCall(callId, ms)`. Agent frameworks call their approval hook again when a paused
// run resumes; this makes that repeat idempotent. One CallDecisions per Engine (engine.ts);
// consumed by the MCP gateway and the framework guards in integrations/.
//
// A first call id decides through `decide`. A repeat of the same id with the same call returns
// the same decision (no second limit charge, no second audit record), except when that decision
// was approve: then the approval's state answers. Granted → `decide` again, which uses exactly
// this call's grant (the Engine's own approval flow) and returns the allow; rejected or expired →
// an audited deny naming why; still pending → the same approve. The same id with a different
// call → an audited deny. An allow authorises one execution: once an outcome is recorded for it
// (the guards record one when the tool has run), the id is decided afresh, charging the call's
// limits again, so an id a framework or a model repeats cannot re-run a tool for free. The memory
// is in-process and bounded (count and age, below); a call id it no longer holds, or one decided in
// another process, is decided afresh: a grant of the exact call is still redeemed there (approvals
// are bound to the call, not the id), and an allow is re-decided, charging its limits again.

import { hash } from "node:crypto";
import { canonicalJson, NotJsonError } from "./audit/index.js";
import { errorText, isoTime } from "./audit-entries.js";
import type { EngineApprovals } from "./approvals.js";
import { EngineError, type DecidedBy, type EngineDecision, type OutcomeRecord, type TrustOutcome } from "./engine-types.js";
import type { Approval } from "./store/index.js";

/** Defaults: 10,000 ids (a decision is ~0.5 KB, so ~5 MB at most), each for the approval timeout plus an hour. */
export const CALL_IDS_MAX = 10_000;
export const CALL_ID_GRACE_MS = 60 * 60_000;
const MAX_CALL_ID = 1024;

export interface CallIdOptions {
  /** How many call ids are remembered; the oldest are forgotten first. Default 10,000. */
  maxEntries?: number;
  /** How long after its latest decision a call id is remembered. Default: the approval timeout plus one hour. */
  maxAgeMs?: number;
}

/** What CallDecisions needs from the Engine. */
export interface CallDecisionsHost {
  readonly approvals: Pick<EngineApprovals, "get" | "wait">;
  /** Decides the call; `callId` goes into its audit record. */
  decide(call: unknown, callId?: string): Promise<EngineDecision>;
  /** An audited deny made outside the decision pipeline (a reused id, a refused approval). */
  refuse(call: unknown, decidedBy: DecidedBy, reason: string, approval?: string, callId?: string): EngineDecision;
  recordOutcome(o: OutcomeRecord, trust?: TrustOutcome): Promise<unknown>;
  now(): number;
}

interface Entry {
  fingerprint: string;
  /** When the latest decision was made (the age bound counts from here). */
  at: number;
  /** The latest decision; repeats chain on it, so concurrent repeats of one id are answered in turn. */
  latest: Promise<EngineDecision>;
  /** The id of the latest decision when it is an allow (outcomes name it), and whether the tool has run on it. */
  allow?: string;
  ran?: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why a call id cannot key a decision, if it cannot. */
function badCallId(id: unknown): string | undefined {
  if (typeof id !== "string" || id === "" || id.length > MAX_CALL_ID || !id.isWellFormed()) {
    return `the call id must be a non-empty string of at most ${MAX_CALL_ID} characters, got ${typeof id === "string" ? `${id.length} characters` : typeof id}`;
  }
  return undefined;
}

function notGranted(a: Approval): string {
  switch (a.status) {
    case "rejected": return `approval \`${a.id}\` was rejected by ${a.resolvedBy ?? "an approver"}${a.note ? `: ${a.note}` : ""}`;
    case "expired": return `approval \`${a.id}\` expired at ${isoTime(a.expiresAt)} before anyone granted it`;
    default: return `approval \`${a.id}\` is ${a.status} and cannot authorise this call`;
  }
}

export class CallDecisions {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  /** Approvals whose rejection has cost the agent trust already (two ids may share one approval). */
  private readonly penalised = new Set<string>();
  /** Allow decision id → the call id it answered, so an outcome can mark the allow used. */
  private readonly allows = new Map<string, string>();
  /** Allow decision ids an execution has claimed (claim()), oldest first; bounded like the ids. */
  private readonly claimed = new Map<string, true>();

  constructor(private readonly host: CallDecisionsHost, approvalTimeoutMs: number, opts: CallIdOptions = {}) {
    this.maxEntries = bound("callIds.maxEntries", opts.maxEntries, CALL_IDS_MAX);
    this.maxAgeMs = bound("callIds.maxAgeMs", opts.maxAgeMs, approvalTimeoutMs + CALL_ID_GRACE_MS);
  }

  /** How many call ids are remembered now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  decideFor(callId: string, call: unknown): Promise<EngineDecision> {
    const bad = badCallId(callId);
    if (bad) return Promise.resolve(this.host.refuse(call, "schema", bad));
    let fingerprint: string;
    try {
      fingerprint = hash("sha256", canonicalJson(isRecord(call) ? { ...call } : call), "hex");
    } catch (e) {
      const what = e instanceof NotJsonError ? `\`${e.path || "the call"}\` is not plain JSON` : errorText(e);
      return Promise.resolve(this.host.refuse(call, "schema", `the call cannot be matched to call id \`${callId}\`: ${what}`, undefined, callId));
    }
    const now = this.host.now();
    this.forgetOld(now);
    let known = this.entries.get(callId);
    if (known?.ran) {
      // Its allow was used: this is another execution, decided (and charged) as a new call.
      this.forget(callId, known);
      known = undefined;
    }
    if (known && known.fingerprint !== fingerprint) {
      return Promise.resolve(this.host.refuse(call, "schema", `call id \`${callId}\` was reused for a different call`, undefined, callId));
    }
    if (!known) {
      const decided = this.host.decide(call, callId);
      const entry: Entry = { fingerprint, at: now, latest: decided.then((d) => this.noted(callId, entry, d)) };
      this.remember(callId, entry);
      return entry.latest.then(copy);
    }
    const entry = known;
    entry.latest = entry.latest.then((d) => this.repeat(callId, entry, d, call)).then((d) => this.noted(callId, entry, d));
    return entry.latest.then(copy);
  }

  /**
   * Claims the allow `decisionId` for one execution: true the first time, false ever after (an
   * execution already holds it). The guards claim before they run a tool, so two executions of
   * one call id racing on one allow cannot both run on it: the loser decides afresh (charged).
   */
  claim(decisionId: string): boolean {
    if (this.claimed.has(decisionId)) return false;
    this.claimed.set(decisionId, true);
    if (this.claimed.size > this.maxEntries) this.claimed.delete(this.claimed.keys().next().value!);
    const callId = this.allows.get(decisionId);
    const entry = callId === undefined ? undefined : this.entries.get(callId);
    if (entry?.allow === decisionId) entry.ran = true;
    return true;
  }

  /**
   * Marks the allow `decisionId` used: the tool ran on it (Engine.recordOutcome calls this for
   * every outcome). The next decideFor of its call id decides afresh.
   */
  ran(decisionId: string): void {
    const callId = this.allows.get(decisionId);
    if (callId === undefined) return;
    this.allows.delete(decisionId);
    const entry = this.entries.get(callId);
    if (entry?.allow === decisionId) entry.ran = true;
  }

  /** Records an allow's id against its call id (so its outcome can be matched); returns the decision. */
  private noted(callId: string, entry: Entry, d: EngineDecision): EngineDecision {
    if (d.effect !== "allow" || entry.allow === d.id) return d;
    if (entry.allow !== undefined) this.allows.delete(entry.allow);
    entry.allow = d.id;
    if (this.entries.get(callId) === entry) this.allows.set(d.id, callId);
    return d;
  }

  private forget(callId: string, entry: Entry): void {
    this.entries.delete(callId);
    if (entry.allow !== undefined) this.allows.delete(entry.allow);
  }

  /**
   * Resolves once the approval the call id's decision asked for is no longer pending, or after
   * `timeoutMs` (then still pending). Throws a not-found EngineError for an id this engine does not
   * remember or whose decision needed no approval.
   */
  async waitForCall(callId: string, timeoutMs: number): Promise<Approval> {
    const entry = this.entries.get(callId);
    if (!entry) throw new EngineError("not-found", `no decision is remembered for call id \`${callId}\``);
    const d = await entry.latest;
    if (d.approval === undefined) throw new EngineError("not-found", `call id \`${callId}\` needed no approval (its decision was ${d.effect})`);
    return d.effect === "approve" ? this.host.approvals.wait(d.approval, timeoutMs) : this.approval(d.approval);
  }

  /** The answer to a repeat whose latest decision is `d`. Never rejects. */
  private async repeat(callId: string, entry: Entry, d: EngineDecision, call: unknown): Promise<EngineDecision> {
    if (d.effect !== "approve" || d.approval === undefined) return d;
    let a: Approval;
    try {
      a = await this.approval(d.approval);
    } catch (e) {
      return this.host.refuse(call, "error", `internal error, so the call is denied: reading approval \`${d.approval}\` failed: ${errorText(e)}`, d.approval, callId);
    }
    if (a.status === "pending") return d;
    // approved: decide again, which uses the grant of exactly this call. consumed: an identical
    // call (another id) used it first, so decide asks for a new approval, as guard does.
    let next: EngineDecision;
    if (a.status === "approved" || a.status === "consumed") next = await this.host.decide(call, callId);
    else next = await this.refused(call, d, a, callId);
    entry.at = this.host.now();
    // Re-inserted, so the map stays ordered by latest decision and forgetOld can stop early.
    this.entries.delete(callId);
    this.remember(callId, entry);
    return next;
  }

  /** An audited deny for a rejected or expired approval, with the not-run outcome guard would record. */
  private async refused(call: unknown, d: EngineDecision, a: Approval, callId: string): Promise<EngineDecision> {
    const reason = notGranted(a);
    const out = this.host.refuse(call, "approval", reason, a.id, callId);
    const c = isRecord(call) ? call : {};
    const agent = isRecord(c["agent"]) && typeof c["agent"]["id"] === "string" ? c["agent"]["id"] : null;
    const run = isRecord(c["run"]) && typeof c["run"]["id"] === "string" ? c["run"]["id"] : null;
    const penalise = a.status === "rejected" && !this.penalised.has(a.id);
    if (penalise) {
      if (this.penalised.size >= this.maxEntries) this.penalised.clear();
      this.penalised.add(a.id);
    }
    await this.host.recordOutcome({ decision: d.id, tool: a.tool, agent, run, status: "not-run", reason }, penalise ? "rejected" : undefined);
    return out;
  }

  private async approval(id: string): Promise<Approval> {
    const a = await this.host.approvals.get(id);
    if (!a) throw new EngineError("not-found", `unknown approval \`${id}\``);
    return a;
  }

  private remember(callId: string, entry: Entry): void {
    this.entries.set(callId, entry);
    while (this.entries.size > this.maxEntries) {
      const [id, e] = this.entries.entries().next().value!;
      this.forget(id, e);
    }
  }

  /** Drops ids whose latest decision is older than maxAgeMs (the map is in order of `at`). */
  private forgetOld(now: number): void {
    for (const [id, e] of this.entries) {
      if (now - e.at <= this.maxAgeMs) break;
      this.forget(id, e);
    }
  }
}

const copy = (d: EngineDecision): EngineDecision => ({ ...d });

function bound(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) throw new EngineError("invalid", `${name} must be a positive number, got \`${String(v)}\``);
  return Math.floor(n);
}
