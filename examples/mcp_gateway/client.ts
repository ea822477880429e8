// The MCP gateway example: an MCP client (the SDK's own Client) reaches a payments server
// (server.mjs) only through `pol mcp`, deciding with examples/payments/payments.pol: a $20 refund
// goes through, $900 comes back as an error result with pol's reason, $120 comes back naming a
// pending approval; `pol approvals approve` grants it and the retry goes through. Then the audit
// log is verified. Needs `npm run build` (it runs bin/pol.js).
// Run: npx tsx examples/mcp_gateway/client.ts [dir]   (tested by examples/integrations.test.ts)

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";
import { formatVerifyResult, verifyAudit } from "../../runtime/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");

/** `pol ...` in process, returning what it printed. */
async function pol(...args: string[]): Promise<string> {
  let out = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (out += s), stdin: async () => "", colorOut: false, colorErr: false };
  await main(args, io);
  return out.trim();
}

const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]!.text;

export async function runExample(dir: string): Promise<string[]> {
  const transcript: string[] = [];
  const store = join(dir, "pol.db");
  // What an MCP client's config runs instead of the server itself: the gateway, with the server after `--`.
  const gateway = new StdioClientTransport({
    command: process.execPath,
    args: [join(ROOT, "bin/pol.js"), "mcp", "--policy", join(ROOT, "examples/payments/payments.pol"), "--store", store,
      "--prefix", "stripe.", "--agent", "support-bot", "--", process.execPath, join(HERE, "server.mjs")],
    stderr: "ignore",
  });
  const client = new Client({ name: "example-client", version: "1.0.0" });
  await client.connect(gateway);
  const refund = (amount: number) => client.callTool({ name: "refund", arguments: { amount, currency: "usd", customer: "cus_42" } });

  for (const amount of [20, 900, 120]) {
    const r = await refund(amount);
    transcript.push(`refund $${amount} -> ${r.isError ? "error: " : ""}${textOf(r)}`);
    const pending = /approval `(apr_\w+)` is pending/.exec(textOf(r))?.[1];
    if (pending) {
      // An operator grants it from another process, against the same store.
      transcript.push(`$ pol approvals approve ${pending} --group finance -> ${await pol("approvals", "approve", pending, "--group", "finance", "--store", store, "--by", "dana")}`);
      const retry = await refund(amount);
      transcript.push(`refund $${amount} (retry) -> ${retry.isError ? "error: " : ""}${textOf(retry)}`);
    }
  }
  await client.close();
  transcript.push(formatVerifyResult(await verifyAudit(join(dir, "pol.audit.jsonl"))).trim());
  return transcript;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runExample(process.argv[2] ?? mkdtempSync(join(tmpdir(), "pol-mcp-gateway-")))) console.log(line);
}
