// The audit copy of arguments and the time stamps, against their former definitions: auditArgs
// and wholeArgs must give exactly what redact() followed by the bounded JSON-safe copy gave, and
// isoTime exactly what Date's toISOString gives. Tests runtime/audit-entries.ts.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditArgs, isoTime, wholeArgs } from "../audit-entries.js";
import { redact } from "../audit/index.js";

/** The two-pass reference: redact(), then the bounded copy as audit-entries.ts wrote it before. */
function reference(args: unknown, paths: readonly string[], b: { left: number; maxString: number; maxItems: number }): unknown {
  const text = (s: string): string => {
    if (b.left <= 0) return `[omitted: ${s.length} chars over the audit size budget]`;
    const keep = Math.min(s.length, b.maxString, b.left);
    b.left -= keep;
    return keep === s.length ? s : `${s.slice(0, keep)}…[cut: ${s.length - keep} more chars]`;
  };
  const safe = (v: unknown): unknown => {
    switch (typeof v) {
      case "string": return text(v);
      case "number": return Number.isFinite(v) ? v : `[${String(v)}]`;
      case "boolean": return v;
      case "undefined": return "[undefined]";
      case "bigint": return `[bigint ${text(v.toString())}]`;
      case "object": break;
      default: return `[${typeof v}]`;
    }
    if (v === null) return null;
    if (Array.isArray(v)) {
      const n = Math.min(v.length, b.maxItems);
      const out: unknown[] = Array.from({ length: n }, (_, i) => safe(v[i]));
      if (v.length > n) out.push(`[cut: ${v.length - n} more items]`);
      return out;
    }
    const keys = Object.keys(v);
    const entries: [string, unknown][] = [];
    for (let i = 0; i < keys.length && i < b.maxItems; i++) {
      const k = keys[i]!;
      entries.push([k.length > 256 ? `${k.slice(0, 256)}…[cut key ${i}]` : k, safe((v as Record<string, unknown>)[k])]);
    }
    if (keys.length > b.maxItems) entries.push(["…", `[cut: ${keys.length - b.maxItems} more keys]`]);
    return Object.fromEntries(entries);
  };
  return safe((redact({ args }, paths) as { args: unknown }).args);
}

const key = fc.oneof(fc.constantFrom("card_number", "Password", "token", "x", "items", "0", "__proto__", "a".repeat(300)), fc.string({ maxLength: 6 }));
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 40 }), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.date(),
    fc.array(tie("v"), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie("v")), { maxLength: 5 }).map((kv) => {
      const o: Record<string, unknown> = {};
      for (const [k, x] of kv) Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
      return o;
    }),
  ),
})).v;
const paths = fc.array(fc.constantFrom("args.card_number", "args.items.*.x", "*.token", "args.x.0", "args", "ctx.y", "args..z", "*"), { maxLength: 3 });

describe("audit copy of arguments", () => {
  it("redacts and bounds in one pass exactly as redact() then the bounded copy did", () => {
    fc.assert(
      fc.property(value, paths, fc.integer({ min: 1, max: 60 }), (v, ps, maxString) => {
        expect(auditArgs(v, ps, maxString)).toEqual(reference(v, ps, { left: 64 * 1024, maxString, maxItems: 1000 }));
        expect(wholeArgs(v, ps)).toEqual(reference(v, ps, { left: Infinity, maxString: Infinity, maxItems: Infinity }));
      }),
      { numRuns: 1000 },
    );
  });

  it("marks cycles, depth, long lists and the budget as before", () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    let deep: unknown = "end";
    for (let i = 0; i < 70; i++) deep = { d: deep };
    const big = { list: Array.from({ length: 1500 }, (_, i) => i), text: "y".repeat(70_000), more: "z" };
    for (const v of [cyc, deep, big, [new Date(Number.NaN), Symbol("s"), () => 1]]) {
      expect(auditArgs(v, [], 4096)).toEqual(reference(v, [], { left: 64 * 1024, maxString: 4096, maxItems: 1000 }));
    }
  });
});

describe("isoTime", () => {
  it("is Date's toISOString, also across days, years and before 1970", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.double({ min: -1e12, max: 4e12, noNaN: true })), { minLength: 1, maxLength: 20 }), (ts) => {
        for (const t of ts) expect(isoTime(t)).toBe(new Date(t).toISOString());
      }),
      { numRuns: 500 },
    );
    expect(isoTime(Number.NaN)).toBe("1970-01-01T00:00:00.000Z");
    expect(isoTime(-1)).toBe("1969-12-31T23:59:59.999Z");
    expect(isoTime(Date.UTC(2030, 0, 1, 23, 59, 59, 999))).toBe("2030-01-01T23:59:59.999Z");
    expect(isoTime(-62_198_755_200_000)).toBe(new Date(-62_198_755_200_000).toISOString());
  });
});
