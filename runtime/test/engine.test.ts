// Engine.decide end to end over a real SQLite file and JSONL log: decision shape and ids, the
// policy's verdicts, agent.trust from the store, audit records with redactions, sync mode, fail
// closed on internal and audit errors, close(), and loading from .wasm and .pol paths.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyAudit, type AuditSink } from "../audit/index.js";
import { Engine } from "../engine.js";
import { EngineError } from "../engine-types.js";
import { WasmPolicy } from "../loader.js";
import { openMemoryStore, type StateStore } from "../store/index.js";
import { compiled, FakeClock, harness, records, refund, SHOP, tempDir, wasmFile } from "./helpers.js";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("decide", () => {
  it("returns the documented shape with the policy hash and a positive latency", async () => {
    const h = await harness();
    const d = await h.engine.decide(refund(20));
    expect(d).toMatchObject({ effect: "allow", decidedBy: "rule", rule: "small_refund", reasons: ["allowed by rule `small_refund`"], approvers: [], trust: 100 });
    expect(d.id).toMatch(ULID);
    expect(d.policyHash).toBe(createHash("sha256").update(await compiled(SHOP)).digest("hex"));
    expect(d.latencyUs).toBeGreaterThan(0);
    await h.engine.close();
  });

  it("gives strictly increasing ids within one millisecond", async () => {
    const h = await harness();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await h.engine.decide({ tool: "lookup", args: { id: "x" }, agent: { id: "bot" } })).id);
    expect(new Set(ids).size).toBe(200);
    expect([...ids].sort()).toEqual(ids);
    await h.engine.close();
  });

  it("denies by rule, by default for unknown tools, and by schema naming the field", async () => {
    const h = await harness();
    const big = await h.engine.decide(refund(500));
    expect(big).toMatchObject({ effect: "deny", decidedBy: "rule", rule: "big_refund", reasons: ["refunds over 300 are never automatic"] });
    const unknown = await h.engine.decide({ tool: "db.drop", args: {}, agent: { id: "bot" } });
    expect(unknown).toMatchObject({ effect: "deny", decidedBy: "default", rule: "default" });
    expect(unknown.reasons[0]).toContain("no rule matched `db.drop`");
    const bad = await h.engine.decide({ tool: "refund", args: { amount: "20", customer: "c" }, agent: { id: "bot" } });
    expect(bad).toMatchObject({ effect: "deny", decidedBy: "schema", rule: null });
    expect(bad.reasons[0]).toBe("`args.amount` must be a finite number, found a string");
    await h.engine.close();
  });

  it("sets agent.trust from the trust store, ignoring what the caller claims", async () => {
    const h = await harness();
    await h.engine.store.trust.set("low", 60, h.clock.now());
    const claimed = await h.engine.decide({ tool: "email", args: { to: "a@b.c", body: "hi" }, agent: { id: "low", trust: 100 } });
    expect(claimed).toMatchObject({ effect: "approve", trust: 60, rule: "default for email" });
    await h.engine.store.trust.set("high", 95, h.clock.now());
    const modest = await h.engine.decide({ tool: "email", args: { to: "a@b.c", body: "hi" }, agent: { id: "high", trust: 0 } });
    expect(modest).toMatchObject({ effect: "allow", rule: "trusted_email", trust: 95 });
    await h.engine.close();
  });
});

