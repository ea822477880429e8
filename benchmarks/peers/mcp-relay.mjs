// The MCP gateway's peer in benchmarks/suites/gateway.ts: a bare relay built from the same SDK
// transports as `pol mcp` (server transport towards the client, client transport towards the
// upstream), passing every message through with no decision, no remapping and no audit. What the
// gateway adds beyond this is pol's own cost.
//   node mcp-relay.mjs stdio -- <server command...>
//   node mcp-relay.mjs http <upstream url>      (prints "listening on <url>" on stderr)

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

async function pipe(down, up) {
  down.onmessage = (m) => void up.send(m).catch(() => {});
  up.onmessage = (m) => {
    if (typeof m.result?.protocolVersion === "string") up.setProtocolVersion?.(m.result.protocolVersion);
    void down.send(m).catch(() => {});
  };
  await up.start();
  await down.start();
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "stdio") {
  const [command, ...args] = rest.slice(rest.indexOf("--") + 1);
  await pipe(new StdioServerTransport(), new StdioClientTransport({ command, args, stderr: "ignore" }));
  process.stdin.once("end", () => process.exit(0));
} else {
  const sessions = new Map();
  const server = createServer(async (req, res) => {
    const sid = req.headers["mcp-session-id"];
    let t = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (!t) {
      t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => sessions.set(id, t) });
      await pipe(t, new StreamableHTTPClientTransport(new URL(rest[0])));
    }
    await t.handleRequest(req, res);
  });
  server.listen(0, "127.0.0.1", () => process.stderr.write(`listening on http://127.0.0.1:${server.address().port}/mcp\n`));
}
