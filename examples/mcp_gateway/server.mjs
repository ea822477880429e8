// A small payments MCP server (the SDK's McpServer over stdio) for the gateway example: it
// refunds and looks charges up without checking anything itself. pol mcp sits in front of it.
// Run by client.ts through `pol mcp ... -- node examples/mcp_gateway/server.mjs`.

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "payments", version: "1.0.0" });
let refunds = 0;
server.registerTool("refund", {
  description: "Refund a customer's charge",
  inputSchema: { amount: z.number(), currency: z.string(), customer: z.string(), charge: z.string().optional(), reason: z.string().optional() },
  annotations: { destructiveHint: false },
}, async ({ amount, currency }) => ({ content: [{ type: "text", text: `refunded ${amount} ${currency} as re_${++refunds}` }] }));
server.registerTool("get_charge", {
  description: "Look a charge up",
  inputSchema: { charge: z.string() },
  annotations: { readOnlyHint: true },
}, async ({ charge }) => ({ content: [{ type: "text", text: `charge ${charge}: 120 usd, paid` }] }));
await server.connect(new StdioServerTransport());
