// pol/openai-agents end to end on the real OpenAI Agents SDK (Agent, tool, run, RunState
// interruptions) with a scripted Model (the SDK's own Model interface, as its tests use; no
// network): an allowed refund runs; a denied one never runs and the model's next input carries
// pol's reason from the input guardrail; one sent to approval interrupts the run and, once the
// test grants it through engine.approvals, pol.resolve approves it and the resumed run executes
// it (a rejected one is rejected with the approver's note). Real SQLite store and JSONL audit log.

import { Agent, run, setTracingDisabled, tool, Usage, type Model, type ModelRequest, type ModelResponse } from "@openai/agents";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { harness, type Harness } from "../../../runtime/test/helpers.js";
import { kinds, verified } from "../../test/helpers.js";
import { polAgents } from "../index.js";

beforeAll(() => setTracingDisabled(true));

/** Calls `refund` with `amount` once, then answers "done" once it has seen the tool's output; keeps every request. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly amount: number) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const input = Array.isArray(request.input) ? request.input : [];
    if (input.some((i) => (i as { type?: string }).type === "function_call_result")) {
      return { usage: new Usage(), output: [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "done" }] }] };
    }
    return { usage: new Usage(), output: [{ type: "function_call", callId: `call_${this.amount}`, name: "refund", arguments: JSON.stringify({ amount: this.amount, customer: "cus_1" }), status: "completed" }] };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("the scripted model does not stream");
  }
}

function setup(h: Harness, amount: number) {
  const ran: number[] = [];
  const pol = polAgents(h.engine, { context: { agent: { id: "bot" }, run: { id: "run-1" } } });
  const refund = tool(pol.guard({
    name: "refund",
    description: "Refund a customer",
    parameters: z.object({ amount: z.number(), customer: z.string() }),
    execute: async ({ amount }: { amount: number }) => {
      ran.push(amount);
      return `refunded ${amount}`;
    },
  }));
  const model = new ScriptedModel(amount);
  const agent = new Agent({ name: "support", instructions: "Refund when asked.", model, tools: [refund] });
  return { pol, agent, model, ran };
}

const lastInput = (m: ScriptedModel) => JSON.stringify(m.requests.at(-1)?.input);

describe("pol/openai-agents on the OpenAI Agents SDK", () => {
  it("runs a call pol allows", async () => {
    const h = await harness();
    const { agent, model, ran } = setup(h, 20);
    const r = await run(agent, "refund cus_1 20 dollars");
    expect(r.finalOutput).toBe("done");
    expect(ran).toEqual([20]);
    expect(lastInput(model)).toContain("refunded 20");
    const log = await verified(h);
    expect(log.filter((x) => x["type"] !== "admin").map((x) => `${x["type"]}:${x["effect"] ?? x["status"]}`)).toEqual(["decision:allow", "outcome:succeeded"]);
  });

  it("rejects a denied call through the input guardrail: the model reads pol's reason, the tool never runs", async () => {
    const h = await harness();
    const { agent, model, ran } = setup(h, 900);
    const r = await run(agent, "refund cus_1 900 dollars");
    expect(r.finalOutput).toBe("done");
    expect(r.interruptions ?? []).toEqual([]);
    expect(ran).toEqual([]);
    expect(lastInput(model)).toContain("pol: refunds over 300 are never automatic");
    expect(r.toolInputGuardrailResults.map((g) => [g.guardrail.name, g.output.behavior])).toEqual([["pol", { type: "rejectContent", message: "pol: refunds over 300 are never automatic" }]]);
    const log = await verified(h);
    expect(log.filter((x) => x["type"] === "decision").map((x) => x["rule"])).toEqual(["big_refund"]);
  });

  it("interrupts for approval, and runs the call once the test grants it and pol.resolve approves the interruption", async () => {
    const h = await harness();
    const { pol, agent, model, ran } = setup(h, 120);
    const first = await run(agent, "refund cus_1 120 dollars");
    expect(first.interruptions).toHaveLength(1);
    expect(ran).toEqual([]);
    const open = await pol.resolve(first);
    expect(open).toMatchObject({ approved: [], rejected: [], pending: [{ item: first.interruptions[0], polApproval: expect.stringMatching(/^apr_/) }] });
    await h.engine.approvals.resolve(open.pending[0]!.polApproval!, { approve: true, by: "alice", groups: ["finance"] });
    expect((await pol.resolve(first)).approved).toHaveLength(1);
    const resumed = await run(agent, first.state);
    expect(resumed.finalOutput).toBe("done");
    expect(ran).toEqual([120]);
    expect(lastInput(model)).toContain("refunded 120");
    const log = await verified(h);
    expect(kinds(log)).toEqual([
      "admin:engine.start", "decision:approve", "admin:approval.approved", "decision:allow", "outcome:succeeded",
    ]);
  });

  it("with preApprovalInputGuardrails the guardrail leaves an approve to needsApproval: the run still interrupts", async () => {
    const h = await harness();
    const { pol, agent, ran } = setup(h, 120);
    const first = await run(agent, "refund cus_1 120 dollars", { toolExecution: { preApprovalInputGuardrails: true } } as never);
    expect(first.interruptions).toHaveLength(1);
    expect(ran).toEqual([]);
    const open = await pol.resolve(first);
    await h.engine.approvals.resolve(open.pending[0]!.polApproval!, { approve: true, by: "alice", groups: ["finance"] });
    expect((await pol.resolve(first)).approved).toHaveLength(1);
    expect((await run(agent, first.state)).finalOutput).toBe("done");
    expect(ran).toEqual([120]);
    await verified(h);
  });

  it("an interruption approved outside pol (state.approve) still does not run the tool: the model reads why", async () => {
    const h = await harness();
    const { agent, model, ran } = setup(h, 120);
    const first = await run(agent, "refund cus_1 120 dollars");
    first.state.approve(first.interruptions[0]!);
    expect((await run(agent, first.state)).finalOutput).toBe("done");
    expect(ran).toEqual([]);
    expect(lastInput(model)).toMatch(/pol: `refund` is waiting for approval `apr_\w+`.*; it has not run/);
    await verified(h);
  });

  it("rejects the interruption of a rejected approval with the approver's note", async () => {
    const h = await harness();
    const { pol, agent, model, ran } = setup(h, 150);
    const first = await run(agent, "refund cus_1 150 dollars");
    const [a] = await h.engine.approvals.list({ status: "pending" });
    await h.engine.approvals.resolve(a!.id, { approve: false, by: "bob", note: "duplicate" });
    expect((await pol.resolve(first)).rejected).toHaveLength(1);
    const resumed = await run(agent, first.state);
    expect(resumed.finalOutput).toBe("done");
    expect(ran).toEqual([]);
    expect(lastInput(model)).toContain(`pol: approval \`${a!.id}\` was rejected by bob: duplicate`);
    await verified(h);
  });

  it("refuses a tool with its own needsApproval, which pol's would silently replace", async () => {
    const h = await harness();
    const pol = polAgents(h.engine);
    const opts = { name: "refund", description: "Refund", parameters: z.object({ amount: z.number() }), needsApproval: async () => true, execute: async () => "ran" };
    expect(() => tool(pol.guard(opts))).toThrow(/^pol: `refund` has its own needsApproval, which pol's would replace; say it in the policy instead/);
    await h.engine.close();
  });

  it("type-checks an execute written inline in pol.guard inside tool() (npm run typecheck fails otherwise)", async () => {
    const h = await harness();
    const pol = polAgents(h.engine);
    // Before, tool()'s options were inferred back into guard's, typing `input` as a string: TS2345.
    const t = tool(pol.guard({ name: "refund", description: "Refund", parameters: z.object({ amount: z.number(), customer: z.string() }), execute: async ({ amount }) => `refunded ${amount}` }));
    expect(t.name).toBe("refund");
    await h.engine.close();
  });
});
