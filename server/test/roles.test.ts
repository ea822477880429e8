// Who may do what, on a real server: every role against every action through the API, the same
// refusals through the console's forms, CSRF and Origin checks, bad and ended sessions, and the
// people behind each action written into the approval record and the audit log.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { safeNext } from "../console/login.js";
import { Users } from "../auth/users.js";
import { Sessions } from "../auth/sessions.js";
import { MAX_STREAMS_PER_PRINCIPAL } from "../events.js";
import { PEOPLE, refundCall, serve, signIn, signInAttempt, type Person, type Served } from "./helpers.js";

let s: Served;
beforeAll(async () => {
  s = await serve();
});
afterAll(() => s?.close());

let n = 0;
/** A fresh pending approval for the finance group, requested by agent `bot`. */
async function pending(agent = "bot"): Promise<string> {
  const call = { ...refundCall(120, agent), args: { amount: 120, customer: `cus_${++n}` } };
  const d = await (await s.api("/v1/decide", { as: "fleet", body: call })).json();
  expect(d.effect).toBe("approve");
  return d.approval as string;
}

const records = async () => {
  await s.engine.flush();
  return readFileSync(s.audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
};

type Act = (who: Person) => Promise<Response>;
const ACTIONS: Record<string, Act> = {
  "list approvals": (who) => s.api("/v1/approvals", { as: who }),
  approve: async (who) => s.api(`/v1/approvals/${await pending()}/approve`, { as: who, body: {} }),
  reject: async (who) => s.api(`/v1/approvals/${await pending()}/reject`, { as: who, body: { note: "no" } }),
  pause: async (who) => {
    const r = await s.api("/v1/pauses", { as: who, body: { pattern: `wipe-${who}`, reason: "test" } });
    if (r.ok) await s.api("/v1/pauses/resume", { as: "ada", body: { pattern: `wipe-${who}` } });
    return r;
  },
  resume: async (who) => {
    const p = await (await s.api("/v1/pauses", { as: "ada", body: { pattern: `lookup-${who}`, reason: "test" } })).json();
    const r = await s.api("/v1/pauses/resume", { as: who, body: { id: p.id } });
    if (!r.ok) await s.api("/v1/pauses/resume", { as: "ada", body: { id: p.id } });
    return r;
  },
  restore: (who) => s.api("/v1/agents/bot/restore", { as: who, body: { score: 90 } }),
  decide: (who) => s.api("/v1/decide", { as: who, body: refundCall(1) }),
  metrics: (who) => s.api("/metrics", { as: who }),
};

// 200 where allowed, else 403. olga is an approver of another group; bob runs agent `Bot`.
const ALLOWED: Record<string, Person[]> = {
  "list approvals": ["ada", "alice", "olga", "bob", "oscar", "vera"],
  approve: ["ada", "alice"],
  reject: ["ada", "alice"],
  pause: ["ada", "oscar"],
  resume: ["ada", "oscar"],
  restore: ["ada", "oscar"],
  decide: ["ada", "svc", "fleet"],
  metrics: ["ada", "alice", "olga", "bob", "oscar", "vera"],
};

describe("every role × every action, through the API", () => {
  const rows = Object.keys(ACTIONS).flatMap((action) => (Object.keys(PEOPLE) as Person[]).map((who) => [action, who] as const));
  it.each(rows)("%s as %s", async (action, who) => {
    const r = await ACTIONS[action]!(who);
    const want = ALLOWED[action]!.includes(who) ? 200 : 403;
    expect(r.status, await r.clone().text()).toBe(want);
    if (want === 403) expect((await r.json()).error.message).toMatch(/may not do this|is not in approver group|nobody approves their own agent|may decide only/);
  });

  it("the reasons name the rule that refused", async () => {
    const bob = await (await s.api(`/v1/approvals/${await pending()}/approve`, { as: "bob", body: {} })).json();
    expect(bob.error.message).toBe("`bob` runs agent `bot`, and nobody approves their own agent's request");
    const olga = await (await s.api(`/v1/approvals/${await pending()}/approve`, { as: "olga", body: {} })).json();
    expect(olga.error.message).toBe("`olga` is not in approver group `finance`");
    const vera = await (await s.api("/v1/pauses", { as: "vera", body: { pattern: "*", reason: "x" } })).json();
    expect(vera.error.message).toBe("`vera` (viewer) may not do this: pausing and resuming tools needs the operator or admin role");
  });

  it("self-approval is refused whatever the case of the agent id", async () => {
    for (const agent of ["BOB", "Bob", "bot", "BOT"]) {
      const r = await s.api(`/v1/approvals/${await pending(agent)}/approve`, { as: "bob", body: {} });
      expect(r.status).toBe(403);
    }
  });

  it("nobody approves a call they sent themselves, an admin included; another approver may", async () => {
    const call = { ...refundCall(120), args: { amount: 120, customer: `cus_${++n}` } };
    const d = await (await s.api("/v1/decide", { as: "ada", body: call })).json();
    expect(d.effect).toBe("approve");
    const own = await s.api(`/v1/approvals/${d.approval}/approve`, { as: "ada", body: {} });
    expect(own.status).toBe(403);
    expect((await own.json()).error.message).toBe("`ada` sent the call this approval waits on, and nobody approves their own request");
    expect((await (await s.api(`/v1/approvals/${d.approval}`, { as: "alice" })).json()).requestedBy).toBe("ada");
    expect((await s.api(`/v1/approvals/${d.approval}/approve`, { as: "alice", body: {} })).status).toBe(200);
  });

  it("an action on an approval no longer pending is a 409; an unknown one a 404; a bad pause a 400", async () => {
    const id = await pending();
    expect((await s.api(`/v1/approvals/${id}/approve`, { as: "alice", body: {} })).status).toBe(200);
    const again = await s.api(`/v1/approvals/${id}/reject`, { as: "alice", body: {} });
    expect(again.status).toBe(409);
    expect((await again.json()).error.message).toMatch(/is approved, not pending/);
    expect((await s.api("/v1/approvals/apr_nope/approve", { as: "alice", body: {} })).status).toBe(404);
    const noReason = await s.api("/v1/pauses", { as: "oscar", body: { pattern: "refund" } });
    expect(noReason.status).toBe(400);
    expect((await noReason.json()).error.message).toBe("`reason` is required");
    expect((await s.api("/v1/pauses", { as: "oscar", body: { class: "huge", reason: "x" } })).status).toBe(400);
  });
});

describe("the console", () => {
  it("a viewer's approve and an approver's pause are refused, and change nothing", async () => {
    const id = await pending();
    const vera = await signIn(s, "vera");
    const r = await vera.post(`/approvals/${id}/approve`, { note: "sneaky" }, { htmx: true });
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/`vera` \(viewer\) may not do this: approving needs the approver or admin role/);
    expect(r.headers.get("hx-retarget")).toBe("#flash");
    expect((await s.engine.approvals.get(id))!.status).toBe("pending");
    const alice = await signIn(s, "alice");
    const p = await alice.post("/pauses", { pattern: "*", reason: "stop" });
    expect(p.status).toBe(403);
    expect(await s.engine.paused()).toEqual([]);
    const page = await (await vera.get("/queue")).text();
    expect(page).toContain(`You cannot resolve this: \`vera\` (viewer) may not do this`);
    expect(page).not.toContain(`/approvals/${id}/approve"`);
    // Who may resolve it, by name: admins and finance approvers, never bob (he runs the agent).
    expect(page).toMatch(new RegExp(`id="${id}"[\\s\\S]*?May approve: <strong>finance</strong> \\(ada, alice\\)`));
  });

  it("the queue reads the pending approvals and the newest settled ones, never every approval the store holds nor the pending ones twice", async () => {
    const t = await serve();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const d = await t.engine.decide(refundCall(100 + i, `agent-${i}`, "run-q"));
        ids.push(d.approval!);
      }
      for (const id of ids.slice(0, 20)) await t.engine.approvals.resolve(id, { approve: true, by: "alice", groups: ["finance"] });
      const alice = await signIn(t, "alice");
      const asked: unknown[] = [];
      const list = t.engine.approvals.list.bind(t.engine.approvals);
      t.engine.approvals.list = (f = {}) => {
        asked.push(f);
        return list(f);
      };
      const page = await (await alice.get("/queue/rows")).text();
      expect(asked).toEqual([{ status: "pending" }, { settled: true, newest: 10 }]);
      expect(page).toContain("<strong>5</strong> waiting");
      expect(page.match(/<article class="approval"/g)?.length).toBe(5);
      const resolved = [...page.split("Recently resolved")[1]!.matchAll(/<code>(agent-\d+)<\/code>/g)].map((m) => m[1]);
      expect(resolved).toEqual(Array.from({ length: 10 }, (_, k) => `agent-${19 - k}`));
    } finally {
      await t.close();
    }
  });

  it("an agent-only principal cannot open the console: sign-in refuses it, and makes no session", async () => {
    await expect(signIn(s, "svc")).rejects.toThrow();
    const r = await signInAttempt(s, "svc", "svc-secret");
    expect(r.status).toBe(403);
    expect(r.headers.getSetCookie().some((c) => c.startsWith("pol_session="))).toBe(false);
    expect(await r.text()).toContain("viewing the console needs the viewer, approver, operator or admin role");
  });

  it("one person's sign-ins drop only their own oldest sessions, never other people's", () => {
    const sessions = new Sessions({ max: 100, perUser: 3 });
    const oscar = sessions.create("oscar");
    const mine = Array.from({ length: 50 }, () => sessions.create("mallory"));
    expect(sessions.get(oscar.id)?.user).toBe("oscar");
    expect(mine.filter((m) => sessions.get(m.id) !== undefined)).toEqual(mine.slice(-3));
  });

  it("the approver's identity goes into the approval record and the audit log; operators' actions are audited by name", async () => {
    const id = await pending();
    const alice = await signIn(s, "alice");
    const r = await alice.post(`/approvals/${id}/approve`, { note: "checked the ticket" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toMatch(/^\/queue\?ok=/);
    expect(await s.engine.approvals.get(id)).toMatchObject({ status: "approved", resolvedBy: "alice", note: "checked the ticket" });
    const oscar = await signIn(s, "oscar");
    expect((await oscar.post("/pauses", { pattern: "refund", class: "", reason: "incident 42" })).status).toBe(303);
    const [paused] = await s.engine.paused();
    expect(paused).toMatchObject({ pattern: "refund", reason: "incident 42", by: "oscar" });
    expect((await oscar.post("/pauses/resume", { id: paused!.id })).status).toBe(303);
    expect((await oscar.post("/agents/bot/restore", { score: "85" })).status).toBe(303);
    const rs = await records();
    expect(rs).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: "admin", event: "approval.approved", approval: id, by: "alice", note: "checked the ticket" }),
      expect.objectContaining({ type: "admin", event: "pause", pause: paused!.id, by: "oscar", reason: "incident 42" }),
      expect.objectContaining({ type: "admin", event: "resume", pauses: [paused!.id], by: "oscar" }),
      expect.objectContaining({ type: "admin", event: "trust.restore", agent: "bot", score: 85, by: "oscar" }),
    ]));
  });

  it("refuses a state change without the CSRF token, with a stale one, or from another origin", async () => {
    const id = await pending();
    const alice = await signIn(s, "alice");
    const other = await signIn(s, "alice");
    for (const [opts, why] of [[{ csrf: null }, /security token/], [{ csrf: "x".repeat(43) }, /security token/], [{ csrf: other.csrf }, /security token/], [{ origin: "https://evil.example" }, /another site/]] as const) {
      const r = await alice.post(`/approvals/${id}/approve`, {}, opts);
      expect(r.status).toBe(403);
      expect(await r.text()).toMatch(why);
    }
    expect((await s.engine.approvals.get(id))!.status).toBe("pending");
    const viaHeader = await fetch(`${s.url}/approvals/${id}/approve`, { method: "POST", redirect: "manual", headers: { cookie: alice.cookie, "x-csrf-token": alice.csrf, "hx-request": "true" } });
    expect(viaHeader.status).toBe(200);
    expect((await s.engine.approvals.get(id))!.status).toBe("approved");
  });

  it("without a session, with a forged one, or after signing out, pages send people to sign in", async () => {
    const none = await fetch(`${s.url}/queue`, { redirect: "manual" });
    expect(none.status).toBe(303);
    expect(none.headers.get("location")).toBe("/login?next=%2Fqueue");
    const forged = await fetch(`${s.url}/runs`, { redirect: "manual", headers: { cookie: "pol_session=forged" } });
    expect(forged.status).toBe(303);
    const htmx = await fetch(`${s.url}/queue/rows`, { headers: { "hx-request": "true" } });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get("hx-redirect")).toBe("/login?next=%2Fqueue%2Frows");
    const post = await fetch(`${s.url}/pauses`, { method: "POST", redirect: "manual", body: new URLSearchParams({ pattern: "*", reason: "x" }) });
    expect(post.status).toBe(401);
    const vera = await signIn(s, "vera");
    expect((await vera.get("/queue")).status).toBe(200);
    expect((await vera.post("/logout", {})).status).toBe(303);
    expect((await vera.get("/queue")).status).toBe(303);
    expect((await fetch(`${s.url}/v1/approvals`, { headers: { cookie: vera.cookie } })).status).toBe(401);
  });

  it("the sign-in page says where the secret comes from: the users file, or the start-up admin's printed secret", async () => {
    const fromFile = await (await fetch(`${s.url}/login`)).text();
    expect(fromFile).toContain("Sign in with your name and secret from the users file.");
    const { users } = await Users.ephemeralAdmin();
    const { app } = createApp({ host: s.engine, users, audit: join(s.dir, "audit.jsonl") });
    const started = await (await app.fetch(new Request("http://pol.test/login"))).text();
    expect(started).toContain("No users file: sign in as admin with the secret pol serve printed when it started.");
    expect(started).not.toContain("from the users file");
  });

  it("sign-in refuses a wrong secret, an unknown name, and a form without its cookie", async () => {
    const page = await fetch(`${s.url}/login`);
    const cookie = page.headers.getSetCookie()[0]!.split(";")[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const post = (form: Record<string, string>, headers: Record<string, string> = { cookie }) =>
      fetch(`${s.url}/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(form) });
    expect((await post({ _csrf: token, name: "alice", secret: "wrong" })).status).toBe(401);
    expect((await post({ _csrf: token, name: "mallory", secret: "alice-secret" })).status).toBe(401);
    expect((await post({ _csrf: token, name: "alice", secret: "alice-secret" }, {})).status).toBe(403);
    const ok = await post({ _csrf: token, name: "ALICE", secret: "alice-secret", next: "//evil.example/x" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/queue");
  });

  it("announces approval changes over server-sent events to a signed-in console, and to nobody else", async () => {
    expect((await fetch(`${s.url}/events`, { redirect: "manual" })).status).toBe(303);
    const vera = await signIn(s, "vera");
    const abort = new AbortController();
    const r = await fetch(`${s.url}/events`, { headers: { cookie: vera.cookie }, signal: abort.signal });
    expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = r.body!.getReader();
    let text = "";
    const until = async (re: RegExp) => {
      while (!re.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/event: ready/);
    const id = await pending();
    await until(/event: approvals\ndata: created/);
    await s.api(`/v1/approvals/${id}/reject`, { as: "alice", body: {} });
    await until(/event: approvals\ndata: resolved/);
    abort.abort();
    await reader.cancel().catch(() => undefined);
  });

  it("caps the live streams one person holds, refusing one more with a 429 until one closes, and leaves others theirs", async () => {
    const vera = await signIn(s, "vera");
    const open = async (cookie: string) => {
      const abort = new AbortController();
      const r = await fetch(`${s.url}/events`, { headers: { cookie }, signal: abort.signal });
      return { r, close: async () => { abort.abort(); await r.body?.cancel().catch(() => undefined); } };
    };
    const held = [];
    try {
      for (let i = 0; i < MAX_STREAMS_PER_PRINCIPAL; i++) {
        const h = await open(vera.cookie);
        expect(h.r.status).toBe(200);
        held.push(h);
      }
      const refused = await open(vera.cookie);
      expect(refused.r.status).toBe(429);
      expect(refused.r.headers.get("retry-after")).toBe("30");
      expect(await refused.r.text()).toBe(`vera already holds ${MAX_STREAMS_PER_PRINCIPAL} live console streams (at most ${MAX_STREAMS_PER_PRINCIPAL}); try again in 30 s`);
      const alice = await open((await signIn(s, "alice")).cookie);
      expect(alice.r.status).toBe(200);
      held.push(alice);
      await held.shift()!.close();
      // the server sees the tab go once the abort reaches it
      let again = await open(vera.cookie);
      for (let i = 0; again.r.status === 429 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        again = await open(vera.cookie);
      }
      expect(again.r.status).toBe(200);
      held.push(again);
    } finally {
      for (const h of held) await h.close();
    }
  });

  it("every page renders for a viewer", async () => {
    const vera = await signIn(s, "vera");
    for (const path of ["/queue", "/queue/rows", "/runs", "/runs/run-1", "/audit", "/pauses", "/agents", "/agents/bot", "/policy"]) {
      const r = await vera.get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    }
  });
});

describe("sessions and redirects", () => {
  it("a session ends after its idle time and its maximum age", () => {
    let t = 0;
    const ss = new Sessions({ idleMs: 100, maxMs: 250, now: () => t });
    const a = ss.create("alice");
    t = 90;
    expect(ss.get(a.id)).toBeDefined();
    t = 180;
    expect(ss.get(a.id)).toBeDefined();
    t = 260;
    expect(ss.get(a.id)).toBeUndefined();
    const b = ss.create("bob");
    t = 400;
    expect(ss.get(b.id)).toBeUndefined();
  });

  it("after sign-in, only local paths", () => {
    expect(safeNext("/runs/x?y=1")).toBe("/runs/x?y=1");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", undefined, "/\t/evil.example/x", "/\n/evil.example", "/x\r\nSet-Cookie: a=b"]) expect(safeNext(bad)).toBe("/queue");
    expect(safeNext("/runs/a b#t")).toBe("/runs/a%20b#t");
  });
});
