// engine.guard end to end: allow runs the tool and audits its outcome and side-effect id; deny
// throws PolicyDenied without running it; approve waits (granted, rejected, timed out, closed);
// tool errors are audited, rethrown and cost trust. Real SQLite files and JSONL logs.

import { describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/index.js";
import { PolicyDenied } from "../guard.js";
import { harness, records, sleep } from "./helpers.js";

type RefundArgs = { amount: number; customer: string };

describe("guard", () => {
  it("runs allowed calls and audits the outcome with the side-effect id, rewarding trust", async () => {
    const h = await harness();
    await h.engine.store.trust.set("bot", 90, h.clock.now());
    const refunds: RefundArgs[] = [];
    const refund = h.engine.guard("refund", (args: RefundArgs, info) => {
      refunds.push(args);
      return { id: `re_${refunds.length}`, decision: info.decision.id };
    }, { context: { agent: { id: "bot" }, run: { id: "run-7" } } });
    const r = await refund({ amount: 20, customer: "cus_1" });
    expect(r.id).toBe("re_1");
    expect(refunds).toEqual([{ amount: 20, customer: "cus_1" }]);
    expect((await h.engine.trust("bot")).score).toBe(91);
    await h.engine.close();
    const outcome = records(h.audit).find((x) => x["type"] === "outcome")!;
    expect(outcome).toMatchObject({ decision: r.decision, tool: "refund", agent: "bot", run: "run-7", status: "succeeded", sideEffectId: "re_1", trust: 91, trustDelta: 1 });
    expect(typeof outcome["durationMs"]).toBe("number");
  });

  it("throws PolicyDenied with the reasons and never runs a denied tool", async () => {
    const h = await harness();
    let ran = false;
    const refund = h.engine.guard("refund", () => { ran = true; }, { context: { agent: { id: "bot" } } });
    const err = await refund({ amount: 900, customer: "cus_1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyDenied);
    const denied = err as PolicyDenied;
    expect(denied.reasons).toEqual(["refunds over 300 are never automatic"]);
    expect(denied.message).toBe("the call to `refund` was not allowed: refunds over 300 are never automatic");
    expect(denied.decision).toMatchObject({ effect: "deny", rule: "big_refund" });
    expect(ran).toBe(false);
    await h.engine.close();
  });

  it("decides and executes on one plain copy: a Proxy cannot show $10 to the policy and $100,000 to the tool", async () => {
    const h = await harness();
    const executed: unknown[] = [];
    const refund = h.engine.guard("refund", (args: RefundArgs) => { executed.push(args); return { id: "re_1" }; }, { context: { agent: { id: "bot" } } });
    // The first plain read of `amount` says 10, every later one 100,000 (structuredClone refuses a
    // Proxy, so the old guard fell back to this live object and the tool read 100,000).
    let reads = 0;
    const shifty = new Proxy({ amount: 10, customer: "cus_1" }, {
      get: (t, k) => (k === "amount" ? (reads++ === 0 ? 10 : 100_000) : Reflect.get(t, k)),
    });
    await refund(shifty as unknown as RefundArgs);
    expect(executed).toEqual([{ amount: 10, customer: "cus_1" }]);
    expect(executed[0]).not.toBe(shifty);
    await h.engine.close();
    const decision = records(h.audit).find((r) => r["type"] === "decision")!;
    expect(decision["args"]).toEqual({ amount: 10, customer: "cus_1" });
    expect(decision["effect"]).toBe("allow");
  });

  it("denies, audits and never runs args that are not plain data (a function, an accessor, a class instance)", async () => {
    const h = await harness();
    let ran = 0;
    const refund = h.engine.guard("refund", () => { ran++; }, { context: { agent: { id: "bot" } } });
    const cases: [unknown, RegExp][] = [
      [{ amount: 10, customer: () => "cus_1" }, /`args\.customer` must be a string, found a function/],
      [{ amount: 10, get customer() { return "cus_1"; } }, /`args\.customer` is an accessor property; calls must be plain data/],
      [{ amount: 10, customer: new String("cus_1") }, /`args\.customer` is not plain data \(an instance of a class\)/],
    ];
    for (const [args, reason] of cases) {
      const err = await refund(args as RefundArgs).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyDenied);
      expect((err as PolicyDenied).reasons.join(" ")).toMatch(reason);
    }
    expect(ran).toBe(0);
    await h.engine.close();
    expect(records(h.audit).filter((r) => r["type"] === "decision" && r["effect"] === "deny")).toHaveLength(3);
    expect(await verifyAudit(h.audit)).toMatchObject({ ok: true });
  });

  it("waits for a granted approval, then runs the call once", async () => {
    const h = await harness();
    let runs = 0;
    const refund = h.engine.guard("refund", () => ({ id: `re_${++runs}` }), { context: { agent: { id: "bot" } } });
    const stop = h.engine.approvals.onChange((c) => {
      if (c.type === "created") void h.engine.approvals.resolve(c.approval.id, { approve: true, by: "alice", note: "customer is vip" });
    });
    expect(await refund({ amount: 120, customer: "cus_1" })).toEqual({ id: "re_1" });
    stop();
    await h.engine.close();
    const kinds = records(h.audit).map((r) => `${r["type"]}:${r["effect"] ?? r["event"] ?? r["status"]}`);
    expect(kinds).toEqual(["admin:engine.start", "decision:approve", "admin:approval.approved", "decision:allow", "outcome:succeeded"]);
    expect(runs).toBe(1);
  });

  it("denies a rejected approval with the approver's note and costs trust", async () => {
    const h = await harness();
    const refund = h.engine.guard("refund", () => "never", { context: { agent: { id: "bot" } } });
    const stop = h.engine.approvals.onChange((c) => {
      if (c.type === "created") void h.engine.approvals.resolve(c.approval.id, { approve: false, by: "bob", note: "duplicate refund" });
    });
    const err = (await refund({ amount: 150, customer: "cus_1" }).catch((e: unknown) => e)) as PolicyDenied;
    stop();
    expect(err).toBeInstanceOf(PolicyDenied);
    expect(err.reasons[0]).toMatch(/^approval `apr_\w+` was rejected by bob: duplicate refund$/);
    expect(err.approval).toMatch(/^apr_/);
    expect((await h.engine.trust("bot")).score).toBe(90);
    await h.engine.close();
  });

  it("gives up after waitMs, denying with the reason", async () => {
    const h = await harness();
    const refund = h.engine.guard("refund", () => "never", { context: { agent: { id: "bot" } }, waitMs: 60 });
    const err = (await refund({ amount: 150, customer: "cus_1" }).catch((e: unknown) => e)) as PolicyDenied;
    expect(err.reasons[0]).toMatch(/^approval `apr_\w+` was not granted within 0s$/);
    await h.engine.close();
    expect(records(h.audit).filter((r) => r["type"] === "outcome")).toMatchObject([{ status: "not-run", reason: err.reasons[0] }]);
  });

  it("audits a failing tool, rethrows its error and costs trust", async () => {
    const h = await harness();
    const email = h.engine.guard("lookup", () => { throw new Error("crm timeout\nstack..."); });
    await expect(email({ id: "x" }, { agent: { id: "bot" } })).rejects.toThrow("crm timeout");
    expect((await h.engine.trust("bot")).score).toBe(95);
    await h.engine.close();
    expect(records(h.audit).find((r) => r["type"] === "outcome")).toMatchObject({ status: "failed", error: "crm timeout", trustDelta: -5 });
    expect(await verifyAudit(h.audit)).toMatchObject({ ok: true });
  });

  it("denies a waiting call when the engine closes", async () => {
    const h = await harness();
    const refund = h.engine.guard("refund", () => "never", { context: { agent: { id: "bot" } } });
    const pending = refund({ amount: 150, customer: "cus_1" }).catch((e: unknown) => e);
    await sleep(30);
    await h.engine.close();
    const err = (await pending) as PolicyDenied;
    expect(err).toBeInstanceOf(PolicyDenied);
    expect(err.reasons[0]).toMatch(/^waiting for approval `apr_\w+` failed: the engine closed while waiting for an approval$/);
  });

  it("refuses bad arguments at wrap time", async () => {
    const h = await harness();
    expect(() => h.engine.guard("", () => 1)).toThrow("guard needs a tool name");
    expect(() => h.engine.guard("refund", 5 as never)).toThrow("guard(`refund`) needs the tool's implementation as a function");
    await h.engine.close();
  });
});

describe("guard's copy of the arguments", () => {
  it("runs the tool with the arguments that were approved, even if the caller mutates its object while waiting", async () => {
    const h = await harness();
    const seen: RefundArgs[] = [];
    const refund = h.engine.guard("refund", (a: RefundArgs) => { seen.push(a); return { id: "re_1" }; }, { context: { agent: { id: "bot" } } });
    const args = { amount: 120, customer: "cus_1" };
    const stop = h.engine.approvals.onChange((c) => {
      if (c.type !== "created") return;
      args.amount = 290; // the caller changes its object after the request was made
      void h.engine.approvals.resolve(c.approval.id, { approve: true, by: "alice" });
    });
    await refund(args);
    stop();
    expect(seen).toEqual([{ amount: 120, customer: "cus_1" }]);
    await h.engine.close();
  });
});
