// OpenTelemetry spans for the Engine's decisions, through `@opentelemetry/api` only: the service
// that embeds pol configures an SDK (or none), and every decision becomes a span there. Called by
// engine.ts once per decision, after the decision is final; consumed by whatever exporter the
// service registered. Without an SDK the API hands out non-recording spans and nothing is built:
// about 60 ns per decision here (1,000,000 calls), against the Engine's ~30 µs per decision.
//
// Shape (GenAI semantic conventions for tool execution, "development" status, checked 2026-12):
// span `execute_tool {tool}`, kind INTERNAL, `gen_ai.operation.name` = `execute_tool`,
// `gen_ai.tool.name`, `gen_ai.tool.type` = `function`, `gen_ai.tool.call.id` = the decision id
// (the id that names this call in the audit log, so a trace joins the log). The guardrail verdict
// is an event on that span: the GenAI guardrail conventions are still a proposal, so the event
// carries the names asked of pol's operators: `policy.id` (the policy hash), `policy.rule.id`,
// `policy.effect`, plus `pol.decided_by`. The span covers the decision only (start = when decide
// was entered), not the tool's execution, which pol does not see unless guard() runs it.

import { SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import type { EngineDecision } from "./engine-types.js";

/** The instrumentation scope name, as a service's SDK configuration sees it. */
export const TRACER_NAME = "pol";
export const GUARDRAIL_EVENT = "guardrail.result";

const MAX_NAME = 256;

let tracer: Tracer | undefined;

/**
 * Records one decision as a finished span from `startedAt` (performance.now() when decide() was
 * entered) to now. Never throws: a faulty SDK must not turn a decision into an error.
 */
export function recordDecisionSpan(d: EngineDecision, tool: string, startedAt: number): void {
  try {
    tracer ??= trace.getTracer(TRACER_NAME);
    // Tool names come from the caller: cut so a hostile one cannot bloat every exported span.
    const name = tool.length > MAX_NAME ? `${tool.slice(0, MAX_NAME)}…` : tool;
    const span = tracer.startSpan(name === "" ? "execute_tool" : `execute_tool ${name}`, { kind: SpanKind.INTERNAL, startTime: performance.timeOrigin + startedAt });
    if (!span.isRecording()) {
      span.end();
      return;
    }
    span.setAttributes({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": name,
      "gen_ai.tool.type": "function",
      "gen_ai.tool.call.id": d.id,
    });
    span.addEvent(GUARDRAIL_EVENT, {
      "policy.id": d.policyHash,
      ...(d.rule !== null ? { "policy.rule.id": d.rule } : {}),
      "policy.effect": d.effect,
      "pol.decided_by": d.decidedBy,
      ...(d.approval !== undefined ? { "pol.approval.id": d.approval } : {}),
    });
    if (d.decidedBy === "error") {
      span.setAttribute("error.type", "pol.internal_error");
      span.setStatus({ code: SpanStatusCode.ERROR, message: d.reasons[0] ?? "internal error" });
    }
    span.end();
  } catch {
    // Telemetry is best effort; the decision stands.
  }
}
