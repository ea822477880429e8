// The console's audit and agent views on a real server: chain verification status (intact, then
// broken after an edit, in the page and in pol_audit_verify_ok), JSONL and CSV export of a time
// range, restoring a revoked agent from the console; and the users file: its errors refuse to
// start, and concurrent checks of one credential share one scrypt run.

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvCell, timeRange } from "../export.js";
import { Users, UsersError } from "../auth/users.js";
import { hashSecret } from "../auth/secret.js";
import { refundCall, serve, signIn, type Served } from "./helpers.js";

let s: Served;
beforeAll(async () => {
  s = await serve();
  for (const amount of [10, 20, 900]) await s.api("/v1/decide", { as: "svc", body: refundCall(amount, "bot", "run-audit") });
  await s.api("/v1/decide", { as: "svc", body: { ...refundCall(30), args: { amount: 30, customer: "=HYPERLINK(\"http://x\")" } } });
});
afterAll(() => s?.close());

describe("audit export", () => {
  it("JSONL: the records of the range exactly as stored", async () => {
    const vera = await signIn(s, "vera");
    const r = await vera.get("/audit/export?format=jsonl");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="pol-audit-1970-01-01T00-00-00-000Z-to-.*\.jsonl"$/);
    const body = await r.text();
    await s.engine.flush();
    const stored = readFileSync(s.audit, "utf8");
    // Every exported line is a stored line (records made after the export started may be missing).
    const lines = body.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const l of lines) expect(stored).toContain(l);
  });

  it("a time range selects by record time; an empty range exports nothing", async () => {
    const vera = await signIn(s, "vera");
    const none = await (await vera.get("/audit/export?format=jsonl&from=2000-01-01T00:00&to=2000-01-02T00:00")).text();
    expect(none).toBe("");
    const future = new Date(Date.now() + 3600_000).toISOString().slice(0, 16);
    const all = await (await vera.get(`/audit/export?format=jsonl&to=${future}`)).text();
    expect(all.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(5);
    for (const [q, why] of [["from=yesterday", /`from` is not a date/], ["from=2030-01-01&to=2020-01-01", /`from` must be before `to`/], ["format=xml", /`format` must be jsonl or csv/]] as const) {
      const r = await vera.get(`/audit/export?${q}`);
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(why);
    }
  });

  it("CSV: one row per record, formulas neutralised, the full record in the last column", async () => {
    const vera = await signIn(s, "vera");
    const r = await vera.get("/audit/export?format=csv");
    expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await r.text();
    const [header, ...rows] = text.split("\r\n").filter(Boolean);
    expect(header).toBe("seq,time,type,event,id,agent,run,tool,effect,decidedBy,rule,reasons,approval,by,status,hash,record");
    expect(rows.some((row) => row.includes(",decision,,") && row.includes(",bot,run-audit,refund,deny,rule,big_refund,refunds over 300 are never automatic,"))).toBe(true);
    expect(text).not.toMatch(/,=HYPERLINK/);
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("-5")).toBe("'-5");
    expect(csvCell("\n=1+1")).toBe("\"'\n=1+1\"");
    expect(csvCell('a "quoted", text')).toBe('"a ""quoted"", text"');
    expect(csvCell(["a", "b"])).toBe("a; b");
    expect(timeRange("2026-01-31T09:00", "2026-01-31T11:00+01:00", 0)).toEqual({ from: Date.UTC(2026, 0, 31, 9), to: Date.UTC(2026, 0, 31, 10) });
  });
});

