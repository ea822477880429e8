// One gateway session: relays every JSON-RPC message between an MCP client (a server-side SDK
// transport: stdio or Streamable HTTP) and the upstream server (a client-side SDK transport), and
// intercepts `tools/call` through the Gate. Relaying raw messages, not re-serving through the
// SDK's Server/Client classes, forwards everything (resources, prompts, sampling, elicitation,
// progress, tasks, methods newer than this code) and leaves version negotiation to the two ends.
//
// Request ids are remapped in both directions, so the gateway's own requests (pinning's
// `tools/list`, approval elicitations) can never collide with the peers' ids; cancellations and
// progress follow the mapping. Every forwarded request has a deadline (re-armed by progress), and
// an upstream that exits, drops its stream or cannot be reached fails its pending requests with
// error results at once: a client never waits on a dead upstream. Created by gateway.ts and http.ts.

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { EngineDecision } from "../../runtime/index.js";
import { errorResult, type ElicitAnswer, type Gate, type Identity, type ToolCall, type ToolResult, type Verdict } from "./gate.js";

type Id = string | number;

/** A JSON-RPC message as the transports deliver it (already validated by the SDK). */
interface Msg {
  jsonrpc: "2.0";
  id?: Id;
  method?: string;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** A request sent to a peer: a forwarded one (answered back to its origin) or the gateway's own. */
type Pending =
  | { kind: "relay"; orig: Id; method: string; timer: NodeJS.Timeout; token?: string; allowed?: { decision: EngineDecision; call: ToolCall; started: number } }
  | { kind: "own"; timer: NodeJS.Timeout; settle: (m: Msg | Error) => void };

export interface SessionOptions {
  gate: Gate;
  /** The agent from `--agent` or a header; otherwise the client's `clientInfo.name`. */
  agent?: string;
  run: string;
  env?: string;
  /** Deadline of a forwarded request, re-armed by its progress notifications. */
  requestTimeoutMs: number;
  log(line: string): void;
}

const key = (id: unknown) => `${typeof id}:${String(id)}`;
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))}s`;
const text = (e: unknown) => (e instanceof Error ? e.message : String(e));
const MAX_PAGES = 100;

/** Why an upstream answer counts as a failed tool execution, if it does. */
function failureOf(m: Msg): string | undefined {
  if (m.error) return `error ${m.error.code}: ${m.error.message}`;
  if (m.result?.["isError"] !== true) return undefined;
  const first = (m.result["content"] as { type?: string; text?: string }[] | undefined)?.find((c) => c.type === "text");
  return (first?.text ?? "the tool reported an error").slice(0, 500);
}

/** One direction's id space: the ids this gateway allocated towards a peer, with what each stands for. */
class Outbox {
  private n = 0;
  readonly pending = new Map<number, Pending>();
  /** The origin's id → our id, for cancellations. */
  readonly byOrig = new Map<string, number>();

  add(make: (id: number) => Pending): number {
    const id = ++this.n;
    const p = make(id);
    this.pending.set(id, p);
    if (p.kind === "relay") this.byOrig.set(key(p.orig), id);
    return id;
  }

  take(id: unknown): Pending | undefined {
    const p = typeof id === "number" ? this.pending.get(id) : undefined;
    if (!p) return undefined;
    this.pending.delete(id as number);
    clearTimeout(p.timer);
    if (p.kind === "relay") this.byOrig.delete(key(p.orig));
    return p;
  }
}

export class GatewaySession {
  private readonly up = new Outbox();
  private readonly down = new Outbox();
  /** Progress token → our upstream id of the request it reports on. */
  private readonly tokens = new Map<string, number>();
  /**
   * The client's `tools/call` requests being decided (or elicited), by its id: a cancellation that
   * arrives meanwhile stops the call from being forwarded (MCP's cancellation: the request is
   * abandoned, and no answer is sent), and withdraws an elicitation asked for it.
   */
  private readonly deciding = new Map<string, { cancelled?: string; elicitation?: number }>();
  private agent: string;
  private canElicit = false;
  private upstreamDown: string | null = null;
  private pinning: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly client: Transport, private readonly upstream: Transport, private readonly o: SessionOptions) {
    this.agent = o.agent ?? "";
  }

  get identity(): Identity {
    return { agent: this.agent, run: this.o.run, ...(this.o.env !== undefined ? { env: this.o.env } : {}) };
  }

  async start(): Promise<void> {
    this.client.onmessage = (m: JSONRPCMessage) => this.fromClient(m as unknown as Msg);
    this.client.onclose = () => void this.close();
    this.client.onerror = (e) => this.o.log(`client connection: ${e.message}`);
    this.upstream.onmessage = (m: JSONRPCMessage) => this.fromUpstream(m as unknown as Msg);
    this.upstream.onclose = () => this.upstreamGone("the upstream MCP server closed the connection (it exited or was stopped)");
    this.upstream.onerror = (e) => this.o.log(`upstream: ${e.message}`);
    try {
      await this.upstream.start();
    } catch (e) {
      this.upstreamGone(`the upstream MCP server could not be started: ${text(e)}`);
    }
    await this.client.start();
  }

  /** Stops relaying, closes the upstream side and answers the gateway's own waits. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.down.pending.keys()]) {
      const p = this.down.take(id);
      if (p?.kind === "own") p.settle(new Error("the client disconnected"));
    }
    for (const id of [...this.up.pending.keys()]) this.up.take(id);
    await this.upstream.close().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }

  /** A drop of the upstream (exit, closed stream, refused connection): everything pending fails now. */
  upstreamGone(reason: string): void {
    if (this.upstreamDown !== null || this.closed) return;
    this.upstreamDown = reason;
    this.o.log(reason);
    for (const id of [...this.up.pending.keys()]) this.lost(id, reason);
  }

  /** Fails one request sent upstream: the client gets an error (a tool result for tools/call). */
  lost(upId: number, reason: string): void {
    const p = this.up.take(upId);
    if (!p) return;
    if (p.kind === "own") return p.settle(new Error(reason));
    this.forgetToken(p);
    if (p.allowed) void this.o.gate.outcome(p.allowed.decision, p.allowed.call, p.allowed.started, reason);
    this.sendDown(this.failure(p.orig, p.method, reason));
  }

  // ---------------------------------------------------------------------------
  // From the client

  private fromClient(m: Msg): void {
    if (m.method !== undefined) {
      if (m.id === undefined) return this.clientNotification(m);
      if (m.method === "initialize") this.greet(m.params);
      if (this.upstreamDown !== null) return this.sendDown(this.failure(m.id, m.method, this.upstreamDown));
      if (m.method === "tools/call") return void this.toolCall(m);
      return this.forward(m);
    }
    const p = this.down.take(m.id);
    if (!p) return;
    if (p.kind === "own") return p.settle(m);
    void this.sendUp({ ...m, id: p.orig });
  }

  /** Identity and capabilities from `initialize`. */
  private greet(params: Msg["params"]): void {
    const info = params?.["clientInfo"] as { name?: unknown } | undefined;
    if (this.o.agent === undefined && typeof info?.name === "string") this.agent = info.name;
    const el = (params?.["capabilities"] as { elicitation?: { form?: unknown; url?: unknown } } | undefined)?.elicitation;
    // An empty elicitation capability means form mode (protocol 2025-06-18); later ones say `form`.
    this.canElicit = el !== undefined && el !== null && (el.form !== undefined || el.url === undefined);
  }

  private clientNotification(m: Msg): void {
    if (m.method === "notifications/cancelled") {
      const reason = typeof m.params?.["reason"] === "string" ? m.params["reason"] : undefined;
      const upId = this.up.byOrig.get(key(m.params?.["requestId"]));
      if (upId === undefined) return this.cancelDeciding(key(m.params?.["requestId"]), reason); // or already answered
      const p = this.up.take(upId);
      if (p) this.forgetToken(p);
      if (p?.kind === "relay" && p.allowed) void this.o.gate.cancelled(p.allowed.decision, p.allowed.call, p.allowed.started, true, reason);
      return void this.sendUp({ ...m, params: { ...m.params, requestId: upId } });
    }
    const sent = this.sendUp(m);
    // Listed after the notification has gone: over HTTP the two POSTs could otherwise cross.
    if (m.method === "notifications/initialized") void sent.then(() => this.pinned());
  }

  /** A cancellation of a call not forwarded yet: marks it, and withdraws the elicitation asked for it. */
  private cancelDeciding(k: string, reason: string | undefined): void {
    const d = this.deciding.get(k);
    if (!d || d.cancelled !== undefined) return;
    d.cancelled = reason ?? "the client cancelled the request";
    const el = d.elicitation === undefined ? undefined : this.down.take(d.elicitation);
    if (el?.kind !== "own") return;
    el.settle(new Error("the client cancelled the call it was asked for"));
    this.sendDown({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: d.elicitation!, reason: "the tool call it asked about was cancelled" } });
  }

  private async toolCall(m: Msg): Promise<void> {
    const k = key(m.id);
    const state: { cancelled?: string; elicitation?: number } = {};
    this.deciding.set(k, state);
    let v: Verdict;
    try {
      await this.pinned();
      const elicit = this.canElicit ? (params: Record<string, unknown>, ms: number) => this.elicit(params, ms, m.id!, state) : undefined;
      v = await this.o.gate.toolCall(m.params, this.identity, `mcp:${this.o.run}:${k}`, elicit);
    } catch (e) {
      v = { forward: false, result: errorResult(`internal error, so the call was not made: ${text(e)}`) };
    } finally {
      if (this.deciding.get(k) === state) this.deciding.delete(k);
    }
    if (this.closed) return;
    if (state.cancelled !== undefined) {
      // Abandoned by the client: never forwarded, and (as MCP asks) not answered.
      if (v.forward) void this.o.gate.cancelled(v.decision, v.call, performance.now(), false, state.cancelled);
      return;
    }
    if (!v.forward) return this.sendDown({ jsonrpc: "2.0", id: m.id!, result: v.result as unknown as Record<string, unknown> });
    const allowed = { decision: v.decision, call: v.call, started: performance.now() };
    if (this.upstreamDown !== null) {
      void this.o.gate.outcome(v.decision, v.call, allowed.started, this.upstreamDown);
      return this.sendDown(this.failure(m.id!, "tools/call", this.upstreamDown));
    }
    this.forward(m, allowed);
  }

  /** Sends a client request upstream under a fresh id, with a deadline. */
  private forward(m: Msg, allowed?: Extract<Pending, { kind: "relay" }>["allowed"]): void {
    const token = m.params?._meta?.["progressToken"];
    const upId = this.up.add((id) => ({
      kind: "relay", orig: m.id!, method: m.method!, timer: this.deadline(id), ...(token !== undefined ? { token: key(token) } : {}), ...(allowed ? { allowed } : {}),
    }));
    if (token !== undefined) this.tokens.set(key(token), upId);
    this.upstream.send({ ...m, id: upId } as JSONRPCMessage).catch((e) => this.lost(upId, `the upstream MCP server could not be reached: ${text(e)}`));
  }

  private deadline(upId: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      void this.sendUp({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: upId, reason: "timed out at the pol gateway" } });
      this.lost(upId, `the upstream MCP server did not answer within ${seconds(this.o.requestTimeoutMs)}`);
    }, this.o.requestTimeoutMs);
    t.unref();
    return t;
  }

  private forgetToken(p: Pending): void {
    if (p.kind === "relay" && p.token !== undefined) this.tokens.delete(p.token);
  }

  // ---------------------------------------------------------------------------
  // From the upstream

  private fromUpstream(m: Msg): void {
    if (m.method !== undefined) {
      if (m.id === undefined) return this.upstreamNotification(m);
      const downId = this.down.add((id) => ({ kind: "relay", orig: m.id!, method: m.method!, timer: this.clientDeadline(id) }));
      return this.sendDown({ ...m, id: downId });
    }
    const p = this.up.take(m.id);
    if (!p) return; // an answer to a request cancelled or timed out meanwhile
    if (p.kind === "own") return p.settle(m);
    this.forgetToken(p);
    if (p.method === "initialize" && typeof m.result?.["protocolVersion"] === "string") this.upstream.setProtocolVersion?.(m.result["protocolVersion"]);
    if (p.method === "tools/list" && Array.isArray(m.result?.["tools"])) this.o.gate.pins.compare(m.result["tools"]);
    this.sendDown({ ...m, id: p.orig });
    if (p.allowed) void this.o.gate.outcome(p.allowed.decision, p.allowed.call, p.allowed.started, failureOf(m));
  }

  private upstreamNotification(m: Msg): void {
    switch (m.method) {
      case "notifications/progress": {
        const upId = this.tokens.get(key(m.params?.["progressToken"]));
        const p = upId === undefined ? undefined : this.up.pending.get(upId);
        if (p?.kind === "relay") {
          clearTimeout(p.timer);
          p.timer = this.deadline(upId!);
          return this.sendDown(m, p.orig);
        }
        break;
      }
      case "notifications/cancelled": {
        const downId = this.down.byOrig.get(key(m.params?.["requestId"]));
        if (downId === undefined) return;
        this.down.take(downId);
        return this.sendDown({ ...m, params: { ...m.params, requestId: downId } });
      }
      case "notifications/tools/list_changed":
        this.o.gate.pins.recheck(this.listTools(), (e) => this.o.log(`re-reading the upstream's tools failed: ${text(e)}`));
        break;
    }
    this.sendDown(m);
  }

  /** A request from the upstream the client never answers is answered with an error, so the upstream does not wait forever either. */
  private clientDeadline(downId: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      const p = this.down.take(downId);
      if (p?.kind === "relay") void this.sendUp({ jsonrpc: "2.0", id: p.orig, error: { code: -32001, message: "pol gateway: the MCP client did not answer in time" } });
    }, this.o.requestTimeoutMs);
    t.unref();
    return t;
  }

  // ---------------------------------------------------------------------------
  // The gateway's own requests

  /** Pins the upstream's tools once per session (the first session's listing pins; later ones compare). */
  private pinned(): Promise<void> {
    this.pinning ??= this.listTools().then((tools) => this.o.gate.pins.list(tools), (e) => {
      this.o.log(`reading the upstream's tools failed: ${text(e)}`);
      this.o.gate.pins.failed(text(e));
    });
    return this.pinning;
  }

  private async listTools(): Promise<unknown[]> {
    const tools: unknown[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await this.ask(this.upstream, this.up, "tools/list", cursor === undefined ? {} : { cursor });
      if (r.error) throw new Error(`tools/list failed: ${r.error.message}`);
      if (Array.isArray(r.result?.["tools"])) tools.push(...r.result["tools"]);
      cursor = r.result?.["nextCursor"];
      if (typeof cursor !== "string") return tools;
    }
    throw new Error(`tools/list returned more than ${MAX_PAGES} pages`);
  }

  private elicit(params: Record<string, unknown>, timeoutMs: number, relatedTo: Id, state: { cancelled?: string; elicitation?: number }): Promise<ElicitAnswer | undefined> {
    if (state.cancelled !== undefined) return Promise.resolve(undefined);
    return this.ask(this.client, this.down, "elicitation/create", params, timeoutMs, relatedTo, (id) => (state.elicitation = id)).then((r) => {
      const action = r.result?.["action"];
      if (r.error || (action !== "accept" && action !== "decline" && action !== "cancel")) return undefined;
      const content = r.result?.["content"];
      return { action, ...(typeof content === "object" && content !== null ? { content: content as Record<string, unknown> } : {}) };
    }, () => undefined);
  }

  private ask(to: Transport, box: Outbox, method: string, params: Record<string, unknown>, timeoutMs = this.o.requestTimeoutMs, relatedTo?: Id, sent?: (id: number) => void): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const settle = (m: Msg | Error) => (m instanceof Error ? reject(m) : resolve(m));
      const id = box.add((n) => {
        const timer = setTimeout(() => box.take(n) && reject(new Error(`no answer to \`${method}\` within ${seconds(timeoutMs)}`)), timeoutMs);
        timer.unref();
        return { kind: "own", timer, settle };
      });
      sent?.(id);
      if (to === this.upstream && this.upstreamDown !== null) return void (box.take(id), reject(new Error(this.upstreamDown)));
      to.send({ jsonrpc: "2.0", id, method, params } as JSONRPCMessage, relatedTo !== undefined ? { relatedRequestId: relatedTo } : undefined)
        .catch((e) => box.take(id) && reject(e instanceof Error ? e : new Error(String(e))));
    });
  }

  // ---------------------------------------------------------------------------
  // Sending

  private failure(id: Id, method: string, reason: string): Msg {
    if (method === "tools/call") return { jsonrpc: "2.0", id, result: errorResult(reason) as unknown as Record<string, unknown> };
    return { jsonrpc: "2.0", id, error: { code: -32000, message: `pol gateway: ${reason}` } };
  }

  private sendDown(m: Msg, relatedTo?: Id): void {
    if (this.closed) return;
    this.client.send(m as JSONRPCMessage, relatedTo !== undefined ? { relatedRequestId: relatedTo } : undefined).catch((e) => this.o.log(`sending to the client failed: ${text(e)}`));
  }

  private sendUp(m: Msg): Promise<void> {
    if (this.closed || this.upstreamDown !== null) return Promise.resolve();
    return this.upstream.send(m as JSONRPCMessage).catch((e) => this.o.log(`sending to the upstream MCP server failed: ${text(e)}`));
  }
}

export type { ToolResult };
