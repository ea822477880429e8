// The limit part of the store conformance suite: exact sliding windows for count and sum limits,
// exact resetAt, all-or-nothing batches, peek, concurrency, and a fast-check comparison with a
// brute-force reference model. Registered by storeConformance (conformance.ts) for every back-end.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LimitDenied, StateStore } from "../index.js";
import { HOUR, T0, charge, expectStoreError } from "./helpers.js";

export function limitConformance(store: () => StateStore): void {
  describe("limits", () => {
    windowTests(store);
    batchTests(store);
    robustnessTests(store);
  });
}

/** Count and sum windows, sliding, and exact resetAt. */
function windowTests(store: () => StateStore): void {
  it("allows exactly max calls of a count limit per window", async () => {
    const { limits } = store();
    for (let i = 0; i < 3; i++) expect(await limits.consume([charge("calls", 1, 3)], T0 + i * 1000)).toEqual({ ok: true });
    const denied = await limits.consume([charge("calls", 1, 3)], T0 + 5000);
    expect(denied).toEqual({ ok: false, id: "calls", key: "calls", used: 3, amount: 1, max: 3, resetAt: T0 + HOUR });
    expect(await limits.usage("calls", HOUR, T0 + 5000)).toBe(3);
  });

  it("sums amounts and allows a total of exactly max", async () => {
    const { limits } = store();
    expect(await limits.consume([charge("spend", 400, 1000)], T0)).toEqual({ ok: true });
    expect(await limits.consume([charge("spend", 500, 1000)], T0 + 1)).toEqual({ ok: true });
    expect(await limits.consume([charge("spend", 200, 1000)], T0 + 2)).toMatchObject({ ok: false, used: 900, amount: 200 });
    expect(await limits.consume([charge("spend", 100, 1000)], T0 + 3)).toEqual({ ok: true });
    expect(await limits.usage("spend", HOUR, T0 + 3)).toBe(1000);
    expect(await limits.consume([charge("spend", 0.01, 1000)], T0 + 4)).toMatchObject({ ok: false, used: 1000 });
  });

  it("slides: an event leaves the window exactly windowMs after it happened", async () => {
    const { limits } = store();
    await limits.consume([charge("spend", 600, 1000)], T0);
    await limits.consume([charge("spend", 400, 1000)], T0 + HOUR / 2);
    expect(await limits.consume([charge("spend", 600, 1000)], T0 + HOUR - 1)).toMatchObject({ ok: false, resetAt: T0 + HOUR });
    expect(await limits.usage("spend", HOUR, T0 + HOUR - 1)).toBe(1000);
    expect(await limits.usage("spend", HOUR, T0 + HOUR)).toBe(400);
    expect(await limits.consume([charge("spend", 600, 1000)], T0 + HOUR)).toEqual({ ok: true });
    expect(await limits.usage("spend", HOUR, T0 + HOUR)).toBe(1000);
  });

  it("reports the exact time enough usage expires, even when several events must go", async () => {
    const { limits } = store();
    for (const dt of [0, 10, 20]) await limits.consume([charge("spend", 300, 1000)], T0 + dt);
    const denied = (await limits.consume([charge("spend", 500, 1000)], T0 + 30)) as LimitDenied;
    expect(denied).toMatchObject({ ok: false, used: 900, resetAt: T0 + 10 + HOUR });
    expect(await limits.consume([charge("spend", 500, 1000)], denied.resetAt! - 1)).toMatchObject({ ok: false, used: 600 });
    expect(await limits.consume([charge("spend", 500, 1000)], denied.resetAt!)).toEqual({ ok: true });
  });

  it("handles several events recorded in the same millisecond", async () => {
    const { limits } = store();
    await limits.seed("calls", 1, T0 - 10);
    await limits.consume([charge("calls", 1, 3)], T0);
    await limits.consume([charge("calls", 1, 3)], T0);
    expect(await limits.consume([charge("calls", 1, 3)], T0 + 1)).toMatchObject({ ok: false, resetAt: T0 - 10 + HOUR });
    expect(await limits.consume([charge("calls", 2, 3)], T0 + 1)).toMatchObject({ ok: false, resetAt: T0 + HOUR });
  });

  it("reports resetAt null for an amount that exceeds max on its own", async () => {
    const { limits } = store();
    expect(await limits.consume([charge("spend", 1001, 1000)], T0)).toEqual({
      ok: false, id: "spend", key: "spend", used: 0, amount: 1001, max: 1000, resetAt: null,
    });
    expect(await limits.usage("spend", HOUR, T0)).toBe(0);
  });
}

