// Hostile calls through Engine.decide: each is denied with a reason, nothing throws or crashes,
// no prototype is polluted, the audit log stays small and verifiable, and the engine keeps
// deciding normally afterwards. Real SQLite file, real JSONL log.

import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/index.js";
import { harness, records, refund } from "./helpers.js";

const agent = { id: "bot" };
const args = (extra: Record<string, unknown>) => ({ amount: 10, customer: "cus_1", ...extra });
const nested = (depth: number): unknown => {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = { deeper: v };
  return v;
};
const nestedList = (depth: number): unknown => {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** [name, call, what the (first) reason must match]. */
const CASES: [string, unknown, RegExp][] = [
  ["wrong type", { tool: "refund", args: args({ amount: "10" }), agent }, /^`args\.amount` must be a finite number, found a string$/],
  ["missing required arg", { tool: "refund", args: { amount: 10 }, agent }, /^argument `args\.customer` is missing$/],
  ["extra arg (deny mode)", { tool: "refund", args: args({ admin: true }), agent }, /^`args` has an undeclared field `admin`$/],
  ["NaN", { tool: "refund", args: args({ amount: NaN }), agent }, /must be a finite number, found NaN$/],
  ["Infinity", { tool: "refund", args: args({ amount: Infinity }), agent }, /must be a finite number, found Infinity$/],
  ["-Infinity", { tool: "refund", args: args({ amount: -Infinity }), agent }, /must be a finite number, found -Infinity$/],
  ["2 MB string", { tool: "refund", args: args({ customer: "x".repeat(2 * 1024 * 1024) }), agent }, /^`args\.customer` is longer than 1000000 characters$/],
  ["2 MB tool name", { tool: "t".repeat(2 * 1024 * 1024), args: {}, agent }, /^`tool` is longer than 1000000 characters$/],
  ["10 MB string", { tool: "refund", args: args({ customer: "x".repeat(10 * 1024 * 1024) }), agent }, /^`args\.customer` makes the call larger than 4000000 characters, list items and keys in all \(`maxCallSize`\)$/],
  ["3 MB strings in many fields", { tool: "refund", args: args(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}`, "y".repeat(900_000)]))), agent }, /^`args\.f4` makes the call larger than 4000000/],
  ["1,000-deep object", { tool: "tags", args: { items: [], meta: nested(1000) }, agent }, /^`args\.meta\.deeper\.deeper[.a-z]*…` is nested more than 64 levels deep$/],
  ["60-deep object", { tool: "tags", args: { items: [], meta: nested(60) }, agent }, /^(field `args\.meta\.depth` is missing|`args\.meta` has an undeclared field `deeper`)$/],
  ["1,000-deep list", { tool: "tags", args: { items: nestedList(1000), meta: { depth: 1 } }, agent }, /^`args\.items\[0\]\[0\][[\]0]*…` is nested more than 64 levels deep$/],
  ["1,000-deep args of an unknown tool", { tool: "mystery", args: nested(1000), agent }, /is nested more than 64 levels deep$/],
  ["__proto__ key", { tool: "refund", args: JSON.parse('{"amount":10,"customer":"c","__proto__":{"polluted":true}}'), agent }, /^`args` has an undeclared field `__proto__`$/],
  ["constructor key", { tool: "refund", args: args({ constructor: { prototype: { polluted: true } } }), agent }, /^`args` has an undeclared field `constructor`$/],
  ["lone surrogate in an arg", { tool: "refund", args: args({ customer: "cus_\uD800" }), agent }, /^`args\.customer` contains an unpaired surrogate \(invalid unicode\)$/],
  ["lone surrogate in the agent id", { tool: "refund", args: args({}), agent: { id: "bot\uDC00" } }, /^`agent\.id` contains an unpaired surrogate/],
  ["lone surrogate in the tool", { tool: "refund\uD800", args: args({}), agent }, /^`tool` contains an unpaired surrogate/],
  ["string args", { tool: "refund", args: "amount=10", agent }, /^`args` must be an object, found a string$/],
  ["list args", { tool: "refund", args: [10, "c"], agent }, /^`args` must be an object, found a list$/],
  ["number args", { tool: "refund", args: 10, agent }, /^`args` must be an object, found a number$/],
  ["null args", { tool: "refund", args: null, agent }, /^argument `args\.amount` is missing \(the call's `args` is null: send the arguments as an object\)$/],
  ["null call", null, /^a call must be an object, found null$/],
  ["string call", "refund 10", /^a call must be an object, found a string$/],
  ["list call", [{ tool: "refund" }], /^a call must be an object, found a list$/],
  ["missing tool", { args: args({}), agent }, /^`tool` must be a string, found undefined|`tool` must be a string/],
  ["unknown tool (default deny)", { tool: "db.drop_all", args: {}, agent }, /^no rule matched `db\.drop_all`; the policy default is deny$/],
  ["agent not an object", { tool: "refund", args: args({}), agent: "bot" }, /^`agent` must be an object, found a string$/],
  ["agent id not a string", { tool: "refund", args: args({}), agent: { id: 42 } }, /^`agent\.id` must be a string, found a number$/],
  ["agent id too long", { tool: "refund", args: args({}), agent: { id: "a".repeat(5000) } }, /^`agent\.id` is longer than 1024 characters$/],
  ["bigint arg", { tool: "refund", args: args({ amount: 10n }), agent }, /must be a finite number, found a bigint$/],
  ["function arg", { tool: "refund", args: args({ customer: () => "c" }), agent }, /must be a string, found a function$/],
  ["huge list", { tool: "tags", args: { items: Array.from({ length: 20_000 }, () => "t"), meta: { depth: 1 } }, agent }, /^`args\.items` has more than 10000 items$/],
  ["throwing getter", { tool: "refund", get args() { throw new Error("gotcha"); }, agent }, /^`args` is an accessor property; calls must be plain data$/],
  ["nested getter", { tool: "refund", args: { amount: 10, get customer() { throw new Error("gotcha"); } }, agent }, /^`args.customer` is an accessor property; calls must be plain data$/],
  ["class instance", { tool: "refund", args: args({ when: new Date(0) }), agent }, /^`args.when` is not plain data \(an instance of a class\); calls must be JSON-like$/],
  ["proxy call", new Proxy({}, { get() { throw new Error("trap"); }, ownKeys() { throw new Error("trap"); } }), /trap|a call must be an object/],
];

describe("hostile calls", () => {
  it("are each denied with a reason, without a crash, a leak or a polluted prototype", async () => {
    const h = await harness({ hooks: { onError: () => undefined } });
    for (const [name, call, reason] of CASES) {
      const d = await h.engine.decide(call);
      expect(d.effect, name).toBe("deny");
      expect(d.reasons.length, name).toBeGreaterThan(0);
      expect(d.reasons[0], name).toMatch(reason);
      expect(d.reasons.join(" ").length, `${name}: reasons stay short`).toBeLessThan(400);
    }
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>)["polluted"]).toBeUndefined();
    // Still deciding normally afterwards.
    expect((await h.engine.decide(refund(10))).effect).toBe("allow");
    await h.engine.close();
    const v = await verifyAudit(h.audit);
    expect(v).toMatchObject({ ok: true, count: CASES.length + 2 });
    // Three 10 MB inputs went in; the log keeps a bounded prefix of each.
    expect(statSync(h.audit).size).toBeLessThan(1024 * 1024);
    const recs = records(h.audit);
    expect(recs.find((r) => (r["reasons"] as string[] | undefined)?.[0]?.includes("is longer than 1000000"))!["args"]).toMatchObject({ customer: expect.stringMatching(/^x{4096}…\[cut: \d+ more chars\]$/) });
    // A call that could not be read whole is still audited, with what was decided on.
    const getter = recs.find((r) => (r["reasons"] as string[] | undefined)?.[0] === "`args.customer` is an accessor property; calls must be plain data")!;
    expect(getter).toMatchObject({ type: "decision", effect: "deny", decidedBy: "schema", tool: "refund", agent: "bot", args: { amount: 10 } });
    expect(getter["args"]).not.toHaveProperty("customer");
  });

  it("extra args are ignored when configured, and never reach the prototype", async () => {
    const h = await harness({ extraArgs: "ignore" });
    const d = await h.engine.decide({ tool: "refund", args: JSON.parse('{"amount":10,"customer":"c","__proto__":{"polluted":true},"admin":true}'), agent });
    expect(d.effect).toBe("allow");
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    await h.engine.close();
    expect(await verifyAudit(h.audit)).toMatchObject({ ok: true });
  });
});

describe("a polluted Object.prototype", () => {
  it("cannot change what a decision says: the Engine's copies of its drafts (amend) override inherited fields", async () => {
    const h = await harness();
    const proto = Object.prototype as Record<string, unknown>;
    const fields = { effect: "allow", decidedBy: "rule", reasons: ["inherited"], approvers: [], approval: "apr_forged", callHash: "0".repeat(64), charged: [] };
    Object.assign(proto, fields);
    try {
      // a limit deny (a copy of the allow draft), an approve with its binding, a pending one found again, a policy deny
      for (let i = 0; i < 5; i++) expect((await h.engine.decide(refund(10))).effect).toBe("allow");
      const over = await h.engine.decide(refund(10));
      expect(over).toMatchObject({ effect: "deny", decidedBy: "limit" });
      const asked = await h.engine.decide(refund(120, "other"));
      expect(asked).toMatchObject({ effect: "approve", decidedBy: "rule" });
      expect(asked.approval).toMatch(/^apr_(?!forged)/);
      expect((await h.engine.decide(refund(120, "other"))).approval).toBe(asked.approval);
      expect(await h.engine.decide(refund(500))).toMatchObject({ effect: "deny", decidedBy: "rule", reasons: ["refunds over 300 are never automatic"] });
    } finally {
      for (const k of Object.keys(fields)) delete proto[k];
    }
    await h.engine.close();
    expect(await verifyAudit(h.audit)).toMatchObject({ ok: true });
  });

  it("is never input: the policy, trust and the audit all see the agent the call names (none)", async () => {
    const h = await harness();
    await h.engine.store.trust.set("admin", 100, h.clock.now());
    const proto = Object.prototype as Record<string, unknown>;
    proto["id"] = "admin";
    proto["agent"] = { id: "admin", roles: ["admin"] };
    try {
      const d = await h.engine.decide({ tool: "refund", args: { amount: 10, customer: "cus_1" } });
      const withAgent = await h.engine.decide({ tool: "refund", args: { amount: 10, customer: "cus_1" }, agent: {} });
      expect(d.trust).toBe(withAgent.trust);
      await h.engine.flush();
      const recs = records(h.audit).filter((r) => r["type"] === "decision");
      for (const r of recs) expect(r["agent"]).toBeNull();
    } finally {
      delete proto["id"];
      delete proto["agent"];
    }
    expect(await h.engine.trust("")).toMatchObject({ agentId: "" });
    await h.engine.close();
  });
});
