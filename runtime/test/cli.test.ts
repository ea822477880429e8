// The runtime's CLI commands through cli/main.ts: `pol audit verify` (intact, edited, by
// directory, nothing to verify), `pol approvals list|show|approve|reject` and `pol pause|resume`
// against a real store file an Engine wrote, including the engine seeing CLI changes.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { main } from "../../cli/main.js";
import { FakeClock, harness, refund, tempDir } from "./helpers.js";

async function pol(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "", colorOut: false, colorErr: false };
  const code = await main(args, io);
  return { code, out, err };
}

describe("pol audit verify", () => {
  it("exits 0 with the count for an intact log, by file or directory", async () => {
    const h = await harness();
    for (let i = 0; i < 3; i++) await h.engine.decide(refund(10 + i));
    await h.engine.close();
    const byFile = await pol("audit", "verify", h.audit);
    expect(byFile).toMatchObject({ code: 0, out: "audit chain intact: 4 records in 1 file\n" });
    expect((await pol("audit", "verify", h.dir)).code).toBe(0);
    const json = JSON.parse((await pol("audit", "verify", h.audit, "--format", "json")).out);
    expect(json).toMatchObject({ ok: true, count: 4 });
  });

  it("exits 1 naming the first broken record and why", async () => {
    const h = await harness();
    for (let i = 0; i < 3; i++) await h.engine.decide(refund(10 + i));
    await h.engine.close();
    const lines = readFileSync(h.audit, "utf8").split("\n");
    lines[2] = lines[2]!.replace('"amount":11', '"amount":1');
    writeFileSync(h.audit, lines.join("\n"));
    const r = await pol("audit", "verify", h.audit);
    expect(r.code).toBe(1);
    expect(r.err).toBe("audit chain broken at audit.jsonl:3 (record 3): record 3 was edited: its hash does not match its contents\n");
  });

  it("exits 2 when there is nothing to verify", async () => {
    const r = await pol("audit", "verify", join(tempDir(), "none.jsonl"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: no audit log at /);
  });
});

describe("pol approvals", () => {
  it("lists, shows and resolves approvals an engine requested; the engine then uses them", async () => {
    // the CLI reads the real clock, so the engine's approvals must be live in real time
    const h = await harness({ clock: new FakeClock(Date.now()) });
    const a = (await h.engine.decide(refund(120))).approval!;
    const b = (await h.engine.decide(refund(130))).approval!;
    const list = await pol("approvals", "list", "--store", h.store, "--status", "pending");
    expect(list.code).toBe(0);
    expect(list.out.split("\n").filter(Boolean).map((l) => l.split(" ")[0])).toEqual([a, b]);
    expect(list.out).toContain("pending   refund  agent bot  approvers finance");
    const show = await pol("approvals", "show", a, "--store", h.store);
    expect(show.out).toContain(`approval  ${a}`);
    expect(show.out).toContain('"amount": 120');
    // The same rule as the Engine API: the agent cannot approve its own request, in any case, and
    // an approval naming groups needs a resolver acting for one of them.
    expect(await pol("approvals", "approve", a, "--store", h.store, "--by", "BOT", "--group", "finance")).toMatchObject({ code: 1, err: "error: `BOT` cannot resolve a request made by agent `bot` (its own)\n" });
    expect(await pol("approvals", "approve", a, "--store", h.store, "--by", "alice")).toMatchObject({ code: 1, err: `error: approval \`${a}\` needs an approver from \`finance\`: pass --group with the group you approve for\n` });
    expect(await pol("approvals", "approve", a, "--store", h.store, "--by", "alice", "--group", "support")).toMatchObject({ code: 1, err: "error: `alice` is not in approver group `finance`\n" });
    expect((await pol("approvals", "approve", a, "--store", h.store, "--by", "alice", "--group", "finance", "--note", "ok"))).toMatchObject({ code: 0, out: `${a} approved by alice\n` });
    expect((await pol("approvals", "reject", b, "--store", h.store, "--by", "bob", "--group", "finance")).code).toBe(0);
    const again = await pol("approvals", "approve", a, "--store", h.store, "--by", "alice", "--group", "finance");
    expect(again.code).toBe(1);
    expect(again.err).toBe(`error: approval \`${a}\` is approved, not pending\n`);
    expect((await pol("approvals", "show", "apr_nope", "--store", h.store)).code).toBe(1);
    const json = JSON.parse((await pol("approvals", "list", "--store", h.store, "--format", "json", "--group", "finance")).out) as { status: string }[];
    expect(json.map((x) => x.status)).toEqual(["approved", "rejected"]);
    expect(await h.engine.decide(refund(120))).toMatchObject({ effect: "allow", approval: a });
    await h.engine.close();
  });

  it("refuses a missing store instead of creating one", async () => {
    const r = await pol("approvals", "list", "--store", join(tempDir(), "typo.db"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: no store at `.*typo\.db`\n$/);
  });
});

describe("pol pause and resume", () => {
  it("pause, list and resume by pattern, id and class", async () => {
    const h = await harness();
    expect((await pol("pause", "refund", "--store", h.store, "--reason", "incident 42", "--by", "sre")).out).toMatch(/^paused: pause-1  `refund`  incident 42  \(by sre, /);
    expect((await pol("pause", "--class", "destructive", "--store", h.store, "--reason", "no deletes")).code).toBe(0);
    const listed = await pol("pause", "--store", h.store);
    expect(listed.out.split("\n").filter(Boolean).map((l) => l.split("  ").slice(0, 2).join(" "))).toEqual(["pause-1 `refund`", "pause-2 destructive tools"]);
    expect((await h.engine.decide(refund(10))).decidedBy).toBe("pause");
    expect((await h.engine.decide({ tool: "wipe", args: { table: "t" }, agent: { id: "bot" } })).decidedBy).toBe("pause");
    expect((await pol("resume", "pause-1", "--store", h.store)).out).toMatch(/^resumed: pause-1 /);
    expect((await pol("resume", "--class", "destructive", "--store", h.store)).code).toBe(0);
    expect((await pol("pause", "--store", h.store)).out).toBe("nothing is paused\n");
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    const none = await pol("resume", "refund", "--store", h.store);
    expect(none).toMatchObject({ code: 1, err: "error: no pause has id or pattern `refund`\n" });
    const bad = await pol("pause", "--class", "huge", "--store", h.store);
    expect(bad).toMatchObject({ code: 2, err: "error: option '--class <class>' argument 'huge' is invalid. Allowed choices are read, write, destructive.\n" });
    await h.engine.close();
  });
});

describe("pol trust", () => {
  it("shows a revoked agent and restores it; the engine allows again on its next decision", async () => {
    const h = await harness();
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    await h.engine.report("bot", { delta: -100 });
    expect((await h.engine.decide(refund(10))).effect).toBe("deny");
    const shown = await pol("trust", "bot", "--store", h.store);
    expect(shown).toMatchObject({ code: 0, out: "bot: trust 0, revoked (every call denied until restored)\n" });
    const restored = await pol("trust", "restore", "bot", "--store", h.store);
    expect(restored).toMatchObject({ code: 0, out: "bot: trust 80, trusted\n" });
    expect(JSON.parse((await pol("trust", "show", "bot", "--store", h.store, "--format", "json")).out)).toMatchObject({ agentId: "bot", score: 80, revoked: false });
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    await h.engine.close();
  });

  it("refuses a score out of range and a missing store", async () => {
    expect((await pol("trust", "restore", "bot", "--store", "x.db", "--score", "0")).code).toBe(2);
    expect((await pol("trust", "bot", "--store", join(tempDir(), "none.db"))).err).toMatch(/no store at/);
  });
});