/** All-or-nothing batches, peek, seeding and bucket separation. */
function batchTests(store: () => StateStore): void {
  it("records all charges or none", async () => {
    const { limits } = store();
    await limits.consume([charge("per-hour", 1, 10), charge("per-day", 1, 1, 24 * HOUR)], T0);
    const denied = await limits.consume([charge("per-hour", 1, 10), charge("per-day", 1, 1, 24 * HOUR)], T0 + 1);
    expect(denied).toMatchObject({ ok: false, id: "per-day", key: "per-day", used: 1 });
    expect(await limits.usage("per-hour", HOUR, T0 + 1)).toBe(1);
    expect(await limits.consume([charge("per-hour", 1, 10)], T0 + 2)).toEqual({ ok: true });
    expect(await limits.usage("per-hour", HOUR, T0 + 2)).toBe(2);
  });

  it("reports the first charge that does not fit, in the order given", async () => {
    const { limits } = store();
    const denied = await limits.consume([charge("a", 5, 4, HOUR, "first"), charge("b", 5, 4, HOUR, "second")], T0);
    expect(denied).toMatchObject({ ok: false, id: "first", key: "a" });
  });

  it("counts earlier charges to the same key within one batch", async () => {
    const { limits } = store();
    expect(await limits.consume([charge("k", 3, 5, HOUR, "x"), charge("k", 3, 5, HOUR, "y")], T0)).toMatchObject({
      ok: false, id: "y", used: 3,
    });
    expect(await limits.usage("k", HOUR, T0)).toBe(0);
    expect(await limits.consume([charge("k", 2, 5), charge("k", 3, 5)], T0)).toEqual({ ok: true });
    expect(await limits.usage("k", HOUR, T0)).toBe(5);
  });

  it("peek decides like consume and records nothing", async () => {
    const { limits } = store();
    await limits.consume([charge("spend", 900, 1000)], T0);
    expect(await limits.peek([charge("spend", 100, 1000)], T0 + 1)).toEqual({ ok: true });
    const peeked = await limits.peek([charge("spend", 101, 1000)], T0 + 1);
    expect(peeked).toEqual({ ok: false, id: "spend", key: "spend", used: 900, amount: 101, max: 1000, resetAt: T0 + HOUR });
    expect(await limits.usage("spend", HOUR, T0 + 1)).toBe(900);
    expect(await limits.consume([charge("spend", 101, 1000)], T0 + 1)).toEqual(peeked);
  });

  it("seeds usage, counting only seeded events inside the window", async () => {
    const { limits } = store();
    await limits.seed("spend", 700, T0 - HOUR);
    await limits.seed("spend", 250, T0 - 1000);
    expect(await limits.usage("spend", HOUR, T0)).toBe(250);
    expect(await limits.consume([charge("spend", 751, 1000)], T0)).toMatchObject({ ok: false, used: 250, resetAt: T0 - 1000 + HOUR });
  });

  it("keeps buckets apart and succeeds trivially on no charges", async () => {
    const { limits } = store();
    await limits.consume([charge("agent=a", 1, 1)], T0);
    expect(await limits.consume([charge("agent=b", 1, 1)], T0)).toEqual({ ok: true });
    expect(await limits.consume([], T0)).toEqual({ ok: true });
    expect(await limits.usage("agent=c", HOUR, T0)).toBe(0);
  });
}

