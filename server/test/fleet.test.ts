// `pol serve` as a fleet: servers on one real Redis or PostgreSQL store (started here by
// runtime/store/test/servers.ts, never a mock), as sidecars behind a load balancer run. What one
// server's API is told, the other's decisions see: an approval granted on B lets A's call
// through, the limit is one budget, a pause on B denies on A once the store's notification reaches
// it (milliseconds). When the store stops answering,
// /health is a 500 naming it and a decide is a deny saying why, within the store deadline; when it
// is back, both serve again. With `--audit postgres://…` they append to one chain in a real
// PostgreSQL, which each console shows, exports and verifies (against the head anchored in Redis).

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyFleetAudit } from "../../runtime/audit/fleet.js";
import { auditAnchorName } from "../../runtime/audit/postgres.js";
import { openStore } from "../../runtime/store/index.js";
import { asOwner, fleetServersReady, startPostgres, startRedis, type PostgresServer, type RedisServer } from "../../runtime/store/test/servers.js";
import { refundCall, serve, signIn, type Served } from "./helpers.js";

const ready = fleetServersReady();
let redis: RedisServer | null = null;
let postgres: PostgresServer | null = null;
beforeAll(async () => {
  if (ready) [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});
afterAll(() => Promise.all([redis?.destroy(), postgres?.destroy()]));

const records = (s: Served) => readFileSync(s.audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
/** `svc` decides only for agent `bot` (helpers.ts PEOPLE); the admin decides for the others. */
const decide = async (s: Served, body: ReturnType<typeof refundCall>) => (await s.api("/v1/decide", { as: body.agent.id === "bot" ? "svc" : "ada", body })).json();

/** Each state store back-end a fleet can share: its url and how to take it down and bring it back. */
const BACKENDS = {
  redis: { url: () => redis!.url, stop: () => redis!.stop(), start: () => redis!.start() },
  postgres: { url: () => `${postgres!.url}?schema=state`, stop: () => postgres!.stop("fast"), start: () => postgres!.start() },
};

describe.runIf(ready).each(Object.keys(BACKENDS) as Array<keyof typeof BACKENDS>)("two pol serve processes on one %s store", (kind) => {
  const backend = BACKENDS[kind];
  let a: Served;
  let b: Served;
  beforeAll(async () => {
    [a, b] = await Promise.all([serve({ store: backend.url() }), serve({ store: backend.url() })]);
  });
  afterAll(() => Promise.all([a?.close(), b?.close()]));

  it("an approval granted on one server lets the other's call through, and both logs say so", async () => {
    const call = refundCall(120, "bot", "run-fleet");
    const first = await decide(a, call);
    expect(first).toMatchObject({ effect: "approve", approvers: ["finance"] });
    // B's queue lists A's request (the approvals API reads the shared store)
    const pending = await (await b.api("/v1/approvals?status=pending", { as: "alice" })).json();
    expect(pending.map((p: { id: string }) => p.id)).toContain(first.approval);
    const waiting = a.api(`/v1/approvals/${first.approval}?waitMs=10000`, { as: "svc" });
    const approved = await b.api(`/v1/approvals/${first.approval}/approve`, { as: "alice", body: { note: "checked on B" } });
    expect(approved.status).toBe(200);
    expect(await (await waiting).json()).toMatchObject({ status: "approved", resolvedBy: "alice", note: "checked on B" });
    const second = await decide(a, call);
    expect(second).toMatchObject({ effect: "allow", decidedBy: "approval", approval: first.approval });
    // each server audits what it did: B the approval, A the decision it allowed
    await Promise.all([a.engine.flush(), b.engine.flush()]);
    expect(records(b).find((r) => r.event === "approval.approved" && r.approval === first.approval)).toMatchObject({ by: "alice", note: "checked on B" });
    expect(records(a).find((r) => r.type === "decision" && r.id === second.id)).toMatchObject({ approvedBy: "alice" });
    // an approval is used once: the same call again on B waits for a new one
    expect(await decide(b, call)).toMatchObject({ effect: "approve" });
  });

  it("whoever sent a call through one server cannot approve it through the other", async () => {
    // `ada` (admin) may decide and approve; the approval records her as its requester in the store,
    // so B refuses her without having seen the call.
    const sent = await (await a.api("/v1/decide", { as: "ada", body: refundCall(130, "fleet-self-bot") })).json();
    expect(sent).toMatchObject({ effect: "approve" });
    const own = await b.api(`/v1/approvals/${sent.approval}/approve`, { as: "ada", body: {} });
    expect(own.status).toBe(403);
    expect((await own.json()).error.message).toBe("`ada` sent the call this approval waits on, and nobody approves their own request");
    const card = await (await (await signIn(b, "ada")).get("/queue/rows")).text();
    expect(card).toMatch(new RegExp(`requested .* by <strong class="requester">ada</strong> · <code>${sent.approval}</code></p>\\s*<details open>[\\s\\S]*?You cannot resolve this: \`ada\` sent the call`));
    expect((await b.api(`/v1/approvals/${sent.approval}/approve`, { as: "alice", body: {} })).status).toBe(200);
  });

  it("an allow's outcome moves trust on whichever server it is reported to, once across the fleet", async () => {
    const agent = "fleet-outcome-bot";
    const trust = async () => (await a.engine.trust(agent)).score;
    const before = await trust();
    const allow = await decide(a, refundCall(3, agent));
    expect(allow).toMatchObject({ effect: "allow", receipt: expect.any(String) });
    const report = (s: Served, body: Record<string, unknown>) => s.api("/v1/outcome", { as: "ada", body: { decision: allow.id, tool: "refund", agent, status: "failed", ...body } }).then((r) => r.json());
    // B never saw the decision: the receipt is its proof (B shares A's engine secret).
    expect(await report(b, { receipt: allow.receipt })).toEqual({ recorded: true, trust: { changed: true } });
    expect(await trust()).toBeLessThan(before);
    const after = await trust();
    // Once across the fleet: A, which remembers the allow, and B again, both find the claim in the store.
    const once = { changed: false, reason: `the outcome of \`${allow.id}\` was reported already; an allow's outcome moves trust once` };
    expect((await report(a, {})).trust).toEqual(once);
    expect((await report(a, { receipt: allow.receipt })).trust).toEqual(once);
    expect((await report(b, { receipt: allow.receipt })).trust).toEqual(once);
    expect(await trust()).toBe(after);
  });

  it("the refund limit (5 an hour per agent) is one budget across both servers", async () => {
    const effects: string[] = [];
    for (let i = 0; i < 7; i++) effects.push((await decide(i % 2 === 0 ? a : b, refundCall(5, "limited-bot"))).effect);
    expect(effects).toEqual(["allow", "allow", "allow", "allow", "allow", "deny", "deny"]);
    const denied = await decide(a, refundCall(5, "limited-bot"));
    expect(denied).toMatchObject({ effect: "deny", decidedBy: "limit" });
    expect(denied.reasons[0]).toMatch(/refund_count/);
  });

  it("a pause made on one server denies the other's calls as soon as its notification arrives, and a resume there lifts it", async () => {
    // The other server learns of the change from the store's notification (Redis pub/sub,
    // PostgreSQL NOTIFY), which can arrive a few milliseconds after the pause's answer: decisions
    // are polled, each by a new agent so none meets the refund limit (docs/runtime.md, "Freshness").
    let n = 0;
    const until = (s: Served, effect: string) =>
      expect.poll(async () => (await decide(s, refundCall(5, `pause-bot-${++n}`))) as { effect: string; reasons: string[] }, { timeout: 5_000, interval: 5 }).toMatchObject({ effect });
    const paused = await b.api("/v1/pauses", { as: "oscar", body: { pattern: "refund", reason: "fraud under review" } });
    expect(paused.status).toBe(200);
    await until(a, "deny");
    const d = await decide(a, refundCall(5, `pause-bot-${++n}`));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "pause" });
    expect(d.reasons[0]).toMatch(/fraud under review/);
    expect((await a.api("/v1/pauses/resume", { as: "oscar", body: { pattern: "refund" } })).status).toBe(200);
    await until(b, "allow");
  });

  it("with the store down, /health is a 500 naming it and decisions are denies saying why; back up, both serve again", async () => {
    await backend.stop();
    try {
      const health = await fetch(`${a.url}/health`);
      expect(health.status).toBe(500);
      const h = await health.json();
      expect(h).toMatchObject({ status: "error", checks: { policy: "ok", store: expect.any(String) } });
      expect(h.reasons.join(" ")).toMatch(new RegExp(`^the state store: .*${kind}`));
      const t0 = performance.now();
      const d = await decide(b, refundCall(5, "outage-bot"));
      // bounded by the store deadline (50 ms a call) and the client's reconnect, not by a hang
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(d).toMatchObject({ effect: "deny", decidedBy: "error" });
      expect(d.reasons[0]).toMatch(kind);
    } finally {
      await backend.start();
    }
    await expect.poll(async () => (await fetch(`${a.url}/health`)).status, { timeout: 10_000, interval: 100 }).toBe(200);
    await expect.poll(async () => (await decide(b, refundCall(5, "after-bot"))).effect, { timeout: 10_000, interval: 100 }).toBe("allow");
  });
});

