// pol test end to end: suites load with positions for every mistake, cases
// run through the compiled policy, reporters and exit codes behave.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import type { Io } from "../../cli/io.js";
import { loadSuite } from "../suite.js";

const FIX = "policytest/test/fixtures";

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "", colorOut: false, colorErr: false };
  return main(args, io).then((code) => ({ code, out, err }));
}

describe("suite loading", () => {
  it("expands tables and fixtures", () => {
    const s = loadSuite(join(FIX, "support_agent.test.yaml"));
    expect(s.errors).toEqual([]);
    expect(s.cases.map((c) => c.name)).toContain("thresholds [row 3]");
    const row = s.cases.find((c) => c.name === "thresholds [row 3]")!;
    expect(row.call).toMatchObject({ tool: "stripe.refund", args: { amount: 51, currency: "usd" }, env: "production" });
    expect(row.expect).toEqual({ effect: "approve", approvers: ["finance"] });
    expect(row.where.line).toBe(13);
  });
  it("reports shape mistakes with line and column", () => {
    const s = loadSuite(join(FIX, "bad.test.yaml"));
    const msgs = s.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
    expect(msgs).toContain("7:5 unknown key `expekt` in a case; did you mean `expect`?");
    expect(msgs.some((m) => m.startsWith("9:10 no fixture `refnud`; did you mean `refund`?"))).toBe(true);
    expect(msgs.some((m) => m.includes("`effect` must be allow, deny or approve, found `maybe`"))).toBe(true);
  });
});

