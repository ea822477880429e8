// Canonical JSON: the hash input must not depend on key order, and anything JSON cannot carry
// unchanged must be refused before it is hashed. Tests runtime/audit/canonical.ts.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalJsonWith, jsonText, MAX_DEPTH, NotJsonError } from "../canonical.mjs";

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
  ])("rejects %s with the field's path (and so does jsonText)", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(NotJsonError);
    expect(() => canonicalJson(value)).toThrow(message);
    expect(() => jsonText(value)).toThrow(NotJsonError);
    expect(() => jsonText(value)).toThrow(message);
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

  it("jsonText carries exactly what canonicalJson encodes, in the object's own key order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const t = jsonText(v);
        expect(canonicalJson(JSON.parse(t))).toBe(canonicalJson(v));
        expect(t.length).toBe(canonicalJson(v).length);
      }),
      { numRuns: 300 },
    );
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => jsonText(cyc)).toThrow("`self` refers back to itself");
    expect(jsonText(JSON.parse('{"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1}}');
  });

  it("jsonText never calls a toJSON hung on Object.prototype", () => {
    const proto = Object.prototype as { toJSON?: () => string };
    proto.toJSON = () => "polluted";
    try {
      expect(jsonText({ b: 1, a: { c: 2 } })).toBe('{"a":{"c":2},"b":1}');
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
