// pol/ai end to end on the real Vercel AI SDK 6 (generateText, tool, its MockLanguageModelV3
// scripted to call a tool): an allowed refund runs; a denied one never runs and the model's next
// prompt carries pol's reason as an `execution-denied` result; one sent to approval runs after
// the test grants it through engine.approvals (and a rejected one is denied with the approver's
// note). Real SQLite store and JSONL audit log, verified afterwards.

import { generateText, stepCountIs, tool, type ModelMessage } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { harness, type Harness } from "../../../runtime/test/helpers.js";
import { kinds, verified } from "../../test/helpers.js";
import { polAi } from "../index.js";

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

/** A model that calls `refund` with `amount` once, then answers with text; every prompt it received is kept. */
function scripted(amount: number) {
  const prompts: unknown[] = [];
  const model = new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      prompts.push(prompt);
      if (prompt.at(-1)?.role === "tool") return { content: [{ type: "text", text: "done" }], finishReason: { unified: "stop", raw: "stop" }, usage, warnings: [] };
      return {
        content: [{ type: "tool-call", toolCallId: `call_${amount}`, toolName: "refund", input: JSON.stringify({ amount, customer: "cus_1" }) }],
        finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage, warnings: [],
      };
    },
  });
  return { model, prompts };
}

function setup(h: Harness) {
  const ran: number[] = [];
  const pol = polAi(h.engine, { context: { agent: { id: "bot" }, run: { id: "run-1" } } });
  const tools = pol.tools({
    refund: tool({
      description: "Refund a customer",
      inputSchema: z.object({ amount: z.number(), customer: z.string() }),
      execute: async ({ amount }) => {
        ran.push(amount);
        return { refunded: amount };
      },
    }),
  });
  return { pol, tools, ran };
}

const user: ModelMessage[] = [{ role: "user", content: "please refund the customer" }];

