// parseCall (runtime/snapshot.ts): a call body pol parsed itself is measured instead of copied,
// once, and otherwise reads exactly as the same JSON passed as a plain object: the same value,
// the same size and depth limits, the same partial value and message past them.

import { describe, expect, it } from "vitest";
import { parseCall, snapshotCall } from "../snapshot.js";

const call = { tool: "refund", args: { amount: 10, customer: "cus_1", tags: ["a", "b"] }, agent: { id: "bot" }, run: { id: "r" } };
const nested = (depth: number): unknown => {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = { deeper: v };
  return v;
};

describe("parseCall", () => {
  it("is read once, as it is: the first snapshot is the parsed value itself, a later one a copy", () => {
    const v = parseCall(JSON.stringify(call));
    const first = snapshotCall(v);
    expect(first).toEqual({ value: call });
    expect(first.value).toBe(v);
    const again = snapshotCall(v);
    expect(again.value).not.toBe(v);
    expect(again.value).toEqual(call);
  });

  it.each([
    ["over the size limit", JSON.stringify({ ...call, args: { ...call.args, customer: "x".repeat(5000) } })],
    ["nested too deeply", JSON.stringify({ ...call, args: { amount: 1, meta: nested(100) } })],
    ["a list over the size limit", JSON.stringify({ ...call, args: { amount: 1, tags: Array.from({ length: 2000 }, () => 1) } })],
  ])("%s, gives the copier's partial value and message", (_name, text) => {
    const parsed = snapshotCall(parseCall(text), 1000);
    expect(parsed.problem).toBeDefined();
    expect(parsed).toEqual(snapshotCall(JSON.parse(text), 1000));
  });

  it("leaves a `__proto__` key as data, as the copy does", () => {
    const text = '{"tool":"refund","args":{"__proto__":{"admin":true}},"agent":{"id":"bot"}}';
    const measured = snapshotCall(parseCall(text)).value as { args: object };
    const copied = snapshotCall(JSON.parse(text)).value as { args: object };
    for (const v of [measured, copied]) {
      expect(Object.getPrototypeOf(v.args)).toBe(Object.prototype);
      expect(Object.keys(v.args)).toEqual(["__proto__"]);
      expect(({} as { admin?: unknown }).admin).toBeUndefined();
    }
  });

  it("throws what JSON.parse throws, and marks nothing it did not make", () => {
    expect(() => parseCall("{")).toThrow(SyntaxError);
    const plain = JSON.parse(JSON.stringify(call));
    expect(snapshotCall(plain).value).not.toBe(plain);
    expect(parseCall('"refund"')).toBe("refund");
  });
});
