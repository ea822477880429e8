// The kill switch and trust through the Engine: pauses by pattern and class (undeclared tools
// count as destructive), persistence, effect on the very next decision also when another process
// pauses through the CLI, trust revocation and restore, the minimum for writes, outcome reports,
// and trust changed by another connection. Real SQLite files and JSONL logs.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/index.js";
import { harness, OPEN, records, refund, ROOT } from "./helpers.js";

const run = promisify(execFile);
const pol = (...args: string[]) => run(process.execPath, ["bin/pol.js", ...args], { cwd: ROOT });
const lookup = (agent = "bot") => ({ tool: "lookup", args: { id: "cus_1" }, agent: { id: agent } });

describe("pauses", () => {
  it("deny calls matching a pattern, with the pause's reason, until resumed", async () => {
    const h = await harness();
    const p = await h.engine.pause("ref*", "refund fraud investigation", "ops-oncall");
    const d = await h.engine.decide(refund(10));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "pause", pause: p.id, rule: "small_refund" });
    expect(d.reasons).toEqual([`\`refund\` is paused: refund fraud investigation (${p.id}, pausing \`ref*\`, by ops-oncall)`]);
    expect((await h.engine.decide(lookup())).effect).toBe("allow");
    await h.engine.resume("ref*");
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    await h.engine.pause("*", "everything stops");
    expect((await h.engine.decide(lookup())).decidedBy).toBe("pause");
    await h.engine.close();
    const events = records(h.audit).filter((r) => r["type"] === "admin").map((r) => r["event"]);
    expect(events).toEqual(["engine.start", "pause", "resume", "pause"]);
  });

  it("by class cover that class and more dangerous ones; undeclared tools count as destructive", async () => {
    const h = await harness({ policy: OPEN });
    const call = (tool: string, args: Record<string, unknown>) => h.engine.decide({ tool, args, agent: { id: "bot" } });
    await h.engine.pause({ class: "destructive" }, "no deletes today");
    expect((await call("drop", { table: "t" })).decidedBy).toBe("pause");
    expect((await call("github.delete_repo", {})).decidedBy).toBe("pause");
    expect((await call("spend", { amount: 1 })).effect).toBe("allow");
    await h.engine.pause({ class: "write" }, "freeze");
    expect((await call("spend", { amount: 1 })).decidedBy).toBe("pause");
    expect((await call("ping", { n: 1 })).effect).toBe("allow");
    const lifted = await h.engine.resume({ class: "write" });
    expect(lifted.map((p) => p.toolClass)).toEqual(["write"]);
    expect((await call("spend", { amount: 1 })).effect).toBe("allow");
    await expect(h.engine.resume({ class: "read" })).rejects.toThrow("no pause has class read");
    await h.engine.close();
  });

  it("persist across a restart", async () => {
    const h = await harness();
    await h.engine.pause({ pattern: "refund", class: "write" }, "audit in progress");
    await h.engine.close();
    const h2 = await harness({ dir: h.dir });
    expect((await h2.engine.paused()).map((p) => p.reason)).toEqual(["audit in progress"]);
    expect((await h2.engine.decide(refund(10))).decidedBy).toBe("pause");
    await h2.engine.close();
  });

  it("take effect on the next decision when another process pauses through the CLI", async () => {
    const h = await harness();
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    const out = await pol("pause", "refund", "--store", h.store, "--reason", "chargeback spike", "--by", "sre");
    expect(out.stdout).toContain("paused: pause-1  `refund`  chargeback spike");
    const d = await h.engine.decide(refund(10));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "pause", pause: "pause-1" });
    expect(d.reasons[0]).toContain("chargeback spike");
    await pol("resume", "refund", "--store", h.store);
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    await pol("pause", "--class", "write", "--store", h.store);
    expect((await h.engine.decide(refund(10))).decidedBy).toBe("pause");
    expect((await h.engine.decide(lookup())).effect).toBe("allow");
    await h.engine.close();
  }, 60_000);
});