describe("pol/ai on the AI SDK", () => {
  it("runs a call pol allows and the model sees its result", async () => {
    const h = await harness();
    const { tools, ran } = setup(h);
    const { model, prompts } = scripted(20);
    const r = await generateText({ model, tools, messages: user, stopWhen: stepCountIs(3) });
    expect(r.text).toBe("done");
    expect(ran).toEqual([20]);
    expect(JSON.stringify(prompts.at(-1))).toContain('"refunded":20');
    const log = await verified(h);
    expect(log.filter((x) => x["type"] !== "admin").map((x) => `${x["type"]}:${x["effect"] ?? x["status"]}`)).toEqual(["decision:allow", "outcome:succeeded"]);
  });

  it("denies a call as `execution-denied` with pol's reason, and the tool never runs", async () => {
    const h = await harness();
    const { pol, tools, ran } = setup(h);
    const { model, prompts } = scripted(900);
    const first = await generateText({ model, tools, messages: user, stopWhen: stepCountIs(3) });
    expect(first.content.some((p) => p.type === "tool-approval-request")).toBe(true);
    const { responses, pending } = await pol.answer(first);
    expect(pending).toEqual([]);
    expect(responses).toEqual([{ type: "tool-approval-response", approvalId: expect.any(String), approved: false, reason: "pol: refunds over 300 are never automatic" }]);
    const second = await generateText({ model, tools, messages: [...user, ...first.response.messages, { role: "tool", content: responses }], stopWhen: stepCountIs(3) });
    expect(second.text).toBe("done");
    expect(ran).toEqual([]);
    const seen = JSON.stringify(prompts.at(-1));
    expect(seen).toContain('"type":"execution-denied"');
    expect(seen).toContain("pol: refunds over 300 are never automatic");
    const log = await verified(h);
    expect(log.filter((x) => x["type"] === "decision").map((x) => x["rule"])).toEqual(["big_refund"]);
  });

  it("sends a call to approval, then runs it once the test grants it through engine.approvals", async () => {
    const h = await harness();
    const { pol, tools, ran } = setup(h);
    const { model, prompts } = scripted(120);
    const first = await generateText({ model, tools, messages: user, stopWhen: stepCountIs(3) });
    const waiting = await pol.answer(first);
    expect(waiting.responses).toEqual([]);
    expect(waiting.pending).toEqual([{ approvalId: expect.any(String), toolCallId: "call_120", toolName: "refund", polApproval: expect.stringMatching(/^apr_/) }]);
    await h.engine.approvals.resolve(waiting.pending[0]!.polApproval!, { approve: true, by: "alice", groups: ["finance"] });
    const { responses } = await pol.answer(first);
    expect(responses).toEqual([{ type: "tool-approval-response", approvalId: waiting.pending[0]!.approvalId, approved: true }]);
    const second = await generateText({ model, tools, messages: [...user, ...first.response.messages, { role: "tool", content: responses }], stopWhen: stepCountIs(3) });
    expect(second.text).toBe("done");
    expect(ran).toEqual([120]);
    expect(JSON.stringify(prompts.at(-1))).toContain('"refunded":120');
    const log = await verified(h);
    expect(kinds(log)).toEqual([
      "admin:engine.start", "decision:approve", "admin:approval.approved", "decision:allow", "outcome:succeeded",
    ]);
  });

  it("denies a call whose approval was rejected, with the approver's note, waiting for the person", async () => {
    const h = await harness();
    const { pol, tools, ran } = setup(h);
    const { model, prompts } = scripted(150);
    const first = await generateText({ model, tools, messages: user, stopWhen: stepCountIs(3) });
    const [a] = await h.engine.approvals.list({ status: "pending" });
    setTimeout(() => void h.engine.approvals.resolve(a!.id, { approve: false, by: "bob", note: "duplicate" }), 50);
    const { responses } = await pol.answer(first, { waitMs: 10_000 });
    expect(responses).toEqual([{ type: "tool-approval-response", approvalId: expect.any(String), approved: false, reason: `pol: approval \`${a!.id}\` was rejected by bob: duplicate` }]);
    await generateText({ model, tools, messages: [...user, ...first.response.messages, { role: "tool", content: responses }], stopWhen: stepCountIs(3) });
    expect(ran).toEqual([]);
    expect(JSON.stringify(prompts.at(-1))).toContain("was rejected by bob: duplicate");
    await verified(h);
  });

  it("streams a tool written as async function*: the model gets its last part, the outcome is audited at the end", async () => {
    const h = await harness();
    const pol = polAi(h.engine, { context: { agent: { id: "bot" }, run: { id: "run-1" } } });
    const parts: string[] = [];
    const tools = pol.tools({
      refund: tool({
        description: "Refund a customer",
        inputSchema: z.object({ amount: z.number(), customer: z.string() }),
        async *execute({ amount }) {
          parts.push("started");
          yield { status: "refunding" };
          yield { refunded: amount };
        },
      }),
    });
    const { model, prompts } = scripted(20);
    const r = await generateText({ model, tools, messages: user, stopWhen: stepCountIs(3) });
    expect(r.text).toBe("done");
    expect(parts).toEqual(["started"]);
    expect(JSON.stringify(prompts.at(-1))).toContain('"refunded":20');
    const log = await verified(h);
    expect(kinds(log)).toEqual(["admin:engine.start", "decision:allow", "outcome:succeeded"]);
  });

  it("refuses a tool with its own needsApproval, which pol's would silently replace", async () => {
    const h = await harness();
    const pol = polAi(h.engine);
    const own = tool({ inputSchema: z.object({ amount: z.number() }), needsApproval: true, execute: async () => "ran" });
    expect(() => pol.tools({ refund: own })).toThrow(/^pol: `refund` has its own needsApproval, which pol's would replace; say it in the policy instead/);
    // `false` asks for nothing, so there is nothing to lose.
    expect(() => pol.tools({ refund: { ...own, needsApproval: false } })).not.toThrow();
    await h.engine.close();
  });

  it("runs concurrent executions of one toolCallId once per charge: the limit holds", async () => {
    const h = await harness();
    const { tools, ran } = setup(h);
    // refund_sum allows 200 a day: four refunds of 50, whatever id they share.
    const runs = await Promise.allSettled(Array.from({ length: 6 }, () => tools.refund.execute!({ amount: 50, customer: "cus_1" }, { toolCallId: "dup", messages: [] } as never)));
    expect(ran).toEqual([50, 50, 50, 50]);
    expect(runs.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([expect.stringMatching(/limit/), expect.stringMatching(/limit/)]);
    const log = await verified(h);
    // Four charged allows; the two over the limit share one deny (a repeat of one id's deny is that deny).
    expect(log.filter((x) => x["type"] === "decision").map((x) => x["effect"]).sort()).toEqual(["allow", "allow", "allow", "allow", "deny"]);
  });
});
