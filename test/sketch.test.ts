// The DESIGN.md sketch, exactly as written, must check cleanly and mean what
// it says, through the interpreter and the compiled wasm alike.

import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { compilePolicy } from "../compiler/compile.js";
import type { Decision } from "../language/call.js";
import type { CheckedPolicy } from "../language/checked.js";
import { evaluate } from "../language/interpret.js";
import { loadFile } from "../language/load.js";
import { WasmPolicy } from "../runtime/loader.js";

const FILE = "examples/support_agent/support_agent.pol";
const base = { agent: { id: "support-bot", roles: ["support"], trust: 90 }, env: "production", run: { id: "run-42", calls: 3 }, ctx: {} };
const refund = (amount: number) => ({ ...base, tool: "stripe.refund", args: { amount, currency: "usd", customer: "cus_1" } });
const email = (to: string[], body = "hello") => ({ ...base, tool: "email.send", args: { to, subject: "hi", body } });

let checked: CheckedPolicy;
let wasm: WasmPolicy;

beforeAll(async () => {
  const l = loadFile(FILE);
  expect(l.sink.items.map((d) => d.message)).toEqual([]);
  checked = l.checked!;
  const c = await compilePolicy(checked, l.sink);
  wasm = await WasmPolicy.fromBytes(c!.wasm);
});

function both(call: unknown): Decision {
  const a = evaluate(checked, call);
  const b = wasm.evaluate(call);
  expect(b).toEqual(a);
  return a;
}

describe("the DESIGN.md sketch", () => {
  it.runIf(existsSync("../shared/DESIGN.md"))("the file is byte-for-byte the sketch", () => {
    const design = readFileSync("../shared/DESIGN.md", "utf8");
    const sketch = /```\n(policy support_agent[\s\S]*?)```/.exec(design)?.[1];
    expect(sketch).toBeDefined();
    expect(readFileSync(FILE, "utf8")).toBe(sketch);
  });
  it("$20 refund is allowed", () => expect(both(refund(20)).effect).toBe("allow"));
  it("$50 refund is allowed, $51 needs finance", () => {
    expect(both(refund(50)).effect).toBe("allow");
    const d = both(refund(51));
    expect(d.effect).toBe("approve");
    expect(d.approvers).toEqual(["finance"]);
  });
  it("$120 refund waits for finance with the reason", () => {
    const d = both(refund(120));
    expect(d).toMatchObject({ effect: "approve", approvers: ["finance"], reasons: ["refunds from $51 to $300 need finance sign-off"] });
    expect(d.limits.map((l) => [l.kind, l.amount, l.key])).toEqual([["calls", 1, "support_agent.pol:29|agent=support-bot"], ["sum", 120, "support_agent.pol:30|agent=support-bot"]]);
  });
  it("$301 refund is denied", () => expect(both(refund(301))).toMatchObject({ effect: "deny", reasons: ["refunds over $300 are never automatic"] }));
  it("delete:user is denied though no schema declares it", () => expect(both({ ...base, tool: "delete:user", args: { id: "u1" } })).toMatchObject({ effect: "deny", reasons: ["deletes are never automatic"] }));
  it("email to internal domains is allowed", () => expect(both(email(["ann@acme.com", "bob@ACME.io"])).effect).toBe("allow"));
  it("email to an outside domain goes to approval by the default for email.send", () => {
    const d = both(email(["ann@acme.com", "eve@gmail.com"]));
    expect(d).toMatchObject({ effect: "approve", decidedBy: "default" });
  });
  it("email with personal data is denied even to internal recipients", () => expect(both(email(["ann@acme.com"], "my ssn is 123-45-6789")).effect).toBe("deny"));
  it("db tools are denied in production under trust 50, not otherwise", () => {
    expect(both({ ...base, tool: "db.delete", args: { table: "t", id: "1" }, agent: { id: "x", roles: [], trust: 10 } }).effect).toBe("deny");
    expect(both({ ...base, tool: "db.delete", args: { table: "t", id: "1" } })).toMatchObject({ effect: "deny", decidedBy: "default" });
    expect(both({ ...base, env: "staging", tool: "db.delete", args: { table: "t", id: "1" }, agent: { id: "x", roles: [], trust: 10 } }).decidedBy).toBe("default");
  });
  it("a call that breaks the schema is denied naming the field", () => {
    expect(both({ ...refund(1), args: { amount: "1", currency: "usd", customer: "c" } })).toMatchObject({ effect: "deny", decidedBy: "schema", reasons: ["`args.amount` must be a finite number, found a string"] });
    expect(both({ ...refund(1), args: { amount: 1, currency: "usd" } }).reasons).toEqual(["argument `args.customer` is missing"]);
  });
  it("redacts the declared fields", () => expect(both(refund(1)).redact).toEqual(["args.card_number", "args.ssn"]));
});
