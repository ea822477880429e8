// docs/openapi.json against a real `pol serve`: every answer the tests below get (each route,
// its successes and its refusals) must fit the document's schema for that route, method and
// status, every request sent must fit its request schema, and the document names exactly the
// routes the server has. So a client generated from the document reads what the server says.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refundCall, serve, type Person, type Served } from "./helpers.js";

type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
type Operation = { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content: Record<string, { schema: unknown }> }> };

const doc = JSON.parse(readFileSync(join(fileURLToPath(new URL("../../docs", import.meta.url)), "openapi.json"), "utf8")) as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
// The components as one schema of definitions, so each route's schema is compiled by reference.
ajv.addSchema(JSON.parse(JSON.stringify({ $id: "pol", $defs: doc.components.schemas }).replaceAll("#/components/schemas/", "pol#/$defs/")));
const compiled = new Map<unknown, ReturnType<typeof ajv.compile>>();
const validate = (schema: unknown, value: unknown, what: string, fits = true): void => {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll("#/components/schemas/", "pol#/$defs/")))));
  expect(v(value), `${what}: ${fits ? ajv.errorsText(v.errors) : "fits, but the server refuses it"} in ${JSON.stringify(value).slice(0, 400)}`).toBe(fits);
};

/** The document's path template a request path falls under (`/v1/approvals/apr_1/approve` → `/v1/approvals/{id}/approve`). */
function template(path: string): string {
  const found = Object.keys(doc.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path));
  if (!found) throw new Error(`docs/openapi.json has no path for ${path}`);
  return found;
}

/** Which route, method and status each answer checked was, to show every route was exercised. */
const seen = new Set<string>();

let s: Served;
beforeAll(async () => {
  s = await serve();
});
afterAll(() => s?.close());

/**
 * Sends a request as `as`, checks the request body against the document (`fits: false`: a body
 * the server refuses, which the document must refuse too) and the answer, and returns the answer's body.
 */
async function call(method: "GET" | "POST", path: string, o: { as?: Person | null; body?: unknown; raw?: string; fits?: boolean } = {}): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, "http://x");
  const op = doc.paths[template(url.pathname)]?.[method.toLowerCase()];
  if (!op) throw new Error(`docs/openapi.json has no ${method} ${url.pathname}`);
  if (o.body !== undefined) validate(op.requestBody!.content["application/json"]!.schema, o.body, `request of ${method} ${path}`, o.fits ?? true);
  const r = await s.api(path, { method, ...(o.as !== undefined ? { as: o.as } : {}), ...(o.body !== undefined ? { body: o.body } : {}), ...(o.raw !== undefined ? { raw: o.raw } : {}) });
  const spec = op.responses[String(r.status)];
  if (!spec) throw new Error(`docs/openapi.json has no ${r.status} for ${method} ${url.pathname}: ${await r.text()}`);
  const type = (r.headers.get("content-type") ?? "").split(";")[0]!;
  const content = spec.content[type];
  if (!content) throw new Error(`docs/openapi.json has no ${type} answer for ${r.status} of ${method} ${url.pathname}`);
  const body = type === "application/json" ? await r.json() : await r.text();
  validate(content.schema, body, `${r.status} of ${method} ${path}`);
  seen.add(`${method} ${template(url.pathname)} ${r.status}`);
  return { status: r.status, body };
}

