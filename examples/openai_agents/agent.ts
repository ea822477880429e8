// A support agent on the OpenAI Agents SDK with its refund tool guarded by pol
// (pol/openai-agents), deciding with examples/payments/payments.pol. The model is scripted
// through the SDK's own Model interface to ask for three refunds, so this runs offline: $20 runs,
// $900 is rejected by pol's input guardrail (the model reads why), $120 interrupts the run, is
// approved through the Engine, and runs when the run resumes. Then the audit log is verified.
// Run: npx tsx examples/openai_agents/agent.ts [dir]   (tested by examples/integrations.test.ts)

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, run, setTracingDisabled, tool, Usage, type Model, type ModelRequest, type ModelResponse } from "@openai/agents";
import { z } from "zod";
import { polAgents } from "../../integrations/openai-agents/index.js";
import { Engine, formatVerifyResult, verifyAudit } from "../../runtime/index.js";

const POLICY = join(dirname(fileURLToPath(import.meta.url)), "../payments/payments.pol");

/** Asks for the refund the user names; once it has a tool's output, repeats it. */
class ScriptedModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = (Array.isArray(request.input) ? request.input : []) as { type?: string; role?: string; content?: unknown; output?: unknown }[];
    const result = items.findLast((i) => i.type === "function_call_result");
    if (result) {
      const out = result.output as { text?: string } | string;
      return { usage: new Usage(), output: [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: typeof out === "string" ? out : out.text ?? "" }] }] };
    }
    const amount = Number(/\$(\d+)/.exec(JSON.stringify(items.findLast((i) => i.role === "user")?.content))![1]);
    return { usage: new Usage(), output: [{ type: "function_call", callId: `call_${amount}`, name: "refund", arguments: JSON.stringify({ amount, currency: "usd", customer: "cus_42" }), status: "completed" }] };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("this example does not stream");
  }
}

export async function runExample(dir: string): Promise<string[]> {
  setTracingDisabled(true);
  const transcript: string[] = [];
  const engine = await Engine.load(POLICY, { store: join(dir, "pol.db"), audit: join(dir, "audit.jsonl") });
  let refunds = 0;

  // The one line pol adds: the tool's options go through pol.guard.
  const pol = polAgents(engine, { prefix: "stripe.", context: { agent: { id: "support-bot" }, run: { id: "conversation-7" } } });
  const refund = tool(pol.guard({
    name: "refund",
    description: "Refund a customer's charge",
    parameters: z.object({ amount: z.number(), currency: z.string(), customer: z.string() }),
    execute: async ({ amount }: { amount: number }) => `refunded $${amount} as re_${++refunds}`,
  }));
  const agent = new Agent({ name: "support", instructions: "Refund customers when asked.", model: new ScriptedModel(), tools: [refund] });

  for (const amount of [20, 900, 120]) {
    let r = await run(agent, `Please refund $${amount} to cus_42.`);
    // pol's needsApproval interrupted the run for the $120 refund; pol.resolve answers from pol's state.
    while (r.interruptions.length > 0) {
      const { pending } = await pol.resolve(r);
      for (const { polApproval } of pending) {
        transcript.push(`refund $${amount}: the run is waiting for approval ${polApproval}`);
        // Someone in finance approves it (in a service: the console or `pol approvals approve`).
        await engine.approvals.resolve(polApproval!, { approve: true, by: "dana", groups: ["finance"] });
        transcript.push(`dana (finance) approved ${polApproval}`);
      }
      await pol.resolve(r);
      r = await run(agent, r.state);
    }
    transcript.push(`refund $${amount}: the model says "${r.finalOutput}"`);
  }
  await engine.close();
  transcript.push(formatVerifyResult(await verifyAudit(join(dir, "audit.jsonl"))).trim());
  return transcript;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runExample(process.argv[2] ?? mkdtempSync(join(tmpdir(), "pol-openai-agents-")))) console.log(line);
}