/** Sweeping, validation, concurrency and the reference-model property. */
function robustnessTests(store: () => StateStore): void {
  it("sweeps idle buckets without touching live ones", async () => {
    const { limits } = store();
    await limits.consume([charge("long", 5, 100, 24 * HOUR)], T0);
    await limits.consume([charge("short", 5, 100, 60_000)], T0);
    // A sweep triggered by a short-window charge must use each event's own window.
    await limits.consume([charge("other", 1, 100, 60_000)], T0 + 10 * 60_000);
    expect(await limits.usage("long", 24 * HOUR, T0 + 10 * 60_000)).toBe(5);
    expect(await limits.usage("short", 60_000, T0 + 10 * 60_000)).toBe(0);
  });

  it("rejects malformed charges and records nothing", async () => {
    const { limits } = store();
    await expectStoreError(limits.consume([charge("k", -5, 10)], T0), "invalid", "finite number >= 0");
    await expectStoreError(limits.consume([charge("ok", 1, 10), charge("k", Number.NaN, 10)], T0), "invalid", "`k`");
    await expectStoreError(limits.consume([charge("k", 1, 10, 0)], T0), "invalid", "window");
    await expectStoreError(limits.consume([charge("", 1, 10)], T0), "invalid", "key");
    await expectStoreError(limits.consume([charge("k", 1, 10)], Number.NaN), "invalid", "time");
    await expectStoreError(limits.seed("k", Number.POSITIVE_INFINITY, T0), "invalid", "`k`");
    expect(await limits.usage("ok", HOUR, T0)).toBe(0);
  });

  it("lets exactly max of 200 concurrent consumes through", async () => {
    const { limits } = store();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => limits.consume([charge("burst", 1, 50)], T0 + (i % 7))));
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(await limits.usage("burst", HOUR, T0 + 7)).toBe(50);
  });

  it("decides every sequence of sum charges like a brute-force reference model", async () => {
    const { limits } = store();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
        const key = `prop-${run}`;
        const base = T0 + run++ * 1e9; // each run on its own key and clock, so runs never interact
        await checkAgainstModel(limits, key, base, steps);
      }),
      { numRuns: 120 },
    );
  });
}

// ---------------------------------------------------------------------------
// The reference model: the definition of the window written as plainly as possible.

const MAX = 100;
const WINDOW = 5 * 60_000;

interface Step {
  advance: number;
  amount: number;
  peek: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  // Same-millisecond events, short gaps, gaps of exactly a window (the boundary), and gaps long
  // enough to expire everything and trigger sweeps.
  advance: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 2000 }),
    fc.constantFrom(WINDOW - 1, WINDOW, WINDOW + 1),
    fc.integer({ min: 0, max: 3 * WINDOW }),
  ),
  amount: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 90, max: 120 })),
  peek: fc.boolean(),
});

function modelUsed(events: { at: number; amount: number }[], now: number): number {
  return events.filter((e) => e.at > now - WINDOW).reduce((s, e) => s + e.amount, 0);
}

function modelDecide(events: { at: number; amount: number }[], amount: number, now: number): LimitDenied | { ok: true } {
  const used = modelUsed(events, now);
  if (used + amount <= MAX) return { ok: true };
  // Usage only drops when an event leaves, at at + WINDOW: try each such instant in order.
  const candidates = events.map((e) => e.at + WINDOW).filter((t) => t > now).sort((a, b) => a - b);
  const resetAt = amount > MAX ? null : (candidates.find((t) => modelUsed(events, t) + amount <= MAX) ?? null);
  return { ok: false, id: "sum", key: "", used, amount, max: MAX, resetAt };
}

async function checkAgainstModel(limits: StateStore["limits"], key: string, base: number, steps: Step[]): Promise<void> {
  const events: { at: number; amount: number }[] = [];
  let now = base;
  for (const step of steps) {
    now += step.advance;
    const c = charge(key, step.amount, MAX, WINDOW, "sum");
    const want = modelDecide(events, step.amount, now);
    if (!want.ok) want.key = key;
    const got = step.peek ? await limits.peek([c], now) : await limits.consume([c], now);
    expect(got).toEqual(want);
    if (want.ok && !step.peek) events.push({ at: now, amount: step.amount });
    expect(await limits.usage(key, WINDOW, now)).toBe(modelUsed(events, now));
  }
}
