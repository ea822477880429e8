// A support agent built with LangChain's createAgent, its tool calls guarded by pol's
// wrapToolCall middleware (pol/langchain), deciding with examples/payments/payments.pol. The
// model is LangChain's own fakeModel scripted to ask for three refunds, so this runs offline: $20
// runs, $900 comes back as an error ToolMessage with pol's reason, $120 interrupts the graph, is
// approved through the Engine, and runs when the thread resumes. Then the audit log is verified.
// Run: npx tsx examples/langchain/agent.ts [dir]   (tested by examples/integrations.test.ts)

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createAgent, fakeModel, tool } from "langchain";
import { z } from "zod";
import { polMiddleware, type PolInterrupt } from "../../integrations/langchain/index.js";
import { Engine, formatVerifyResult, verifyAudit } from "../../runtime/index.js";

const POLICY = join(dirname(fileURLToPath(import.meta.url)), "../payments/payments.pol");

export async function runExample(dir: string): Promise<string[]> {
  const transcript: string[] = [];
  const engine = await Engine.load(POLICY, { store: join(dir, "pol.db"), audit: join(dir, "audit.jsonl") });
  let refunds = 0;
  const refund = tool(async ({ amount }: { amount: number }) => `refunded $${amount} as re_${++refunds}`, {
    name: "refund", description: "Refund a customer's charge",
    schema: z.object({ amount: z.number(), currency: z.string(), customer: z.string() }),
  });
  // Each refund request, then a closing message once the tool has answered.
  const model = fakeModel();
  for (const amount of [20, 900, 120]) {
    model.respondWithTools([{ name: "refund", args: { amount, currency: "usd", customer: "cus_42" }, id: `call_${amount}` }]).respond(new AIMessage("ok"));
  }
  const agent = createAgent({
    model, tools: [refund], checkpointer: new MemorySaver(),
    // The one line pol adds.
    middleware: [polMiddleware(engine, { prefix: "stripe.", context: { agent: { id: "support-bot" }, run: { id: "conversation-7" } } })],
  });

  for (const amount of [20, 900, 120]) {
    const thread = { configurable: { thread_id: `refund-${amount}` } };
    let r = await agent.invoke({ messages: [{ role: "user", content: `Please refund $${amount} to cus_42.` }] }, thread);
    for (const { value } of (r as { __interrupt__?: { value: PolInterrupt }[] }).__interrupt__ ?? []) {
      transcript.push(`refund $${amount}: the graph is waiting for approval ${value.pol.approval}`);
      // Someone in finance approves it (in a service: the console or `pol approvals approve`).
      await engine.approvals.resolve(value.pol.approval!, { approve: true, by: "dana", groups: ["finance"] });
      transcript.push(`dana (finance) approved ${value.pol.approval}`);
      r = await agent.invoke(new Command({ resume: "approved in pol" }), thread);
    }
    const m = r.messages.filter((x) => ToolMessage.isInstance(x)).at(-1) as ToolMessage;
    transcript.push(`refund $${amount}: the tool message says "${m.content}" (${m.status})`);
  }
  await engine.close();
  transcript.push(formatVerifyResult(await verifyAudit(join(dir, "audit.jsonl"))).trim());
  return transcript;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runExample(process.argv[2] ?? mkdtempSync(join(tmpdir(), "pol-langchain-")))) console.log(line);
}
