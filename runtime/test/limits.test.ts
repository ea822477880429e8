// Limits through the Engine: exact under hundreds of concurrent decide() calls (SQLite and memory
// stores, and two processes sharing one file), reasons naming the limit and its reset, charging
// only final allows, leaving a grant unused when a limit denies, and no store trip without limits.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/index.js";
import { openMemoryStore, type LimitCharge, type StateStore } from "../store/index.js";
import { harness, HOUR, OPEN, refund, ROOT, tempDir, wasmFile, FIXTURES } from "./helpers.js";

const ping = (agent: string, n = 0) => ({ tool: "ping", args: { n }, agent: { id: agent } });
const spend = (amount: number, agent = "bot") => ({ tool: "spend", args: { amount }, agent: { id: agent } });

describe("limits under concurrency", () => {
  for (const kind of ["sqlite", "memory"] as const) {
    it(`allow exactly max of 400 concurrent calls (${kind})`, async () => {
      const h = await harness({ policy: OPEN, ...(kind === "memory" ? { store: ":memory:" } : {}) });
      const ds = await Promise.all(Array.from({ length: 400 }, (_, i) => h.engine.decide(ping("bot", i))));
      expect(ds.filter((d) => d.effect === "allow")).toHaveLength(50);
      const denied = ds.filter((d) => d.effect === "deny");
      expect(denied).toHaveLength(350);
      expect(new Set(denied.map((d) => d.limit))).toEqual(new Set(["ping_rate"]));
      const sums = await Promise.all(Array.from({ length: 300 }, () => h.engine.decide(spend(7, `agent-${Math.random()}`))));
      // spend_cap is global (no per key): floor(1000 / 7) = 142 fit, whichever agents win
      expect(sums.filter((d) => d.effect === "allow")).toHaveLength(142);
      await h.engine.close();
      expect(await verifyAudit(h.audit)).toMatchObject({ ok: true, count: 701 });
    });
  }

  it("stay exact across two processes sharing the store file", async () => {
    const dir = tempDir();
    const wasm = await wasmFile(OPEN, dir);
    const store = join(dir, "shared.db");
    const children = [0, 1].map((i) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "engine-child.ts"), wasm, store, join(dir, `audit-${i}.jsonl`), "150", "shared"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      const done = new Promise<string>((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${i} exited ${code}: ${err}`)))));
      const ready = (async () => {
        while (!out.includes("ready")) {
          if (child.exitCode !== null) throw new Error(`child ${i} died: ${err}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      return { child, done, ready };
    });
    await Promise.all(children.map((c) => c.ready));
    const startAt = Date.now() + 300;
    for (const c of children) c.child.stdin.end(`${startAt}\n`);
    const outs = await Promise.all(children.map((c) => c.done));
    const allowed = outs.map((o) => (JSON.parse(o.trim().split("\n").pop()!) as { allowed: number }).allowed);
    expect(allowed[0]! + allowed[1]!).toBe(50);
  }, 60_000);
});

describe("limit decisions", () => {
  it("deny with a reason naming the limit, its usage and when it resets", async () => {
    const h = await harness();
    for (let i = 0; i < 5; i++) expect((await h.engine.decide(refund(1))).effect).toBe("allow");
    const sixth = await h.engine.decide(refund(1));
    expect(sixth).toMatchObject({ effect: "deny", decidedBy: "limit", limit: "refund_count", rule: "small_refund" });
    expect(sixth.reasons).toEqual(["limit `refund_count` exceeded: 5 of 5 calls per hour used; it resets at 2025-01-01T10:00:00.000Z (in 1h)"]);
    h.clock.advance(HOUR);
    expect((await h.engine.decide(refund(1))).effect).toBe("allow");
    await h.engine.close();
  });

  it("deny a sum that would overflow, and one that never fits", async () => {
    const h = await harness();
    for (let i = 0; i < 4; i++) await h.engine.decide(refund(50, "summer"));
    const over = await h.engine.decide(refund(10, "summer"));
    expect(over.reasons).toEqual(["limit `refund_sum` exceeded: 200 of 200 per day used, this call adds 10; it resets at 2025-01-02T09:00:00.000Z (in 24h)"]);
    const h2 = await harness({ policy: OPEN });
    const never = await h2.engine.decide(spend(5000));
    expect(never.reasons).toEqual(["limit `spend_cap` can never allow this call: it adds 5000, more than the limit's 1000 per hour"]);
    await h.engine.close();
    await h2.engine.close();
  });

  it("charge nothing for denied or approve decisions", async () => {
    const h = await harness();
    for (let i = 0; i < 10; i++) {
      await h.engine.decide(refund(500));
      await h.engine.decide(refund(100 + i));
    }
    await h.engine.pause("refund", "incident");
    await h.engine.decide(refund(1));
    expect(await h.engine.store.limits.usage("refund_count|agent=bot", HOUR, h.clock.now())).toBe(0);
    await h.engine.close();
  });

  it("leave a granted approval unused when a limit denies the call", async () => {
    const h = await harness({ approvalTimeoutMs: 2 * HOUR });
    const a = (await h.engine.decide(refund(120, "busy"))).approval!;
    await h.engine.approvals.resolve(a, { approve: true, by: "alice" });
    for (let i = 0; i < 5; i++) await h.engine.decide(refund(1, "busy"));
    const d = await h.engine.decide(refund(120, "busy"));
    expect(d).toMatchObject({ effect: "deny", decidedBy: "limit", limit: "refund_count" });
    expect((await h.engine.approvals.get(a))!.status).toBe("approved");
    h.clock.advance(HOUR);
    expect(await h.engine.decide(refund(120, "busy"))).toMatchObject({ effect: "allow", approval: a });
    await h.engine.close();
  });

  it("never touch the limit store for calls no limit covers", async () => {
    const inner = await openMemoryStore();
    const calls: LimitCharge[][] = [];
    const counting: StateStore = { ...inner, limits: { ...inner.limits, consume: (c, now) => (calls.push([...c]), inner.limits.consume(c, now)) } };
    const h = await harness({ store: counting });
    for (let i = 0; i < 20; i++) await h.engine.decide({ tool: "lookup", args: { id: `${i}` }, agent: { id: "bot" } });
    expect(calls).toHaveLength(0);
    await h.engine.decide(refund(1));
    expect(calls).toHaveLength(1);
    await h.engine.close();
    await inner.close();
  });
});