describe("pol test", () => {
  it("runs, fails the wrong case with an explanation, exit 1", async () => {
    const r = await run(["test", join(FIX, "support_agent.test.yaml")]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ wrong on purpose");
    expect(r.out).toContain("expected deny, got allow");
    expect(r.out).toContain("matched rules: support_agent.pol:17");
    expect(r.out.trim().split("\n").pop()).toBe("7 passed, 1 failed");
  });
  it("suite errors are exit 2 with positions, not crashes", async () => {
    const r = await run(["test", join(FIX, "bad.test.yaml")]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("bad.test.yaml:7:5: unknown key `expekt`");
  });
  it("policy-dependent mistakes are suite errors too", async () => {
    const r = await run(["test", join(FIX, "bad-policy.test.yaml")]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("bad-policy.test.yaml:5:5: the policy neither declares nor targets tool `stripe.refnd`; did you mean `stripe.refund`?");
    expect(r.out).toContain("the call breaks the schema: `args.amount` must be a finite number, found a string");
    expect(r.out).toContain("no rule `small_refnd` in the policy");
  });
  it("filter, coverage, junit and json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poltest-"));
    const out = join(dir, "junit.xml");
    const r = await run(["test", join(FIX, "support_agent.test.yaml"), "--filter", "thresholds", "--coverage-min", "90", "--reporter", "junit", "--output", out]);
    expect(r.out).toContain("5 passed, 0 failed");
    expect(r.out).toContain("uncovered: support_agent.pol:23");
    expect(r.code).toBe(1);
    const xml = readFileSync(out, "utf8");
    expect(xml).toMatch(/<testsuite name="[^"]*support_agent.test.yaml" tests="5" failures="0" errors="0"/);
    const j = JSON.parse((await run(["test", join(FIX, "support_agent.test.yaml"), "--format", "json"])).out);
    expect(j).toMatchObject({ passed: 7, failed: 1 });
  });
  it("a --filter that matches no case fails, rather than passing CI with nothing run", async () => {
    const r = await run(["test", join(FIX, "support_agent.test.yaml"), "--filter", "thresholdz"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("0 passed, 0 failed");
    expect(r.err).toContain("no test case matches --filter thresholdz: nothing was run");
  });
});

/** A temporary folder holding `p.pol` and its suite `p.test.yaml`. */
function suiteDir(policy: string, suite: string): string {
  const dir = mkdtempSync(join(tmpdir(), "poltest-"));
  writeFileSync(join(dir, "p.pol"), policy);
  writeFileSync(join(dir, "p.test.yaml"), suite);
  return dir;
}

describe("stateful cases through the engine", () => {
  it("limits, pauses and trust from `state`, earlier calls from `before`", async () => {
    const dir = suiteDir(`policy p
tool pay { amount: number } write
tool look { id: string } read
allow pay if args.amount <= 100
allow look
spend: limit pay sum args.amount 100 per hour per agent
`, `defaults:
  agent: { id: bot }
cases:
  - name: spend cap from seeded usage
    call: { tool: pay, args: { amount: 20 } }
    state: { limits: [{ limit: spend, used: 90 }] }
    expect: { effect: deny, reason: "spend" }
  - name: spend cap from earlier calls
    call: { tool: pay, args: { amount: 20 } }
    before: [{ tool: pay, args: { amount: 50 } }, { tool: pay, args: { amount: 40 } }]
    expect: { effect: deny }
  - name: under the cap
    call: { tool: pay, args: { amount: 20 } }
    before: [{ tool: pay, args: { amount: 50 } }]
    expect: { effect: allow }
  - name: paused tools are denied
    call: { tool: look, args: { id: x } }
    state: { paused: [look] }
    expect: { effect: deny }
  - name: a class pause covers more dangerous classes only
    call: { tool: look, args: { id: x } }
    state: { paused: [{ class: write }] }
    expect: { effect: allow }
  - name: low trust turns allowed writes into approvals
    call: { tool: pay, args: { amount: 5 } }
    state: { trust: { bot: 30 } }
    expect: { effect: approve }
  - name: trust written in the call counts as the agent's score
    call: { tool: pay, args: { amount: 5 }, agent: { trust: 0 } }
    expect: { effect: deny }
`);
    const r = await run(["test", join(dir, "p.test.yaml"), "--coverage-min", "100"]);
    expect(r.out).toContain("7 passed, 0 failed");
    expect(r.code).toBe(0);
  });
  it("run history and run state from `before`, the clock from `time` (suite-wide or per case)", async () => {
    const dir = suiteDir(`policy p
tool fetch { url: string } read
tool invite { user: string } write
tool post { to: string } write
tool book { day: string } write
state invited: list<string> max 5
on invite add args.user to invited
allow fetch, invite
members: allow post if args.to in state.invited and not seen(fetch)
after_fetch: deny post if seen(fetch) because "not after a fetch"
future: allow book if date(args.day) >= today()
`, `time: "2024-05-15T09:00:00Z"
defaults:
  agent: { id: bot }
  run: { id: r1 }
cases:
  - name: an invitation earlier in the run opens messages to that user
    call: { tool: post, args: { to: dora } }
    before: [{ tool: invite, args: { user: dora } }]
    expect: { effect: allow, rule: members }
  - name: without it, nobody
    call: { tool: post, args: { to: dora } }
    expect: { effect: deny }
  - name: a fetch earlier in the run is seen
    call: { tool: post, args: { to: dora } }
    before: [{ tool: invite, args: { user: dora } }, { tool: fetch, args: { url: "https://x.io" } }]
    expect: { effect: deny, rule: after_fetch }
  - name: today by the suite's clock
    call: { tool: book, args: { day: "2024-05-15" } }
    expect: { effect: allow, rule: future }
  - name: a case's own clock
    call: { tool: book, args: { day: "2024-05-15" } }
    state: { time: "2024-05-16T09:00:00Z" }
    expect: { effect: deny }
  - name: fetching is allowed
    call: { tool: fetch, args: { url: "https://x.io" } }
    expect: { effect: allow }
  - name: run state set by the case, as an approved invitation would have left it
    call: { tool: post, args: { to: eve } }
    state: { run: { invited: [eve] } }
    expect: { effect: allow, rule: members }
`);
    const r = await run(["test", join(dir, "p.test.yaml"), "--coverage-min", "100"]);
    expect(r.out).toContain("7 passed, 0 failed");
    expect(r.code).toBe(0);
    writeFileSync(join(dir, "bad.test.yaml"), "policy: p.pol\ntime: tomorrow\ncases: []\n");
    const bad = await run(["test", join(dir, "bad.test.yaml")]);
    expect(bad.out + bad.err).toContain("`time` must be an ISO date and time");
    expect(bad.code).toBe(2);
    writeFileSync(join(dir, "bad2.test.yaml"), "policy: p.pol\ncases:\n  - { name: x, call: { tool: fetch, args: { url: u } }, state: { run: { invitd: [a] } }, expect: { effect: allow } }\n");
    const bad2 = await run(["test", join(dir, "bad2.test.yaml")]);
    expect(bad2.out + bad2.err).toContain("no run state `invitd` in the policy; did you mean `invited`?");
    expect(bad2.code).toBe(2);
  });
  it("every example suite passes with 100% rule coverage", async () => {
    const r = await run(["test", "examples", "--coverage-min", "100"]);
    expect(r.out).toContain("rule coverage:");
    expect(r.out).toMatch(/\n\d+ passed, 0 failed\n$/);
    expect(r.code).toBe(0);
  });
});
