// The gateway's `tools/call` interception: puts each call to the Engine (`decideFor`, keyed by
// session and JSON-RPC id) and turns the decision into what the MCP client gets. allow → forward;
// deny → an `isError` result `pol: <reasons>` the model can read; approve → ask the person through
// elicitation when the client offers it (their answer resolves the approval; the Engine then
// decides again), else an `isError` result naming the pending approval so an approver can resolve
// it with `pol approvals` and the model can retry. Decides nothing itself. Used by session.ts.

import type { EngineApprovals, EngineDecision, OutcomeRecord, Pause, PauseTarget, TrustOutcome } from "../../runtime/index.js";
import { groupFlag } from "../../runtime/approval-rules.js";
import { forOneRun } from "../host.js";
import type { ToolPins } from "./pins.js";

/** What the gateway needs from the Engine. */
export interface GatewayHost {
  readonly approvals: Pick<EngineApprovals, "get" | "resolve">;
  decideFor(callId: string, call: unknown): Promise<EngineDecision>;
  /** Claims an allow for the one forwarding of a call (Engine.claimAllow). */
  claimAllow?(decisionId: string): boolean;
  recordOutcome(o: OutcomeRecord, trust?: TrustOutcome): Promise<unknown>;
  pause(target: PauseTarget, reason: string, by?: string): Promise<Pause>;
}

/** Who calls: one per session (agent from the flag, a header or the client's name; run = the session). */
export interface Identity {
  agent: string;
  run: string;
  env?: string;
}

/** A tool result as MCP carries it. */
export interface ToolResult {
  content: { type: "text"; text: string }[];
  isError?: boolean;
  [key: string]: unknown;
}

/** The client's answer to an elicitation, or undefined when it gave none (timed out, disconnected). */
export interface ElicitAnswer {
  action: "accept" | "decline" | "cancel";
  content?: Record<string, unknown>;
}

export type Elicit = (params: Record<string, unknown>, timeoutMs: number) => Promise<ElicitAnswer | undefined>;

export type Verdict = { forward: true; decision: EngineDecision; call: ToolCall } | { forward: false; result: ToolResult };

export interface ToolCall {
  tool: string;
  args: unknown;
  agent: { id: string };
  run: { id: string };
  env?: string;
}

export interface GateOptions {
  /** Prepended to upstream tool names to form the policy's tool names (`github/`). */
  prefix?: string;
  /**
   * Approver groups the person answering an elicitation counts as a member of. Elicitation is
   * offered for approvals open to any approver, or naming one of these groups; the Engine checks
   * the membership again when the answer resolves the approval.
   */
  elicitGroups?: readonly string[];
  /** Longest wait for an elicitation answer (also bounded by the approval's expiry). Default 10 minutes. */
  elicitTimeoutMs?: number;
  /** The command an approver runs for a pending approval naming `groups`, shown to the model; undefined when there is none (no store to resolve it in). */
  approveHint?: (approvalId: string, groups: readonly string[]) => string | undefined;
}

const DEFAULT_ELICIT_MS = 10 * 60_000;

