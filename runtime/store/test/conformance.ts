// The store conformance suite, written once and run against every back-end: storeConformance(name,
// open) registers the limit, approval, trust, pause and lifecycle tests on a fresh store per test.
// Called by store.test.ts for the memory and SQLite stores; Redis and PostgreSQL plug in the same way.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StateStore } from "../index.js";
import { approvalConformance } from "./conformance-approvals.js";
import { limitConformance } from "./conformance-limits.js";
import { runConformance } from "./conformance-runs.js";
import { HOUR, T0, charge, expectStoreError, request } from "./helpers.js";

export function storeConformance(name: string, open: () => Promise<StateStore>): void {
  describe(`store conformance: ${name}`, () => {
    let current: StateStore | undefined;
    const store = (): StateStore => {
      if (!current) throw new Error("store used outside a test");
      return current;
    };
    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    limitConformance(store);
    approvalConformance(store);
    trustConformance(store);
    pauseConformance(store);
    anchorConformance(store);
    runConformance(store);

    it("rejects every call after close with a `closed` error", async () => {
      const s = store();
      await s.close();
      await expectStoreError(s.limits.consume([charge("k", 1, 1)], T0), "closed", "store is closed");
      await expectStoreError(s.approvals.create(request("a1")), "closed", "store is closed");
      await expectStoreError(s.trust.get("a"), "closed", "store is closed");
      await expectStoreError(s.pauses.list(), "closed", "store is closed");
      await expectStoreError(s.anchors.get("audit"), "closed", "store is closed");
      await expectStoreError(s.runs.get("r", T0), "closed", "store is closed");
      await s.close(); // closing twice is harmless
    });
  });
}

