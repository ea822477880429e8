// The rollout commands on what a real Engine wrote: `pol shadow report` grouping a shadow's
// audit records by tool, rule pair and effect pair with redacted examples, and `pol diff` replaying
// the same log (agreeing with the shadow on which calls differ) and finding, by generated calls, a
// change that no recorded call exercises.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleFile, signer, SUITE_V1, SUITE_V2, tempDir, V1, V2 } from "../../bundle/test/fixtures.js";
import { Engine } from "../../runtime/engine.js";
import type { Io } from "../io.js";
import { main } from "../main.js";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "", colorOut: false, colorErr: false };
  const code = await main(args, io);
  return { code, out, err };
}

let v1: string;
let v2: string;
beforeAll(async () => {
  v1 = (await bundleFile(V1, SUITE_V1)).path;
  v2 = (await bundleFile(V2, SUITE_V2)).path;
}, 60_000);

const refund = (amount: number, card?: string) => ({ tool: "refund", args: { amount, customer: "c1", ...(card ? { card } : {}) }, agent: { id: "bot" }, run: { id: "run-1" } });

/** An audit log written by an engine running v1 live with v2 in shadow. */
async function shadowLog(calls: unknown[]): Promise<string> {
  const audit = join(tempDir("pol-shadow-cli-"), "audit.jsonl");
  const engine = await Engine.load(v1, { store: ":memory:", audit, verifyKey: signer().publicKey, shadow: v2 });
  for (const c of calls) await engine.decide(c);
  await engine.close();
  return audit;
}

describe("pol shadow report", () => {
  it("groups the engine's shadow records by tool, rule pair and effect pair, with redacted examples", async () => {
    const audit = await shadowLog([refund(75, "4111 1111 1111 1111"), refund(80), refund(90), refund(600), refund(10), refund(2000), { tool: "lookup", args: { id: "x" }, agent: { id: "bot" } }]);
    const r = await run(["shadow", "report", audit, "--format", "json", "--examples", "2"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { differences: number; groups: { tool: string; effects: string; rules: string; count: number; examples: { args: Record<string, unknown> }[] }[] };
    expect(doc.differences).toBe(4);
    expect(doc.groups.map((g) => [g.tool, g.effects, g.rules, g.count, g.examples.length])).toEqual([
      ["refund", "allow → approve", "small → review", 3, 2],
      ["refund", "approve → deny", "review → large", 1, 1],
    ]);
    expect(doc.groups[0]!.examples[0]!.args).toEqual({ amount: 75, customer: "c1", card: "[redacted]" });
    const text = await run(["shadow", "report", audit]);
    expect(text.out).toMatch(/^4 shadow differences in .*audit\.jsonl\n\nlive [0-9a-f]{12} vs shadow [0-9a-f]{12}\n  refund: 4\n +3  allow → approve +small → review\n/);
  });

  it("says so when there is no difference", async () => {
    const audit = await shadowLog([refund(10), refund(2000)]);
    expect(await run(["shadow", "report", audit])).toMatchObject({ code: 0, out: `no shadow differences in ${audit}\n` });
  });
});

describe("pol diff", () => {
  it("replaying the engine's audit log finds the calls the shadow found", async () => {
    const audit = await shadowLog([refund(75), refund(80), refund(600), refund(10), refund(2000)]);
    const r = await run(["diff", v1, v2, "--calls", audit, "--generated", "0", "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { replayed: { calls: number; differ: number; tools: { tool: string; calls: number; differ: number; examples: { old: { effect: string }; new: { effect: string } }[] }[] }; changed: boolean };
    expect(doc.replayed).toMatchObject({ calls: 5, differ: 3 });
    expect(doc.replayed.tools[0]).toMatchObject({ tool: "refund", calls: 5, differ: 3 });
    expect(doc.replayed.tools[0]!.examples.map((e) => `${e.old.effect}>${e.new.effect}`)).toEqual(["allow>approve", "allow>approve", "approve>deny"]);
    expect(doc.changed).toBe(true);
  });

  it("shows a change no recorded call exercises through generated calls, and --fail-on-change fails CI on it", async () => {
    // Recorded traffic only at amounts where v1 and v2 agree.
    const audit = await shadowLog([refund(10), refund(2000)]);
    const r = await run(["diff", v1, v2, "--calls", audit, "--generated", "500", "--fail-on-change"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/replayed 2 calls from .*: 0 decide differently/);
    expect(r.out).toMatch(/generated 500 calls over the 2 tools either policy declares \(lookup, refund; 2 in both; seed 1\): [1-9]\d* decides? differently\n  refund +\d+ calls +\d+ differ\n/);
    // The same seed gives the same calls: a CI run is reproducible.
    expect((await run(["diff", v1, v2, "--calls", audit, "--generated", "500", "--fail-on-change"])).out).toBe(r.out);
    // Without the flag the command reports and succeeds.
    expect((await run(["diff", v1, v2, "--generated", "50"])).code).toBe(0);
  });

  it("fails CI on a new version that no longer declares the tools, deciding them by its default", async () => {
    const allowAll = join(tempDir(), "shop.pol");
    writeFileSync(allowAll, "policy shop\ndefault allow\n");
    const r = await run(["diff", v1, allowAll, "--generated", "200", "--fail-on-change"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/generated 200 calls over the 2 tools either policy declares \(lookup, refund; 0 in both; seed 1\): [1-9]\d* decides? differently/);
  });
});