describe.runIf(ready)("two pol serve processes appending to one PostgreSQL audit chain", () => {
  let c: Served;
  let d: Served;
  let keyFile: string;
  let chainUrl: string;
  beforeAll(async () => {
    chainUrl = `${postgres!.url}?schema=fleet`;
    keyFile = join(mkdtempSync(join(tmpdir(), "pol-chain-key-")), "chain.key");
    writeFileSync(keyFile, "cd".repeat(32));
    const cfg = { store: redis!.url, audit: chainUrl, auditKey: keyFile };
    [c, d] = await Promise.all([serve(cfg), serve(cfg)]);
  });
  afterAll(() => Promise.all([c?.close(), d?.close()]));

  const owner = (sql: string) => asOwner(postgres!, "fleet", sql);

  it("each console shows the other server's decisions, exports them as stored, and verifies the one chain", async () => {
    const onC = await decide(c, refundCall(5, "chain-bot", "run-on-c"));
    await decide(d, refundCall(6, "chain-bot", "run-on-d"));
    await Promise.all([c.engine.flush(), d.engine.flush()]);
    // C's run timeline and audit page show D's decision, read from the shared chain
    const viewer = await signIn(c, "vera");
    const timeline = await (await viewer.get("/runs/run-on-d")).text();
    expect(timeline).toContain("1 step, oldest first");
    expect(timeline).toMatch(/<tr class="decision allow">.*<td>refund<\/td>/);
    const page = await (await viewer.get("/audit")).text();
    expect(page).toContain("run-on-c");
    expect(page).toContain("run-on-d");
    // the export holds each record exactly as the database stores it
    const exported = (await (await viewer.get("/audit/export?format=jsonl")).text()).split("\n").filter(Boolean);
    const stored = (await owner("SELECT record FROM audit_records WHERE chain = 'main' ORDER BY seq")).rows.map((r) => r.record as string);
    expect(exported).toEqual(stored);
    expect(exported.some((l) => l.includes(onC.id))).toBe(true);
    // both servers' verifiers walk the same chain, on their threads, and check the anchor in Redis
    const [vc, vd] = await Promise.all([c.parts.verifier.check(), d.parts.verifier.check()]);
    expect(vc).toMatchObject({ ok: true, count: stored.length });
    expect(vd).toMatchObject({ ok: true, count: stored.length });
    expect(vc.text).toBe(`audit chain intact: ${stored.length} records in postgres://127.0.0.1:${new URL(postgres!.url).port}/postgres#fleet.main`);
    expect(await (await c.api("/metrics", { as: "vera" })).text()).toMatch(/^pol_audit_verify_ok 1$/m);
    // the Engine anchored the chain's head in its state store (Redis) without being told to
    const anchors = await openStore(redis!.url);
    try {
      expect((await anchors.store.anchors!.get(auditAnchorName("fleet", "main")))?.seq).toBeGreaterThanOrEqual(1);
    } finally {
      await anchors.store.close();
    }
    expect(await verifyFleetAudit(chainUrl, { keyFile, anchor: redis!.url })).toMatchObject({ ok: true, count: stored.length });
  });

  it("an owner's edit of a stored record is reported by the console's verifier", async () => {
    await decide(c, refundCall(7, "chain-bot", "run-edit"));
    await c.engine.flush();
    await owner(`SET session_replication_role = replica; UPDATE audit_records SET record = replace(record, '"amount":7', '"amount":700') WHERE chain = 'main' AND record LIKE '%run-edit%'`);
    const v = await c.parts.verifier.check();
    expect(v).toMatchObject({ ok: false });
    expect(v.text).toMatch(/was edited: its hash does not match its contents/);
    expect(await (await c.api("/metrics", { as: "vera" })).text()).toMatch(/^pol_audit_verify_ok 0$/m);
  });

  it("--audit-sync, --audit-wait, a chain without a key and other url schemes are refused with what to use instead", async () => {
    const { auditFor } = await import("../serve.js");
    expect(() => auditFor({ store: "pol.db", audit: chainUrl, auditKey: keyFile, auditSync: true })).toThrow(/--audit-sync applies to a JSONL log/);
    expect(() => auditFor({ store: "pol.db", audit: chainUrl, auditKey: keyFile, auditWaitMs: 500 })).toThrow(/--audit-wait applies to a JSONL log/);
    if (!process.env["POL_AUDIT_KEY_FILE"]) expect(() => auditFor({ store: "pol.db", audit: chainUrl })).toThrow("a postgres:// audit chain needs its key: pass --audit-key <file>");
    expect(() => auditFor({ store: "pol.db", audit: "mysql://db/pol" })).toThrow("`mysql` is not an audit log pol can write: use a JSONL file (--audit pol.audit.jsonl) or postgres://");
  });
});