describe("the audit log", () => {
  it("holds one chained record per decision with declared and default secrets redacted", async () => {
    const h = await harness();
    const d = await h.engine.decide(refund(20, "bot", { card_number: "4242424242424242", note: "vip" }));
    await h.engine.decide({ tool: "vault.read", args: { password: "hunter2", path: "/x" }, agent: { id: "bot" }, run: { id: "r" } });
    await h.engine.close();
    const recs = records(h.audit);
    expect(recs.map((r) => r["type"])).toEqual(["admin", "decision", "decision"]);
    expect(recs[0]).toMatchObject({ event: "engine.start", policy: d.policyHash, policyName: "shop" });
    expect(recs[1]).toMatchObject({
      id: d.id, policy: d.policyHash, agent: "bot", run: "run-1", tool: "refund", effect: "allow", rule: "small_refund",
      reasons: d.reasons, latencyUs: d.latencyUs, trust: 100, time: "2025-01-01T09:00:00.000Z",
      args: { amount: 20, customer: "cus_1", card_number: "[redacted]", note: "[redacted]" },
      limits: [{ id: "refund_count", key: "refund_count|agent=bot", amount: 1 }, { id: "refund_sum", key: "refund_sum|agent=bot", amount: 20 }],
    });
    expect(recs[2]!["args"]).toEqual({ password: "[redacted]", path: "/x" });
    expect(recs[2]!["prev"]).toBe(recs[1]!["hash"]);
    expect(readFileSync(h.audit, "utf8")).not.toContain("4242424242424242");
    expect(readFileSync(h.audit, "utf8")).not.toContain("hunter2");
    const v = await verifyAudit(h.audit);
    expect(v).toMatchObject({ ok: true, count: 3 });
  });

  it("in sync mode has each record on disk when decide returns", async () => {
    const dir = tempDir();
    const h = await harness({ dir, audit: { path: join(dir, "sync.jsonl"), sync: true } });
    const d = await h.engine.decide(refund(10));
    const onDisk = readFileSync(join(dir, "sync.jsonl"), "utf8");
    expect(onDisk).toContain(d.id);
    expect(JSON.parse(readFileSync(join(dir, "sync.jsonl.head"), "utf8")).seq).toBe(2);
    await h.engine.close();
  });

  it("defaults to a log next to the store file, and insists on one for other stores", async () => {
    const dir = tempDir();
    const p = await WasmPolicy.fromBytes(await compiled(SHOP));
    const e = await Engine.load(p, { store: join(dir, "pol.db") });
    await e.decide(refund(1));
    await e.close();
    expect((await verifyAudit(join(dir, "pol.audit.jsonl"))).ok).toBe(true);
    await expect(Engine.load(p, {})).rejects.toThrow(EngineError);
    await expect(Engine.load(p, {})).rejects.toThrow("the engine needs an audit log");
  });
});

describe("failing closed", () => {
  it("turns an internal error into an audited deny and reports it", async () => {
    const inner = await openMemoryStore();
    const broken: StateStore = { ...inner, trust: { ...inner.trust, get: async () => { throw new Error("disk on fire"); } } };
    const errors: string[] = [];
    const dir = tempDir();
    const h = await harness({ dir, store: broken, hooks: { onError: (e, where) => errors.push(`${where}: ${e.message}`) } });
    const d = await h.engine.decide(refund(20));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "error", rule: null });
    expect(d.reasons[0]).toBe("internal error, so the call is denied: disk on fire");
    expect(errors).toEqual(["decide: disk on fire"]);
    await h.engine.close();
    const rec = records(h.audit).find((r) => r["id"] === d.id)!;
    expect(rec).toMatchObject({ type: "error", effect: "deny", error: "disk on fire" });
    await inner.close();
  });

  it("denies when the audit log cannot take the record", async () => {
    const failing: AuditSink = {
      append: () => { throw new Error("audit log is full"); },
      flush: async () => undefined,
      close: async () => undefined,
      lastHash: "0".repeat(64),
      seq: 0,
    };
    const h = await harness({ audit: failing, hooks: { onError: () => undefined } });
    const d = await h.engine.decide(refund(20));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "error" });
    expect(d.reasons[0]).toBe("the audit log failed, so the call is denied: audit log is full");
    await h.engine.close();
  });

  it("hooks observe and cannot decide: one that rejects or mutates is a warning, the host lives, the deny stands", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const h = await harness({ hooks: {
        // An async hook (sending metrics, say) whose promise rejects: before, an unhandled rejection that ended the host.
        onDecision: async (d) => {
          (d as { effect: string }).effect = "allow"; // a frozen copy: this throws, and changes nothing
        },
        onOutcome: async () => { throw new Error("metrics endpoint down"); },
      } });
      let ran = false;
      const refundTool = h.engine.guard("refund", () => void (ran = true));
      await expect(refundTool({ amount: 900, customer: "cus_1" }, { agent: { id: "bot" }, run: { id: "run-1" } })).rejects.toThrow(/refunds over 300/);
      expect(ran).toBe(false);
      const d = await h.engine.decide(refund(900));
      expect(d.effect).toBe("deny");
      await h.engine.recordOutcome({ decision: d.id, tool: "refund", agent: "bot", run: null, status: "not-run" });
      // So is an approval listener's.
      h.engine.approvals.onChange(async () => { throw new Error("queue mirror down"); });
      expect((await h.engine.decide(refund(120))).effect).toBe("approve");
      await new Promise((r) => setTimeout(r, 20));
      expect(warnings).toContain("approval listener failed: queue mirror down");
      expect(warnings).toContain("pol engine hook onOutcome failed: metrics endpoint down");
      expect(warnings.some((w) => /^pol engine hook onDecision failed: Cannot assign to read only property 'effect'/.test(w))).toBe(true);
      await h.engine.close();
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("does not start on an audit log that cannot be written, rather than answering a first decision unaudited", async () => {
    const p = await WasmPolicy.fromBytes(await compiled(SHOP));
    // A log whose every write fails (a full disk): /dev/full, through a symlink so its head file stays out of /dev.
    const dir = tempDir();
    symlinkSync("/dev/full", join(dir, "audit.jsonl"));
    await expect(Engine.load(p, { audit: join(dir, "audit.jsonl") })).rejects.toThrow(/^the audit log cannot be written, so the engine does not start: .*ENOSPC/);
  });

  it("denies after close, and close flushes everything appended", async () => {
    const log = join(tempDir(), "slow.jsonl");
    const h = await harness({ audit: { path: log, batchMs: 10_000 } });
    for (let i = 0; i < 50; i++) await h.engine.decide(refund(1, `a${i}`));
    await h.engine.close();
    expect(await verifyAudit(log)).toMatchObject({ ok: true, count: 51 });
    const after = await h.engine.decide(refund(1));
    expect(after).toMatchObject({ effect: "deny", decidedBy: "error", reasons: ["the engine is closed, so the call is denied"] });
    await h.engine.close();
  });
});

