// The gateway's Streamable HTTP listener: one GatewaySession per MCP session, each with its own
// upstream connection (a spawned command or an upstream HTTP session). A POST `initialize`
// without a session id opens a session; later requests find theirs by `Mcp-Session-Id`; the SDK's
// StreamableHTTPServerTransport does the protocol (SSE streams, DELETE, version headers). The
// `X-Pol-Agent` header of the initialize request names the agent, unless `--agent` does.
// Listening on a loopback address turns on the SDK's DNS-rebinding protection. Used by gateway.ts.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { GatewaySession, type SessionOptions } from "./session.js";
import { AGENT_HEADER, type UpstreamSpec } from "./spec.js";
import { openUpstream } from "./upstream.js";

/** Larger bodies are refused before parsing (the SDK's own default limit is 4 MB too). */
const MAX_BODY = 4 * 1024 * 1024;
/** A session no request has touched for this long is closed (clients that vanish without a DELETE), with its upstream. */
const IDLE_MS = 30 * 60_000;
/**
 * On close, how long the requests in flight (a tools/call the upstream is still running) have to
 * be answered before the sessions are closed under them. Closing at once left such a call
 * without an answer: the client waited for its own timeout, though the tool may have run.
 */
const DRAIN_MS = 10_000;

export interface HttpListenOptions {
  host: string;
  port: number;
  /** The MCP endpoint's path. Default `/mcp`. */
  path?: string;
  upstream: UpstreamSpec;
  /** Idle sessions are closed after this long. Default 30 minutes. */
  idleMs?: number;
  /** On close, how long requests in flight have to be answered. Default 10 s. */
  drainMs?: number;
  session: Omit<SessionOptions, "run" | "agent"> & { agent?: string };
}

export interface HttpGateway {
  url: string;
  sessions(): number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`the request body is over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function jsonError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

const isInitialize = (body: unknown) => (Array.isArray(body) ? body : [body]).some((m) => m && typeof m === "object" && (m as { method?: unknown }).method === "initialize");
const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

export async function listenHttp(o: HttpListenOptions): Promise<HttpGateway> {
  const path = o.path ?? "/mcp";
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; session: GatewaySession; seen: number }>();
  let allowedHosts: string[] | undefined;

  async function open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const header = req.headers[AGENT_HEADER];
    const agent = o.session.agent ?? (typeof header === "string" && header !== "" ? header : undefined);
    const run = randomUUID();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => run,
      onsessioninitialized: (id) => void sessions.set(id, entry),
      ...(allowedHosts ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
    });
    const link = openUpstream(o.upstream);
    const session = new GatewaySession(transport, link.transport, { ...o.session, run, ...(agent !== undefined ? { agent } : {}) });
    const entry = { transport, session, seen: Date.now() };
    link.attach(session);
    await session.start();
    // start() made the transport's close end the session; it must leave the map as well.
    const ended = transport.onclose;
    transport.onclose = () => {
      sessions.delete(run);
      ended?.();
    };
    await transport.handleRequest(req, res, body);
    // An initialize the transport refused opened no session: its upstream must not outlive it.
    if (!sessions.has(run)) await session.close();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? "/", "http://gateway").pathname !== path) return jsonError(res, 404, -32000, `not found: the MCP endpoint is ${path}`);
    const sid = req.headers["mcp-session-id"];
    if (typeof sid === "string") {
      const s = sessions.get(sid);
      if (!s) return jsonError(res, 404, -32001, "session not found: initialize a new session");
      s.seen = Date.now();
      return s.transport.handleRequest(req, res);
    }
    if (req.method !== "POST") return jsonError(res, 400, -32000, "bad request: no session id; start with a POST `initialize`");
    if (stopping) return jsonError(res, 503, -32000, "the gateway is stopping: start a new session on another");
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      return jsonError(res, 400, -32700, `parse error: ${(e as Error).message}`);
    }
    if (!isInitialize(body)) return jsonError(res, 400, -32000, "bad request: no session id; start with a POST `initialize`");
    return open(req, res, body);
  }

  // Requests with a body in flight (POSTs: calls and their answers), counted so close() can wait for them.
  let stopping: Promise<void> | undefined; // close(), once: a second signal waits for the first's close
  let inflight = 0;
  let drained = () => {};
  const server: Server = createServer((req, res) => {
    if (req.method === "POST") {
      inflight++;
      res.once("close", () => {
        if (--inflight === 0) drained();
      });
    }
    handle(req, res).catch((e: unknown) => {
      o.session.log(`http: ${(e as Error).message}`);
      jsonError(res, 500, -32603, `internal error: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const sweep = setInterval(() => {
    for (const s of sessions.values()) if (Date.now() - s.seen > (o.idleMs ?? IDLE_MS)) void s.transport.close();
  }, Math.min(60_000, o.idleMs ?? IDLE_MS));
  sweep.unref();
  const port = (server.address() as AddressInfo).port;
  if (isLoopback(o.host)) allowedHosts = [`${o.host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}${path}`,
    sessions: () => sessions.size,
    close: () => (stopping ??= (async () => {
      clearInterval(sweep);
      // Stop accepting connections (net.Server's close: http.Server's would also drop idle
      // ones), answer what is in flight, on existing sessions only, then close the sessions.
      const closed = new Promise<void>((r) => NetServer.prototype.close.call(server, () => r()));
      if (inflight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((r) => {
          drained = r;
          timer = setTimeout(r, o.drainMs ?? DRAIN_MS);
        });
        clearTimeout(timer);
      }
      await Promise.all([...sessions.values()].map((s) => s.session.close()));
      server.closeAllConnections();
      await closed;
      server.close(); // now a no-op but for the timer http.Server keeps to check request timeouts
    })()),
  };
}
