// `pol/langchain`: LangChain.js agents (`createAgent`) guarded by a `wrapToolCall` middleware.
// allow → the tool runs and its outcome is audited; deny → a ToolMessage with status "error"
// carrying pol's reason, and the tool never runs; approve → a LangGraph `interrupt` (the agent
// needs a checkpointer): resume the thread once the approval is resolved in pol; a resume while it
// is still pending interrupts again. A resume value resolves the approval only through the host's
// own `resumeApproval`, which authenticates whoever resumed: whoever can resume a thread is often
// the agent's own user. The tools node re-runs the middleware on resume; decideFor, keyed by the
// tool call's id, answers from the same decision. Depends on pol/runtime, and at run time on the
// optional peers langchain, @langchain/core and @langchain/langgraph.

import { ToolMessage } from "@langchain/core/messages";
import { interrupt } from "@langchain/langgraph";
import { createMiddleware } from "langchain";
import type { EngineApprovals } from "../../runtime/index.js";
import { callOf, deniedText, forOneRun, pendingText, runAudited, type GuardHost, type GuardOptions } from "../host.js";

/** What the middleware needs from the Engine: a GuardHost that can also resolve approvals (resume values). */
export interface LangChainHost extends GuardHost {
  readonly approvals: Pick<EngineApprovals, "get" | "resolve">;
}

/** The value of the interrupt pol raises for a call that needs approval (in the result's `__interrupt__`). */
export interface PolInterrupt {
  pol: { approval: string | undefined; tool: string; callId: string; reasons: string[] };
}

/** A resolution of the pending approval, as `resumeApproval` returns it. */
export interface PolResume {
  approve: boolean;
  /** The approver, as the audit log and the approval record name them. */
  by: string;
  note?: string;
  /** The approver's groups, checked by the Engine against the approval's. */
  groups?: string[];
}

export interface PolLangChainOptions extends GuardOptions {
  /**
   * Turns a resume value into a resolution of the pending approval, for review UIs built on
   * LangGraph's interrupts. Without it a resume value never approves anything: the thread only
   * re-reads pol's state. Authenticate here (a signed token, the reviewer's session): whatever
   * this returns is applied as that approver. Return undefined to resolve nothing.
   */
  resumeApproval?: (resume: unknown, pending: PolInterrupt["pol"]) => PolResume | undefined | Promise<PolResume | undefined>;
}

interface ToolCallRequest {
  toolCall: { id?: string; name: string; args: unknown };
  runtime?: { context?: unknown };
}

const errorMessage = (text: string, id: string, name: string) => new ToolMessage({ content: text, tool_call_id: id, name, status: "error" });

/** The reason a tool's own ToolMessage reports a failure, if it does. */
function failureOf(result: unknown): string | undefined {
  if (!ToolMessage.isInstance(result) || result.status !== "error") return undefined;
  return typeof result.content === "string" ? result.content : "the tool reported an error";
}

async function guarded(host: LangChainHost, opts: PolLangChainOptions, request: ToolCallRequest, handler: (r: ToolCallRequest) => Promise<unknown>): Promise<unknown> {
  const { id, name, args } = request.toolCall;
  if (id === undefined || id === "") return errorMessage(`pol: the call to \`${name}\` has no tool call id, so pol cannot match it to a decision; it has not run`, "", name);
  const call = callOf(name, args, opts, request.runtime?.context);
  let d = await host.decideFor(id, call);
  // Each pass raises one interrupt: the first pauses the graph; on a resume LangGraph replays the
  // node and each interrupt() returns the next resume value, so a resume that finds the approval
  // still pending reaches a new interrupt and pauses again, until pol's state says more.
  while (d.effect === "approve") {
    const pending = { approval: d.approval, tool: call.tool, callId: id, reasons: d.reasons };
    const answer: unknown = interrupt({ pol: pending } satisfies PolInterrupt);
    const r = opts.resumeApproval && d.approval !== undefined ? await opts.resumeApproval(answer, pending) : undefined;
    if (r) {
      const { approve, by, note, groups } = r;
      // Refused or already resolved: the next decision reads whatever state the approval is in.
      await host.approvals.resolve(d.approval!, { approve, by, ...(note !== undefined ? { note } : {}), ...(groups !== undefined ? { groups } : {}) }).catch(() => undefined);
    }
    d = await host.decideFor(id, call);
  }
  d = await forOneRun(host, id, call, d);
  if (d.effect === "allow") return runAudited(host, d, call, () => handler(request), failureOf);
  return errorMessage(d.effect === "deny" ? deniedText(d) : pendingText(call.tool, d), id, name);
}

/** The middleware: `createAgent({ ..., middleware: [polMiddleware(engine)], checkpointer })`. */
export function polMiddleware(host: LangChainHost, opts: PolLangChainOptions = {}) {
  return createMiddleware({
    name: "pol",
    wrapToolCall: (request, handler) => guarded(host, opts, request as unknown as ToolCallRequest, handler as never) as never,
  });
}

export type { GuardHost, GuardOptions, ContextOption } from "../host.js";
