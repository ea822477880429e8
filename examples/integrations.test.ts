// The integration examples are tests: each scripted conversation (the MCP gateway, the AI SDK,
// the OpenAI Agents SDK, LangChain) must hit allow, deny with the reason the model reads, and
// approve-then-run, and leave a verified audit log. The gateway example runs bin/pol.js, so
// `npm run build` first (npm test does).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runExample as aiSdk } from "./ai_sdk/agent.js";
import { runExample as langchain } from "./langchain/agent.js";
import { runExample as mcpGateway } from "./mcp_gateway/client.js";
import { runExample as openaiAgents } from "./openai_agents/agent.js";

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), "pol-example-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const approved = (waiting: RegExp) => [waiting, /^dana \(finance\) approved apr_\w+$/].map((re) => expect.stringMatching(re));

describe("integration examples", () => {
  it("mcp_gateway: allows, denies with the reason, and lets the retry of an approved refund through", async () => {
    expect(await mcpGateway(dir())).toEqual([
      "refund $20 -> refunded 20 usd as re_1",
      "refund $900 -> error: pol: refunds over $300 are never automatic",
      expect.stringMatching(/^refund \$120 -> error: pol: `stripe\.refund` needs approval \(refunds from \$51 to \$300 need finance sign-off\); approval `apr_\w+` is pending: an approver runs `pol approvals approve apr_\w+ --group finance --store .*pol\.db`, then call the tool again with the same arguments$/),
      expect.stringMatching(/^\$ pol approvals approve apr_\w+ --group finance -> apr_\w+ approved by dana$/),
      "refund $120 (retry) -> refunded 120 usd as re_2",
      "audit chain intact: 7 records in 1 file",
    ]);
  });

  it("ai_sdk: allows, denies as execution-denied with the reason, and runs an approved refund", async () => {
    expect(await aiSdk(dir())).toEqual([
      'refund $20: the model says "Done: {"refund":"re_1","amount":20}"',
      'refund $900: the model says "I could not: pol: refunds over $300 are never automatic"',
      ...approved(/^refund \$120: waiting for approval apr_\w+$/),
      'refund $120: the model says "Done: {"refund":"re_2","amount":120}"',
      "audit chain intact: 8 records in 1 file",
    ]);
  });

  it("openai_agents: allows, rejects through the guardrail with the reason, and runs an approved refund after the interruption", async () => {
    expect(await openaiAgents(dir())).toEqual([
      'refund $20: the model says "refunded $20 as re_1"',
      'refund $900: the model says "pol: refunds over $300 are never automatic"',
      ...approved(/^refund \$120: the run is waiting for approval apr_\w+$/),
      'refund $120: the model says "refunded $120 as re_2"',
      "audit chain intact: 8 records in 1 file",
    ]);
  });

  it("langchain: allows, answers a deny with an error ToolMessage, and runs an approved refund after the interrupt", async () => {
    expect(await langchain(dir())).toEqual([
      'refund $20: the tool message says "refunded $20 as re_1" (success)',
      'refund $900: the tool message says "pol: refunds over $300 are never automatic" (error)',
      ...approved(/^refund \$120: the graph is waiting for approval apr_\w+$/),
      'refund $120: the tool message says "refunded $120 as re_2" (success)',
      "audit chain intact: 8 records in 1 file",
    ]);
  });
});
