// Redaction: declared paths and default secret keys are replaced in a deep copy, safely against
// prototype keys, cycles and depth. Tests runtime/audit/redact.ts.

import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical.mjs";
import { CYCLE, DEFAULT_SECRET_KEYS, MAX_REDACT_DEPTH, redact, REDACTED, TOO_DEEP } from "../redact.js";
import { auditArgs } from "../../audit-entries.js";

describe("redact", () => {
  it("replaces declared paths and leaves the input untouched", () => {
    const input = { args: { card_last4: "4242", amount: 12, customer: { email: "a@b.c" } }, tool: "stripe.refund" };
    const before = JSON.stringify(input);
    const out = redact(input, ["args.customer.email", "args.amount"]);
    expect(out).toEqual({ args: { card_last4: "4242", amount: REDACTED, customer: { email: REDACTED } }, tool: "stripe.refund" });
    expect(JSON.stringify(input)).toBe(before);
    expect(out).not.toBe(input);
    expect((out as { args: unknown }).args).not.toBe(input.args);
  });

  it("redacts default secret keys anywhere, case-insensitively", () => {
    const out = redact({ args: { Password: "p", nested: [{ API_KEY: "k", keep: 1 }], Authorization: "Bearer x" }, token: "t" });
    expect(out).toEqual({ args: { Password: REDACTED, nested: [{ API_KEY: REDACTED, keep: 1 }], Authorization: REDACTED }, token: REDACTED });
    for (const k of DEFAULT_SECRET_KEYS) expect(redact({ [k]: 1 })).toEqual({ [k]: REDACTED });
  });

  it("redacts them in camelCase and with dashes too, in the audit entry and in the log", () => {
    const input = { cardNumber: "4111111111111111", secret_key: "s3", privateKey: "pk", clientSecret: "cs", "X-Api-Key": "xk", accessToken: "at", card: { cvc: "123" } };
    expect(redact(input)).toEqual({ cardNumber: REDACTED, secret_key: REDACTED, privateKey: REDACTED, clientSecret: REDACTED, "X-Api-Key": REDACTED, accessToken: REDACTED, card: { cvc: REDACTED } });
    expect(auditArgs(input, [], 10_000)).toEqual(redact(input));
    // Words that merely contain one are not secrets.
    expect(redact({ tokens_used: 5, passwordless: true })).toEqual({ tokens_used: 5, passwordless: true });
  });

  it("takes custom defaults instead of the built-in ones", () => {
    expect(redact({ password: "p", pin: "1234" }, [], ["PIN"])).toEqual({ password: "p", pin: REDACTED });
  });

  it("matches array indexes and `*` segments", () => {
    const input = { args: { items: [{ sku: "a", note: "x" }, { sku: "b", note: "y" }], tags: ["p", "q"] } };
    expect(redact(input, ["args.items.*.note", "args.tags.1"])).toEqual({
      args: { items: [{ sku: "a", note: REDACTED }, { sku: "b", note: REDACTED }], tags: ["p", REDACTED] },
    });
  });

  it("ignores paths that do not match and empty segments", () => {
    expect(redact({ args: { a: 1 } }, ["args.b", "args..a", "x.a"])).toEqual({ args: { a: 1 } });
  });

  it("keeps __proto__ and constructor as plain data keys", () => {
    const input = JSON.parse('{"__proto__":{"polluted":true,"secret":"s"},"constructor":{"prototype":{"x":1}}}') as unknown;
    const out = redact(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(["__proto__", "constructor"]);
    expect(canonicalJson(out)).toBe('{"__proto__":{"polluted":true,"secret":"[redacted]"},"constructor":{"prototype":{"x":1}}}');
  });

  it("replaces cycles but copies shared references in full", () => {
    const shared = { v: 1 };
    const a: Record<string, unknown> = { shared, again: shared };
    a.self = a;
    const list: unknown[] = [1];
    list.push(list);
    expect(redact({ a, list })).toEqual({ a: { shared: { v: 1 }, again: { v: 1 }, self: CYCLE }, list: [1, CYCLE] });
  });

  it("cuts nesting deeper than the limit", () => {
    let deep: unknown = { leaf: true };
    for (let i = 0; i < MAX_REDACT_DEPTH + 5; i++) deep = { d: deep };
    let out = redact(deep) as Record<string, unknown>;
    let depth = 0;
    while (typeof out.d === "object") {
      out = out.d as Record<string, unknown>;
      depth++;
    }
    expect(out.d).toBe(TOO_DEEP);
    expect(depth).toBe(MAX_REDACT_DEPTH - 1);
  });

  it("turns Dates into ISO strings and returns primitives as they are", () => {
    expect(redact({ at: new Date(0), n: 1, s: "x", b: false, z: null })).toEqual({ at: "1970-01-01T00:00:00.000Z", n: 1, s: "x", b: false, z: null });
    expect(redact("secret")).toBe("secret");
  });
});
