// pol/langchain end to end on the real LangChain.js agent (createAgent, tool, LangGraph's
// MemorySaver and Command) with the SDK's own fakeModel scripted to call a tool: an allowed refund
// runs; a denied one never runs and the model reads pol's reason in an error ToolMessage; one sent
// to approval interrupts the graph and, once the test grants it through engine.approvals, the
// resumed thread runs it (or a resume value `{ approve, by }` resolves it). Real SQLite store and
// JSONL audit log, verified afterwards.

import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createAgent, fakeModel, tool } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { harness, type Harness } from "../../../runtime/test/helpers.js";
import { kinds, verified } from "../../test/helpers.js";
import { polMiddleware, type PolInterrupt } from "../index.js";

function setup(h: Harness, amount: number) {
  const ran: number[] = [];
  const refund = tool(async ({ amount: a }: { amount: number; customer: string }) => {
    ran.push(a);
    return `refunded ${a}`;
  }, { name: "refund", description: "Refund a customer", schema: z.object({ amount: z.number(), customer: z.string() }) });
  const model = fakeModel().respondWithTools([{ name: "refund", args: { amount, customer: "cus_1" }, id: `call_${amount}` }]).respond(new AIMessage("done"));
  const agent = createAgent({
    model, tools: [refund], checkpointer: new MemorySaver(),
    middleware: [polMiddleware(h.engine, { context: { agent: { id: "bot" }, run: { id: "run-1" } } })],
  });
  const config = { configurable: { thread_id: `thread-${amount}` } };
  return { agent, model, ran, config };
}

const ask = { messages: [{ role: "user", content: "refund the customer" }] };
const toolMessages = (r: { messages: unknown[] }) => r.messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m));

describe("pol/langchain on a LangChain agent", () => {
  it("runs a call pol allows", async () => {
    const h = await harness();
    const { agent, ran, config } = setup(h, 20);
    const r = await agent.invoke(ask, config);
    expect(ran).toEqual([20]);
    expect(toolMessages(r).map((m) => [m.content, m.status])).toEqual([["refunded 20", "success"]]);
    expect(String(r.messages.at(-1)!.content)).toBe("done");
    const log = await verified(h);
    expect(log.filter((x) => x["type"] !== "admin").map((x) => `${x["type"]}:${x["effect"] ?? x["status"]}`)).toEqual(["decision:allow", "outcome:succeeded"]);
  });

  it("answers a denied call with an error ToolMessage carrying pol's reason, and the tool never runs", async () => {
    const h = await harness();
    const { agent, model, ran, config } = setup(h, 900);
    const r = await agent.invoke(ask, config);
    expect(ran).toEqual([]);
    expect(toolMessages(r).map((m) => [m.content, m.status, m.tool_call_id])).toEqual([["pol: refunds over 300 are never automatic", "error", "call_900"]]);
    // The model's second call saw the reason.
    expect(JSON.stringify(model.calls.at(-1)!.messages)).toContain("pol: refunds over 300 are never automatic");
    const log = await verified(h);
    expect(log.filter((x) => x["type"] === "decision").map((x) => x["rule"])).toEqual(["big_refund"]);
  });

  it("interrupts for approval and runs the call when the thread resumes after the test grants it through engine.approvals", async () => {
    const h = await harness();
    const { agent, ran, config } = setup(h, 120);
    const first = await agent.invoke(ask, config);
    const interrupts = (first as { __interrupt__?: { value: PolInterrupt }[] }).__interrupt__ ?? [];
    expect(interrupts.map((i) => i.value)).toEqual([{ pol: { approval: expect.stringMatching(/^apr_/), tool: "refund", callId: "call_120", reasons: ["refunds from 51 to 300 need finance sign-off"] } }]);
    expect(ran).toEqual([]);
    await h.engine.approvals.resolve(interrupts[0]!.value.pol.approval!, { approve: true, by: "alice", groups: ["finance"] });
    const resumed = await agent.invoke(new Command({ resume: "reviewed" }), config);
    expect(ran).toEqual([120]);
    expect(toolMessages(resumed).map((m) => m.content)).toEqual(["refunded 120"]);
    expect(String(resumed.messages.at(-1)!.content)).toBe("done");
    const log = await verified(h);
    expect(kinds(log)).toEqual([
      "admin:engine.start", "decision:approve", "admin:approval.approved", "decision:allow", "outcome:succeeded",
    ]);
  });

  it("resolves the approval from a resume value, and denies with the approver's note when it rejects", async () => {
    const h = await harness();
    const { agent, ran, config } = setup(h, 150);
    await agent.invoke(ask, config);
    const resumed = await agent.invoke(new Command({ resume: { approve: false, by: "bob", note: "duplicate", groups: ["finance"] } }), config);
    expect(ran).toEqual([]);
    const [m] = toolMessages(resumed);
    expect(m!.status).toBe("error");
    expect(m!.content).toMatch(/^pol: approval `apr_\w+` was rejected by bob: duplicate$/);
    const log = await verified(h);
    expect(log.find((x) => x["event"] === "approval.rejected")).toMatchObject({ by: "bob" });
  });
});
