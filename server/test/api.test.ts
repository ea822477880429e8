// The decision API on a real `pol serve` (real socket, compiled policy, SQLite store, JSONL log):
// decisions have Engine.decide's shape; bad JSON, oversized and empty bodies are 400s whose body
// is a deny; outcomes are audited; an agent long-polls its approval; /health and /metrics.

import { readFileSync, renameSync } from "node:fs";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { MAX_WAITS_PER_PRINCIPAL } from "../api.js";
import { createApp, FORM_MAX_BYTES } from "../app.js";
import { Users } from "../auth/users.js";
import type { ServeHost } from "../host.js";
import { refundCall, serve, signIn, type Served } from "./helpers.js";

let s: Served;
beforeAll(async () => {
  s = await serve({ maxBodyBytes: 4096 });
});
afterAll(() => s?.close());

const records = () => readFileSync(s.audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe("POST /v1/decide", () => {
  it("answers with the Engine's decision, same shape as Engine.decide, and an allow's outcome receipt", async () => {
    const r = await s.api("/v1/decide", { as: "svc", body: refundCall(20) });
    expect(r.status).toBe(200);
    const d = await r.json();
    expect(d).toMatchObject({ effect: "allow", decidedBy: "rule", rule: "small_refund", policyHash: s.engine.policyHash, approvers: [] });
    expect(Object.keys(d).sort()).toEqual(["approvers", "decidedBy", "effect", "id", "latencyUs", "policyHash", "reasons", "receipt", "rule", "trust"]);
    expect(d.receipt).toBe(s.engine.receipt(d.id, "bot"));
    await s.engine.flush();
    expect(records().find((x) => x.id === d.id)).toMatchObject({ type: "decision", effect: "allow", agent: "bot", run: "run-1", requestedBy: "svc" });
  });

  it("denies what the policy denies, with its reasons", async () => {
    const d = await (await s.api("/v1/decide", { as: "svc", body: refundCall(900) })).json();
    expect(d).toMatchObject({ effect: "deny", decidedBy: "rule", rule: "big_refund", reasons: ["refunds over 300 are never automatic"] });
  });

  it.each([
    ["bad JSON", "{\"tool\": ", /not valid JSON/, "bad-json"],
    ["an empty body", "", /body is empty/, "empty-body"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), /not valid UTF-8/, "bad-json"],
  ])("%s is a 400 whose body is a deny with the reason", async (_name, raw, reason, code) => {
    const r = await s.api("/v1/decide", { as: "svc", method: "POST", raw: raw as BodyInit });
    expect(r.status).toBe(400);
    const b = await r.json();
    expect(b.effect).toBe("deny");
    expect(b.reasons[0]).toMatch(reason);
    expect(b.error.code).toBe(code);
  });

  it("an oversized body is a 400 deny, whether Content-Length says so or the stream runs past the limit", async () => {
    const big = JSON.stringify({ ...refundCall(1), args: { amount: 1, customer: "x".repeat(5000) } });
    const declared = await s.api("/v1/decide", { as: "svc", raw: big });
    expect(declared.status).toBe(400);
    expect(await declared.json()).toMatchObject({ effect: "deny", error: { code: "body-too-large" }, reasons: [expect.stringMatching(/larger than the 4 KiB limit/)] });
    const chunks = [new TextEncoder().encode(big.slice(0, 3000)), new TextEncoder().encode(big.slice(3000))];
    const streamed = new ReadableStream({ pull(c) { const next = chunks.shift(); if (next) c.enqueue(next); else c.close(); } });
    const r = await fetch(`${s.url}/v1/decide`, { method: "POST", body: streamed, duplex: "half", headers: { authorization: `Basic ${Buffer.from("svc:svc-secret").toString("base64")}` } } as RequestInit);
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe("body-too-large");
  });

  it("a console form over 64 KiB is refused before it is read, signed in or not, chunked or declared, and the server goes on", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const declared = await fetch(`${s.url}/login`, { method: "POST", headers: form, body: `name=a&secret=${"x".repeat(FORM_MAX_BYTES)}` });
    expect(declared.status).toBe(413);
    expect(await declared.text()).toBe("refused: the form is larger than 64 KiB; shorten what you typed and send it again");
    // Chunked, with no Content-Length: counted as it arrives (before, parseBody buffered it all).
    let sent = 0;
    const chunk = new TextEncoder().encode("a".repeat(16 * 1024));
    const streamed = new ReadableStream({ pull(c) { if ((sent += chunk.length) > 4 * FORM_MAX_BYTES) c.close(); else c.enqueue(chunk); } });
    const r = await fetch(`${s.url}/login`, { method: "POST", headers: form, body: streamed, duplex: "half" } as RequestInit);
    expect(r.status).toBe(413);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it("a compressed body is a 415 deny naming the encoding, on the socket and through the app, and the outcome route refuses it too", async () => {
    // a lookup: refunds would spend bot's refund limit, which later tests count on
    const call = { tool: "lookup", args: { id: "cus_1" }, agent: { id: "bot" } };
    const gz = gzipSync(JSON.stringify(call));
    const onSocket = await s.api("/v1/decide", { as: "svc", raw: gz, headers: { "content-encoding": "gzip" } });
    expect(onSocket.status).toBe(415);
    const want = { effect: "deny", error: { code: "unsupported-encoding" }, reasons: ["the request body is sent with Content-Encoding `gzip`; pol serve reads bodies uncompressed: send it without Content-Encoding"] };
    expect(await onSocket.json()).toMatchObject(want);
    expect(onSocket.headers.get("connection")).toBe("close");
    const viaApp = await s.parts.app.fetch(new Request("http://pol.test/v1/decide", { method: "POST", body: gz, headers: { "content-encoding": "GZIP", authorization: `Basic ${Buffer.from("svc:svc-secret").toString("base64")}` } }));
    expect(viaApp.status).toBe(415);
    expect(await viaApp.json()).toMatchObject(want);
    const outcome = await s.api("/v1/outcome", { as: "svc", raw: gzipSync("{}"), headers: { "content-encoding": "br" } });
    expect(outcome.status).toBe(415);
    // identity is no encoding at all
    expect((await s.api("/v1/decide", { as: "svc", raw: JSON.stringify(call), headers: { "content-encoding": "identity" } })).status).toBe(200);
  });

  it("without credentials, or with wrong ones, is a 401 deny", async () => {
    for (const headers of [{} as Record<string, string>, { authorization: "Basic " + Buffer.from("svc:nope").toString("base64") }, { authorization: "Bearer svc" }, { authorization: "Token svc:svc-secret" }]) {
      const r = await s.api("/v1/decide", { as: null, headers, body: refundCall(1) });
      expect(r.status).toBe(401);
      expect((await r.json()).effect).toBe("deny");
    }
    const bearer = await s.api("/v1/decide", { as: null, headers: { authorization: "Bearer svc:svc-secret" }, body: refundCall(1) });
    expect((await bearer.json()).effect).toBe("allow");
  });

  it("refuses an API request a web page of another site sent with the browser's cached credentials, on every route", async () => {
    // What an `enctype=text/plain` form on evil.example posts: a JSON body and the browser's Basic credentials.
    const page = { origin: "https://evil.example", "content-type": "text/plain" };
    const decide = await s.api("/v1/decide", { as: "ada", headers: page, body: refundCall(1) });
    expect(decide.status).toBe(403);
    expect(await decide.json()).toMatchObject({ effect: "deny", error: { code: "cross-site" }, reasons: [expect.stringMatching(/^refused: a web page of another site sent this API request \(Origin `https:\/\/evil\.example`\)/)] });
    const pause = await s.api("/v1/pauses", { as: "ada", headers: page, body: { pattern: "*", reason: "csrf" } });
    expect(pause.status).toBe(403);
    expect((await pause.json()).error.code).toBe("cross-site");
    expect((await s.api("/v1/pauses", { as: "ada" })).status).toBe(200);
    expect(await s.engine.paused()).toEqual([]);
    // `null` (a sandboxed page) is another site too; the server's own host is not.
    expect((await s.api("/v1/approvals", { as: "ada", headers: { origin: "null" } })).status).toBe(403);
    expect((await s.api("/v1/approvals", { as: "ada", headers: { origin: s.url } })).status).toBe(200);
  });

  it("a service decides only for its own agents; a viewer not at all", async () => {
    const other = await s.api("/v1/decide", { as: "svc", body: refundCall(1, "someone-else") });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ effect: "deny", reasons: [expect.stringMatching(/`svc` may decide only for its agents \(`bot`, exactly as written\), not for `someone-else`/)] });
    // The Engine keeps limits and trust per exact id: `BOT` would be another agent with fresh ones.
    const cased = await s.api("/v1/decide", { as: "svc", body: refundCall(1, "BOT") });
    expect(cased.status).toBe(403);
    expect((await cased.json()).effect).toBe("deny");
    const outcome = await s.api("/v1/outcome", { as: "svc", body: { decision: "d1", tool: "refund", agent: "Bot", status: "succeeded" } });
    expect(outcome.status).toBe(403);
    const viewer = await s.api("/v1/decide", { as: "vera", body: refundCall(1) });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ effect: "deny", reasons: [expect.stringMatching(/needs the agent or admin role/)] });
  });

  it("a request node:http's parser refuses is a 400 whose body is a deny, not Node's empty answer", async () => {
    const u = new URL(s.url);
    const raw = (request: string) => new Promise<string>((ok, no) => {
      const c = connect(Number(u.port), u.hostname, () => c.end(request));
      let text = "";
      c.on("data", (b: Buffer) => void (text += b.toString())).once("close", () => ok(text)).once("error", no);
    });
    for (const head of ["content-length: 5\r\ncontent-length: 6", "content-length: 5\r\ntransfer-encoding: chunked", "content-length: -1"]) {
      const answer = await raw(`POST /v1/decide HTTP/1.1\r\nhost: ${u.host}\r\n${head}\r\n\r\n{}{}{}`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      expect(body).toMatchObject({ effect: "deny", error: { code: "bad-http" }, reasons: [expect.stringMatching(/^the request is not valid HTTP \(HPE_\w+\)/)] });
    }
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    // A near miss of the route, signed in or not, is refused with a deny as well.
    for (const as of ["svc", null] as const) {
      const r = await s.api("/v1/decide/", { as, body: refundCall(1) });
      expect([401, 404]).toContain(r.status);
      expect((await r.json()).effect).toBe("deny");
    }
  });

  it("answers to requests that arrive together (written together, server/coalesce.ts) each reach their own request", async () => {
    const amounts = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 900 + i : 1 + i));
    const u = new URL(s.url);
    const sockets = await Promise.all(amounts.map(() => new Promise<Socket>((ok, no) => {
      const c = connect(Number(u.port), u.hostname, () => ok(c));
      c.once("error", no);
    })));
    // an agent of their own, so the limits these refunds charge leave the other tests' agent alone
    const auth = `Basic ${Buffer.from("ada:ada-secret").toString("base64")}`;
    const answers = sockets.map((c) => new Promise<Record<string, unknown>>((ok) => {
      let text = "";
      c.on("data", (b: Buffer) => {
        text += b.toString();
        const at = text.indexOf("\r\n\r\n");
        const length = /content-length: (\d+)/i.exec(text)?.[1];
        if (at >= 0 && length !== undefined && text.length >= at + 4 + Number(length)) ok(JSON.parse(text.slice(at + 4)) as Record<string, unknown>);
      });
    }));
    // every request written in one turn of this process, so the server reads them in one turn of its own
    amounts.forEach((amount, i) => {
      const body = JSON.stringify(refundCall(amount, "pairing", "run-pairing"));
      sockets[i]!.write(`POST /v1/decide HTTP/1.1\r\nhost: ${u.host}\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    const got = await Promise.all(answers);
    for (const c of sockets) c.destroy();
    await s.engine.flush();
    const byId = new Map(records().map((r) => [r.id, r]));
    got.forEach((d, i) => {
      expect((byId.get(d.id) as { args?: { amount?: number } } | undefined)?.args?.amount).toBe(amounts[i]);
      if (amounts[i]! > 300) expect(d).toMatchObject({ effect: "deny", rule: "big_refund" });
    });
  });

  it("a call that is JSON but not a call is decided (denied) by the Engine, never allowed", async () => {
    for (const call of [null, [], "refund", { tool: "refund", args: { amount: "lots" } }]) {
      const d = await (await s.api("/v1/decide", { body: call })).json();
      expect(d.effect).toBe("deny");
    }
  });
});

describe("a host that fails", () => {
  it("a decide that throws is a 500 whose body is a deny saying why (the app without a socket, body read as a web stream)", async () => {
    const { users, secret } = await Users.ephemeralAdmin();
    // The engine itself, except that deciding fails (a Proxy, since `policy` is a getter on the Engine).
    const host = new Proxy(s.engine, { get: (t, k) => (k === "decide" ? () => Promise.reject(new Error("the store is gone")) : Reflect.get(t, k, t)) }) as unknown as ServeHost;
    const { app } = createApp({ host, users, audit: join(s.dir, "audit.jsonl") });
    const r = await app.fetch(new Request("http://pol.test/v1/decide", { method: "POST", body: JSON.stringify(refundCall(1)), headers: { authorization: `Bearer admin:${secret}` } }));
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ effect: "deny", reasons: ["internal error: the store is gone; the call is denied"], error: { code: "error", message: "internal error: the store is gone; the call is denied" } });
  });
  it("the same failure on a socket, through the node:http fast path, is the same 500 deny, and the server keeps serving", async () => {
    const { users, secret } = await Users.ephemeralAdmin();
    let failing = true;
    let unwritable = false;
    const decide = (t: typeof s.engine, c: unknown) => (failing ? Promise.reject(new Error("the store is gone")) : unwritable ? Promise.resolve({ effect: "allow", n: 1n }) : t.decide(c));
    const host = new Proxy(s.engine, { get: (t, k) => (k === "decide" ? (c: unknown) => decide(t, c) : Reflect.get(t, k, t)) }) as unknown as ServeHost;
    const server = createServer(createApp({ host, users, audit: join(s.dir, "audit.jsonl") }).listener("127.0.0.1"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/decide`;
    const post = () => fetch(url, { method: "POST", body: JSON.stringify(refundCall(1)), headers: { authorization: `Bearer admin:${secret}` } });
    try {
      const r = await post();
      expect(r.status).toBe(500);
      expect(r.headers.get("content-type")).toBe("application/json");
      expect(await r.json()).toEqual({ effect: "deny", reasons: ["internal error: the store is gone; the call is denied"], error: { code: "error", message: "internal error: the store is gone; the call is denied" } });
      failing = false;
      expect((await (await post()).json()).effect).toBe("allow");
      // A decision that cannot be written as JSON (a host bug) is a 500 deny too, not a crash.
      unwritable = true;
      const odd = await post();
      expect(odd.status).toBe(500);
      expect(await odd.json()).toMatchObject({ effect: "deny", reasons: [expect.stringMatching(/BigInt.*the call is denied/)] });
      unwritable = false;
      expect((await (await post()).json()).effect).toBe("allow");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("an agent waits for a human over HTTP", () => {
  it("decide → approve; long-poll the approval; an approver approves; decide again → allow; outcome audited", async () => {
    const call = refundCall(120, "bot", "run-wait");
    const first = await (await s.api("/v1/decide", { as: "svc", body: call })).json();
    expect(first).toMatchObject({ effect: "approve", approvers: ["finance"] });
    const waiting = s.api(`/v1/approvals/${first.approval}?waitMs=10000`, { as: "svc" });
    await new Promise((r) => setTimeout(r, 100));
    const approved = await s.api(`/v1/approvals/${first.approval}/approve`, { as: "alice", body: { note: "customer is right" } });
    expect(approved.status).toBe(200);
    expect(await (await waiting).json()).toMatchObject({ status: "approved", resolvedBy: "alice", note: "customer is right" });
    const second = await (await s.api("/v1/decide", { as: "svc", body: call })).json();
    expect(second).toMatchObject({ effect: "allow", decidedBy: "approval", approval: first.approval });
    const out = await s.api("/v1/outcome", { as: "svc", body: { decision: second.id, tool: "refund", agent: "bot", run: "run-wait", status: "succeeded", sideEffectId: "re_1", durationMs: 12 } });
    expect(out.status).toBe(200);
    await s.engine.flush();
    const rs = records();
    expect(rs.find((r) => r.type === "admin" && r.event === "approval.approved" && r.approval === first.approval)).toMatchObject({ by: "alice", note: "customer is right" });
    expect(rs.find((r) => r.type === "decision" && r.id === second.id)).toMatchObject({ approvedBy: "alice" });
    expect(rs.find((r) => r.type === "outcome" && r.decision === second.id)).toMatchObject({ status: "succeeded", sideEffectId: "re_1", run: "run-wait", trustDelta: 1 });
  });

  it("an outcome moves trust only for an allow this server gave that agent, once; a trust write that fails is a 503", async () => {
    const t = await serve();
    try {
      const trust = async () => (await t.engine.trust("bot")).score;
      const before = await trust();
      const allow = await (await t.api("/v1/decide", { as: "svc", body: refundCall(1) })).json();
      expect(allow.effect).toBe("allow");
      const report = (decision: string, status = "succeeded") => t.api("/v1/outcome", { as: "svc", body: { decision, tool: "refund", agent: "bot", status } });
      expect(await (await report(allow.id, "failed")).json()).toEqual({ recorded: true, trust: { changed: true } });
      const after = await trust();
      expect(after).toBeLessThan(before);
      // The same outcome again, and outcomes of decisions that never were, are recorded and change nothing.
      expect(await (await report(allow.id)).json()).toMatchObject({ recorded: true, trust: { changed: false, reason: expect.stringMatching(/not an allow this server gave .* or its outcome was reported already/) } });
      for (let i = 0; i < 5; i++) expect((await (await report(`made-up-${i}`)).json()).trust.changed).toBe(false);
      expect(await trust()).toBe(after);
      // The store stops taking trust writes (its table is gone): the outcome is audited, and the service is told.
      const next = await (await t.api("/v1/decide", { as: "svc", body: refundCall(2) })).json();
      const db = new Database(join(t.dir, "state.db"));
      db.exec("DROP TABLE trust");
      db.close();
      const failed = await report(next.id, "failed");
      expect(failed.status).toBe(503);
      expect(await failed.json()).toMatchObject({ error: { code: "store", message: expect.stringMatching(/^the outcome is in the audit log, but the agent's trust could not be updated \(.*no such table: trust.*\); fix the state store \(GET \/health\) before relying on trust; report it again once it is$/) } });
      // The claim went with the failed change (one transaction): the retry is tried again, not taken as reported already.
      expect((await report(next.id, "failed")).status).toBe(503);
      await t.engine.flush();
      expect(readFileSync(t.audit, "utf8")).toContain(`"decision":"${next.id}"`);
    } finally {
      await t.close();
    }
  });

  it("an allow's answer carries a receipt, and with it the outcome moves trust once, whichever route reported it", async () => {
    const t = await serve();
    try {
      const trust = async () => (await t.engine.trust("bot")).score;
      const report = (body: Record<string, unknown>) => t.api("/v1/outcome", { as: "svc", body: { tool: "refund", agent: "bot", run: "run-1", status: "failed", ...body } });
      // On the socket (fast-decide.ts) and through the app (api.ts), the decision's fields then `receipt`.
      const allow = await (await t.api("/v1/decide", { as: "svc", body: refundCall(1) })).json();
      expect(allow).toMatchObject({ effect: "allow", receipt: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      expect(Object.keys(allow).at(-1)).toBe("receipt");
      const viaApp = await (await t.parts.app.request("/v1/decide", { method: "POST", headers: { authorization: `Basic ${Buffer.from("svc:svc-secret").toString("base64")}`, "content-type": "application/json" }, body: JSON.stringify(refundCall(2)) })).json();
      expect(viaApp).toMatchObject({ effect: "allow", receipt: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      // Denies and approvals carry none: there is nothing to report.
      expect("receipt" in (await (await t.api("/v1/decide", { as: "svc", body: refundCall(150) })).json())).toBe(false);
      expect("receipt" in (await (await t.api("/v1/decide", { as: "svc", body: { ...refundCall(1), args: { amount: "x" } } })).json())).toBe(false);
      const before = await trust();
      // Another decision's receipt, or this one's for another agent, moves nothing, with one reason.
      for (const wrong of [{ decision: allow.id, receipt: viaApp.receipt }, { decision: allow.id, receipt: allow.receipt, agent: "bot-2" }]) {
        const r = await (await t.api("/v1/outcome", { as: "ada", body: { tool: "refund", agent: "bot", status: "succeeded", ...wrong } })).json();
        expect(r.trust).toEqual({ changed: false, reason: `\`receipt\` is not the receipt of an allow of \`${allow.id}\` for agent \`${wrong.agent ?? "bot"}\`` });
      }
      expect(await (await report({ decision: allow.id, receipt: allow.receipt })).json()).toEqual({ recorded: true, trust: { changed: true } });
      expect(await trust()).toBeLessThan(before);
      const after = await trust();
      // Once: again with the receipt, or without it (this server's memory of the allow), changes nothing.
      for (const again of [{ decision: allow.id, receipt: allow.receipt }, { decision: allow.id }]) {
        expect((await (await report(again)).json()).trust).toEqual({ changed: false, reason: `the outcome of \`${allow.id}\` was reported already; an allow's outcome moves trust once` });
      }
      // ...and the other way round: reported from memory first, the receipt then counts for nothing.
      expect((await (await report({ decision: viaApp.id })).json()).trust).toEqual({ changed: true });
      expect((await (await report({ decision: viaApp.id, receipt: viaApp.receipt })).json()).trust.changed).toBe(false);
      expect(await trust()).toBeLessThan(after);
      expect((await report({ decision: allow.id, receipt: 7 })).status).toBe(400);
      await t.engine.flush();
      const audited = readFileSync(t.audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.type === "outcome" && r.decision === allow.id);
      expect(audited.map((r) => r.trustDelta ?? r.trustUnchanged)).toEqual([expect.stringMatching(/is not the receipt/), expect.stringMatching(/is not the receipt/), -5, expect.stringMatching(/reported already/), expect.stringMatching(/reported already/)]);
      // The run's timeline says why an outcome moved nothing.
      const timeline = await (await (await signIn(t, "vera")).get("/runs/run-1")).text();
      expect(timeline).toContain(`trust unchanged: the outcome of \`${allow.id}\` was reported already; an allow&#39;s outcome moves trust once`);
    } finally {
      await t.close();
    }
  });

  it("refuses an outcome that is not one, naming the field", async () => {
    for (const [body, why] of [[{ tool: "refund", status: "succeeded" }, /`decision`/], [{ decision: "d", tool: "refund", status: "done" }, /`status` must be one of/], [{ decision: "d", tool: "refund", status: "failed", durationMs: -1 }, /`durationMs`/], [[1], /JSON object/]] as const) {
      const r = await s.api("/v1/outcome", { as: "svc", body });
      expect(r.status).toBe(400);
      expect((await r.json()).error.message).toMatch(why);
    }
  });

  it("caps the long-polls one principal holds: one more is a 429 until they end, a plain read is not held", async () => {
    const call = refundCall(150, "bot", "run-waits");
    const first = await (await s.api("/v1/decide", { as: "svc", body: call })).json();
    expect(first).toMatchObject({ effect: "approve" });
    const path = `/v1/approvals/${first.approval}`;
    const waiting = Array.from({ length: MAX_WAITS_PER_PRINCIPAL }, () => s.api(`${path}?waitMs=20000`, { as: "svc" }));
    // admitted ones are counted at once; poll until the last of them has been admitted
    let refused = await s.api(`${path}?waitMs=20000`, { as: "svc" });
    for (let i = 0; refused.status !== 429 && i < 100; i++) refused = await s.api(`${path}?waitMs=1`, { as: "svc" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(await refused.json()).toMatchObject({ error: { code: "too-many-waits", message: `svc already holds ${MAX_WAITS_PER_PRINCIPAL} approval waits (at most ${MAX_WAITS_PER_PRINCIPAL}); try again in 30 s` } });
    expect((await s.api(path, { as: "svc" })).status).toBe(200); // waitMs=0 reads and returns: nothing held
    expect((await s.api(`${path}/reject`, { as: "alice", body: {} })).status).toBe(200);
    for (const w of await Promise.all(waiting)) expect(await w.json()).toMatchObject({ status: "rejected" });
    const again = await s.api(`${path}?waitMs=10`, { as: "svc" });
    expect(again.status).toBe(200);
  }, 60_000);

  it("waitMs out of range and unknown approvals are refused", async () => {
    expect((await s.api("/v1/approvals/apr_x?waitMs=999999")).status).toBe(400);
    expect((await s.api("/v1/approvals/apr_nope")).status).toBe(404);
  });
});

describe("/health and /metrics", () => {
  it("/health is public and says which policy is loaded", async () => {
    const r = await fetch(`${s.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: "ok", policy: { name: "shop", hash: s.engine.policyHash }, checks: { policy: "ok", store: "ok", audit: "ok" } });
  });

  it("/health fails once the store's file is deleted or replaced under the running server", async () => {
    const t = await serve();
    try {
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
      const db = join(t.dir, "state.db");
      renameSync(db, `${db}.moved`);
      const r = await fetch(`${t.url}/health`);
      expect(r.status).toBe(500);
      expect(await r.json()).toMatchObject({ status: "error", checks: { store: expect.stringMatching(/^the state store: its file was deleted or replaced while the server runs; .*restart the server on the store$/) } });
      renameSync(`${db}.moved`, db);
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("/metrics needs a signed-in role and has bounded labels", async () => {
    expect((await s.api("/metrics", { as: null })).status).toBe(401);
    expect((await s.api("/metrics", { as: "svc" })).status).toBe(403);
    await s.api("/v1/decide", { body: { tool: "made.up.tool-123", agent: { id: "bot" } } });
    await s.parts.verifier.check();
    const text = await (await s.api("/metrics", { as: "vera" })).text();
    expect(text).toMatch(/^pol_decisions_total\{effect="allow",decided_by="rule",tool="refund"\} \d+$/m);
    expect(text).toMatch(/^pol_decisions_total\{effect="deny",decided_by="default",tool="other"\} \d+$/m);
    expect(text).not.toMatch(/made\.up\.tool/);
    expect(text).toMatch(/^pol_decision_duration_seconds_count\{effect="allow"\} \d+$/m);
    // counted per decision: three more denies of big refunds add exactly three, and the buckets add up
    const count = (t: string, re: RegExp) => Number(re.exec(t)?.[1] ?? NaN);
    const bigRefunds = /^pol_decisions_total\{effect="deny",decided_by="rule",tool="refund"\} (\d+)$/m;
    const before = Number.isNaN(count(text, bigRefunds)) ? 0 : count(text, bigRefunds);
    for (let i = 0; i < 3; i++) await s.api("/v1/decide", { as: "svc", body: refundCall(950) });
    const after = await (await s.api("/metrics", { as: "vera" })).text();
    expect(count(after, bigRefunds)).toBe(before + 3);
    const buckets = [...after.matchAll(/^pol_decision_duration_seconds_bucket\{effect="deny",le="([^"]+)"\} (\d+)$/gm)].map((m) => Number(m[2]));
    expect(buckets).toHaveLength(13);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.at(-1)).toBe(count(after, /^pol_decision_duration_seconds_count\{effect="deny"\} (\d+)$/m));
    expect(count(after, /^pol_decision_duration_seconds_sum\{effect="deny"\} ([\d.e-]+)$/m)).toBeGreaterThan(0);
    expect(text).toMatch(/^pol_approvals_pending \d+$/m);
    expect(text).toMatch(/^pol_audit_verify_ok 1$/m);
    expect(text).not.toMatch(/agent=|run=|approval=|decision=/);
  });

  it("/health is a 500 naming the store when the store stops answering", async () => {
    const t = await serve();
    try {
      await t.engine.store.close();
      const r = await fetch(`${t.url}/health`);
      expect(r.status).toBe(500);
      const b = await r.json();
      expect(b).toMatchObject({ status: "error", checks: { policy: "ok", audit: "ok" } });
      expect(b.reasons).toEqual([expect.stringMatching(/^the state store: .*closed/)]);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
