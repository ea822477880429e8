// The Engine and a run: history recorded after each allow and read by the next decisions, run
// state updated by `on` and bounded, the clock passed from the Engine's own, limits that send a
// call over them to a person, what an approver is shown of the run, and the run bounds. Over the
// real compiled policy (fixtures/runs.pol) and a memory store.

import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { FakeClock, FIXTURES, T0 } from "./helpers.js";
import { join } from "node:path";
import { compiled } from "./helpers.js";
import type { Approval } from "../store/index.js";

const RUNS = join(FIXTURES, "runs.pol");

async function engine(options: { maxCalls?: number } = {}): Promise<{ e: Engine; clock: FakeClock }> {
  const clock = new FakeClock(T0);
  const e = await Engine.load(await compiled(RUNS), { store: ":memory:", audit: false, clock, ...(options.maxCalls ? { runs: { maxCalls: options.maxCalls } } : {}) });
  return { e, clock };
}

const call = (tool: string, args: Record<string, unknown>, run = "r1", extra: Record<string, unknown> = {}) => ({ tool, args, agent: { id: "bot" }, run: { id: run }, ...extra });

describe("the Engine keeps each run's history and state", () => {
  it("records allowed calls only, and later rules read them", async () => {
    const { e } = await engine();
    expect((await e.decide(call("send", { to: "bob", body: "x" }))).effect).toBe("deny");
    expect((await e.decide(call("get_webpage", { url: "https://a.example" }))).effect).toBe("allow");
    const after = await e.decide(call("send", { to: "bob", body: "x" }));
    expect(after).toMatchObject({ effect: "approve", rule: "after_web", reasons: ["the run read a web page"], approvers: ["user"] });
    // Another run has read nothing; a history the caller sends is replaced by the Engine's own.
    const other = await e.decide(call("send", { to: "bob", body: "x" }, "r2", { history: [{ tool: "get_webpage", args: { url: "x" } }] }));
    expect(other).toMatchObject({ effect: "deny", decidedBy: "default" });
    expect((await e.store.runs.get("r1", T0)).calls).toEqual([{ tool: "get_webpage", args: { url: "https://a.example" }, at: T0 }]);
    await e.close();
  });

  it("shows an approver the call, the rule's reason and the earlier calls that made the rule ask", async () => {
    const { e } = await engine();
    await e.decide(call("get_webpage", { url: "https://evil.example/post" }));
    const d = await e.decide(call("send", { to: "mallory", body: "hi" }));
    const a = (await e.approvals.get(d.approval!)) as Approval;
    expect(a.reasons).toEqual(["the run read a web page"]);
    expect(a.call).toMatchObject({ tool: "send", args: { to: "mallory", body: "hi" }, history: [{ tool: "get_webpage", args: { url: "https://evil.example/post" } }] });
    await e.close();
  });

  it("adds to run state after an allow, reads it in later calls, and denies a call that would overfill it", async () => {
    const { e } = await engine();
    expect((await e.decide(call("invite", { user: "dora" }))).effect).toBe("allow");
    expect(await e.decide(call("send", { to: "dora", body: "welcome" }))).toMatchObject({ effect: "allow", rule: "members" });
    await e.decide(call("invite", { user: "eve" }));
    await e.decide(call("invite", { user: "eve" }));
    const full = await e.decide(call("invite", { user: "fred" }));
    expect(full).toMatchObject({ effect: "deny", decidedBy: "limit", reasons: ["run state `invited` already holds 2 values, the most it may; start a new run"] });
    expect((await e.store.runs.get("r1", T0)).state).toEqual({ invited: ["dora", "eve"] });
    await e.close();
  });

  it("reads the clock from the Engine, never from the call", async () => {
    const { e, clock } = await engine();
    clock.t = Date.UTC(2024, 11, 31, 23, 0);
    expect(await e.decide(call("send", { to: "alice", body: "x" }, "r1", { time: "2030-01-01" }))).toMatchObject({ effect: "deny", rule: "new_year" });
    clock.t = Date.UTC(2025, 0, 1, 0, 0);
    expect((await e.decide(call("send", { to: "alice", body: "x" }))).effect).toBe("allow");
    await e.close();
  });

  it("sends a call over an `else approve` limit to its approvers, and a granted one is allowed past the cap", async () => {
    const { e } = await engine();
    for (let i = 0; i < 2; i++) expect((await e.decide(call("send", { to: "alice", body: `m${i}` }))).effect).toBe("allow");
    const over = await e.decide(call("send", { to: "alice", body: "m2" }));
    expect(over).toMatchObject({ effect: "approve", decidedBy: "limit", approvers: ["ops"] });
    expect(over.reasons[0]).toMatch(/^limit `runs\.pol:19` exceeded: 2 of 2 calls per day used; .*; a person may approve going over it$/);
    await e.approvals.resolve(over.approval!, { approve: true, by: "olga" });
    const again = await e.decide(call("send", { to: "alice", body: "m2" }));
    expect(again).toMatchObject({ effect: "allow", decidedBy: "approval" });
    expect(await e.store.limits.usage("runs.pol:19|run=r1", 86_400_000, T0)).toBe(3);
    await e.close();
  });

  it("needs a run id, and denies a call past the run's history bound", async () => {
    const { e } = await engine({ maxCalls: 2 });
    expect(await e.decide({ tool: "get_webpage", args: { url: "x" } })).toMatchObject({ effect: "deny", reasons: ["this policy reads the run's history or state, so calls need `run.id`"] });
    await e.decide(call("get_webpage", { url: "a" }));
    await e.decide(call("get_webpage", { url: "b" }));
    expect(await e.decide(call("get_webpage", { url: "c" }))).toMatchObject({ effect: "deny", decidedBy: "limit", reasons: ["run `r1` has recorded 2 calls, the most its history keeps; start a new run"] });
    await e.close();
  });
});
