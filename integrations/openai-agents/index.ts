// `pol/openai-agents`: the OpenAI Agents SDK guard. `tool(pol.guard({...}))` gives a function
// tool a `needsApproval` that asks pol (approve → the run stops with an interruption), an input
// guardrail that rejects what pol denies with pol's reason as the content the model reads (the
// tool never runs), and an `execute` that runs only what pol allows and audits what it did.
// `pol.resolve(result)` approves or rejects a run's interruptions from pol's approval state.
// All keyed by the SDK's callId through `decideFor`, which answers the SDK's re-checks on resume
// from the same decision. Types are structural: no SDK import. Depends on pol/runtime only.

import { callOf, deniedText, forOneRun, pendingText, Recent, refuseOwnApproval, resolution, runAudited, type GuardHost, type GuardOptions, type PolCall } from "../host.js";

/** The parts of the SDK's `tool({...})` options this guard reads or adds. */
export interface AgentsToolOptions {
  name?: string;
  execute: (input: any, context?: any, details?: any) => unknown;
  needsApproval?: unknown;
  inputGuardrails?: readonly unknown[];
}

/** The SDK's tool input guardrail, as a plain object. */
interface InputGuardrail {
  type: "tool_input";
  name: string;
  run(data: { context?: { context?: unknown; isToolApproved?(a: { toolName: string; callId: string }): boolean | undefined }; toolCall: { callId: string; name?: string; arguments?: string } }): Promise<{ behavior: { type: "allow" } | { type: "rejectContent"; message: string }; outputInfo?: unknown }>;
}

/** A run's interruption (RunToolApprovalItem) and state, as far as resolve() uses them. */
interface Interruption {
  rawItem: { type?: string; callId?: string; name?: string; arguments?: string };
}
interface PausedRun<I extends Interruption> {
  interruptions: readonly I[];
  state: { approve(item: I): void; reject(item: I, options?: { message?: string }): void };
}

/** An interruption pol has not resolved yet, with pol's approval id (for `engine.approvals.resolve` or `pol approvals approve`). */
export interface PendingInterruption<I> {
  item: I;
  polApproval: string | undefined;
}

/** `context` as a function receives the run context's `context` (your app's context object). */
export type PolAgentsOptions = GuardOptions;

export const GUARDRAIL_NAME = "pol";

function parsed(args: string | undefined): unknown {
  try {
    return args === undefined || args === "" ? {} : JSON.parse(args);
  } catch {
    // Not JSON: the policy's schema validation denies what it cannot read.
    return args;
  }
}

export class PolAgents {
  private readonly names = new Set<string>();
  /** The call as needsApproval saw it (schema-normalised input), so later checks of the id decide on the same call. */
  private readonly calls = new Recent<PolCall>();

  constructor(private readonly host: GuardHost, private readonly opts: PolAgentsOptions = {}) {}

  /** The tool's options with pol's needsApproval, input guardrail and audited execute; pass them to `tool()`. */
  guard<O extends AgentsToolOptions>(options: O): NoInfer<O> {
    const name = options.name;
    if (typeof name !== "string" || name === "") throw new TypeError("pol.guard needs the tool's `name` (pol's policy decides by it)");
    refuseOwnApproval(name, options.needsApproval);
    this.names.add(name);
    const execute = options.execute;
    const guardrail: InputGuardrail = {
      type: "tool_input", name: GUARDRAIL_NAME,
      run: async ({ context, toolCall }) => {
        const call = this.call(name, toolCall.callId, () => parsed(toolCall.arguments), context?.context);
        const d = await this.host.decideFor(toolCall.callId, call);
        if (d.effect === "allow") return { behavior: { type: "allow" }, outputInfo: { decision: d.id } };
        // An approve whose interruption the run has not approved yet is needsApproval's to raise:
        // with the run's `preApprovalInputGuardrails` this runs just before it. Approved by the
        // run while pol's approval is still open, it was approved outside pol: refused, saying so.
        if (d.effect === "approve" && context?.isToolApproved?.({ toolName: name, callId: toolCall.callId }) !== true) {
          return { behavior: { type: "allow" }, outputInfo: { decision: d.id } };
        }
        return { behavior: { type: "rejectContent", message: d.effect === "deny" ? deniedText(d) : pendingText(call.tool, d) }, outputInfo: { decision: d.id } };
      },
    };
    return {
      ...options,
      needsApproval: async (runContext: { context?: unknown } | undefined, input: unknown, callId?: string) => {
        // Without an id the call cannot be matched later: ask a person (the guardrail still decides).
        if (callId === undefined) return true;
        const call = callOf(name, input, this.opts, runContext?.context);
        this.calls.set(callId, call);
        return (await this.host.decideFor(callId, call)).effect === "approve";
      },
      inputGuardrails: [...(options.inputGuardrails ?? []), guardrail],
      execute: async (input: unknown, runContext?: { context?: unknown }, details?: { toolCall?: { callId?: string } }) => {
        const callId = details?.toolCall?.callId;
        if (callId === undefined) throw new Error(`pol: \`${name}\` was called without a call id, so pol cannot match it to its decision; it has not run`);
        const call = this.call(name, callId, () => input, runContext?.context);
        const d = await forOneRun(this.host, callId, call, await this.host.decideFor(callId, call));
        if (d.effect !== "allow") throw new Error(d.effect === "deny" ? deniedText(d) : pendingText(call.tool, d));
        return runAudited(this.host, d, call, () => execute(input, runContext, details));
      },
    };
  }

  /**
   * Approves the interruptions pol has granted and rejects those it denied (the model reads pol's
   * reason), waiting up to `waitMs` for a person on each still open; returns those still pending.
   * Then run the agent again with `result.state`.
   */
  async resolve<I extends Interruption>(result: PausedRun<I>, o: { waitMs?: number; context?: unknown } = {}): Promise<{ approved: I[]; rejected: I[]; pending: PendingInterruption<I>[] }> {
    const out = { approved: [] as I[], rejected: [] as I[], pending: [] as PendingInterruption<I>[] };
    for (const item of result.interruptions) {
      const { callId, name, arguments: args } = item.rawItem;
      if (callId === undefined || name === undefined || !this.names.has(name)) continue;
      const r = await resolution(this.host, callId, this.call(name, callId, () => parsed(args), o.context), o.waitMs);
      if ("pending" in r) out.pending.push({ item, polApproval: r.decision.approval });
      else if (r.approved) {
        result.state.approve(item);
        out.approved.push(item);
      } else {
        result.state.reject(item, { message: r.reason });
        out.rejected.push(item);
      }
    }
    return out;
  }

  private call(name: string, callId: string, args: () => unknown, frameworkContext: unknown): PolCall {
    return this.calls.get(callId) ?? callOf(name, args(), this.opts, frameworkContext);
  }
}

/** A guard for OpenAI Agents SDK tools, deciding with `host` (an Engine). */
export function polAgents(host: GuardHost, opts?: PolAgentsOptions): PolAgents {
  return new PolAgents(host, opts);
}

export type { GuardHost, GuardOptions, ContextOption } from "../host.js";
