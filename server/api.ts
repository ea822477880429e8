// The HTTP API of `pol serve`, for services not written in Node (the sidecar shape OPA users
// know) and for automation: POST /v1/decide (a call in, the Engine's decision out, the same
// shape as `Engine.decide`), POST /v1/outcome, the approval queue (read, wait, resolve), the kill
// switch, trust restore, and GET /metrics. Every request authenticates (auth/middleware.ts).
// A body that is not JSON, or too large, is a 400 whose body is a deny with the reason.

import type { IncomingMessage } from "node:http";
import { Hono, type Context } from "hono";
import type { OutcomeRecord, OutcomeStatus, TrustOutcome } from "../runtime/engine-types.js";
import type { Approval, ApprovalStatus } from "../runtime/store/index.js";
import { actionError, type Actions } from "./actions.js";
import { apiAuth, apiError, apiNeeds, type ServeEnv } from "./auth/middleware.js";
import { decideProblem, may, refusal } from "./auth/roles.js";
import type { Users } from "./auth/users.js";
import { bodyStatus, closeAfter, readJson, type BodyResult } from "./body.js";
import { decideAnswer, isRecord } from "./fast-decide.js";
import { Holds, RETRY_AFTER_S } from "./holds.js";
import type { ServeHost } from "./host.js";
import type { ServeMetrics } from "./metrics.js";

export interface ApiDeps {
  host: ServeHost;
  users: Users;
  actions: Actions;
  metrics: ServeMetrics;
  maxBodyBytes: number;
  /** Aborted when the server starts to stop: a long-poll then answers with the approval as it stands. */
  stopping?: AbortSignal;
}

const MAX_WAIT_MS = 60_000;
/**
 * Approval long-polls one principal, and the server, may hold at once (holds.ts): each reads the
 * store every poll interval for up to a minute. An agent waits on at most its pending approvals
 * (20 by default, EngineOptions.maxPendingPerAgent), a service runs several agents.
 */
export const MAX_WAITS_PER_PRINCIPAL = 64;
export const MAX_WAITS = 1_000;
const OUTCOME_STATUSES: readonly OutcomeStatus[] = ["succeeded", "failed", "not-run"];
const APPROVAL_STATUSES: readonly ApprovalStatus[] = ["pending", "approved", "rejected", "expired", "consumed"];

/** The request body, read from Node's request when the server runs on node:http. */
const readBody = (c: Context<ServeEnv>, limit: number): Promise<BodyResult> => readJson(c.req.raw, limit, (c.env as { incoming?: IncomingMessage } | undefined)?.incoming);

/** The 400 (or 415) for a body that is not a JSON value within the limit. */
function badBody(c: Context<ServeEnv>, b: Exclude<BodyResult, { ok: true }>, deny: boolean): Response {
  if (closeAfter(b)) c.header("Connection", "close");
  return apiError(c, bodyStatus(b), b.code, b.reason, deny);
}

/** The JSON body, or the 400 to send; `optional` bodies (actions without fields) read as {} when empty. */
async function body(c: Context<ServeEnv>, limit: number, deny: boolean, optional = false): Promise<unknown | Response> {
  const b = await readBody(c, limit);
  if (!b.ok && optional && b.code === "empty-body") return {};
  return b.ok ? b.value : badBody(c, b, deny);
}

/** An outcome report as the Engine records it, or why it is not one. */
/** The most approvals `GET /v1/approvals?newest=` lists. */
const MAX_NEWEST = 10_000;

function outcomeOf(v: unknown): { outcome: OutcomeRecord; trust?: TrustOutcome; receipt?: string } | string {
  if (!isRecord(v)) return "the outcome must be a JSON object with decision, tool and status";
  const s = (k: string, max = 4096): string | undefined | null => {
    const x = v[k];
    if (x === undefined || x === null) return undefined;
    return typeof x === "string" && x.length <= max ? x : null;
  };
  const decision = s("decision", 128);
  const tool = s("tool", 1024);
  if (!decision) return "`decision` must be the id of the decision that allowed the call";
  if (!tool) return "`tool` must be the tool's name";
  const status = v["status"] as OutcomeStatus;
  if (!OUTCOME_STATUSES.includes(status)) return `\`status\` must be one of ${OUTCOME_STATUSES.join(", ")}`;
  const o: OutcomeRecord = { decision, tool, agent: null, run: null, status };
  for (const k of ["agent", "run", "error", "reason", "sideEffectId"] as const) {
    const x = s(k);
    if (x === null) return `\`${k}\` must be text of at most 4096 characters`;
    if (x !== undefined) (o as unknown as Record<string, unknown>)[k] = x;
  }
  const receipt = s("receipt", 64);
  if (receipt === null) return "`receipt` must be the `receipt` text of the decision's answer";
  const ms = v["durationMs"];
  if (ms !== undefined && (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)) return "`durationMs` must be a number of milliseconds, 0 or more";
  if (ms !== undefined) o.durationMs = ms as number;
  // As guard() does for tools it runs: success rewards the agent's trust, failure costs it.
  const trust: TrustOutcome | undefined = status === "succeeded" ? "success" : status === "failed" ? "error" : undefined;
  const out: { outcome: OutcomeRecord; trust?: TrustOutcome; receipt?: string } = { outcome: o };
  if (trust !== undefined) out.trust = trust;
  if (receipt !== undefined) out.receipt = receipt;
  return out;
}