describe("chain verification", () => {
  it("shows the chain intact, then broken after a record is edited, in the page and in /metrics", async () => {
    const t = await serve();
    try {
      await t.api("/v1/decide", { as: "svc", body: refundCall(10) });
      const vera = await signIn(t, "vera");
      const ok = await vera.post("/audit/verify", {}, { htmx: true });
      expect(await ok.text()).toMatch(/class="verify ok"><p><strong>Intact<\/strong>: audit chain intact: \d+ records in 1 file/);
      await t.engine.flush();
      const lines = readFileSync(t.audit, "utf8").split("\n");
      lines[1] = lines[1]!.replace('"effect":"allow"', '"effect":"deny"');
      writeFileSync(t.audit, lines.join("\n"));
      const broken = await (await vera.post("/audit/verify", {}, { htmx: true })).text();
      expect(broken).toMatch(/class="verify broken"><p><strong>Broken<\/strong>: audit chain broken at audit\.jsonl:2 \(record 2\)/);
      expect(await (await vera.get("/audit")).text()).toContain("Broken");
      expect(await (await t.api("/metrics", { as: "vera" })).text()).toMatch(/^pol_audit_verify_ok 0$/m);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});

describe("agents", () => {
  it("an operator restores a revoked agent from the console; the agent's calls are allowed again", async () => {
    await s.engine.report("rogue", { delta: -100, reason: "test" });
    expect(await (await s.api("/v1/decide", { body: refundCall(5, "rogue") })).json()).toMatchObject({ effect: "deny", decidedBy: "trust" });
    const oscar = await signIn(s, "oscar");
    const page = await (await oscar.get("/agents/rogue")).text();
    expect(page).toMatch(/Trust <strong>0<\/strong> · <span class="badge revoked">revoked/);
    const r = await oscar.post("/agents/rogue/restore", { score: "" }, { htmx: true });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain("restored rogue to trust 80 (trusted)");
    expect(await (await s.api("/v1/decide", { body: refundCall(5, "rogue") })).json()).toMatchObject({ effect: "allow" });
    const list = await (await oscar.get("/agents")).text();
    expect(list).toMatch(/<a href="\/agents\/rogue">rogue<\/a><\/td><td>80<\/td>/);
    expect(await (await oscar.get("/agents/rogue")).text()).toMatch(/trust\.restore.*by oscar/s);
  });
});

describe("the users file", () => {
  const hash = hashSecret("x");
  it.each([
    ["not YAML", "users: [", /is not valid YAML or JSON/],
    ["no users", "users: []\n", /needs a non-empty `users:` list/],
    ["an unknown field", "users:\n  - { name: a, roles: [viewer], secret: S, team: x }\n", /user 1: unknown field `team`/],
    ["no role", "users:\n  - { name: a, roles: [], secret: S }\n", /user 1 \(`a`\): give at least one role/],
    ["a plain-text secret", "users:\n  - { name: a, roles: [viewer], secret: hunter2 }\n", /user 1 \(`a`\): the secret is not an scrypt hash .*`pol serve --hash-secret`/],
    ["a name with a colon", "users:\n  - { name: 'a:b', roles: [viewer], secret: S }\n", /`name` must be 1 to 128 characters without control characters, `:`/],
    ["a service that may also approve", "users:\n  - { name: m, roles: [agent, approver], groups: [finance], secret: S }\n", /user 1 \(`m`\): the `agent` role .* cannot be combined with `approver`, or it could approve its own requests; give the service and the person separate users/],
    ["one name twice, in two cases", "users:\n  - { name: Ann, roles: [viewer], secret: S }\n  - { name: ann, roles: [admin], secret: S }\n", /the name `ann` appears twice/],
  ])("refuses %s", async (_n, text, why) => {
    const h = await hash;
    expect(() => Users.fromText(text.replace(/\bS\b/g, JSON.stringify(h)), "users.yaml")).toThrow(UsersError);
    expect(() => Users.fromText(text.replace(/\bS\b/g, JSON.stringify(h)), "users.yaml")).toThrow(why);
  });

  it("concurrent checks of one credential share one scrypt run; a wrong secret is never remembered", async () => {
    const users = Users.fromText(`users:\n  - { name: svc, roles: [agent], secret: ${JSON.stringify(await hash)} }\n`, "u");
    const all = await Promise.all(Array.from({ length: 20 }, () => users.authenticate("svc", "x")));
    expect(all[0]).toMatchObject({ name: "svc", roles: ["agent"] });
    expect(new Set(all).size).toBe(1);
    expect(await users.authenticate("SVC", "x")).toBe(all[0]);
    expect(await users.authenticate("svc", "y")).toBeUndefined();
    expect(await users.authenticate("nobody", "x")).toBeUndefined();
  });
});
