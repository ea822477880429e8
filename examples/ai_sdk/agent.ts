// A support agent on the Vercel AI SDK with its refund tool guarded by pol (pol/ai), deciding
// with examples/payments/payments.pol. The model is the SDK's MockLanguageModelV3 scripted to ask
// for three refunds, so this runs offline: $20 runs, $900 is denied (the model reads why), $120
// waits for finance, is approved through the Engine, and then runs. Then the audit log is verified.
// Run: npx tsx examples/ai_sdk/agent.ts [dir]   (tested by examples/integrations.test.ts)

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateText, stepCountIs, tool, type ModelMessage } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";
import { polAi } from "../../integrations/ai/index.js";
import { Engine, formatVerifyResult, verifyAudit } from "../../runtime/index.js";

const POLICY = join(dirname(fileURLToPath(import.meta.url)), "../payments/payments.pol");
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

/** Asks for a refund of `amount` on each user turn; after a tool result, repeats what it learnt. */
function scriptedModel() {
  return new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      const last = prompt.at(-1)!;
      if (last.role === "tool") {
        const out = last.content.find((p) => p.type === "tool-result")!.output;
        const text = out.type === "execution-denied" ? `I could not: ${out.reason}` : `Done: ${JSON.stringify(out.value)}`;
        return { content: [{ type: "text", text }], finishReason: { unified: "stop", raw: "stop" }, usage, warnings: [] };
      }
      const amount = Number(/\$(\d+)/.exec(JSON.stringify(last.content))![1]);
      return {
        content: [{ type: "tool-call", toolCallId: `call_${amount}`, toolName: "refund", input: JSON.stringify({ amount, currency: "usd", customer: "cus_42" }) }],
        finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage, warnings: [],
      };
    },
  });
}

export async function runExample(dir: string): Promise<string[]> {
  const transcript: string[] = [];
  const engine = await Engine.load(POLICY, { store: join(dir, "pol.db"), audit: join(dir, "audit.jsonl") });
  let refunds = 0;

  // The one line pol adds: the agent's tools go through pol.tools.
  const pol = polAi(engine, { prefix: "stripe.", context: { agent: { id: "support-bot" }, run: { id: "conversation-7" } } });
  const tools = pol.tools({
    refund: tool({
      description: "Refund a customer's charge",
      inputSchema: z.object({ amount: z.number(), currency: z.string(), customer: z.string() }),
      execute: async ({ amount }) => ({ refund: `re_${++refunds}`, amount }),
    }),
  });
  const model = scriptedModel();

  for (const amount of [20, 900, 120]) {
    const messages: ModelMessage[] = [{ role: "user", content: `Please refund $${amount} to cus_42.` }];
    let r = await generateText({ model, tools, messages, stopWhen: stepCountIs(4) });
    // pol turned the $900 and $120 calls into approval requests; pol.answer says what pol decided.
    let answer = await pol.answer(r);
    for (const p of answer.pending) {
      transcript.push(`refund $${amount}: waiting for approval ${p.polApproval}`);
      // Someone in finance approves it (in a service: the console or `pol approvals approve`).
      await engine.approvals.resolve(p.polApproval!, { approve: true, by: "dana", groups: ["finance"] });
      transcript.push(`dana (finance) approved ${p.polApproval}`);
      answer = await pol.answer(r);
    }
    if (answer.responses.length > 0) {
      r = await generateText({ model, tools, messages: [...messages, ...r.response.messages, { role: "tool", content: answer.responses }], stopWhen: stepCountIs(4) });
    }
    transcript.push(`refund $${amount}: the model says "${r.text}"`);
  }
  await engine.close();
  transcript.push(formatVerifyResult(await verifyAudit(join(dir, "audit.jsonl"))).trim());
  return transcript;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runExample(process.argv[2] ?? mkdtempSync(join(tmpdir(), "pol-ai-sdk-")))) console.log(line);
}