function fail(c: Context<ServeEnv>, e: unknown): Response {
  const a = actionError(e);
  return apiError(c, a.status, a.status === 403 ? "forbidden" : a.status === 404 ? "not-found" : a.status === 409 ? "conflict" : a.status === 400 ? "invalid" : "error", a.message);
}

export function apiRoutes(d: ApiDeps): Hono<ServeEnv> {
  const api = new Hono<ServeEnv>();
  const decisionPath = (c: Context) => c.req.path.startsWith("/v1/decide");
  api.use("/v1/*", apiAuth(d.users, decisionPath));
  api.use("/metrics", apiAuth(d.users, () => false));
  decisionRoutes(api, d);
  operatorRoutes(api, d);
  return api;
}

/** What services call: decide, report outcomes, wait for a human. */
function decisionRoutes(api: Hono<ServeEnv>, d: ApiDeps): void {
  const waits = new Holds(MAX_WAITS_PER_PRINCIPAL, MAX_WAITS, "approval waits");
  // Served by fast-decide.ts on node:http before Hono sees it; this route is the same answer for
  // other runtimes and for app.request() in the tests.
  api.post("/v1/decide", async (c) => {
    const a = await decideAnswer(d.host, c.get("principal"), () => readBody(c, d.maxBodyBytes), (x, agent) => d.actions.decided(x, agent));
    if (a.close) c.header("Connection", "close");
    return c.json(a.receipt === undefined ? a.body : Object.assign({}, a.body, { receipt: a.receipt }), a.status);
  });

  api.post("/v1/outcome", apiNeeds("decide"), async (c) => {
    const v = await body(c, d.maxBodyBytes, false);
    if (v instanceof Response) return v;
    const o = outcomeOf(v);
    if (typeof o === "string") return apiError(c, 400, "invalid", o);
    const problem = decideProblem(c.get("principal"), o.outcome.agent ?? undefined);
    if (problem) return apiError(c, 403, "forbidden", problem);
    // Trust moves only for an allow given to that agent, once across the fleet: a service cannot
    // raise its agent's trust with outcomes of decisions that never were. The proof is the allow's
    // receipt (checked by any server sharing the engine secret), or, without one, this server's
    // memory of the allows it gave; the Engine then claims the decision in the store.
    const local = o.trust === undefined || o.receipt !== undefined ? undefined : d.actions.outcomeOf(o.outcome.decision, o.outcome.agent);
    const r = local === undefined
      ? await d.host.recordOutcome(o.outcome, o.trust, { receipt: o.receipt ?? null })
      : await d.host.recordOutcome(o.outcome);
    if (r?.trustError !== undefined) {
      if (o.receipt === undefined) d.actions.untake(o.outcome.decision, o.outcome.agent); // only a trust change this call made can fail
      const again = r.claimSpent ? "this outcome was counted, so reporting it again will not move trust" : "report it again once it is";
      return apiError(c, 503, "store", `the outcome is in the audit log, but the agent's trust could not be updated (${r.trustError}); fix the state store (GET /health) before relying on trust; ${again}`);
    }
    const unchanged = local ?? r?.trustUnchanged;
    return c.json({ recorded: true, ...(o.trust === undefined ? {} : { trust: unchanged === undefined ? { changed: true } : { changed: false, reason: unchanged } }) });
  });

  // An agent waiting for a human: long-polls until the approval is no longer pending or waitMs passes.
  api.get("/v1/approvals/:id", async (c) => {
    const p = c.get("principal");
    if (!may(p, "view") && !may(p, "decide")) return apiError(c, 403, "forbidden", refusal(p, "view"));
    const raw = c.req.query("waitMs") ?? "0";
    const waitMs = Number(raw);
    if (!Number.isFinite(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) return apiError(c, 400, "invalid", `\`waitMs\` must be a number of milliseconds from 0 to ${MAX_WAIT_MS}`);
    const release = waitMs > 0 ? waits.take(p.name) : () => {};
    if (typeof release === "string") {
      c.header("Retry-After", String(RETRY_AFTER_S));
      return apiError(c, 429, "too-many-waits", release);
    }
    try {
      const a = waitMs > 0 ? await waitUnlessStopping(d, c.req.param("id"), waitMs) : await d.host.approvals.get(c.req.param("id"));
      if (!a) return apiError(c, 404, "not-found", `unknown approval \`${c.req.param("id")}\``);
      if (!may(p, "view") && decideProblem(p, a.agentId)) return apiError(c, 403, "forbidden", decideProblem(p, a.agentId)!);
      return c.json(a);
    } catch (e) {
      return fail(c, e);
    } finally {
      release();
    }
  });
}

/**
 * approvals.wait, cut short when the server starts to stop: the agent gets the approval as it
 * stands (still pending, so it does not go ahead) instead of a connection cut at the drain's
 * deadline, and polls again, on this server's successor or another of the fleet.
 */
async function waitUnlessStopping(d: ApiDeps, id: string, waitMs: number): Promise<Approval | undefined> {
  const stopping = d.stopping;
  if (!stopping) return d.host.approvals.wait(id, waitMs);
  if (stopping.aborted) return d.host.approvals.get(id);
  let onStop = () => {};
  const stopped = new Promise<"stopped">((resolve) => {
    onStop = () => resolve("stopped");
    stopping.addEventListener("abort", onStop, { once: true });
  });
  const waiting = d.host.approvals.wait(id, waitMs);
  try {
    const first = await Promise.race([waiting, stopped]);
    if (first !== "stopped") return first;
    // The wait ends when the Engine closes; its end (a closed error) is nobody's to report.
    waiting.catch(() => {});
    return await d.host.approvals.get(id);
  } finally {
    stopping.removeEventListener("abort", onStop);
  }
}

/** What people and automation call: the queue, resolutions, the kill switch, trust, metrics. */
function operatorRoutes(api: Hono<ServeEnv>, d: ApiDeps): void {
  api.get("/v1/approvals", apiNeeds("view"), async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) return apiError(c, 400, "invalid", `\`status\` must be one of ${APPROVAL_STATUSES.join(", ")}`);
    // The store keeps every approval it held: automation that wants the latest asks for the newest n.
    const raw = c.req.query("newest");
    const newest = raw === undefined ? undefined : Number(raw);
    if (newest !== undefined && !(Number.isInteger(newest) && newest >= 1 && newest <= MAX_NEWEST)) return apiError(c, 400, "invalid", `\`newest\` must be a whole number from 1 to ${MAX_NEWEST}`);
    return c.json(await d.host.approvals.list({ ...(status ? { status: status as ApprovalStatus } : {}), ...(newest !== undefined ? { newest } : {}) }));
  });
  /** A JSON action: the body's fields to `fn`, its result as JSON, a refusal as its status. */
  const action = (fn: (c: Context<ServeEnv>, v: Record<string, unknown>) => Promise<unknown>, optional = false) => async (c: Context<ServeEnv>) => {
    const v = await body(c, d.maxBodyBytes, false, optional);
    if (v instanceof Response) return v;
    try {
      return c.json(await fn(c, isRecord(v) ? v : {}));
    } catch (e) {
      return fail(c, e);
    }
  };
  for (const [verb, approve] of [["approve", true], ["reject", false]] as const) {
    api.post(`/v1/approvals/:id/${verb}`, action((c, v) => d.actions.resolve(c.get("principal"), c.req.param("id")!, approve, v["note"]), true));
  }
  api.get("/v1/pauses", apiNeeds("view"), async (c) => c.json(await d.host.paused()));
  api.post("/v1/pauses", action((c, v) => d.actions.pause(c.get("principal"), v)));
  api.post("/v1/pauses/resume", action((c, v) => d.actions.resume(c.get("principal"), v)));
  api.get("/v1/agents/:id/trust", apiNeeds("view"), async (c) => c.json(await d.host.trust(c.req.param("id"))));
  api.post("/v1/agents/:id/restore", action((c, v) => d.actions.restore(c.get("principal"), c.req.param("id")!, v["score"]), true));

  api.get("/metrics", apiNeeds("metrics"), async (c) => {
    c.header("Content-Type", d.metrics.contentType);
    return c.body(await d.metrics.text());
  });
}