describe("docs/openapi.json", () => {
  it("names exactly the API routes the server has", () => {
    const served = new Set(s.parts.app.routes
      .filter((r) => r.method !== "ALL" && (r.path.startsWith("/v1/") || r.path === "/health" || r.path === "/metrics"))
      .map((r) => `${r.method} ${r.path.replace(/:([a-z]+)/g, "{$1}")}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it("describes every answer of the decision and outcome routes, refusals included", async () => {
    const allow = (await call("POST", "/v1/decide", { as: "svc", body: refundCall(5) })).body as { id: string; receipt: string };
    expect(allow).toMatchObject({ effect: "allow" });
    await call("POST", "/v1/decide", { as: "svc", body: refundCall(900) });
    const asked = (await call("POST", "/v1/decide", { as: "svc", body: refundCall(120, "bot", "run-openapi") })).body as { approval: string };
    await call("POST", "/v1/decide", { as: "svc", raw: "{not json" });
    await call("POST", "/v1/decide", { as: null, body: refundCall(5) });
    await call("POST", "/v1/decide", { as: "vera", body: refundCall(5) });
    await call("POST", "/v1/outcome", { as: "svc", body: { decision: allow.id, tool: "refund", agent: "bot", status: "succeeded", receipt: allow.receipt, durationMs: 3 } });
    await call("POST", "/v1/outcome", { as: "svc", body: { decision: allow.id, tool: "refund", agent: "bot", status: "succeeded" } });
    await call("POST", "/v1/outcome", { as: "svc", body: { decision: allow.id, tool: "refund", agent: "bot", status: "not-run", reason: "cancelled" } });
    await call("POST", "/v1/outcome", { as: "svc", raw: JSON.stringify({ tool: "refund", status: "succeeded" }) });
    await call("POST", "/v1/outcome", { as: "vera", body: { decision: allow.id, tool: "refund", status: "succeeded" } });
    // The approval an agent waits on, read by the agent and by a viewer.
    await call("GET", `/v1/approvals/${asked.approval}?waitMs=10`, { as: "svc" });
    await call("GET", `/v1/approvals/${asked.approval}`, { as: "vera" });
    await call("GET", "/v1/approvals/apr_unknown", { as: "vera" });
    await call("GET", `/v1/approvals/${asked.approval}?waitMs=-1`, { as: "vera" });
  });

  it("describes every answer of the operator routes, refusals included", async () => {
    const a = (await call("POST", "/v1/decide", { as: "svc", body: refundCall(130, "bot", "run-openapi-ops") })).body as { approval: string };
    const b = (await call("POST", "/v1/decide", { as: "svc", body: refundCall(140, "bot", "run-openapi-ops") })).body as { approval: string };
    await call("GET", "/v1/approvals?status=pending", { as: "vera" });
    await call("GET", "/v1/approvals?newest=2", { as: "vera" });
    await call("GET", "/v1/approvals?status=done", { as: "vera" });
    await call("GET", "/v1/approvals?newest=0", { as: "vera" });
    await call("POST", `/v1/approvals/${a.approval}/approve`, { as: "vera", body: {} });
    await call("POST", `/v1/approvals/${a.approval}/approve`, { as: "alice", body: { note: "checked" } });
    await call("POST", `/v1/approvals/${a.approval}/reject`, { as: "alice", body: {} });
    await call("POST", `/v1/approvals/${b.approval}/reject`, { as: "alice" });
    await call("POST", "/v1/approvals/apr_unknown/approve", { as: "alice", body: {} });
    await call("POST", "/v1/approvals/apr_unknown/approve", { as: "alice", body: { note: 5 }, fits: false });
    const paused = (await call("POST", "/v1/pauses", { as: "oscar", body: { pattern: "refund", reason: "openapi" } })).body as { id: string };
    await call("POST", "/v1/pauses", { as: "oscar", body: { class: "destructive", reason: "openapi" } });
    await call("POST", "/v1/pauses", { as: "oscar", body: { reason: "nothing named" }, fits: false });
    await call("GET", "/v1/pauses", { as: "vera" });
    await call("POST", "/v1/pauses/resume", { as: "oscar", body: { id: paused.id } });
    await call("POST", "/v1/pauses/resume", { as: "oscar", body: { class: "destructive" } });
    await call("POST", "/v1/pauses/resume", { as: "oscar", body: { pattern: "nothing-paused" } });
    await call("POST", "/v1/pauses/resume", { as: "oscar", body: {}, fits: false });
    await call("GET", "/v1/agents/bot/trust", { as: "vera" });
    await call("POST", "/v1/agents/bot/restore", { as: "oscar", body: { score: 80 } });
    await call("POST", "/v1/agents/bot/restore", { as: "oscar" });
    await call("POST", "/v1/agents/bot/restore", { as: "oscar", body: { score: 0 }, fits: false });
    await call("POST", "/v1/agents/bot/restore", { as: "vera", body: {} });
    await call("GET", "/health", { as: null });
    await call("GET", "/metrics", { as: "vera" });
    await call("GET", "/metrics", { as: null });
  });

  it("every documented route and method was answered by the server above, each with its success", () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) expect(seen.has(`${method.toUpperCase()} ${path} 200`), `${method.toUpperCase()} ${path} 200`).toBe(true);
    }
    // ...and these refusals, each checked against its own schema.
    expect([...seen].filter((k) => !k.endsWith(" 200")).sort()).toEqual([
      "GET /metrics 401", "GET /v1/approvals 400", "GET /v1/approvals/{id} 400", "GET /v1/approvals/{id} 404",
      "POST /v1/agents/{id}/restore 400", "POST /v1/agents/{id}/restore 403", "POST /v1/approvals/{id}/approve 400", "POST /v1/approvals/{id}/approve 403",
      "POST /v1/approvals/{id}/approve 404", "POST /v1/approvals/{id}/reject 409", "POST /v1/decide 400", "POST /v1/decide 401", "POST /v1/decide 403",
      "POST /v1/outcome 400", "POST /v1/outcome 403", "POST /v1/pauses 400", "POST /v1/pauses/resume 400", "POST /v1/pauses/resume 404",
    ]);
  });
});
