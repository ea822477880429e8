// Rollout through the Engine, on real signed bundles, real compiled modules and real JSONL logs:
// loading a bundle (refused unsigned, tampered or foreign), reload under concurrent load (every
// decision made wholly by one policy, none errored, in-flight ones finishing on theirs), the
// bundled suites gating a swap, rollback, shadow records exactly where effects differ, the canary
// split and its stability per run, watching a file and a directory, and approvals across a reload.

import { copyFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../bundle/format.js";
import { openBundle } from "../../bundle/open.js";
import { generateKeyPair } from "../../bundle/sign.js";
import { bundleFile, policyDir, signer, SUITE_V1, SUITE_V2, tempDir, V1, V2 } from "../../bundle/test/fixtures.js";
import { verifyAudit } from "../audit/index.js";
import { Engine } from "../engine.js";
import type { EngineDecision, EngineOptions } from "../engine-types.js";
import { WasmPolicy } from "../loader.js";
import { canaryBucket, PolicySet } from "../policy-set.js";
import { ReloadError } from "../reload.js";
import { openMemoryStore } from "../store/index.js";
import { records, sleep } from "./helpers.js";

let v1: { path: string; bytes: Uint8Array };
let v2: { path: string; bytes: Uint8Array };
let p1: WasmPolicy;
let p2: WasmPolicy;

beforeAll(async () => {
  v1 = await bundleFile(V1, SUITE_V1);
  v2 = await bundleFile(V2, SUITE_V2);
  p1 = await WasmPolicy.fromBytes(openBundle(v1.bytes, signer().publicKey).module);
  p2 = await WasmPolicy.fromBytes(openBundle(v2.bytes, signer().publicKey).module);
}, 60_000);

const refund = (amount: number, run = "run-1", extra: Record<string, unknown> = {}) => ({ tool: "refund", args: { amount, customer: "c1", ...extra }, agent: { id: "bot" }, run: { id: run } });

async function open(policy: string | Uint8Array = v1.path, opts: Partial<EngineOptions> = {}) {
  const dir = tempDir("pol-rollout-");
  const audit = join(dir, "audit.jsonl");
  const errors: [string, string][] = [];
  // Thousands of distinct calls needing approval from one agent: no pending cap in these tests.
  const engine = await Engine.load(policy, { store: ":memory:", audit, verifyKey: signer().publicKey, maxPendingPerAgent: 1_000_000, hooks: { onError: (e, where) => void errors.push([where, e.message]) }, ...opts });
  return { engine, audit, dir, errors };
}

describe("loading a signed bundle", () => {
  it("records the bundle's hash and signer when the engine starts", async () => {
    const { engine, audit } = await open();
    expect(engine.policyHash).toBe(p1.hash);
    expect((await engine.decide(refund(20))).effect).toBe("allow");
    await engine.close();
    const start = records(audit).find((r) => r["event"] === "engine.start")!;
    expect(start).toMatchObject({ type: "admin", policy: p1.hash, policyName: "refunds", bundle: sha256(v1.bytes), signer: signer().keyId });
  });

  it("refuses a bundle without verifyKey, a module with it, and a bundle signed by another key", async () => {
    await expect(Engine.load(v1.path, { store: ":memory:", audit: false })).rejects.toThrow(`\`${v1.path}\` is a signed policy bundle: pass \`verifyKey\` (the signer's public key) to load it`);
    await expect(Engine.load(p1, { store: ":memory:", audit: false, verifyKey: signer().publicKey })).rejects.toThrow("a loaded WasmPolicy is not a signed bundle, and this engine has `verifyKey` set: it takes only bundles signed by a trusted key (build one with `pol build --sign`)");
    const other = generateKeyPair();
    await expect(Engine.load(v1.bytes, { store: ":memory:", audit: false, verifyKey: other.publicKey })).rejects.toThrow(/is signed by key `ed25519:[0-9a-f]{16}`, which is not a trusted verify key/);
  });
});

describe("reload", () => {
  it("swaps atomically under 20,000 concurrent decisions: each made wholly by one policy, none errored", async () => {
    // The real memory store behind a network's delay on trust reads (one to three macrotasks, as a
    // Redis or PostgreSQL round trip is), so decisions are really in flight, and not in lockstep,
    // when the swap happens.
    const memory = await openMemoryStore();
    let gets = 0;
    const slowGet = async (id: string) => {
      for (let hops = gets++ % 3; hops >= 0; hops--) await new Promise(setImmediate);
      return memory.trust.get(id);
    };
    const trust = new Proxy(memory.trust, { get: (t, k) => (k === "get" ? slowGet : (Reflect.get(t, k) as (...a: unknown[]) => unknown).bind(t)) });
    const { engine, audit, errors } = await open(v1.path, { store: { ...memory, trust, close: () => memory.close() } });
    // Amounts where the two policies disagree, and one where they agree.
    const expected: Record<string, Record<number, string>> = { [p1.hash]: { 30: "allow", 75: "allow", 600: "approve", 2000: "deny" }, [p2.hash]: { 30: "allow", 75: "approve", 600: "deny", 2000: "deny" } };
    const amounts = [30, 75, 600, 2000];
    // At least 20,000 decisions, the reload starting after 4,000 and at least 5,000 more after its swap
    // (how many run while the reload verifies and runs its suites depends on the machine).
    const TOTAL = 20_000;
    let issued = 0;
    let crossed = 0;
    let swappedAt = Infinity;
    const seen: { d: EngineDecision; atCall: string; amount: number }[] = [];
    let reload: Promise<unknown> | undefined;
    const worker = async (w: number) => {
      while (issued < TOTAL || issued < swappedAt + 5_000) {
        // Real traffic arrives as I/O events; without yielding, memory-store decisions would be all
        // microtasks and starve the reload's (and the audit log's) macrotasks forever.
        await new Promise(setImmediate);
        const n = issued++;
        if (n === 4_000) reload = engine.reload(v2.path).finally(() => void (swappedAt = issued));
        const amount = amounts[n % amounts.length]!;
        const atCall = engine.policyHash;
        const d = await engine.decide(refund(amount, `run-${w}-${n % 50}`));
        if (atCall !== engine.policyHash) crossed++;
        seen.push({ d, atCall, amount });
      }
    };
    await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
    await reload;
    expect(engine.policyHash).toBe(p2.hash);
    expect(seen.length).toBeGreaterThanOrEqual(TOTAL);
    expect(seen.filter((x) => x.d.decidedBy === "error")).toEqual([]);
    expect(errors).toEqual([]);
    // Wholly one policy: the effect is that policy's for the amount, and it is the policy the decision started with.
    expect(seen.filter((x) => x.d.effect !== expected[x.d.policyHash]?.[x.amount]).slice(0, 3)).toEqual([]);
    expect(seen.filter((x) => x.d.policyHash !== x.atCall)).toEqual([]);
    const by = (h: string) => seen.filter((x) => x.d.policyHash === h).length;
    expect(by(p1.hash) + by(p2.hash)).toBe(seen.length);
    expect(by(p1.hash)).toBeGreaterThan(4_000);
    expect(by(p2.hash)).toBeGreaterThanOrEqual(5_000);
    // Decisions in flight when the swap happened completed, on the policy they started with.
    expect(crossed).toBeGreaterThan(0);
    await engine.close();
    await memory.close();
    const rs = records(audit);
    const decisions = new Map(seen.map((x) => [x.d.id, x.d.policyHash]));
    const logged = rs.filter((r) => r["type"] === "decision");
    expect(logged).toHaveLength(seen.length);
    expect(logged.filter((r) => decisions.get(r["id"] as string) !== r["policy"])).toEqual([]);
    expect(rs.find((r) => r["event"] === "policy.reload")).toMatchObject({ ok: true, from: p1.hash, policy: p2.hash, signer: signer().keyId, tests: "4 cases in 1 suite passed" });
    expect((await verifyAudit(audit)).ok).toBe(true);
  }, 120_000);

  it("keeps the old policy when the bundle's own suites fail, reporting and auditing why", async () => {
    const { engine, audit, errors } = await open();
    // v2's module with v1's suite, built without the build's own check: only the reload gate stands in the way.
    const bad = await bundleFile(V2, SUITE_V1, { test: false });
    const r = engine.reload(bad.path);
    await expect(r).rejects.toBeInstanceOf(ReloadError);
    await expect(r).rejects.toMatchObject({ stage: "tests", message: expect.stringMatching(/^the policy's own suites fail: 2 of 4 cases in 1 suite failed: case `small refunds are automatic` \(refunds\.test\.yaml:\d+\): expected allow, got approve/) });
    expect(engine.policyHash).toBe(p1.hash);
    expect((await engine.decide(refund(75))).effect).toBe("allow");
    expect(errors).toEqual([["policy reload", expect.stringMatching(/^the policy's own suites fail/)]]);
    expect(engine.policyStatus().changes).toMatchObject({ ok: 0, failed: 1, inProgress: false, last: { ok: false, role: "live", stage: "tests", source: bad.path, policy: p1.hash } });
    await engine.close();
    expect(records(audit).find((r) => r["event"] === "policy.reload")).toMatchObject({ ok: false, stage: "tests", kept: p1.hash, source: bad.path });
  }, 60_000);

  it("keeps the old policy for a tampered bundle, an unsigned module, and a missing file", async () => {
    const { engine, errors } = await open();
    const tampered = v2.bytes.slice();
    tampered[tampered.length - 40] ^= 1;
    await expect(engine.reload(tampered)).rejects.toMatchObject({ stage: "verify" });
    await expect(engine.reload(p2)).rejects.toMatchObject({ stage: "verify", message: expect.stringContaining("not a signed bundle") });
    await expect(engine.reload("/nonexistent/x.polb")).rejects.toMatchObject({ stage: "load", message: "cannot read `/nonexistent/x.polb`: ENOENT" });
    expect(engine.policyHash).toBe(p1.hash);
    expect(errors).toHaveLength(3);
    await engine.close();
  });

  it("promotes and rolls back by reloading, each change audited with the bundle and signer", async () => {
    const { engine, audit } = await open();
    await engine.reload(v2.path);
    expect((await engine.decide(refund(75))).effect).toBe("approve");
    await engine.reload(v1.path);
    expect((await engine.decide(refund(75))).effect).toBe("allow");
    expect(engine.policyStatus()).toMatchObject({ live: { hash: p1.hash, name: "refunds", source: v1.path, signer: signer().keyId }, changes: { ok: 2, failed: 0 } });
    await engine.close();
    expect(records(audit).filter((r) => r["event"] === "policy.reload").map((r) => [r["from"], r["policy"]])).toEqual([[p1.hash, p2.hash], [p2.hash, p1.hash]]);
  });

  it("does not let a grant made under the old policy bypass the new one, nor answer for other approvers", async () => {
    const { engine } = await open();
    // 600: v1 sends it to finance, v2 denies it. A grant from before the reload must not turn the deny into an allow.
    const asked = await engine.decide(refund(600));
    await engine.approvals.resolve(asked.approval!, { approve: true, by: "alice" });
    // 200: both send it to finance; the grant still authorises exactly that call.
    const asked200 = await engine.decide(refund(200));
    await engine.approvals.resolve(asked200.approval!, { approve: true, by: "alice" });
    // 300: v1 sends it to finance, v2 to risk. Finance's grant must not answer for risk.
    const asked300 = await engine.decide(refund(300));
    await engine.approvals.resolve(asked300.approval!, { approve: true, by: "alice" });
    await engine.reload(v2.path);
    expect(await engine.decide(refund(600))).toMatchObject({ effect: "deny", rule: "large", policyHash: p2.hash });
    expect(await engine.decide(refund(200))).toMatchObject({ effect: "allow", decidedBy: "approval", approval: asked200.approval, policyHash: p2.hash });
    const again300 = await engine.decide(refund(300));
    expect(again300).toMatchObject({ effect: "approve", rule: "risk_review", approvers: ["risk"], policyHash: p2.hash });
    expect(again300.approval).not.toBe(asked300.approval);
    await engine.close();
  });
});

describe("shadow", () => {
  it("writes a shadow.diff record exactly where the candidate's effect differs, and the live decision alone counts", async () => {
    const { engine, audit } = await open(v1.path, { shadow: v2.path });
    const calls = [refund(10), refund(75, "r", { card: "4111 1111 1111 1111" }), refund(200), refund(300), refund(600), refund(2000), { tool: "lookup", args: { id: "x" }, agent: { id: "bot" } }, { tool: "nope", agent: { id: "bot" } }];
    const ds: EngineDecision[] = [];
    for (const c of calls) ds.push(await engine.decide(c));
    expect(ds.map((d) => d.policyHash)).toEqual(calls.map(() => p1.hash));
    expect(ds.map((d) => d.effect)).toEqual(["allow", "allow", "approve", "approve", "approve", "deny", "allow", "deny"]);
    await engine.flush();
    const differ = calls.map((c, i) => [i, p1.evaluate(c).effect, p2.evaluate(c).effect] as const).filter(([, a, b]) => a !== b);
    // 300 goes to risk instead of finance under v2: the same effect, so no record.
    expect(differ.map(([i]) => i)).toEqual([1, 4]);
    const diffs = records(audit).filter((r) => r["event"] === "shadow.diff");
    expect(diffs.map((r) => r["decision"])).toEqual(differ.map(([i]) => ds[i]!.id));
    expect(diffs[0]).toMatchObject({
      type: "admin", tool: "refund", agent: "bot", run: "r", args: { amount: 75, customer: "c1", card: "[redacted]" },
      live: { policy: p1.hash, effect: "allow", rule: "small" }, shadow: { policy: p2.hash, effect: "approve", rule: "review", approvers: ["finance"] },
    });
    expect(diffs[1]).toMatchObject({ live: { effect: "approve", rule: "review", approvers: ["finance"] }, shadow: { effect: "deny", rule: "large" } });
    expect(engine.policyStatus().shadow).toMatchObject({ hash: p2.hash, compared: calls.length, differed: 2, dropped: 0 });
    // Each shadow record follows the decision it compares.
    const order = records(audit).map((r) => r["id"] ?? r["decision"]);
    for (const d of diffs) expect(order.indexOf(d["decision"])).toBeLessThan(order.lastIndexOf(d["decision"]));
    await engine.close();
  });

  it("never fails the live decision: a call the shadow cannot copy is dropped and counted", async () => {
    const { engine, errors } = await open(v1.path, { shadow: v2.path });
    const huge = await engine.decide({ ...refund(10), args: { amount: 10, customer: "c1", rows: Array.from({ length: 20_000 }, (_, i) => ({ i })) } });
    expect(huge).toMatchObject({ effect: "deny", decidedBy: "schema" });
    // A function is data the candidate sees as the live policy did: compared, not dropped.
    await engine.decide({ ...refund(10), args: { amount: 10, customer: "c1", fn: () => 1 } });
    await engine.flush();
    expect(engine.policyStatus().shadow).toMatchObject({ compared: 1, dropped: 1 });
    expect(errors).toEqual([]);
    await engine.close();
  });

  it("is set, replaced and removed at run time, through the same gate as reload", async () => {
    const { engine, audit } = await open();
    await engine.setShadow(v2.path);
    await engine.decide(refund(75));
    await engine.flush();
    expect(engine.policyStatus().shadow).toMatchObject({ hash: p2.hash, differed: 1 });
    const bad = await bundleFile(V2, SUITE_V1, { test: false });
    await expect(engine.setShadow(bad.path)).rejects.toMatchObject({ stage: "tests" });
    expect(engine.policyStatus().shadow?.hash).toBe(p2.hash);
    await engine.setShadow(null);
    expect(engine.policyStatus().shadow).toBeUndefined();
    // Promoting the shadow's policy ends the comparison of a policy with itself.
    await engine.setShadow(v2.path);
    await engine.reload(v2.path);
    expect(engine.policyStatus().shadow).toBeUndefined();
    await engine.close();
    expect(records(audit).filter((r) => typeof r["event"] === "string" && (r["event"] as string).startsWith("policy.")).map((r) => [r["event"], r["ok"]])).toEqual([
      ["policy.shadow", true], ["policy.shadow", false], ["policy.shadow", true], ["policy.shadow", true], ["policy.reload", true],
    ]);
  }, 60_000);
});

describe("canary", () => {
  it("decides within ±1% of its share over 100,000 run ids, the same way for a run every time, and a ramp keeps the first runs", () => {
    const live = { policy: p1, origin: "v1" };
    const cand = { policy: p2, origin: "v2" };
    for (const percent of [1, 5, 25, 50]) {
      const set = new PolicySet(live, undefined, { loaded: cand, percent });
      let n = 0;
      for (let i = 0; i < 100_000; i++) if (set.pick(`run-${i}`) === p2) n++;
      expect(Math.abs(n / 1000 - percent)).toBeLessThan(1);
    }
    const uuids = Array.from({ length: 100_000 }, () => crypto.randomUUID());
    const five = new PolicySet(live, undefined, { loaded: cand, percent: 5 });
    const share = uuids.filter((u) => five.pick(u) === p2).length / 1000;
    expect(Math.abs(share - 5)).toBeLessThan(1);
    const twentyFive = new PolicySet(live, undefined, { loaded: cand, percent: 25 });
    expect(uuids.filter((u) => five.pick(u) === p2 && twentyFive.pick(u) !== p2)).toEqual([]);
    expect(uuids.slice(0, 1000).every((u) => five.pick(u) === five.pick(u) && canaryBucket(p2.hash, u) === canaryBucket(p2.hash, u))).toBe(true);
    expect(new PolicySet(live, undefined, { loaded: cand, percent: 100 }).pick("")).toBe(p1);
    expect(() => new PolicySet(live, undefined, { loaded: live, percent: 5 })).toThrow("the canary is the live policy itself");
  });

  it("decides a run wholly by one policy, and the decision and audit say when the canary decided", async () => {
    const { engine, audit } = await open(v1.path, { canary: { policy: v2.path, percent: 50 } });
    const byRun = new Map<string, Set<string>>();
    const ds: EngineDecision[] = [];
    for (let i = 0; i < 400; i++) {
      const run = `run-${i % 40}`;
      const d = await engine.decide(refund(75, run));
      ds.push(d);
      byRun.set(run, (byRun.get(run) ?? new Set()).add(d.policyHash));
      expect(d.effect).toBe(d.policyHash === p2.hash ? "approve" : "allow");
      expect(d.canary).toBe(d.policyHash === p2.hash ? true : undefined);
    }
    expect([...byRun.values()].every((s) => s.size === 1)).toBe(true);
    const canaryRuns = [...byRun.values()].filter((s) => s.has(p2.hash)).length;
    expect(canaryRuns).toBeGreaterThan(5);
    expect(canaryRuns).toBeLessThan(35);
    // No run id: the live policy.
    expect((await engine.decide({ tool: "refund", args: { amount: 75, customer: "c1" }, agent: { id: "bot" } })).policyHash).toBe(p1.hash);
    expect(engine.policyStatus().canary).toMatchObject({ hash: p2.hash, percent: 50 });
    await engine.setCanary({ percent: 0 });
    expect((await engine.decide(refund(75, ds.find((d) => d.canary)!.id))).policyHash).toBe(p1.hash);
    await engine.close();
    const logged = records(audit).filter((r) => r["type"] === "decision");
    expect(logged.filter((r) => r["canary"] === true).map((r) => r["policy"])).toEqual(ds.filter((d) => d.canary).map(() => p2.hash));
  });

  it("is refused with a percent out of range, and ends when its policy is promoted", async () => {
    await expect(Engine.load(v1.path, { store: ":memory:", audit: false, verifyKey: signer().publicKey, canary: { policy: v2.path, percent: 101 } })).rejects.toThrow("the canary's `percent` must be a number from 0 to 100, got `101`");
    const { engine } = await open(v1.path, { canary: { policy: v2.path, percent: 5 } });
    await expect(engine.setCanary({ percent: Number.NaN })).rejects.toThrow("must be a number from 0 to 100");
    await engine.reload(v2.path);
    expect(engine.policyStatus().canary).toBeUndefined();
    await engine.close();
  });
});

describe("watch", () => {
  const until = async (ok: () => boolean, ms = 20_000) => {
    for (const t0 = Date.now(); !ok(); await sleep(25)) if (Date.now() - t0 > ms) throw new Error("timed out waiting");
  };

  it("reloads a bundle file replaced in place, and keeps the policy when the new file is bad", async () => {
    const dir = tempDir("pol-watch-");
    const live = join(dir, "live.polb");
    copyFileSync(v1.path, live);
    const { engine, errors } = await open(live, { watch: { debounceMs: 20 } });
    expect(engine.policyStatus().watching).toBe(live);
    // A deploy: write beside, rename over.
    copyFileSync(v2.path, `${live}.tmp`);
    renameSync(`${live}.tmp`, live);
    await until(() => engine.policyHash === p2.hash);
    writeFileSync(live, v1.bytes.subarray(0, 100));
    await until(() => engine.policyStatus().changes.failed === 1);
    expect(engine.policyHash).toBe(p2.hash);
    expect(errors[0]![0]).toBe("policy reload");
    await engine.close();
  }, 60_000);

  it("rebuilds a policy directory when a source changes, running its suites first", async () => {
    const dir = policyDir(V1, SUITE_V1);
    const { engine } = await open(dir, { verifyKey: undefined, watch: { debounceMs: 20 } });
    expect(engine.policyHash).toBe(p1.hash);
    // A change the suite rejects is not taken...
    writeFileSync(join(dir, "refunds.pol"), V2);
    await until(() => engine.policyStatus().changes.failed === 1);
    expect(engine.policyHash).toBe(p1.hash);
    // ...and with the suite updated too, it is.
    writeFileSync(join(dir, "refunds.test.yaml"), SUITE_V2);
    await until(() => engine.policyHash === p2.hash);
    await engine.close();
  }, 60_000);

  it("needs the policy as a path, and a debounce that is a number of milliseconds", async () => {
    await expect(Engine.load(v1.bytes, { store: ":memory:", audit: false, verifyKey: signer().publicKey, watch: true })).rejects.toThrow("`watch` needs the policy as a path");
    await expect(Engine.load(v1.path, { store: ":memory:", audit: false, verifyKey: signer().publicKey, watch: { debounceMs: -1 } })).rejects.toThrow("`watch.debounceMs` must be a number of milliseconds, got `-1`");
  });
});
