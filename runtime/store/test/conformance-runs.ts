// The run part of the store conformance suite: recorded calls in order, run state (sets and sums)
// within their bounds, all-or-nothing records, expiry, isolation between runs, concurrency.
// Registered by storeConformance (conformance.ts) for every back-end.

import { describe, expect, it } from "vitest";
import type { RunAddition, StateStore } from "../index.js";
import { HOUR, T0, expectStoreError } from "./helpers.js";

const BOUNDS = { maxCalls: 5, ttlMs: HOUR };
const call = (tool: string, args: Record<string, unknown> = {}) => ({ tool, args });
const set = (name: string, value: string | number | boolean, max = 3): RunAddition => ({ name, kind: "set", value, max });
const sum = (name: string, value: number): RunAddition => ({ name, kind: "sum", value });

export function runConformance(store: () => StateStore): void {
  describe("runs", () => {
    it("starts every run empty, and records calls in order with their arguments and times", async () => {
      const { runs } = store();
      expect(await runs.get("r1", T0)).toEqual({ calls: [], state: {} });
      expect(await runs.record("r1", call("get_webpage", { url: "https://a.example/x", n: 1.5, deep: { list: [1, "é😀", true, null] } }), [], BOUNDS, T0)).toEqual({ ok: true });
      expect(await runs.record("r1", call("send", { to: "bob" }), [], BOUNDS, T0 + 1)).toEqual({ ok: true });
      expect(await runs.get("r1", T0 + 2)).toEqual({
        calls: [
          { tool: "get_webpage", args: { url: "https://a.example/x", n: 1.5, deep: { list: [1, "é😀", true, null] } }, at: T0 },
          { tool: "send", args: { to: "bob" }, at: T0 + 1 },
        ],
        state: {},
      });
      expect(await runs.get("r2", T0 + 2)).toEqual({ calls: [], state: {} });
    });

    it("adds to sets once each, in order, and adds up sums", async () => {
      const { runs } = store();
      await runs.record("r", call("invite"), [set("invited", "dora"), sum("spent", 2.5)], BOUNDS, T0);
      await runs.record("r", null, [set("invited", "dora"), set("invited", "fred"), sum("spent", 0.25), set("ids", 7), set("flags", false)], BOUNDS, T0 + 1);
      expect(await runs.get("r", T0 + 2)).toEqual({ calls: [{ tool: "invite", args: {}, at: T0 }], state: { invited: ["dora", "fred"], spent: 2.75, ids: [7], flags: [false] } });
    });

    it("refuses, changing nothing, a record past a set's max, a sum that is no longer finite, or a call past maxCalls", async () => {
      const { runs } = store();
      await runs.record("r", null, [set("s", "a", 2), set("s", "b", 2), sum("n", 1e308)], BOUNDS, T0);
      const full = await runs.record("r", call("x"), [set("s", "a", 2), set("s", "c", 2)], BOUNDS, T0 + 1);
      expect(full).toEqual({ ok: false, reason: "run state `s` already holds 2 values, the most it may; start a new run" });
      expect(await runs.record("r", call("x"), [sum("n", 1e308)], BOUNDS, T0 + 2)).toEqual({ ok: false, reason: "run state `n` would not stay a finite number" });
      expect(await runs.get("r", T0 + 3)).toEqual({ calls: [], state: { s: ["a", "b"], n: 1e308 } });
      for (let i = 0; i < 5; i++) expect(await runs.record("r2", call(`t${i}`), [], BOUNDS, T0 + i)).toEqual({ ok: true });
      expect(await runs.record("r2", call("t5"), [sum("n", 1)], BOUNDS, T0 + 9)).toEqual({ ok: false, reason: "run `r2` has recorded 5 calls, the most its history keeps; start a new run" });
      expect(await runs.record("r2", null, [sum("n", 1)], BOUNDS, T0 + 10)).toEqual({ ok: true });
      expect((await runs.get("r2", T0 + 11)).calls.map((c) => c.tool)).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    });

    it("forgets a run idle for its ttl, and starts it afresh on the next record", async () => {
      const { runs } = store();
      await runs.record("r", call("a"), [set("s", "x")], { maxCalls: 5, ttlMs: 1000 }, T0);
      await runs.record("r", call("b"), [], { maxCalls: 5, ttlMs: 1000 }, T0 + 500);
      expect((await runs.get("r", T0 + 1499)).calls.map((c) => c.tool)).toEqual(["a", "b"]);
      expect(await runs.get("r", T0 + 1500)).toEqual({ calls: [], state: {} });
      await runs.record("r", call("c"), [set("s", "y")], { maxCalls: 5, ttlMs: 1000 }, T0 + 2000);
      expect(await runs.get("r", T0 + 2001)).toEqual({ calls: [{ tool: "c", args: {}, at: T0 + 2000 }], state: { s: ["y"] } });
    });

    it("records concurrent calls of one run exactly", async () => {
      const { runs } = store();
      const bounds = { maxCalls: 100, ttlMs: HOUR };
      await Promise.all(Array.from({ length: 30 }, (_, i) => runs.record("busy", call("t", { i }), [sum("n", 1), set("seen", i, 50)], bounds, T0 + i)));
      const r = await runs.get("busy", T0 + 100);
      expect(r.calls.map((c) => c.args["i"]).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(r.state["n"]).toBe(30);
      expect((r.state["seen"] as number[]).length).toBe(30);
    });

    it("refuses malformed runs, calls, additions and bounds", async () => {
      const { runs } = store();
      await expectStoreError(runs.get("", T0), "invalid", "run id");
      await expectStoreError(runs.record("r", call(""), [], BOUNDS, T0), "invalid", "tool name");
      await expectStoreError(runs.record("r", null, [sum("n", Number.NaN)], BOUNDS, T0), "invalid", "finite numbers");
      await expectStoreError(runs.record("r", null, [{ name: "s", kind: "set", value: Infinity, max: 3 }], BOUNDS, T0), "invalid", "run state `s`");
      await expectStoreError(runs.record("r", null, [], { maxCalls: 0, ttlMs: 1 }, T0), "invalid", "maxCalls");
      await expectStoreError(runs.record("r", null, [], { maxCalls: 1, ttlMs: 0 }, T0), "invalid", "ttlMs");
      expect(await runs.get("r", T0)).toEqual({ calls: [], state: {} });
    });
  });
}
