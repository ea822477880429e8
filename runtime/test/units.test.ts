// Unit tests of the Engine's small helpers: ids, the call hash, pause matching, limit reason
// text, trust settings and the audit copy of arguments.

import { describe, expect, it } from "vitest";
import { auditArgs } from "../audit-entries.js";
import { callHash } from "../callhash.js";
import { IdGenerator } from "../ids.js";
import { durationText, limitReason, windowText } from "../limits.js";
import { pauseCovers, pauseRequest } from "../pauses.js";
import type { Pause } from "../store/index.js";
import { outcomeDelta, trustSettings } from "../trust.js";
import { NO_SPAN } from "../../language/span.js";

describe("ids", () => {
  it("encode the time first and increase within and across milliseconds, even if the clock steps back", () => {
    const g = new IdGenerator();
    const a = g.next(Date.UTC(2025, 0, 1));
    const b = g.next(Date.UTC(2025, 0, 1));
    const c = g.next(Date.UTC(2024, 0, 1));
    const d = g.next(Date.UTC(2025, 0, 2));
    expect(a.slice(0, 10)).toBe("01JGFJJZ00"); // 1735689600000 in Crockford base32, as in ULID
    expect([a, b, c, d]).toEqual([a, b, c, d].sort());
    expect(new Set([a, b, c, d]).size).toBe(4);
    // 26 Crockford base32 characters; within a millisecond only the last 40 bits count up
    const decode = (s: string) => [...s].reduce((n, ch) => n * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(ch), 0);
    for (const id of [a, b, c, d]) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(b.slice(0, 18)).toBe(a.slice(0, 18));
    expect(decode(b.slice(18))).toBe(decode(a.slice(18)) + 1);
    expect(decode(d.slice(0, 10))).toBe(Date.UTC(2025, 0, 2));
  });
});

describe("callHash", () => {
  const key = new Uint8Array(32).fill(7);
  const base = { tool: "refund", args: { amount: 120, customer: "c" }, agentId: "bot", roles: ["support"], env: "staging", ctx: { region: "eu" }, run: { id: "r1" }, rules: ["mid"], groups: ["finance"] };
  it("ignores key order and changes with every bound field", () => {
    expect(callHash(base, key)).toBe(callHash({ ...base, args: { customer: "c", amount: 120 } }, key));
    expect(callHash(base, key)).toBe(callHash({ ...base, groups: ["finance", "finance"] }, key));
    const others = [
      { ...base, tool: "refund2" }, { ...base, args: { amount: 121, customer: "c" } }, { ...base, agentId: "b2" }, { ...base, roles: ["support", "admin"] },
      { ...base, env: "production" }, { ...base, ctx: { region: "us" } }, { ...base, run: { id: "r2" } }, { ...base, run: { id: "r1", calls: 3 } },
      { ...base, rules: ["big"] }, { ...base, groups: ["oncall"] }, { ...base, groups: [] },
    ];
    for (const other of others) expect(callHash(other, key), JSON.stringify(other)).not.toBe(callHash(base, key));
    expect(callHash(base, key)).toMatch(/^[0-9a-f]{64}$/);
  });
  it("is keyed: without the secret a guess cannot be checked", () => {
    expect(callHash(base, key)).not.toBe(callHash(base, new Uint8Array(32).fill(8)));
  });
  it("refuses values JSON cannot carry", () => {
    expect(() => callHash({ ...base, args: { amount: NaN } }, key)).toThrow("audit entry field `args.amount` is NaN");
  });
});

describe("pauses", () => {
  const p = (over: Partial<Pause>): Pause => ({ id: "pause-1", reason: "r", createdAt: 0, ...over });
  it("match patterns with `*` as any run, exact names otherwise", () => {
    expect(pauseCovers(p({ pattern: "stripe.*" }), "stripe.refund", "write")).toBe(true);
    expect(pauseCovers(p({ pattern: "stripe.*" }), "stripe.a.b", "write")).toBe(true);
    expect(pauseCovers(p({ pattern: "stripe.*" }), "stripe", "write")).toBe(false);
    expect(pauseCovers(p({ pattern: "*" }), "anything", "read")).toBe(true);
    expect(pauseCovers(p({ pattern: "email" }), "email.send", "write")).toBe(false);
  });
  it("match a class and every more dangerous class, and both fields when both are set", () => {
    expect(pauseCovers(p({ toolClass: "write" }), "x", "destructive")).toBe(true);
    expect(pauseCovers(p({ toolClass: "write" }), "x", "read")).toBe(false);
    expect(pauseCovers(p({ toolClass: "read" }), "x", "read")).toBe(true);
    expect(pauseCovers(p({ pattern: "db.*", toolClass: "destructive" }), "db.drop", "destructive")).toBe(true);
    expect(pauseCovers(p({ pattern: "db.*", toolClass: "destructive" }), "db.read", "read")).toBe(false);
  });
  it("need a pattern or a class", () => {
    expect(() => pauseRequest({}, "r")).toThrow("a pause needs a tool pattern or a tool class");
  });
});

describe("limit reasons", () => {
  it("name windows and durations for people", () => {
    expect([1, 60, 3600, 86_400, 600, 90, 7200].map(windowText)).toEqual(["per second", "per minute", "per hour", "per day", "per 10 minutes", "per 90 seconds", "per 2 hours"]);
    expect([500, 59_000, 61_000, 3_600_000, 5_400_000].map(durationText)).toEqual(["1s", "59s", "2m", "1h", "1h 30m"]);
  });
  it("say when a limit resets", () => {
    const use = { id: "l", kind: "calls" as const, amount: 1, max: 3, windowSeconds: 60, key: "l|agent=a", span: NO_SPAN };
    expect(limitReason({ ok: false, id: "l", key: "l|agent=a", used: 3, amount: 1, max: 3, resetAt: 30_000 }, [use], 0)).toBe("limit `l` exceeded: 3 of 3 calls per minute used; it resets at 1970-01-01T00:00:30.000Z (in 30s)");
  });
});

describe("trust settings", () => {
  it("default as documented and map outcomes to deltas", () => {
    const s = trustSettings();
    expect(s).toMatchObject({ minimum: 50, recovery: 80, reward: 1, penalty: 5, rejectedPenalty: 10, deniedPenalty: 0 });
    expect(["success", "error", "rejected", "denied"].map((o) => outcomeDelta(o as never, s))).toEqual([1, -5, -10, -0]);
    expect(() => trustSettings({ recovery: 0 })).toThrow("trust.recovery must be above 0");
  });
});

describe("audit copy of arguments", () => {
  it("redacts, bounds and makes values JSON-safe without touching prototypes", () => {
    const args = JSON.parse('{"__proto__":{"x":1},"token":"t"}') as Record<string, unknown>;
    Object.assign(args, { n: NaN, big: 5n, fn: () => 1, list: Array.from({ length: 1005 }, (_, i) => i), long: "y".repeat(5000), card_number: "4242" });
    const out = auditArgs(args, ["args.card_number"], 100) as Record<string, unknown>;
    expect(out["token"]).toBe("[redacted]");
    expect(out["card_number"]).toBe("[redacted]");
    expect(out["n"]).toBe("[NaN]");
    expect(out["big"]).toBe("[bigint 5]");
    expect(out["fn"]).toBe("[function]");
    expect((out["list"] as unknown[]).at(-1)).toBe("[cut: 5 more items]");
    expect(out["long"]).toBe(`${"y".repeat(100)}…[cut: 4900 more chars]`);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out, "__proto__")).toBe(true);
  });
});
