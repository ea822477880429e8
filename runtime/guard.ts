// `engine.guard(tool, fn)`: wraps a tool implementation so every call goes through the Engine.
// allow runs it; approve waits for a human (then re-decides, which uses the approval up); deny
// throws PolicyDenied with reasons an agent framework can show the model. The outcome (success,
// error, side-effect id, or why it never ran) is audited and feeds the agent's trust score.

import type { Call } from "../language/call.js";
import { errorText, isoTime } from "./audit-entries.js";
import type { EngineApprovals } from "./approvals.js";
import type { EngineDecision, OutcomeRecord, TrustOutcome } from "./engine-types.js";
import { snapshotCall } from "./snapshot.js";
import type { Approval } from "./store/index.js";

/** Thrown by guarded tools when the call is not allowed; `message` is written to be shown to the model. */
export class PolicyDenied extends Error {
  override readonly name = "PolicyDenied";
  readonly tool: string;
  readonly decision: EngineDecision;
  readonly reasons: string[];

  constructor(tool: string, decision: EngineDecision, reasons: string[] = decision.reasons) {
    super(`the call to \`${tool}\` was not allowed: ${reasons.join("; ")}`);
    this.tool = tool;
    this.decision = decision;
    this.reasons = reasons;
  }

  /** The approval the call waited for, if it needed one. */
  get approval(): string | undefined {
    return this.decision.approval;
  }
}

/** The parts of a call besides tool and args: who calls, in which run and environment. */
export type CallContext = Omit<Call, "tool" | "args">;

export interface GuardOptions<R> {
  /** Merged under the per-call context (a function is called per call). */
  context?: CallContext | (() => CallContext);
  /** How long to wait for an approval before giving up (deny); default the engine's approval timeout. */
  waitMs?: number;
  /** The id of what the tool did (refund id, message id), for the audit log; default `result.id` when it is a string or number. */
  sideEffectId?: (result: R) => string | undefined;
}

/** What a guarded implementation receives besides its arguments. */
export interface GuardInfo {
  decision: EngineDecision;
  call: Call;
}

export type Guarded<A, R> = (args: A, context?: CallContext) => Promise<R>;

/** What guard needs from the Engine. */
export interface GuardHost {
  readonly approvals: EngineApprovals;
  readonly approvalTimeoutMs: number;
  decide(call: unknown): Promise<EngineDecision>;
  recordOutcome(outcome: OutcomeRecord, trust?: TrustOutcome): Promise<unknown>;
}

/** Re-decisions after grants a single guarded call may make (a grant taken by an identical call leads to a new request). */
const MAX_GRANTS = 3;

function defaultSideEffectId(result: unknown): string | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const id = (result as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
}

function notGranted(a: Approval, waitMs: number): string {
  switch (a.status) {
    case "rejected": return `approval \`${a.id}\` was rejected by ${a.resolvedBy ?? "an approver"}${a.note ? `: ${a.note}` : ""}`;
    case "expired": return `approval \`${a.id}\` expired at ${isoTime(a.expiresAt)} before anyone granted it`;
    case "pending": return `approval \`${a.id}\` was not granted within ${Math.round(waitMs / 1000)}s`;
    default: return `approval \`${a.id}\` is ${a.status} and cannot authorise this call`;
  }
}

export function guardTool<A, R>(host: GuardHost, tool: string, fn: (args: A, info: GuardInfo) => R | Promise<R>, opts: GuardOptions<R> = {}): Guarded<A, R> {
  const waitMs = opts.waitMs ?? host.approvalTimeoutMs;
  const sideEffectId = opts.sideEffectId ?? defaultSideEffectId;
  const rejectedSeen = new Set<string>();
  return async (original: A, context?: CallContext): Promise<R> => {
    // Decide on, and run with, one plain-data copy (runtime/snapshot.ts): a caller mutating its
    // args while the call waits for approval, or a getter or Proxy answering differently on a
    // second read, must not get other arguments executed than the ones decided and approved.
    // Args that cannot be copied go to decide() as they are, which denies them with the reason.
    const snap = snapshotCall(original);
    const args = (snap.problem === undefined ? snap.value : original) as A;
    const base = typeof opts.context === "function" ? opts.context() : opts.context;
    const call = { ...base, ...context, tool, args } as Call;
    const d = await settle(host, call, waitMs, rejectedSeen);
    const who = { decision: d.id, tool, agent: call.agent?.id ?? null, run: call.run?.id ?? null };
    const started = performance.now();
    let result: R;
    try {
      result = await fn(args, { decision: d, call });
    } catch (e) {
      await host.recordOutcome({ ...who, status: "failed", error: errorText(e), durationMs: ms(started) }, "error");
      throw e;
    }
    let effectId: string | undefined;
    try {
      effectId = sideEffectId(result);
    } catch {
      effectId = undefined;
    }
    await host.recordOutcome({ ...who, status: "succeeded", ...(effectId !== undefined ? { sideEffectId: effectId } : {}), durationMs: ms(started) }, "success");
    return result;
  };
}

const ms = (since: number) => Math.round((performance.now() - since) * 1000) / 1000;

/** Decides, waiting through approvals; returns an allow decision or throws PolicyDenied. */
async function settle(host: GuardHost, call: Call, waitMs: number, rejectedSeen: Set<string>): Promise<EngineDecision> {
  let d = await host.decide(call);
  const deadline = performance.now() + waitMs;
  for (let grants = 0; d.effect === "approve" && d.approval !== undefined; ) {
    let a: Approval;
    try {
      a = await host.approvals.wait(d.approval, Math.max(0, deadline - performance.now()));
    } catch (e) {
      throw new PolicyDenied(call.tool, { ...d, effect: "deny", decidedBy: "error" }, [`waiting for approval \`${d.approval}\` failed: ${errorText(e)}`]);
    }
    // approved: re-decide, which uses the grant; consumed: an identical call used it, so ask again.
    if ((a.status === "approved" || a.status === "consumed") && grants++ < MAX_GRANTS) {
      d = await host.decide(call);
      continue;
    }
    const reason = notGranted(a, waitMs);
    const penalise = a.status === "rejected" && !rejectedSeen.has(a.id);
    if (penalise) rejectedSeen.add(a.id);
    await host.recordOutcome({ decision: d.id, tool: call.tool, agent: call.agent?.id ?? null, run: call.run?.id ?? null, status: "not-run", reason }, penalise ? "rejected" : undefined);
    throw new PolicyDenied(call.tool, { ...d, effect: "deny", decidedBy: "approval", reasons: [reason] }, [reason]);
  }
  if (d.effect !== "allow") throw new PolicyDenied(call.tool, d);
  return d;
}
