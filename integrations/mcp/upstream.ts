// The gateway's connection to the upstream MCP server, through the SDK's client transports: a
// command spawned over stdio (its whole environment passed through, stderr shown), or a
// Streamable HTTP endpoint. For HTTP, fetch is wrapped to learn which requests rode on a response
// stream that broke (the server died mid-call): the SDK only reports "SSE stream disconnected"
// without saying which request, and would leave those requests unanswered. Used by gateway.ts and http.ts.

import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { UpstreamSpec } from "./spec.js";

/** What the link reports a broken stream to (a GatewaySession). */
export interface LossListener {
  lost(upId: number, reason: string): void;
}

export interface UpstreamLink {
  transport: Transport;
  /** Where losses are reported; set once the session exists. */
  attach(listener: LossListener): void;
}

/**
 * How long after a response stream breaks its unanswered requests are failed. An answer that
 * arrived before the break is still in the SDK's decode pipeline (TextDecoderStream → SSE
 * parser) for a few microtask turns; a macrotask later it has been dispatched.
 */
const SETTLE_MS = 25;

export function openUpstream(spec: UpstreamSpec): UpstreamLink {
  if ("command" in spec) {
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    return { transport: new StdioClientTransport({ command: spec.command, args: spec.args, env, stderr: "inherit" }), attach: () => {} };
  }
  let listener: LossListener | undefined;
  const transport = new StreamableHTTPClientTransport(new URL(spec.url), { fetch: trackingFetch((ids, reason) => ids.forEach((id) => listener?.lost(id, reason))) });
  // End the upstream session too when the client's session ends (the SDK's close() only aborts).
  const close = transport.close.bind(transport);
  transport.close = async () => {
    await Promise.race([transport.terminateSession().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    await close();
  };
  return { transport, attach: (l) => void (listener = l) };
}

/** The ids of the requests in a POST body (a message or a batch). */
function requestIds(body: unknown): number[] {
  if (typeof body !== "string") return [];
  try {
    const parsed: unknown = JSON.parse(body);
    return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((m) => (m && typeof m === "object" && "method" in m && typeof (m as { id?: unknown }).id === "number" ? [(m as { id: number }).id] : []));
  } catch {
    return [];
  }
}

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** fetch, with SSE response bodies of POSTed requests watched for a break. */
function trackingFetch(onLost: (ids: number[], reason: string) => void): Fetch {
  return async (url, init) => {
    const res = await fetch(url, init);
    const ids = init?.method === "POST" ? requestIds(init.body) : [];
    if (ids.length === 0 || !res.body || !(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) return res;
    const src = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          const { value, done } = await src.read();
          if (done) ctrl.close();
          else ctrl.enqueue(value);
        } catch (e) {
          ctrl.error(e);
          const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
          setTimeout(() => onLost(ids, `the upstream MCP server's response stream broke (${why}); it may have crashed`), SETTLE_MS);
        }
      },
      cancel: (reason) => src.cancel(reason),
    }, { highWaterMark: 0 });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