function trustConformance(store: () => StateStore): void {
  describe("trust", () => {
    it("starts unknown agents at 100, unrevoked and never updated", async () => {
      expect(await store().trust.get("new-bot")).toEqual({ agentId: "new-bot", score: 100, revoked: false, updatedAt: null });
    });

    it("adjusts within [0, 100]", async () => {
      const { trust } = store();
      expect(await trust.adjust("bot", 10, T0)).toEqual({ agentId: "bot", score: 100, revoked: false, updatedAt: T0 });
      expect(await trust.adjust("bot", -30.5, T0 + 1)).toMatchObject({ score: 69.5, revoked: false });
      expect(await trust.get("bot")).toEqual({ agentId: "bot", score: 69.5, revoked: false, updatedAt: T0 + 1 });
      expect(await trust.adjust("other", -1, T0)).toMatchObject({ score: 99 });
    });

    it("revokes at 0, keeps the revocation through later gains, and restores on operator action", async () => {
      const { trust } = store();
      expect(await trust.adjust("bot", -250, T0)).toMatchObject({ score: 0, revoked: true });
      expect(await trust.adjust("bot", 40, T0 + 1)).toMatchObject({ score: 40, revoked: true });
      expect(await trust.set("bot", 80, T0 + 2)).toMatchObject({ score: 80, revoked: true });
      expect(await trust.restore("bot", 60, T0 + 3)).toEqual({ agentId: "bot", score: 60, revoked: false, updatedAt: T0 + 3 });
      expect(await trust.get("bot")).toMatchObject({ score: 60, revoked: false });
    });

    it("sets scores in [0, 100], revoking at 0", async () => {
      const { trust } = store();
      expect(await trust.set("bot", 0, T0)).toMatchObject({ score: 0, revoked: true });
      expect(await trust.set("ok", 42, T0)).toMatchObject({ score: 42, revoked: false });
      await expectStoreError(trust.set("ok", 101, T0), "invalid", "from 0 to 100");
      await expectStoreError(trust.set("ok", Number.NaN, T0), "invalid", "from 0 to 100");
      await expectStoreError(trust.restore("bot", 0, T0), "invalid", "above 0");
      await expectStoreError(trust.adjust("ok", Number.POSITIVE_INFINITY, T0), "invalid", "delta");
      expect(await trust.get("ok")).toMatchObject({ score: 42 });
      expect(await trust.get("bot")).toMatchObject({ revoked: true });
    });

    it("applies concurrent adjustments exactly", async () => {
      const { trust } = store();
      await Promise.all(Array.from({ length: 60 }, (_, i) => trust.adjust("bot", -1, T0 + i)));
      expect(await trust.get("bot")).toMatchObject({ score: 40, revoked: false });
      await Promise.all(Array.from({ length: 60 }, (_, i) => trust.adjust("bot", -1, T0 + 100 + i)));
      expect(await trust.get("bot")).toMatchObject({ score: 0, revoked: true });
    });

    it("adjusts once per claim, whoever asks at once, until the claim's time", async () => {
      const { trust } = store();
      expect(trust.adjustOnce).toBeTypeOf("function");
      const once = trust.adjustOnce!.bind(trust);
      // 30 reports of one outcome at once: one counts.
      const r = await Promise.all(Array.from({ length: 30 }, () => once("bot", -5, "dec-1", T0 + HOUR, T0)));
      expect(r.filter((x) => x !== null)).toEqual([{ agentId: "bot", score: 95, revoked: false, updatedAt: T0 }]);
      expect(await once("bot", -5, "dec-1", T0 + HOUR, T0 + HOUR - 1)).toBeNull();
      // Another claim counts; the first is forgotten at its time and counts again.
      expect(await once("bot", -5, "dec-2", T0 + HOUR, T0 + 1)).toMatchObject({ score: 90 });
      expect(await once("bot", -5, "dec-1", T0 + 2 * HOUR, T0 + HOUR)).toMatchObject({ score: 85 });
      expect(await trust.get("bot")).toMatchObject({ score: 85 });
      // Bad input claims nothing: the same claim then counts.
      await expectStoreError(once("bot", Number.NaN, "dec-3", T0 + HOUR, T0), "invalid", "delta");
      await expectStoreError(once("bot", 1, "", T0 + HOUR, T0), "invalid", "trust claim");
      await expectStoreError(once("bot", 1, "dec-3", T0, T0), "invalid", "must be kept until after now");
      expect(await once("bot", 1, "dec-3", T0 + HOUR, T0)).toMatchObject({ score: 86 });
    });

    it("adjustOnce takes the claim but writes nothing when the score would not move: at 100, at 0, revoked", async () => {
      const { trust } = store();
      const once = trust.adjustOnce!.bind(trust);
      expect(await once("fresh", 5, "c-1", T0 + HOUR, T0)).toEqual({ agentId: "fresh", score: 100, revoked: false, updatedAt: null });
      expect(await trust.get("fresh")).toMatchObject({ updatedAt: null });
      expect(await once("fresh", -5, "c-1", T0 + HOUR, T0)).toBeNull();
      await trust.adjust("gone", -200, T0);
      // A revoked agent does not earn its way back through outcomes (rules.ts).
      expect(await once("gone", 10, "c-2", T0 + HOUR, T0 + 1)).toEqual({ agentId: "gone", score: 0, revoked: true, updatedAt: T0 });
      expect(await once("gone", -10, "c-3", T0 + HOUR, T0 + 2)).toMatchObject({ score: 0, updatedAt: T0 });
      expect(await once("gone", 10, "c-2", T0 + HOUR, T0 + 3)).toBeNull();
      expect(await trust.get("gone")).toEqual({ agentId: "gone", score: 0, revoked: true, updatedAt: T0 });
    });
  });
}

