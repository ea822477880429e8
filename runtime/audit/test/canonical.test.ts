// Canonical JSON: the hash input must not depend on key order, and anything JSON cannot carry
// unchanged must be refused before it is hashed. Tests runtime/audit/canonical.ts.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalJsonWith, entryBody, MAX_DEPTH, NotJsonError } from "../canonical.mjs";

/** Rebuilds every object of a JSON value with its keys in reverse insertion order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reversed((v as Record<string, unknown>)[k])]));
}

describe("canonicalJson", () => {
  it("sorts keys recursively and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
  });

  it("is independent of key insertion order and round-trips through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalJson(v);
        expect(canonicalJson(reversed(v))).toBe(c);
        expect(canonicalJson(JSON.parse(c))).toBe(c);
      }),
      { numRuns: 300 },
    );
  });

  it("writes numbers and strings as JSON.stringify does", () => {
    expect(canonicalJson([1e21, 0.1, -0, 5e-7, "é\u2028\ud800", "\"\\"])).toBe(JSON.stringify([1e21, 0.1, 0, 5e-7, "é\u2028\ud800", "\"\\"]));
  });

  it("keeps a __proto__ key as data", () => {
    const v = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it.each([
    ["NaN", { a: { b: Number.NaN } }, "`a.b` is NaN"],
    ["Infinity", { a: [1, Infinity] }, "`a[1]` is Infinity"],
    ["undefined", { a: undefined }, "`a` is a undefined"],
    ["a function", { f: () => 1 }, "`f` is a function"],
    ["a bigint", { n: 1n }, "`n` is a bigint"],
    ["a symbol", { s: Symbol("x") }, "`s` is a symbol"],
    ["a Date", { when: new Date(0) }, "`when` is a Date, not a plain object"],
    ["a Map", { m: new Map() }, "`m` is a Map, not a plain object"],
    ["a sparse array", { a: [1, , 3] }, "`a[1]` is a hole in a sparse array"],
    ["an odd key", { "a b": NaN }, '`["a b"]` is NaN'],
  ])("rejects %s with the field's path (and so does entryBody)", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(NotJsonError);
    expect(() => canonicalJson(value)).toThrow(message);
    expect(() => entryBody(value, 1)).toThrow(NotJsonError);
    expect(() => entryBody(value, 1)).toThrow(message);
  });

  it("rejects cycles and excessive depth but not shared references", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => canonicalJson(cyc)).toThrow("`self` refers back to itself");
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DEPTH; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow("nested more than");
  });

  it("entryBody is canonicalJsonWith(entry, { seq, prev }) around prev, in any key order", () => {
    const keys = fc.oneof(fc.string(), fc.constantFrom("__proto__", "0", "10", "9", "a", "B", "é", "pre", "prevv", "s", "seq0", "rule", "zz"));
    const prev = "ab".repeat(32);
    fc.assert(
      fc.property(fc.dictionary(keys, fc.jsonValue()), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.boolean(), (raw, seq, sort) => {
        const entry = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
        delete entry.seq;
        delete entry.prev;
        const x = sort ? reversed(reversed(entry)) : reversed(entry);
        const { head, tail } = entryBody(x as object, seq);
        expect(head + prev + tail).toBe(canonicalJsonWith(x as object, { seq, prev }));
      }),
      { numRuns: 500 },
    );
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => entryBody(cyc, 1)).toThrow("`self` refers back to itself");
    expect(() => entryBody(new Map(), 1)).toThrow("`(root)` is not a plain object");
  });

  it("entryBody never calls a toJSON hung on Object.prototype", () => {
    const proto = Object.prototype as { toJSON?: () => string };
    proto.toJSON = () => "polluted";
    try {
      const { head, tail } = entryBody({ b: 1, a: { c: 2 } }, 3);
      expect(head + "p".repeat(64) + tail).toBe(`{"a":{"c":2},"b":1,"prev":"${"p".repeat(64)}","seq":3}`);
    } finally {
      delete proto.toJSON;
    }
  });

  it("accepts null-prototype objects", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 2;
    o.a = 1;
    expect(canonicalJson(o)).toBe('{"a":1,"b":2}');
  });

  it("encodes a merged object without building it", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()), (base, extra) => {
        expect(canonicalJsonWith(base, extra)).toBe(canonicalJson({ ...base, ...extra }));
      }),
      { numRuns: 200 },
    );
    const self: Record<string, unknown> = {};
    self.me = self;
    expect(() => canonicalJsonWith(self, { seq: 1 })).toThrow("`me` refers back to itself");
    expect(() => canonicalJsonWith(new Map(), { seq: 1 })).toThrow("`(root)` is not a plain object");
  });
});
