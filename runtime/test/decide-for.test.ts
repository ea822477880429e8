// engine.decideFor(callId, call) and engine.waitForCall: a repeat of a call id returns the same
// decision without a second limit charge or audit record; a granted approval turns the repeat
// into the allow that uses it, a rejected or expired one into an audited deny naming why; a
// reused id with another call is denied; the memory is bounded by count and age. Real SQLite
// files and JSONL logs; the audit chain is verified at the end of each case that writes one.

import { describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/index.js";
import { harness, HOUR, MINUTE, records, refund } from "./helpers.js";

const kinds = (audit: string) => records(audit).map((r) => `${r["type"]}:${r["effect"] ?? r["event"] ?? r["status"]}`);

describe("decideFor", () => {
  it("returns the same allow for a repeated id, charging limits once and auditing once", async () => {
    const h = await harness();
    const first = await h.engine.decideFor("call_1", refund(40));
    const again = await h.engine.decideFor("call_1", refund(40));
    expect(first).toMatchObject({ effect: "allow", rule: "small_refund" });
    expect(again).toEqual(first);
    // refund_sum allows 200 a day: 40 charged once leaves 160, so four more 40s fit and a fifth does not.
    for (let i = 0; i < 4; i++) expect((await h.engine.decide(refund(40))).effect).toBe("allow");
    expect((await h.engine.decide(refund(40))).decidedBy).toBe("limit");
    await h.engine.close();
    expect(kinds(h.audit).filter((k) => k === "decision:allow")).toHaveLength(5);
    // The framework's id is in the record decideFor made, and only there: the log joins the framework's traces.
    expect(records(h.audit).filter((r) => r["type"] === "decision").map((r) => r["callId"])).toEqual(["call_1", undefined, undefined, undefined, undefined, undefined]);
    expect((await verifyAudit(h.audit)).ok).toBe(true);
  });

  it("decides an id afresh once the tool has run on its allow, charging its limits again", async () => {
    const h = await harness();
    const ids = new Set<string>();
    // refund_sum allows 200 a day: an id repeated after each run is charged each time, four 50s fit.
    for (let i = 0; i < 4; i++) {
      const d = await h.engine.decideFor("call_r", refund(50));
      expect(d).toMatchObject({ effect: "allow" });
      // Without an outcome the repeat is the same decision, as before.
      expect(await h.engine.decideFor("call_r", refund(50))).toEqual(d);
      ids.add(d.id);
      // The guards record an outcome when the tool has run: that allow is used.
      await h.engine.recordOutcome({ decision: d.id, tool: "refund", agent: "bot", run: "run-1", status: "succeeded" });
    }
    expect(ids.size).toBe(4);
    expect(await h.engine.decideFor("call_r", refund(50))).toMatchObject({ effect: "deny", decidedBy: "limit" });
    // A used id may carry another call: decided as a new one, not refused as reused.
    const used = await h.engine.decideFor("call_s", refund(10, "bot2"));
    await h.engine.recordOutcome({ decision: used.id, tool: "refund", agent: "bot2", run: "run-1", status: "succeeded" });
    expect(await h.engine.decideFor("call_s", refund(20, "bot2"))).toMatchObject({ effect: "allow", decidedBy: "rule" });
    await h.engine.close();
    expect(kinds(h.audit).filter((k) => k.startsWith("decision:"))).toEqual([
      "decision:allow", "decision:allow", "decision:allow", "decision:allow", "decision:deny", "decision:allow", "decision:allow",
    ]);
    expect((await verifyAudit(h.audit)).ok).toBe(true);
  });

  it("lets one execution claim an allow: a second claim fails, and deciding again charges anew", async () => {
    const h = await harness();
    const d = await h.engine.decideFor("call_c", refund(50));
    expect(h.engine.claimAllow(d.id)).toBe(true);
    expect(h.engine.claimAllow(d.id)).toBe(false);
    const again = await h.engine.decideFor("call_c", refund(50));
    expect(again.id).not.toBe(d.id);
    expect(h.engine.claimAllow(again.id)).toBe(true);
    await h.engine.close();
    expect(kinds(h.audit).filter((k) => k.startsWith("decision:"))).toEqual(["decision:allow", "decision:allow"]);
  });

  it("turns a granted approval into the allow that uses it, once", async () => {
    const h = await harness();
    const asked = await h.engine.decideFor("call_2", refund(120));
    expect(asked).toMatchObject({ effect: "approve", approvers: ["finance"], approval: expect.stringMatching(/^apr_/) });
    expect(await h.engine.decideFor("call_2", refund(120))).toEqual(asked);
    await h.engine.approvals.resolve(asked.approval!, { approve: true, by: "alice" });
    const allowed = await h.engine.decideFor("call_2", refund(120));
    expect(allowed).toMatchObject({ effect: "allow", decidedBy: "approval", approval: asked.approval });
    expect(await h.engine.decideFor("call_2", refund(120))).toEqual(allowed);
    expect((await h.engine.approvals.get(asked.approval!))!.status).toBe("consumed");
    // Another id for the same call finds no grant left: it asks again.
    expect(await h.engine.decideFor("call_3", refund(120))).toMatchObject({ effect: "approve" });
    await h.engine.close();
    expect(kinds(h.audit)).toEqual(["admin:engine.start", "decision:approve", "admin:approval.approved", "decision:allow", "decision:approve"]);
    expect((await verifyAudit(h.audit)).ok).toBe(true);
  });

  it("denies a rejected approval with the approver's note, once, and costs trust once", async () => {
    const h = await harness();
    await h.engine.store.trust.set("bot", 90, h.clock.now());
    const asked = await h.engine.decideFor("call_4", refund(150));
    await h.engine.approvals.resolve(asked.approval!, { approve: false, by: "bob", note: "duplicate refund" });
    const denied = await h.engine.decideFor("call_4", refund(150));
    expect(denied).toMatchObject({ effect: "deny", decidedBy: "approval", approval: asked.approval, reasons: [`approval \`${asked.approval}\` was rejected by bob: duplicate refund`] });
    expect(await h.engine.decideFor("call_4", refund(150))).toEqual(denied);
    expect((await h.engine.trust("bot")).score).toBe(80);
    await h.engine.close();
    const outcome = records(h.audit).find((r) => r["type"] === "outcome")!;
    expect(outcome).toMatchObject({ decision: asked.id, status: "not-run", tool: "refund", agent: "bot", run: "run-1", trustDelta: -10 });
    expect(kinds(h.audit)).toEqual(["admin:engine.start", "decision:approve", "admin:approval.rejected", "decision:deny", "outcome:not-run"]);
    expect((await verifyAudit(h.audit)).ok).toBe(true);
  });

  it("denies an expired approval naming when it expired", async () => {
    const h = await harness({ approvalTimeoutMs: 10 * MINUTE });
    const asked = await h.engine.decideFor("call_5", refund(150));
    h.clock.advance(11 * MINUTE);
    const denied = await h.engine.decideFor("call_5", refund(150));
    expect(denied.effect).toBe("deny");
    expect(denied.reasons[0]).toBe(`approval \`${asked.approval}\` expired at 2025-01-01T09:10:00.000Z before anyone granted it`);
    await h.engine.close();
  });

  it("denies an id reused for a different call, and leaves the first decision in place", async () => {
    const h = await harness();
    const first = await h.engine.decideFor("call_6", refund(20));
    const other = await h.engine.decideFor("call_6", refund(25));
    expect(other).toMatchObject({ effect: "deny", decidedBy: "schema", reasons: ["call id `call_6` was reused for a different call"] });
    expect(await h.engine.decideFor("call_6", refund(20))).toEqual(first);
    await h.engine.close();
    const denial = records(h.audit).find((r) => r["id"] === other.id)!;
    expect(denial).toMatchObject({ type: "decision", tool: "refund", agent: "bot", args: { amount: 25 }, effect: "deny" });
  });

  it("refuses ids that cannot key a decision and calls that are not JSON", async () => {
    const h = await harness();
    expect((await h.engine.decideFor("", refund(20))).reasons[0]).toMatch(/^the call id must be a non-empty string/);
    expect((await h.engine.decideFor(42 as unknown as string, refund(20))).reasons[0]).toMatch(/got number$/);
    expect((await h.engine.decideFor("x".repeat(1025), refund(20))).effect).toBe("deny");
    const cyclic: Record<string, unknown> = refund(20);
    (cyclic["args"] as Record<string, unknown>)["self"] = cyclic;
    expect((await h.engine.decideFor("call_7", cyclic)).reasons[0]).toBe("the call cannot be matched to call id `call_7`: `args.self.args` is not plain JSON");
    await h.engine.close();
  });

  it("answers concurrent repeats of one id with one decision", async () => {
    const h = await harness();
    const all = await Promise.all([1, 2, 3, 4].map(() => h.engine.decideFor("call_8", refund(30))));
    expect(new Set(all.map((d) => d.id)).size).toBe(1);
    await h.engine.close();
    expect(kinds(h.audit).filter((k) => k.startsWith("decision"))).toEqual(["decision:allow"]);
  });

  it("waits for a call id's approval, and says when there is none", async () => {
    const h = await harness();
    const asked = await h.engine.decideFor("call_9", refund(150));
    const waiting = h.engine.waitForCall("call_9", 5_000);
    await h.engine.approvals.resolve(asked.approval!, { approve: true, by: "alice" });
    expect((await waiting).status).toBe("approved");
    expect((await h.engine.decideFor("call_9", refund(150))).effect).toBe("allow");
    expect((await h.engine.waitForCall("call_9", 0)).status).toBe("consumed");
    await h.engine.decideFor("call_10", refund(10));
    await expect(h.engine.waitForCall("call_10", 0)).rejects.toThrow("call id `call_10` needed no approval (its decision was allow)");
    await expect(h.engine.waitForCall("nope", 0)).rejects.toThrow("no decision is remembered for call id `nope`");
    await h.engine.close();
  });

  it("forgets ids past the count bound, oldest first, and past the age bound", async () => {
    const h = await harness({ callIds: { maxEntries: 2, maxAgeMs: HOUR } });
    const a = await h.engine.decideFor("a", { ...refund(1), run: { id: "r-a" } });
    const b = await h.engine.decideFor("b", { ...refund(1), run: { id: "r-b" } });
    await h.engine.decideFor("c", { ...refund(1), run: { id: "r-c" } });
    expect((await h.engine.decideFor("b", { ...refund(1), run: { id: "r-b" } })).id).toBe(b.id);
    // "a" was forgotten: decided afresh (a new decision, its limits charged again).
    expect((await h.engine.decideFor("a", { ...refund(1), run: { id: "r-a" } })).id).not.toBe(a.id);
    h.clock.advance(HOUR + 1);
    expect((await h.engine.decideFor("b", { ...refund(1), run: { id: "r-b" } })).id).not.toBe(b.id);
    await h.engine.close();
  });

  it("redeems a grant across engines by the exact call, though the new engine never saw the id", async () => {
    const h = await harness();
    const asked = await h.engine.decideFor("call_11", refund(150));
    await h.engine.approvals.resolve(asked.approval!, { approve: true, by: "alice" });
    const other = await harness({ dir: h.dir, clock: h.clock, audit: `${h.dir}/other.jsonl` });
    expect(await other.engine.decideFor("call_11", refund(150))).toMatchObject({ effect: "allow", decidedBy: "approval", approval: asked.approval });
    await other.engine.close();
    await h.engine.close();
  });

  it("rejects bounds that are not positive numbers", async () => {
    await expect(harness({ callIds: { maxEntries: 0 } })).rejects.toThrow("callIds.maxEntries must be a positive number, got `0`");
  });
});