describe("trust", () => {
  it("revokes at 0: every call is denied, reads too, until an operator restores it", async () => {
    const h = await harness();
    const after = await h.engine.report("rogue", { delta: -100, reason: "exfiltration attempt" });
    expect(after).toMatchObject({ score: 0, revoked: true, level: "revoked" });
    const d = await h.engine.decide(lookup("rogue"));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "trust", trust: 0 });
    expect(d.reasons).toEqual(["agent `rogue` is revoked (trust 0): every call is denied until an operator restores it"]);
    await h.engine.report("rogue", "success");
    expect((await h.engine.trust("rogue")).revoked).toBe(true);
    const restored = await h.engine.restoreTrust("rogue", { by: "sec-team" });
    expect(restored).toMatchObject({ score: 80, revoked: false, level: "trusted" });
    expect((await h.engine.decide(lookup("rogue"))).effect).toBe("allow");
    await h.engine.close();
    expect(records(h.audit).filter((r) => r["type"] === "admin").map((r) => r["event"])).toEqual(["engine.start", "trust.report", "trust.report", "trust.restore"]);
  });

  it("below the minimum turns allowed writes into approvals naming the score; reads stay allowed", async () => {
    const h = await harness({ trust: { minimum: 50, approvers: ["security"] } });
    await h.engine.store.trust.set("shaky", 40, h.clock.now());
    const d = await h.engine.decide(refund(10, "shaky"));
    expect(d).toMatchObject({ effect: "approve", decidedBy: "trust", rule: "small_refund", approvers: ["security"], trust: 40 });
    expect(d.reasons).toEqual(["agent `shaky` has trust 40, below the minimum 50 for write and destructive tools, so a human must approve"]);
    expect((await h.engine.decide(lookup("shaky"))).effect).toBe("allow");
    await h.engine.approvals.resolve(d.approval!, { approve: true, by: "alice" });
    expect(await h.engine.decide(refund(10, "shaky"))).toMatchObject({ effect: "allow", decidedBy: "approval" });
    await h.engine.close();
  });

  it("moves with reported outcomes by the configured amounts, clamped to [0, 100]", async () => {
    const h = await harness({ trust: { reward: 2, penalty: 7, rejectedPenalty: 11 } });
    await h.engine.store.trust.set("a", 50, h.clock.now());
    expect((await h.engine.report("a", "success")).score).toBe(52);
    expect((await h.engine.report("a", "error")).score).toBe(45);
    expect((await h.engine.report("a", "rejected")).score).toBe(34);
    expect((await h.engine.report("a", { delta: 500 })).score).toBe(100);
    expect((await h.engine.report("a", "success")).score).toBe(100);
    await expect(h.engine.report("a", "bogus" as never)).rejects.toThrow("unknown trust outcome `bogus`");
    await h.engine.close();
  });

  it("can charge policy denials when configured", async () => {
    const h = await harness({ trust: { deniedPenalty: 5 } });
    await h.engine.decide(refund(1000, "greedy"));
    await h.engine.decide(refund(1000, "greedy"));
    await h.engine.decide({ tool: "refund", args: { amount: "x" }, agent: { id: "greedy" } });
    expect((await h.engine.trust("greedy")).score).toBe(90);
    await h.engine.close();
  });

  it("changed by another connection applies to the next decision", async () => {
    const h = await harness();
    expect((await h.engine.decide(lookup("bot"))).effect).toBe("allow");
    const other = await openSqliteStore(h.store);
    await other.trust.set("bot", 0, h.clock.now());
    expect((await h.engine.decide(lookup("bot"))).decidedBy).toBe("trust");
    await other.trust.restore("bot", 30, h.clock.now());
    const d = await h.engine.decide(refund(5, "bot"));
    expect(d).toMatchObject({ effect: "approve", decidedBy: "trust", trust: 30 });
    await other.close();
    await h.engine.close();
  });
});