describe("loading", () => {
  it("loads a .wasm path and a .pol path to the same policy", async () => {
    const dir = tempDir();
    const wasm = await wasmFile(SHOP, dir);
    const a = await Engine.load(wasm, { store: ":memory:", audit: false, clock: new FakeClock() });
    const b = await Engine.load(SHOP, { store: ":memory:", audit: false, clock: new FakeClock() });
    expect(a.policyHash).toBe(b.policyHash);
    expect((await b.decide(refund(120))).effect).toBe("approve");
    await a.close();
    await b.close();
  });

  it("rejects bad options with one lowercase line", async () => {
    const p = await WasmPolicy.fromBytes(await compiled(SHOP));
    await expect(Engine.load(p, { audit: false, approvalTimeoutMs: -1 })).rejects.toThrow("approvalTimeoutMs must be a positive number of milliseconds, got `-1`");
    await expect(Engine.load(p, { audit: false, trust: { minimum: 120 } })).rejects.toThrow("trust.minimum must be a number from 0 to 100, got `120`");
    // A misspelt option once meant the default silently (`stroe`: an in-memory store, nothing persisted).
    await expect(Engine.load(p, { audit: false, stroe: "pol.db" } as never)).rejects.toThrow(/^unknown option `stroe`; the options are store, audit, /);
    await expect(Engine.load(p, null as never)).rejects.toThrow("the options must be an object, got null");
    await expect(Engine.load(p, { audit: { pth: "a.jsonl" } as never })).rejects.toThrow("`audit.path` must be the JSONL log's file path, got none (the field is `path`)");
    // A store that cannot be one is refused before its key file is made beside it.
    const dir = tempDir();
    await expect(Engine.load(p, { audit: false, store: dir })).rejects.toThrow(`the store \`${dir}\` is a directory; the store is a SQLite file: name one in it (${join(dir, "pol.db")})`);
    expect(existsSync(`${dir}.key`)).toBe(false);
    await expect(Engine.load(p, { audit: false, store: "mysql://db/pol" })).rejects.toThrow("`mysql://` is not a store pol can open: use a SQLite file path, :memory:, redis:// or postgres://");
    // A missing directory is made, as the audit log's is.
    const nested = await Engine.load(p, { audit: false, store: join(dir, "a", "b", "pol.db") });
    await nested.close();
    // The call limits: anything but their values once meant no check (`DENY` let undeclared arguments through).
    const bytes = await compiled(SHOP);
    await expect(WasmPolicy.fromBytes(bytes, { extraArgs: "DENY" as never })).rejects.toThrow('`extraArgs` must be "deny" (the default) or "ignore", got "DENY"');
    await expect(WasmPolicy.fromBytes(bytes, { maxString: Number.NaN })).rejects.toThrow("`maxString` must be a whole number, 0 or more, got NaN");
    await expect(WasmPolicy.fromBytes(bytes, { maxList: "abc" as never })).rejects.toThrow('`maxList` must be a whole number, 0 or more, got "abc"');
  });
});
