// `pol/ai`: the Vercel AI SDK (6.x) guard. `pol.tools({...})` gives each tool a `needsApproval`
// that asks pol (by the SDK's toolCallId) and an `execute` that runs only what pol allows;
// `pol.answer(result)` turns the SDK's approval requests into approval responses from pol's
// state: a granted approval approves, a deny or a rejected approval becomes a denied response
// whose reason the model reads as an `execution-denied` result. The SDK calls needsApproval
// again when a run resumes; decideFor answers that repeat from the same decision. Types are
// structural, so this module needs `ai` only at the caller's side. Depends on pol/runtime only.

import type { EngineDecision } from "../../runtime/index.js";
import { callOf, deniedText, finalOf, forOneRun, pendingText, refuseOwnApproval, resolution, runAudited, runAuditedStream, type GuardHost, type GuardOptions, type PolCall } from "../host.js";

/** The parts of an AI SDK tool this guard reads or replaces (a `tool({...})` result is one). */
export interface AiTool {
  execute?: (input: any, options: any) => unknown;
  needsApproval?: unknown;
}

/** The options the SDK passes to needsApproval and execute. */
interface CallOptions {
  toolCallId: string;
  experimental_context?: unknown;
}

/** The SDK's answer to an approval request, as a `tool` message's content part. */
export interface ApprovalResponse {
  type: "tool-approval-response";
  approvalId: string;
  approved: boolean;
  reason?: string;
}

/** An approval request pol has not resolved yet (answer again once a person has decided). */
export interface PendingApproval {
  approvalId: string;
  toolCallId: string;
  toolName: string;
  /** pol's approval id, for `engine.approvals.resolve` or `pol approvals approve`. */
  polApproval: string | undefined;
}

/** `context` as a function receives the SDK's `experimental_context`. */
export type PolAiOptions = GuardOptions;

/** The SDK's `generateText`/`streamText` result, as far as answer() reads it. */
interface StepResult {
  content: readonly unknown[];
}

interface ApprovalRequest {
  type: "tool-approval-request";
  approvalId: string;
  toolCall: { toolCallId: string; toolName: string; input: unknown };
}

const isRequest = (p: unknown): p is ApprovalRequest => typeof p === "object" && p !== null && (p as ApprovalRequest).type === "tool-approval-request";

export class PolAi {
  private readonly names = new Set<string>();

  constructor(private readonly host: GuardHost, private readonly opts: PolAiOptions = {}) {}

  /** The tools, each guarded by pol under its key as the tool name. */
  tools<T extends Record<string, AiTool>>(tools: T): T {
    const out: Record<string, AiTool> = {};
    for (const [name, t] of Object.entries(tools)) out[name] = this.tool(name, t);
    return out as T;
  }

  /** One tool, guarded as `name`. */
  tool<T extends AiTool>(name: string, t: T): T {
    refuseOwnApproval(name, t.needsApproval);
    this.names.add(name);
    const host = this.host;
    const opts = this.opts;
    const execute = t.execute;
    const allowed = async (input: unknown, o: CallOptions): Promise<{ call: PolCall; d: EngineDecision }> => {
      const call = callOf(name, input, opts, o.experimental_context);
      const d = await forOneRun(host, o.toolCallId, call, await host.decideFor(o.toolCallId, call));
      if (d.effect !== "allow") throw new Error(d.effect === "deny" ? deniedText(d) : pendingText(call.tool, d));
      return { call, d };
    };
    // The SDK streams a tool whose execute returns an async iterable, so one written as
    // `async function*` must get one back at once, not a promise of it.
    const streams = Object.prototype.toString.call(execute) === "[object AsyncGeneratorFunction]";
    return {
      ...t,
      // true unless pol allows outright: an approve asks a person, a deny goes the same road so
      // that answer() can give the model its reason as `execution-denied`, and an allow that used
      // a grant must stay "approved" when the SDK re-checks it on resume.
      needsApproval: async (input: unknown, o: CallOptions) => {
        const d = await host.decideFor(o.toolCallId, callOf(name, input, opts, o.experimental_context));
        return !(d.effect === "allow" && d.decidedBy !== "approval");
      },
      ...(execute ? {
        execute: streams
          ? async function* (input: unknown, o: CallOptions) {
            const { call, d } = await allowed(input, o);
            yield* runAuditedStream(host, d, call, () => execute(input, o) as AsyncIterable<unknown>);
          }
          : async (input: unknown, o: CallOptions) => {
            const { call, d } = await allowed(input, o);
            // Any other execute that returns an async iterable: its last part is the output, as the SDK reads it.
            return runAudited(host, d, call, async () => finalOf(await execute(input, o)));
          },
      } : {}),
    };
  }

  /**
   * Approval responses for the approval requests in a step's result, from pol's state: approved,
   * or denied with pol's reason. Requests pol has not resolved are returned as pending (after
   * waiting up to `waitMs` for a person). Push `{ role: "tool", content: responses }` after the
   * result's messages and call the SDK again.
   */
  async answer(result: StepResult, o: { waitMs?: number; context?: unknown } = {}): Promise<{ responses: ApprovalResponse[]; pending: PendingApproval[] }> {
    const responses: ApprovalResponse[] = [];
    const pending: PendingApproval[] = [];
    for (const part of result.content) {
      if (!isRequest(part) || !this.names.has(part.toolCall.toolName)) continue;
      const { toolCallId, toolName, input } = part.toolCall;
      const r = await resolution(this.host, toolCallId, callOf(toolName, input, this.opts, o.context), o.waitMs);
      if ("pending" in r) pending.push({ approvalId: part.approvalId, toolCallId, toolName, polApproval: r.decision.approval });
      else responses.push({ type: "tool-approval-response", approvalId: part.approvalId, approved: r.approved, ...(r.approved ? {} : { reason: r.reason }) });
    }
    return { responses, pending };
  }
}

/** A guard for AI SDK tools, deciding with `host` (an Engine). */
export function polAi(host: GuardHost, opts?: PolAiOptions): PolAi {
  return new PolAi(host, opts);
}

export type { GuardHost, GuardOptions, ContextOption } from "../host.js";
