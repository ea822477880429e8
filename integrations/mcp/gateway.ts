// `pol mcp`'s engine room: starts the gateway in front of one upstream MCP server, listening on
// this process's stdio (one session) or on Streamable HTTP (a session per client). The caller
// passes the host (an Engine) and owns it; pins are shared by every session of the gateway, and a
// tool that drifts is paused through the host's kill switch. Used by cli/mcp.ts and the tests.

import { randomUUID } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Gate, type GateOptions, type GatewayHost } from "./gate.js";
import { listenHttp } from "./http.js";
import { ToolPins } from "./pins.js";
import { GatewaySession } from "./session.js";
import type { UpstreamSpec } from "./spec.js";
import { openUpstream } from "./upstream.js";

export interface GatewayOptions extends GateOptions {
  upstream: UpstreamSpec;
  /** Streamable HTTP on this address; without it the gateway serves one client on stdin/stdout. */
  listen?: { host: string; port: number; path?: string };
  /** The agent id for every call; otherwise the `X-Pol-Agent` header (HTTP) or the client's `clientInfo.name`. */
  agent?: string;
  /** The call's `env` for every call. */
  env?: string;
  /** Deadline of a forwarded request, re-armed by progress. Default 5 minutes. */
  requestTimeoutMs?: number;
  /** Where the gateway reports what it does (stderr in the CLI; stdout carries the protocol). */
  log?: (line: string) => void;
  /** @internal The stdio the client talks on (default this process's). */
  stdio?: { stdin: Readable; stdout: Writable };
}

export interface Gateway {
  /** The MCP endpoint, when listening on HTTP. */
  url?: string;
  /** Resolves when the gateway stops: the stdio client hung up, or close() was called. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5 * 60_000;

export async function startGateway(host: GatewayHost, o: GatewayOptions): Promise<Gateway> {
  const log = o.log ?? ((line: string) => void process.stderr.write(`pol mcp: ${line}\n`));
  const prefix = o.prefix ?? "";
  const pins = new ToolPins(async (tool, reason) => {
    const p = await host.pause(prefix + tool, reason, "pol mcp");
    log(`paused \`${prefix + tool}\` (${p.id}): ${reason}`);
  });
  const gate = new Gate(host, pins, o);
  const session = {
    gate, log, requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ...(o.agent !== undefined ? { agent: o.agent } : {}), ...(o.env !== undefined ? { env: o.env } : {}),
  };
  if (o.listen) {
    const http = await listenHttp({ ...o.listen, upstream: o.upstream, session });
    let stop: () => void = () => {};
    const done = new Promise<void>((r) => (stop = r));
    log(`listening on ${http.url}`);
    return { url: http.url, done, close: async () => { await http.close(); stop(); } };
  }
  const stdin = o.stdio?.stdin ?? process.stdin;
  const link = openUpstream(o.upstream);
  const s = new GatewaySession(new StdioServerTransport(stdin, o.stdio?.stdout ?? process.stdout), link.transport, { ...session, run: randomUUID() });
  link.attach(s);
  let stop: () => void = () => {};
  const done = new Promise<void>((r) => (stop = r));
  const close = () => s.close().then(stop);
  // StdioServerTransport does not report the client hanging up; the end of stdin is that.
  stdin.once("end", close).once("close", close);
  await s.start();
  return { done, close };
}