function pauseConformance(store: () => StateStore): void {
  describe("pauses", () => {
    it("pauses by pattern or tool class and lists oldest first", async () => {
      const { pauses } = store();
      const p1 = await pauses.pause({ pattern: "stripe.*", reason: "incident 42", by: "oncall" }, T0);
      const p2 = await pauses.pause({ toolClass: "destructive", reason: "freeze" }, T0 + 1);
      expect(p1).toEqual({ id: p1.id, pattern: "stripe.*", reason: "incident 42", by: "oncall", createdAt: T0 });
      expect(p2).toEqual({ id: p2.id, toolClass: "destructive", reason: "freeze", createdAt: T0 + 1 });
      expect(p1.id).not.toBe(p2.id);
      expect(await pauses.list()).toEqual([p1, p2]);
    });

    it("resumes by id, or every pause with a pattern, and never reuses ids", async () => {
      const { pauses } = store();
      const a = await pauses.pause({ pattern: "db.*", reason: "one" }, T0);
      const b = await pauses.pause({ pattern: "db.*", toolClass: "write", reason: "two" }, T0);
      const c = await pauses.pause({ pattern: "*", reason: "all" }, T0);
      expect(await pauses.resume(c.id)).toEqual([c]);
      expect(await pauses.resume("db.*")).toEqual([a, b]);
      expect(await pauses.list()).toEqual([]);
      const d = await pauses.pause({ pattern: "*", reason: "again" }, T0 + 1);
      expect([a.id, b.id, c.id]).not.toContain(d.id);
      await expectStoreError(pauses.resume(c.id), "not-found", `\`${c.id}\``);
      await expectStoreError(pauses.resume("email.*"), "not-found", "no pause has id or pattern `email.*`");
    });

    it("refuses a pause with nothing to match or an unknown tool class", async () => {
      const { pauses } = store();
      await expectStoreError(pauses.pause({ reason: "why" }, T0), "invalid", "pattern or a tool class");
      await expectStoreError(pauses.pause({ toolClass: "admin" as never, reason: "why" }, T0), "invalid", "`admin`");
      await expectStoreError(pauses.pause({ pattern: "*", reason: "" }, T0), "invalid", "reason");
      expect(await pauses.list()).toEqual([]);
    });
  });
}

function anchorConformance(store: () => StateStore): void {
  describe("anchors", () => {
    const h = (c: string) => c.repeat(64);

    it("moves forward, repeats idempotently and never moves back", async () => {
      const { anchors } = store();
      expect(await anchors.get("audit")).toBeUndefined();
      await anchors.advance("audit", { seq: 0, hash: h("0"), at: T0 });
      await anchors.advance("audit", { seq: 5, hash: h("a"), at: T0 + 1 });
      expect(await anchors.get("audit")).toEqual({ seq: 5, hash: h("a"), at: T0 + 1 });
      await anchors.advance("audit", { seq: 5, hash: h("a"), at: T0 + 9 }); // the same head again: a no-op
      expect(await anchors.get("audit")).toEqual({ seq: 5, hash: h("a"), at: T0 + 1 });
      await expectStoreError(anchors.advance("audit", { seq: 4, hash: h("b"), at: T0 + 2 }), "conflict", "anchor `audit` cannot move back: seq 4 is behind the anchored seq 5");
      await expectStoreError(anchors.advance("audit", { seq: 5, hash: h("c"), at: T0 + 2 }), "conflict", "seq 5 is anchored with another hash");
      await anchors.advance("audit", { seq: 9, hash: h("d"), at: T0 + 3 });
      expect(await anchors.get("audit")).toEqual({ seq: 9, hash: h("d"), at: T0 + 3 });
      expect(await anchors.get("other")).toBeUndefined();
    });

    it("refuses malformed anchors", async () => {
      const { anchors } = store();
      await expectStoreError(anchors.advance("", { seq: 1, hash: h("a"), at: T0 }), "invalid", "anchor name");
      await expectStoreError(anchors.advance("x", { seq: -1, hash: h("a"), at: T0 }), "invalid", "seq");
      await expectStoreError(anchors.advance("x", { seq: 1.5, hash: h("a"), at: T0 }), "invalid", "seq");
      await expectStoreError(anchors.advance("x", { seq: 1, hash: "", at: T0 }), "invalid", "hash");
      await expectStoreError(anchors.advance("x", { seq: 1, hash: h("a"), at: Number.NaN }), "invalid", "time");
      expect(await anchors.get("x")).toBeUndefined();
    });

    it("keeps the highest of concurrent advances", async () => {
      const { anchors } = store();
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => anchors.advance("audit", { seq: i, hash: h((i % 16).toString(16)), at: T0 + i })));
      expect(results.every((r) => r.status === "fulfilled" || (r.reason as { code?: string }).code === "conflict")).toBe(true);
      expect(await anchors.get("audit")).toMatchObject({ seq: 39 });
    });
  });
}
