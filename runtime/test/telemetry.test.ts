// The Engine's OpenTelemetry spans, received by a real OTel SDK (sdk-trace-base with its
// in-memory exporter): one `execute_tool` span per decision with the GenAI attributes and a
// guardrail result event naming the policy hash, the rule and the effect. The Engine depends on
// @opentelemetry/api only; the SDK here stands for whatever a service configures.

import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { recordDecisionSpan } from "../telemetry.js";
import { harness, refund } from "./helpers.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => exporter.reset());

describe("decision spans", () => {
  it("one execute_tool span per decision, with the guardrail result event", async () => {
    const { engine } = await harness();
    const allow = await engine.decide(refund(20));
    const approve = await engine.decide(refund(120));
    const deny = await engine.decide({ tool: "nope", agent: { id: "bot" } });
    await engine.close();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["execute_tool refund", "execute_tool refund", "execute_tool nope"]);
    const [a, b, c] = spans;
    expect(a!.kind).toBe(SpanKind.INTERNAL);
    expect(a!.instrumentationScope.name).toBe("pol");
    expect(a!.attributes).toEqual({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "refund", "gen_ai.tool.type": "function", "gen_ai.tool.call.id": allow.id });
    expect(a!.events).toHaveLength(1);
    expect(a!.events[0]!.name).toBe("guardrail.result");
    expect(a!.events[0]!.attributes).toEqual({ "policy.id": engine.policyHash, "policy.rule.id": "small_refund", "policy.effect": "allow", "pol.decided_by": "rule" });
    expect(b!.events[0]!.attributes).toMatchObject({ "policy.rule.id": "mid_refund", "policy.effect": "approve", "pol.approval.id": approve.approval });
    expect(c!.events[0]!.attributes).toMatchObject({ "policy.effect": "deny", "policy.rule.id": deny.rule });
    // The span covers the decision: it starts before and ends after the Engine's own latency.
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(a!.duration)).toBeGreaterThanOrEqual(allow.latencyUs / 1000 - 0.01);
    expect(a!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("an internal error marks the span as an error; a hostile tool name is cut", () => {
    const d = { id: "d1", effect: "deny", decidedBy: "error", rule: null, reasons: ["internal error, so the call is denied: boom"], approvers: [], trust: 0, policyHash: "h", latencyUs: 5 } as const;
    recordDecisionSpan({ ...d, reasons: [...d.reasons], approvers: [] }, "x".repeat(10_000), performance.now());
    const [s] = exporter.getFinishedSpans();
    expect(s!.status).toEqual({ code: SpanStatusCode.ERROR, message: "internal error, so the call is denied: boom" });
    expect(s!.attributes["error.type"]).toBe("pol.internal_error");
    expect(s!.name.length).toBeLessThan(300);
    expect(s!.events[0]!.attributes).not.toHaveProperty("policy.rule.id");
  });
});
