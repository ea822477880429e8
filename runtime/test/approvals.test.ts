// Approvals through the Engine: binding to the exact call, single use, expiry into a deny,
// persistence across a restart, reuse of a pending request, who may resolve, waiting (locally
// and across connections) and change notifications. Real SQLite files, real JSONL logs.

import { describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/index.js";
import { EngineError } from "../engine-types.js";
import { openSqliteStore, type ApprovalChange } from "../store/index.js";
import { harness, MINUTE, records, refund, sleep } from "./helpers.js";

describe("an approval", () => {
  it("is bound to the exact call: other args, agent or run are not authorised", async () => {
    const h = await harness();
    const first = await h.engine.decide(refund(120));
    expect(first).toMatchObject({ effect: "approve", decidedBy: "rule", rule: "mid_refund", approvers: ["finance"] });
    expect(first.approval).toMatch(/^apr_/);
    await h.engine.approvals.resolve(first.approval!, { approve: true, by: "alice" });
    const bigger = await h.engine.decide(refund(290));
    expect(bigger.effect).toBe("approve");
    expect(bigger.approval).not.toBe(first.approval);
    const otherAgent = await h.engine.decide(refund(120, "other-bot"));
    expect(otherAgent.effect).toBe("approve");
    const otherRun = await h.engine.decide({ ...refund(120), run: { id: "run-2" } });
    expect(otherRun.effect).toBe("approve");
    const extraNote = await h.engine.decide(refund(120, "bot", { note: "x" }));
    expect(extraNote.effect).toBe("approve");
    const same = await h.engine.decide(refund(120));
    expect(same).toMatchObject({ effect: "allow", decidedBy: "approval", rule: "mid_refund", approval: first.approval });
    expect(same.reasons[0]).toBe(`approval \`${first.approval}\` granted by alice`);
    await h.engine.close();
    const used = records(h.audit).find((r) => r["id"] === same.id)!;
    expect(used).toMatchObject({ approval: first.approval, approvedBy: "alice", callHash: records(h.audit).find((r) => r["id"] === first.id)!["callHash"] });
  });

  it("is single use", async () => {
    const h = await harness();
    const a = (await h.engine.decide(refund(100))).approval!;
    await h.engine.approvals.resolve(a, { approve: true, by: "alice" });
    expect((await h.engine.decide(refund(100))).effect).toBe("allow");
    const again = await h.engine.decide(refund(100));
    expect(again.effect).toBe("approve");
    expect(again.approval).not.toBe(a);
    expect((await h.engine.approvals.get(a))!.status).toBe("consumed");
    await h.engine.close();
  });

  it("expires after the timeout into a deny, pending or granted", async () => {
    const h = await harness({ approvalTimeoutMs: 15 * MINUTE });
    const pending = (await h.engine.decide(refund(100))).approval!;
    h.clock.advance(15 * MINUTE);
    expect((await h.engine.approvals.get(pending))!.status).toBe("expired");
    await expect(h.engine.approvals.resolve(pending, { approve: true, by: "alice" })).rejects.toThrow(`approval \`${pending}\` is expired, not pending`);
    const granted = (await h.engine.decide(refund(100))).approval!;
    expect(granted).not.toBe(pending);
    await h.engine.approvals.resolve(granted, { approve: true, by: "alice" });
    h.clock.advance(15 * MINUTE + 1);
    const late = await h.engine.decide(refund(100));
    expect(late.effect).toBe("approve");
    expect(late.approval).not.toBe(granted);
    const guarded = h.engine.guard("refund", () => "refunded", { waitMs: 5_000 });
    const stop = h.engine.approvals.onChange((c) => {
      if (c.type === "created") setTimeout(() => h.clock.advance(16 * MINUTE), 10);
    });
    await expect(guarded({ amount: 99, customer: "cus_1" }, { agent: { id: "bot" } })).rejects.toThrow(/approval `apr_\w+` expired at 2025-01-01T09:[\d:.]+Z before anyone granted it/);
    stop();
    await h.engine.close();
    expect(records(h.audit).filter((r) => r["type"] === "outcome").map((r) => r["status"])).toEqual(["not-run"]);
  });

  it("survives a restart while pending, then authorises the call in the new process", async () => {
    const h = await harness();
    const d = await h.engine.decide(refund(200));
    await h.engine.close();
    const h2 = await harness({ dir: h.dir, clock: h.clock });
    const listed = await h2.engine.approvals.list({ status: "pending" });
    expect(listed.map((a) => a.id)).toEqual([d.approval]);
    expect(listed[0]).toMatchObject({ tool: "refund", agentId: "bot", runId: "run-1", groups: ["finance"], decisionId: d.id, call: { tool: "refund", args: { amount: 200, customer: "cus_1" }, agent: "bot" } });
    await h2.engine.approvals.resolve(d.approval!, { approve: true, by: "alice", note: "ok" });
    expect(await h2.engine.decide(refund(200))).toMatchObject({ effect: "allow", approval: d.approval });
    await h2.engine.close();
    expect(await verifyAudit(h.audit)).toMatchObject({ ok: true, count: 5 }); // start, approve, start, approved, allow
  });

  it("is reused while pending instead of piling up duplicates", async () => {
    const h = await harness();
    const a = await h.engine.decide(refund(150));
    const b = await h.engine.decide(refund(150));
    expect(b.approval).toBe(a.approval);
    expect(await h.engine.approvals.list({ status: "pending" })).toHaveLength(1);
    await h.engine.close();
  });

  it("charges limits when the granted call is allowed, not when it is requested", async () => {
    const h = await harness();
    const usage = () => h.engine.store.limits.usage("refund_sum|agent=bot", 86_400_000, h.clock.now());
    const a = (await h.engine.decide(refund(120))).approval!;
    expect(await usage()).toBe(0);
    await h.engine.approvals.resolve(a, { approve: true, by: "alice" });
    expect(await usage()).toBe(0);
    await h.engine.decide(refund(120));
    expect(await usage()).toBe(120);
    await h.engine.close();
  });
});

describe("resolving", () => {
  it("refuses an agent approving its own request", async () => {
    const h = await harness();
    const a = (await h.engine.decide(refund(120))).approval!;
    const err = await h.engine.approvals.resolve(a, { approve: true, by: "bot" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe("`bot` cannot resolve a request made by agent `bot` (its own)");
    // Names compare as people read them: case, outer spaces and compatibility forms do not help.
    for (const by of ["BOT", " Bot ", "\uFF42\uFF4F\uFF54"]) {
      await expect(h.engine.approvals.resolve(a, { approve: true, by })).rejects.toThrow(/cannot resolve a request made by agent `bot` \(its own\)/);
    }
    expect((await h.engine.approvals.get(a))!.status).toBe("pending");
    await h.engine.close();
  });

  it("refuses whoever sent the call, and gives another sender's repeat an approval of its own", async () => {
    const h = await harness();
    const d = await h.engine.decide(refund(120), { requestedBy: "svc-billing" });
    expect(d.effect).toBe("approve");
    expect(await h.engine.approvals.get(d.approval!)).toMatchObject({ requestedBy: "svc-billing", status: "pending" });
    // The same sender's repeat shares the approval; another sender's does not, so each names one requester.
    expect((await h.engine.decide(refund(120), { requestedBy: "svc-billing" })).approval).toBe(d.approval);
    const other = await h.engine.decide(refund(120), { requestedBy: "svc-other" });
    expect(other.approval).not.toBe(d.approval);
    expect((await h.engine.approvals.get(other.approval!))!.requestedBy).toBe("svc-other");
    for (const by of ["svc-billing", "SVC-Billing "]) {
      await expect(h.engine.approvals.resolve(d.approval!, { approve: true, by })).rejects.toThrow("sent the call this approval waits on, and nobody approves their own request");
    }
    // The other sender may approve the first sender's request, and that grant lets the call through for either.
    await h.engine.approvals.resolve(d.approval!, { approve: true, by: "svc-other" });
    expect((await h.engine.decide(refund(120), { requestedBy: "svc-billing" })).effect).toBe("allow");
    await h.engine.close();
  });

  it("a sender who approved another sender's card of the same call does not get through on it", async () => {
    const h = await harness();
    const mine = await h.engine.decide(refund(120), { requestedBy: "x" });
    const theirs = await h.engine.decide(refund(120), { requestedBy: "y" });
    // x may approve y's card (x did not send it)...
    await h.engine.approvals.resolve(theirs.approval!, { approve: true, by: "X" });
    // ...but x's own call still waits on x's own card; y's goes through on the grant.
    expect(await h.engine.decide(refund(120), { requestedBy: "x" })).toMatchObject({ effect: "approve", approval: mine.approval });
    expect(await h.engine.decide(refund(120), { requestedBy: "y" })).toMatchObject({ effect: "allow", decidedBy: "approval", approval: theirs.approval });
    expect((await h.engine.approvals.get(mine.approval!))!.status).toBe("pending");
    await h.engine.close();
  });

  it("a sender whose own card someone else approved goes through on it, though the call's oldest grant is one the sender gave", async () => {
    const h = await harness();
    const theirs = await h.engine.decide(refund(60), { requestedBy: "y" });
    const mine = await h.engine.decide(refund(60), { requestedBy: "x" });
    await h.engine.approvals.resolve(theirs.approval!, { approve: true, by: "x" });
    await h.engine.approvals.resolve(mine.approval!, { approve: true, by: "z" });
    expect(await h.engine.decide(refund(60), { requestedBy: "x" })).toMatchObject({ effect: "allow", decidedBy: "approval", approval: mine.approval });
    expect((await h.engine.approvals.get(theirs.approval!))!.status).toBe("approved");
    await h.engine.close();
  });

  it("denies a call whose decide options cannot be read, saying which option", async () => {
    const h = await harness();
    const throwing = { get requestedBy(): string { throw new Error("boom"); } };
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error("trap"); }, getOwnPropertyDescriptor: () => { throw Object.create(null); } });
    for (const [i, options] of [{ requestedBy: "" }, { requestedBy: 7 }, { requestedBy: "x".repeat(257) }, { requestedBy: "\uD800" }, null, "svc", throwing, proxy].entries()) {
      const d = await h.engine.decide(refund(120), options as never);
      expect(d.effect, `options ${i}`).toBe("deny");
      expect(d.decidedBy).toBe("error");
      expect(d.reasons[0]).toMatch(/^decide's (`requestedBy` must be a non-empty string of at most 256 characters|options must be an object|options could not be read \(reading `requestedBy` threw\)), so the call is denied$/);
    }
    expect(await h.engine.approvals.list()).toEqual([]);
    await h.engine.close();
  });

  it("checks group membership when the resolver's groups are known", async () => {
    const groups: Record<string, string[]> = { alice: ["finance"], bob: ["support"] };
    const h = await harness({ hooks: { approverGroups: (by) => groups[by] ?? [] } });
    const a = (await h.engine.decide(refund(120))).approval!;
    await expect(h.engine.approvals.resolve(a, { approve: true, by: "bob" })).rejects.toThrow("`bob` is not in approver group `finance`");
    await expect(h.engine.approvals.resolve(a, { approve: true, by: "carol", groups: ["ops"] })).rejects.toThrow("`carol` is not in approver group `finance`");
    const ok = await h.engine.approvals.resolve(a, { approve: false, by: "alice", note: "no" });
    expect(ok).toMatchObject({ status: "rejected", resolvedBy: "alice", note: "no" });
    expect(await h.engine.approvals.list({ group: "finance", status: "rejected" })).toHaveLength(1);
    expect(await h.engine.approvals.list({ group: "support" })).toHaveLength(0);
    await h.engine.close();
    expect(records(h.audit).find((r) => r["event"] === "approval.rejected")).toMatchObject({ approval: a, by: "alice", note: "no", tool: "refund", agent: "bot" });
  });
});

describe("waiting and notifications", () => {
  it("wakes a waiter on a local resolution and times out while pending", async () => {
    const h = await harness({ approvalPollMs: 10_000 });
    const a = (await h.engine.decide(refund(120))).approval!;
    expect((await h.engine.approvals.wait(a, 30)).status).toBe("pending");
    const started = performance.now();
    setTimeout(() => void h.engine.approvals.resolve(a, { approve: true, by: "alice" }), 20);
    expect((await h.engine.approvals.wait(a, 5_000)).status).toBe("approved");
    // the poll interval is 10 s: only the change notification can explain a prompt wake-up
    expect(performance.now() - started).toBeLessThan(2_000);
    await h.engine.close();
  });

  it("sees a resolution made through another connection to the store file", async () => {
    const h = await harness({ approvalPollMs: 20 });
    const a = (await h.engine.decide(refund(120))).approval!;
    const other = await openSqliteStore(h.store);
    setTimeout(() => void other.approvals.resolve(a, { approve: false, by: "cli-user", note: "nope" }, h.clock.now()), 30);
    const got = await h.engine.approvals.wait(a, 5_000);
    expect(got).toMatchObject({ status: "rejected", resolvedBy: "cli-user" });
    await other.close();
    await h.engine.close();
  });

  it("notifies created, resolved and consumed changes", async () => {
    const h = await harness();
    const seen: string[] = [];
    const stop = h.engine.approvals.onChange((c: ApprovalChange) => seen.push(`${c.type}:${c.approval.status}`));
    const a = (await h.engine.decide(refund(120))).approval!;
    await h.engine.approvals.resolve(a, { approve: true, by: "alice" });
    await h.engine.decide(refund(120));
    stop();
    await h.engine.decide(refund(121));
    expect(seen).toEqual(["created:pending", "resolved:approved", "consumed:consumed"]);
    await h.engine.close();
  });

  it("throws a closed error to waiters when the engine closes", async () => {
    const h = await harness();
    const a = (await h.engine.decide(refund(120))).approval!;
    const waiting = h.engine.approvals.wait(a, 60_000).catch((e: unknown) => e);
    await sleep(10);
    await h.engine.close();
    const err = await waiting;
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe("the engine closed while waiting for an approval");
  });
});
