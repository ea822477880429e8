// The approval part of the store conformance suite: call-hash binding, single use, expiry on read,
// rejection, list filters and change notifications. Registered by storeConformance (conformance.ts).

import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApprovalChange, StateStore } from "../index.js";
import { HOUR, T0, expectStoreError, request } from "./helpers.js";

const FINANCE = { approve: true, by: "ana@finance" };

export function approvalConformance(store: () => StateStore): void {
  describe("approvals", () => {
    afterEach(() => vi.restoreAllMocks());

    bindingTests(store);
    expiryAndQueryTests(store);
    capAndIndexTests(store);
    notificationTests(store);
  });
}

/** Creation, call-hash binding, single use and resolution. */
function bindingTests(store: () => StateStore): void {
  it("creates pending approvals and reads them back as fresh copies", async () => {
    const { approvals } = store();
    const req = request("a1", { runId: "run-42" });
    const created = await approvals.create(req);
    expect(created).toEqual({ ...req, status: "pending" });
    (req.call as { args: { amount: number } }).args.amount = 290;
    created.groups.push("mutated");
    const read = await approvals.get("a1", T0 + 1);
    expect(read).toEqual({ ...request("a1", { runId: "run-42" }), status: "pending" });
    expect(await approvals.get("missing", T0)).toBeUndefined();
  });

  it("refuses a duplicate id and an expiry not after creation", async () => {
    const { approvals } = store();
    await approvals.create(request("a1"));
    await expectStoreError(approvals.create(request("a1")), "conflict", "`a1` already exists");
    await expectStoreError(approvals.create(request("a2", { expiresAt: T0 })), "invalid", "expire after");
    await expectStoreError(approvals.create(request("a3", { call: { n: 10n } })), "invalid", "json");
    expect(await approvals.get("a2", T0)).toBeUndefined();
  });

  it("binds an approval to the exact call and lets it be used once", async () => {
    const { approvals } = store();
    await approvals.create(request("a1", { callHash: "refund-120" }));
    expect(await approvals.consume("a1", "refund-120", T0 + 1)).toMatchObject({ ok: false, reason: "pending" });
    const approved = await approvals.resolve("a1", { ...FINANCE, note: "known customer" }, T0 + 2);
    expect(approved).toMatchObject({ status: "approved", resolvedBy: "ana@finance", resolvedAt: T0 + 2, note: "known customer" });
    const mismatch = await approvals.consume("a1", "refund-290", T0 + 3);
    expect(mismatch).toEqual({ ok: false, reason: "call-mismatch", message: "approval `a1` was granted for a different call" });
    const used = await approvals.consume("a1", "refund-120", T0 + 4);
    expect(used).toMatchObject({ ok: true, approval: { id: "a1", status: "consumed", consumedAt: T0 + 4 } });
    expect(await approvals.consume("a1", "refund-120", T0 + 5)).toMatchObject({ ok: false, reason: "consumed" });
    expect(await approvals.consume("a1", "refund-290", T0 + 5)).toMatchObject({ ok: false, reason: "consumed" });
    expect(await approvals.consume("nope", "refund-120", T0 + 5)).toMatchObject({ ok: false, reason: "unknown" });
    expect((await approvals.get("a1", T0 + 6))?.status).toBe("consumed");
  });

  it("consumes a contested approval exactly once", async () => {
    const { approvals } = store();
    await approvals.create(request("a1"));
    await approvals.resolve("a1", FINANCE, T0 + 1);
    const results = await Promise.all(Array.from({ length: 20 }, () => approvals.consume("a1", "hash-a1", T0 + 2)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("rejects, and a rejected approval authorises nothing", async () => {
    const { approvals } = store();
    await approvals.create(request("a1"));
    const rejected = await approvals.resolve("a1", { approve: false, by: "bo@finance" }, T0 + 1);
    expect(rejected).toMatchObject({ status: "rejected", resolvedBy: "bo@finance", resolvedAt: T0 + 1 });
    expect(rejected.note).toBeUndefined();
    expect(await approvals.consume("a1", "hash-a1", T0 + 2)).toMatchObject({ ok: false, reason: "rejected" });
    expect(await approvals.findApproved("hash-a1", T0 + 2)).toBeUndefined();
    expect((await approvals.get("a1", T0 + 2 * HOUR))?.status).toBe("rejected");
  });

  it("resolves only pending approvals", async () => {
    const { approvals } = store();
    await approvals.create(request("a1"));
    await approvals.resolve("a1", FINANCE, T0 + 1);
    await expectStoreError(approvals.resolve("a1", { approve: false, by: "x" }, T0 + 2), "conflict", "approval `a1` is approved, not pending");
    await expectStoreError(approvals.resolve("nope", FINANCE, T0), "not-found", "unknown approval `nope`");
    await approvals.create(request("a2"));
    await expectStoreError(approvals.resolve("a2", { approve: true, by: "" }, T0), "invalid", "approver");
    expect((await approvals.get("a2", T0))?.status).toBe("pending");
    await approvals.consume("a1", "hash-a1", T0 + 3);
    await expectStoreError(approvals.resolve("a1", FINANCE, T0 + 4), "conflict", "is consumed");
  });
}

/** Expiry computed on read, findApproved and list filters. */
function expiryAndQueryTests(store: () => StateStore): void {
  it("expires pending approvals at expiresAt and refuses to resolve them", async () => {
    const { approvals } = store();
    await approvals.create(request("a1"));
    expect((await approvals.get("a1", T0 + HOUR - 1))?.status).toBe("pending");
    expect((await approvals.get("a1", T0 + HOUR))?.status).toBe("expired");
    await expectStoreError(approvals.resolve("a1", FINANCE, T0 + HOUR), "conflict", "is expired");
    expect(await approvals.resolve("a1", FINANCE, T0 + HOUR - 1)).toMatchObject({ status: "approved" });
  });

  it("tells an approval's status alone, as get() computes it, where the store offers status()", async () => {
    const { approvals } = store();
    if (!approvals.status) return;
    await approvals.create(request("a1"));
    await approvals.create(request("a2", { callHash: "hash-a2" }));
    await approvals.resolve("a2", { approve: false, by: "ana@finance" }, T0 + 1);
    for (const [id, now] of [["a1", T0 + 1], ["a1", T0 + HOUR], ["a2", T0 + 2], ["nope", T0 + 2]] as const) {
      expect(await approvals.status(id, now)).toBe((await approvals.get(id, now))?.status);
    }
    expect(await approvals.status("a1", T0 + HOUR - 1)).toBe("pending");
  });

  it("expires approved but unused approvals", async () => {
    const { approvals } = store();
    await approvals.create(request("a1"));
    await approvals.resolve("a1", FINANCE, T0 + 1);
    expect(await approvals.findApproved("hash-a1", T0 + HOUR - 1)).toMatchObject({ id: "a1" });
    expect(await approvals.findApproved("hash-a1", T0 + HOUR)).toBeUndefined();
    expect(await approvals.consume("a1", "hash-a1", T0 + HOUR)).toMatchObject({ ok: false, reason: "expired" });
    expect(await approvals.get("a1", T0 + HOUR)).toMatchObject({ status: "expired", resolvedBy: "ana@finance" });
  });

  it("finds the oldest approved, unused, unexpired approval of exactly this call", async () => {
    const { approvals } = store();
    await approvals.create(request("late", { callHash: "h", createdAt: T0 + 10 }));
    await approvals.create(request("early", { callHash: "h", createdAt: T0 }));
    await approvals.create(request("other", { callHash: "h2" }));
    expect(await approvals.findApproved("h", T0 + 20)).toBeUndefined();
    await approvals.resolve("late", FINANCE, T0 + 20);
    await approvals.resolve("other", FINANCE, T0 + 20);
    expect((await approvals.findApproved("h", T0 + 21))?.id).toBe("late");
    await approvals.resolve("early", FINANCE, T0 + 22);
    expect((await approvals.findApproved("h", T0 + 23))?.id).toBe("early");
    await approvals.consume("early", "h", T0 + 24);
    expect((await approvals.findApproved("h", T0 + 25))?.id).toBe("late");
    await approvals.consume("late", "h", T0 + 26);
    expect(await approvals.findApproved("h", T0 + 27)).toBeUndefined();
  });

  it("lists by computed status and by approver group, oldest first", async () => {
    const { approvals } = store();
    await approvals.create(request("finance-2", { createdAt: T0 + 2, expiresAt: T0 + 10 * HOUR }));
    await approvals.create(request("anyone", { groups: [], createdAt: T0 + 1, expiresAt: T0 + 10 * HOUR }));
    await approvals.create(request("legal", { groups: ["legal", "risk"], createdAt: T0 + 3 }));
    await approvals.create(request("finance-1", { createdAt: T0 + 4 }));
    await approvals.resolve("finance-1", FINANCE, T0 + 5);
    await approvals.create(request("rejected", { createdAt: T0 + 6 }));
    await approvals.resolve("rejected", { approve: false, by: "x" }, T0 + 7);
    const ids = async (f: Parameters<typeof approvals.list>[0], now = T0 + 8) => (await approvals.list(f, now)).map((a) => a.id);
    expect(await ids({})).toEqual(["anyone", "finance-2", "legal", "finance-1", "rejected"]);
    expect(await ids({ status: "pending" })).toEqual(["anyone", "finance-2", "legal"]);
    expect(await ids({ status: "approved" })).toEqual(["finance-1"]);
    expect(await ids({ status: "rejected" })).toEqual(["rejected"]);
    expect(await ids({ group: "finance" })).toEqual(["anyone", "finance-2", "finance-1", "rejected"]);
    expect(await ids({ group: "risk", status: "pending" })).toEqual(["anyone", "legal"]);
    expect(await ids({ status: "expired" }, T0 + 2 * HOUR)).toEqual(["legal", "finance-1"]);
    expect(await ids({ status: "pending" }, T0 + 2 * HOUR)).toEqual(["anyone", "finance-2"]);
    await approvals.consume("finance-1", "hash-finance-1", T0 + 9);
    expect(await ids({ status: "consumed" }, T0 + 2 * HOUR)).toEqual(["finance-1"]);
    await expectStoreError(approvals.list({ status: "done" as never }, T0), "invalid", "unknown approval status `done`");
  });

  it("lists only the newest approvals that match when asked, still oldest first", async () => {
    const { approvals } = store();
    for (let i = 0; i < 12; i++) await approvals.create(request(`a${i}`, { createdAt: T0 + i, expiresAt: T0 + 10 * HOUR, groups: i % 3 === 0 ? ["legal"] : ["finance"] }));
    for (const i of [2, 5, 9]) await approvals.resolve(`a${i}`, FINANCE, T0 + 20);
    const ids = async (f: Parameters<typeof approvals.list>[0]) => (await approvals.list(f, T0 + 30)).map((a) => a.id);
    expect(await ids({ newest: 3 })).toEqual(["a9", "a10", "a11"]);
    expect(await ids({ newest: 50 })).toEqual(Array.from({ length: 12 }, (_, i) => `a${i}`));
    expect(await ids({ status: "approved", newest: 2 })).toEqual(["a5", "a9"]);
    expect(await ids({ status: "pending", group: "legal", newest: 2 })).toEqual(["a6", "a3"].reverse());
    await expectStoreError(approvals.list({ newest: 0 }, T0), "invalid", "approval filter `newest` must be a whole number above 0, got 0");
    await expectStoreError(approvals.list({ newest: 1.5 }, T0), "invalid", "approval filter `newest` must be a whole number above 0, got 1.5");
  });

  it("lists the settled approvals (approved, rejected, expired, consumed) or the unsettled ones, newest n of them when asked", async () => {
    const { approvals } = store();
    for (let i = 0; i < 6; i++) await approvals.create(request(`s${i}`, { createdAt: T0 + i, expiresAt: T0 + (i === 3 ? 10 : HOUR), groups: i === 5 ? ["legal"] : ["finance"] }));
    await approvals.resolve("s1", FINANCE, T0 + 6);
    await approvals.resolve("s2", { approve: false, by: "ana" }, T0 + 6);
    await approvals.resolve("s4", FINANCE, T0 + 6);
    expect((await approvals.consume("s4", "hash-s4", T0 + 7)).ok).toBe(true);
    const ids = async (f: Parameters<typeof approvals.list>[0]) => (await approvals.list(f, T0 + 30)).map((a) => a.id);
    expect(await ids({ settled: true })).toEqual(["s1", "s2", "s3", "s4"]);
    expect(await ids({ settled: true, newest: 2 })).toEqual(["s3", "s4"]);
    expect(await ids({ settled: false })).toEqual(["s0", "s5"]);
    expect(await ids({ settled: false, group: "legal", newest: 5 })).toEqual(["s5"]);
    expect(await ids({ settled: true, status: "pending" })).toEqual([]);
    expect(await ids({ settled: true, status: "expired" })).toEqual(["s3"]);
    await expectStoreError(approvals.list({ settled: "yes" as never }, T0), "invalid", "approval filter `settled` must be true or false, got yes");
  });
}

/** Policy provenance, the per-agent pending cap, and findApproved among many pending approvals. */
function capAndIndexTests(store: () => StateStore): void {
  it("stores and returns the policy hash and rule an approval was requested under", async () => {
    const { approvals } = store();
    const req = request("a1", { policyHash: "f".repeat(64), rule: "refunds.pol:12" });
    expect(await approvals.create(req)).toEqual({ ...req, status: "pending" });
    await approvals.resolve("a1", FINANCE, T0 + 1);
    expect(await approvals.findApproved("hash-a1", T0 + 2)).toMatchObject({ policyHash: "f".repeat(64), rule: "refunds.pol:12" });
    expect((await approvals.list({}, T0 + 2))[0]).toMatchObject({ rule: "refunds.pol:12" });
    const plain = await approvals.create(request("a2"));
    expect("policyHash" in plain || "rule" in plain).toBe(false);
    await expectStoreError(approvals.create(request("a3", { rule: "" })), "invalid", "approval rule");
  });

  it("stores and returns who requested an approval, through every transition", async () => {
    const { approvals } = store();
    const req = request("a1", { requestedBy: "svc-payments" });
    expect(await approvals.create(req)).toEqual({ ...req, status: "pending" });
    expect(await approvals.get("a1", T0 + 1)).toMatchObject({ requestedBy: "svc-payments" });
    await approvals.resolve("a1", FINANCE, T0 + 1);
    expect((await approvals.consume("a1", "hash-a1", T0 + 2)).ok).toBe(true);
    expect(await approvals.get("a1", T0 + 3)).toMatchObject({ requestedBy: "svc-payments", status: "consumed" });
    expect((await approvals.list({ newest: 1 }, T0 + 3))[0]).toMatchObject({ requestedBy: "svc-payments" });
    expect("requestedBy" in (await approvals.create(request("a2")))).toBe(false);
    await expectStoreError(approvals.create(request("a3", { requestedBy: "" })), "invalid", "approval requester must be a non-empty string");
  });

  it("caps pending, unexpired approvals per agent", async () => {
    const { approvals } = store();
    const cap = { maxPendingPerAgent: 2 };
    await approvals.create(request("a1"), cap);
    await approvals.create(request("a2", { createdAt: T0 + 1 }), cap);
    await expectStoreError(approvals.create(request("a3", { createdAt: T0 + 2 }), cap), "busy", "agent `support-bot` already has 2 pending approvals");
    expect(await approvals.get("a3", T0 + 2)).toBeUndefined();
    expect(await approvals.create(request("b1", { agentId: "other-bot", createdAt: T0 + 2 }), cap)).toMatchObject({ status: "pending" });
    expect(await approvals.create(request("a4", { createdAt: T0 + 2 }))).toMatchObject({ status: "pending" }); // no cap given
    await approvals.resolve("a1", FINANCE, T0 + 3);
    await approvals.resolve("a2", { approve: false, by: "bo" }, T0 + 3);
    // a4 still pending: one below the cap of 2.
    expect(await approvals.create(request("a5", { createdAt: T0 + 4 }), cap)).toMatchObject({ status: "pending" });
    await expectStoreError(approvals.create(request("a6", { createdAt: T0 + 5 }), cap), "busy", "2 pending");
    // Expired requests no longer count.
    expect(await approvals.create(request("a7", { createdAt: T0 + 2 * HOUR, expiresAt: T0 + 3 * HOUR }), cap)).toMatchObject({ status: "pending" });
    await expectStoreError(approvals.create(request("a8"), { maxPendingPerAgent: 0 }), "invalid", "maxPendingPerAgent");
  });

  it("admits exactly the cap of concurrent creators for one agent", async () => {
    const { approvals } = store();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => approvals.create(request(`c${i}`, { createdAt: T0 + i }), { maxPendingPerAgent: 7 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(7);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused.every((r) => (r.reason as { code?: string }).code === "busy")).toBe(true);
    expect(await approvals.list({ status: "pending" }, T0 + 30)).toHaveLength(7);
  });

  it("finds the approved call among a thousand pending approvals", async () => {
    const { approvals } = store();
    for (let i = 0; i < 1000; i++) await approvals.create(request(`p${i}`, { callHash: `h${i % 10}`, createdAt: T0 + i }));
    await approvals.resolve("p537", FINANCE, T0 + 2000);
    expect((await approvals.findApproved("h7", T0 + 2001))?.id).toBe("p537");
    expect(await approvals.findApproved("h3", T0 + 2001)).toBeUndefined();
    expect(await approvals.findApproved("p537", T0 + 2001)).toBeUndefined();
  });
}

/** Change notifications. */
function notificationTests(store: () => StateStore): void {
  it("notifies listeners of creates, resolutions and consumptions", async () => {
    const { approvals } = store();
    const seen: ApprovalChange[] = [];
    const stop = approvals.onChange((c) => seen.push(c));
    await approvals.create(request("a1"));
    await approvals.consume("a1", "hash-a1", T0 + 1); // fails: pending, so no notification
    await expectStoreError(approvals.resolve("nope", FINANCE, T0), "not-found", "nope");
    await approvals.resolve("a1", FINANCE, T0 + 2);
    await approvals.consume("a1", "hash-a1", T0 + 3);
    expect(seen.map((c) => [c.type, c.approval.id, c.approval.status])).toEqual([
      ["created", "a1", "pending"],
      ["resolved", "a1", "approved"],
      ["consumed", "a1", "consumed"],
    ]);
    stop();
    await approvals.create(request("a2"));
    expect(seen).toHaveLength(3);
  });

  it("isolates a failing listener from the operation and other listeners", async () => {
    const { approvals } = store();
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    const seen: string[] = [];
    approvals.onChange(() => {
      throw new Error("webhook down");
    });
    approvals.onChange((c) => seen.push(c.approval.id));
    expect(await approvals.create(request("a1"))).toMatchObject({ status: "pending" });
    expect(seen).toEqual(["a1"]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("webhook down"), "PolStoreWarning");
    expect((await approvals.get("a1", T0))?.status).toBe("pending");
  });
}
