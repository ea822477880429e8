// `POST /v1/decide` on node:http without the web framework: the request listener serve.ts
// installs answers it directly and hands every other request to Hono. The decision endpoint is
// the one services call on every tool call; Hono's Request/Response bridge, routing and
// middleware were 25% of `pol serve`'s main-thread time per decision (benchmarks suite 7
// profile), for nothing this route needs. What the answer is (authentication, the role check,
// the body, the decision) lives in one place, decideAnswer(), which api.ts's Hono route for the
// same path also uses (other runtimes, app.request() in the tests).

import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { crossSite, errorBody, identify } from "./auth/middleware.js";
import { decideProblem, may, refusal, type Principal } from "./auth/roles.js";
import type { Users } from "./auth/users.js";
import { bodyStatus, closeAfter, readIncoming, type BodyResult } from "./body.js";
import { answerThisTurn } from "./coalesce.js";
import type { ServeHost } from "./host.js";
import type { EngineDecision } from "../runtime/engine-types.js";

export interface DecideAnswer {
  status: 200 | 400 | 403 | 415;
  body: object;
  /** Part of the body is unread: close the connection after answering. */
  close?: boolean;
  /** An allow's receipt, added to the body as `receipt` (runtime/outcome-receipt.ts). */
  receipt?: string;
}

/** A JSON object (not null, not a list): how the API reads untrusted bodies. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The agent id a call names, read defensively (undefined when absent or not a string). */
function agentOf(call: unknown): unknown {
  return isRecord(call) && isRecord(call["agent"]) ? call["agent"]["id"] : undefined;
}

/**
 * The answer to a decision request from a signed-in principal: a role that may not decide is
 * refused before the body is read; a body that is not JSON, or too large, is a 400; a principal
 * that runs other agents is refused this one's; otherwise the Engine's decision. Every refusal
 * carries a deny, so a client that reads only `effect` does not go ahead.
 */
export async function decideAnswer(host: ServeHost, p: Principal, read: () => Promise<BodyResult>, seen?: Seen): Promise<DecideAnswer> {
  if (!may(p, "decide")) return { status: 403, body: errorBody("forbidden", refusal(p, "decide"), true) };
  const b = await read();
  if (!b.ok) return { status: bodyStatus(b), body: errorBody(b.code, b.reason, true), close: closeAfter(b) };
  const agent = agentOf(b.value);
  const problem = decideProblem(p, agent);
  if (problem) return { status: 403, body: errorBody("forbidden", problem, true) };
  // The sender goes into any approval the call asks for, so no server of a fleet lets them approve it.
  const d = await host.decide(b.value, { requestedBy: p.name });
  seen?.(d, agent);
  // With the allow's receipt, its outcome can move trust on whichever server of a fleet it is reported to.
  return d.effect === "allow" && typeof agent === "string" && typeof d.id === "string" ? { status: 200, body: d, receipt: host.receipt(d.id, agent) } : { status: 200, body: d };
}

/** Told of each decision the API gave (Actions.decided): which agent an allow was for, so its outcome can move trust. */
export type Seen = (d: EngineDecision, agent: unknown) => void;

/** The message of an internal error on the decision endpoint, here and in app.ts's onError. */
export const internalDenial = (e: unknown) => `internal error: ${(e as Error)?.message ?? String(e)}; the call is denied`;

/**
 * Queues the answer for the end of the turn; an answer that fails while written is cut there
 * (coalesce.ts). A receipt (base64url, nothing to escape) is written after the decision's own
 * fields, so the decision is not copied to add it.
 */
function send(res: ServerResponse, status: number, body: object, header?: readonly [string, string], receipt?: string): void {
  const json = JSON.stringify(body);
  const text = receipt === undefined ? json : `${json.slice(0, -1)},"receipt":"${receipt}"}`;
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(text) };
  if (header) headers[header[0]] = header[1];
  answerThisTurn(res, status, headers, text);
}

export interface FastDecideDeps {
  host: ServeHost;
  users: Users;
  maxBodyBytes: number;
  seen?: Seen;
}

async function answer(d: FastDecideDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const foreign = req.headers.origin === undefined ? undefined : crossSite(req.headers.origin, req.headers.host);
  if (foreign) return send(res, 403, errorBody("cross-site", foreign, true));
  const id = await identify(d.users, req.headers.authorization);
  if (!id.ok) return send(res, id.status, errorBody(id.code, id.message, true), id.header);
  const a = await decideAnswer(d.host, id.principal, () => readIncoming(req, d.maxBodyBytes), d.seen);
  send(res, a.status, a.body, a.close ? ["Connection", "close"] : undefined, a.receipt);
}

/** A request listener answering `POST /v1/decide` itself and passing everything else to `rest`. */
export function withFastDecide(d: FastDecideDeps, rest: RequestListener): RequestListener {
  return (req, res) => {
    if (req.method !== "POST" || req.url !== "/v1/decide") return rest(req, res);
    answer(d, req, res).catch((e: unknown) => {
      try {
        send(res, 500, errorBody("error", internalDenial(e), true));
      } catch {
        // Not even the denial could be made: cut the connection, never the process.
        res.destroy();
      }
    });
  };
}