export const errorResult = (text: string): ToolResult => ({ isError: true, content: [{ type: "text", text: `pol: ${text}` }] });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export class Gate {
  private readonly prefix: string;
  private readonly elicitGroups: readonly string[];
  private readonly elicitMs: number;
  private readonly hint: (id: string, groups: readonly string[]) => string | undefined;

  constructor(readonly host: GatewayHost, readonly pins: ToolPins, opts: GateOptions = {}) {
    this.prefix = opts.prefix ?? "";
    this.elicitGroups = opts.elicitGroups ?? [];
    this.elicitMs = opts.elicitTimeoutMs ?? DEFAULT_ELICIT_MS;
    this.hint = opts.approveHint ?? ((id, groups) => `pol approvals approve ${id}${groupFlag(groups)}`);
  }

  /** The verdict on one `tools/call`; `elicit` is given when the client declared form elicitation. */
  async toolCall(params: unknown, who: Identity, callId: string, elicit?: Elicit): Promise<Verdict> {
    const p = isRecord(params) ? params : {};
    if (typeof p["name"] !== "string") return { forward: false, result: errorResult("`tools/call` needs the tool's `name` as a string") };
    const refusal = await this.pins.refusal(p["name"]);
    if (refusal) return { forward: false, result: errorResult(refusal) };
    const call: ToolCall = { tool: this.prefix + p["name"], args: p["arguments"] ?? {}, agent: { id: who.agent }, run: { id: who.run }, ...(who.env !== undefined ? { env: who.env } : {}) };
    let d = await this.host.decideFor(callId, call);
    if (d.effect === "approve" && d.approval !== undefined && elicit && (await this.elicited(d, call, elicit))) d = await this.host.decideFor(callId, call);
    d = await forOneRun(this.host, callId, call, d);
    if (d.effect === "allow") return { forward: true, decision: d, call };
    if (d.effect === "deny") return { forward: false, result: errorResult(d.reasons.join("; ")) };
    const why = d.reasons.length > 0 ? ` (${d.reasons.join("; ")})` : "";
    const id = d.approval ?? "(none)";
    const hint = this.hint(id, d.approvers);
    const next = hint !== undefined
      ? `an approver runs \`${hint}\`, then call the tool again with the same arguments`
      : "this gateway keeps no state store, so no approver can resolve it outside elicitation; it has not run";
    return { forward: false, result: errorResult(`\`${call.tool}\` needs approval${why}; approval \`${id}\` is pending: ${next}`) };
  }

  /** The audit record of what an allowed call did upstream; feeds the agent's trust. Never throws. */
  async outcome(d: EngineDecision, call: ToolCall, startedMs: number, failure: string | undefined): Promise<void> {
    const o: OutcomeRecord = {
      decision: d.id, tool: call.tool, agent: call.agent.id, run: call.run.id,
      status: failure === undefined ? "succeeded" : "failed", ...(failure !== undefined ? { error: failure } : {}),
      durationMs: Math.round((performance.now() - startedMs) * 1000) / 1000,
    };
    await this.host.recordOutcome(o, failure === undefined ? "success" : "error").catch(() => undefined);
  }

  /**
   * The audit record of an allowed call the client cancelled: never forwarded (`not-run`), or
   * forwarded already, when the upstream may have run it (`failed`, as nothing says it finished).
   * Costs the agent no trust: the client withdrew it. Never throws.
   */
  async cancelled(d: EngineDecision, call: ToolCall, startedMs: number, forwarded: boolean, reason: string | undefined): Promise<void> {
    const why = `the client cancelled the call${reason !== undefined ? ` (${reason.slice(0, 200)})` : ""}`;
    const o: OutcomeRecord = forwarded
      ? { decision: d.id, tool: call.tool, agent: call.agent.id, run: call.run.id, status: "failed", error: `${why} after it was forwarded; the upstream may have run it`, durationMs: Math.round((performance.now() - startedMs) * 1000) / 1000 }
      : { decision: d.id, tool: call.tool, agent: call.agent.id, run: call.run.id, status: "not-run", reason: `${why} before it was forwarded` };
    await this.host.recordOutcome(o).catch(() => undefined);
  }

  /**
   * Asks the person at the client; true when their answer resolved the approval (either way), so
   * the Engine's next decision reflects it. Not offered for approvals needing groups the person is not in.
   */
  private async elicited(d: EngineDecision, call: ToolCall, elicit: Elicit): Promise<boolean> {
    const a = await this.host.approvals.get(d.approval!).catch(() => undefined);
    if (!a || a.status !== "pending") return a !== undefined;
    if (a.groups.length > 0 && !a.groups.some((g) => this.elicitGroups.includes(g))) return false;
    const timeout = Math.max(0, Math.min(this.elicitMs, a.expiresAt - Date.now()));
    const answer = await elicit(elicitation(d, call), timeout).catch(() => undefined);
    if (!answer || answer.action === "cancel") return false;
    const approve = answer.action === "accept" && answer.content?.["decision"] === "approve";
    const note = typeof answer.content?.["note"] === "string" && answer.content["note"] !== "" ? answer.content["note"] : undefined;
    try {
      await this.host.approvals.resolve(a.id, {
        approve, by: `${call.agent.id || "mcp-client"} user (elicitation)`, ...(note !== undefined ? { note } : {}),
        ...(a.groups.length > 0 ? { groups: [...this.elicitGroups] } : {}),
      });
    } catch {
      // Resolved meanwhile (`pol approvals`), or refused: the next decision reads the approval's state.
    }
    return true;
  }
}

/** A form elicitation asking to approve or reject one call (MCP form schemas are flat primitives). */
function elicitation(d: EngineDecision, call: ToolCall): Record<string, unknown> {
  let args: string;
  try {
    args = JSON.stringify(call.args, null, 2);
  } catch {
    args = "(arguments that cannot be shown)";
  }
  if (args.length > 2000) args = `${args.slice(0, 2000)}…`;
  // No `mode` field: protocol 2025-06-18 has none, and every version reads a missing mode as "form".
  return {
    message: `pol: the agent wants to call \`${call.tool}\`, which needs approval${d.reasons.length > 0 ? `: ${d.reasons.join("; ")}` : ""}.\nArguments:\n${args}\nApproval ${d.approval}.`,
    requestedSchema: {
      type: "object",
      properties: {
        decision: { type: "string", title: "Decision", enum: ["approve", "reject"], enumNames: ["Approve this call", "Reject it"] },
        note: { type: "string", title: "Note for the audit log" },
      },
      required: ["decision"],
    },
  };
}
