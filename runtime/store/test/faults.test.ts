// Faults on the real servers, mid-run: Redis stopped, frozen (accepting bytes, answering nothing)
// and its connections killed; PostgreSQL stopped and restarted under approvals and the audit chain.
// Each time a decision is a deny with a reason a person can read, never a hang and never an allow,
// and the engine recovers by itself when the server returns. Uses Engines in this process.

import pg from "pg";
import { describe, expect, it } from "vitest";
import { Engine, type EngineDecision } from "../../index.js";
import { verifyPostgresAudit } from "../../audit/index.js";
import { useFleetServers } from "./fleet-helpers.js";

const { ready, redis, postgres, wasm } = await useFleetServers();

const KEY = "fa".repeat(32);
const agent = { id: "bot" };
const search = (i: number) => ({ tool: "search", args: { q: `q${i}` }, agent });
/** Failed-closed decisions are the point here: keep their warnings out of the test output. */
const quiet = { onError: () => {} };
let tenants = 0;

function spec() {
  const t = `x${tenants++}`;
  const r = `${redis!.url}?prefix=pol:{${t}}:`;
  return { t, store: { limits: r, trust: r, pauses: r, approvals: `${postgres!.url}?schema=${t}` } };
}

interface Timed { d: EngineDecision; ms: number }

async function timed(engine: Engine, call: unknown): Promise<Timed> {
  const t = performance.now();
  const d = await engine.decide(call);
  return { d, ms: performance.now() - t };
}

/** Decides until `ok(d)` holds, for at most `ms`; returns the decision that did (or throws). */
async function until(engine: Engine, ok: (d: EngineDecision) => boolean, ms = 10_000): Promise<EngineDecision> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end; i++) {
    const d = await engine.decide(search(i));
    if (ok(d)) return d;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no decision matched within ${ms} ms`);
}

describe.runIf(ready)("faults on real servers", () => {
  it("denies with a readable reason while Redis is stopped, and recovers by itself when it returns", async () => {
    const { store } = spec();
    const engine = await Engine.load(wasm, { store, audit: false, hooks: quiet });
    expect((await engine.decide(search(0))).effect).toBe("allow");
    await redis!.stop();
    const down: Timed[] = [];
    for (let i = 0; i < 20; i++) down.push(await timed(engine, search(i)));
    await redis!.start();
    expect(down.every((x) => x.d.effect === "deny" && x.d.decidedBy === "error")).toBe(true);
    expect(down[0]!.d.reasons[0]).toMatch(/^internal error, so the call is denied: (the )?redis (store )?at 127\.0\.0\.1:\d+ .*(unavailable|did not answer)/);
    // Bounded: the deadline (50 ms by default) or an immediate refusal, never a wait for the server.
    expect(Math.max(...down.map((x) => x.ms))).toBeLessThan(1000);
    const back = await until(engine, (d) => d.effect === "allow");
    expect(back.decidedBy).toBe("rule");
    await engine.close();
  });

  it("denies after the deadline when Redis accepts bytes and answers nothing, then recovers", async () => {
    const { store } = spec();
    const engine = await Engine.load(wasm, { store, audit: false, hooks: quiet });
    expect((await engine.decide(search(0))).effect).toBe("allow");
    redis!.freeze();
    let frozen: Timed[] = [];
    try {
      for (let i = 0; i < 5; i++) frozen.push(await timed(engine, search(i)));
    } finally {
      redis!.thaw();
    }
    expect(frozen.every((x) => x.d.effect === "deny")).toBe(true);
    expect(frozen[0]!.d.reasons[0]).toContain("did not answer within 50 ms");
    process.stderr.write(`frozen redis: decisions denied after ${frozen.map((x) => x.ms.toFixed(0)).join(", ")} ms\n`);
    expect(Math.min(...frozen.map((x) => x.ms))).toBeGreaterThanOrEqual(45);
    expect(Math.max(...frozen.map((x) => x.ms))).toBeLessThan(1000);
    frozen = [];
    expect((await until(engine, (d) => d.effect === "allow")).effect).toBe("allow");
    await engine.close();
  });

  it("keeps the limit exact while its connections are killed mid-decision", async () => {
    const { store } = spec();
    const engine = await Engine.load(wasm, { store: { ...store, timeoutMs: 200 }, audit: false, hooks: quiet });
    const killer = setInterval(() => void redisCommand(["CLIENT", "KILL", "TYPE", "normal"]).catch(() => undefined), 60);
    const outcomes: EngineDecision[] = [];
    try {
      for (let i = 0; i < 3000; i++) outcomes.push(await engine.decide(search(i)));
    } finally {
      clearInterval(killer);
    }
    const lost = outcomes.filter((d) => d.decidedBy === "error").length;
    // Then on to the 4,000 limit with the connection left alone: the first limit denial shows the
    // store's count, which may include charges whose answers were lost, never fewer than allowed.
    for (let i = 0; ; i++) {
      const d = await engine.decide(search(i));
      outcomes.push(d);
      if (d.decidedBy === "limit") break;
    }
    const allowed = outcomes.filter((d) => d.effect === "allow").length;
    process.stderr.write(`connection kills: ${lost} decisions denied for a lost connection, ${allowed} allowed before the limit\n`);
    expect(lost).toBeGreaterThan(0);
    expect(outcomes.filter((d) => d.effect === "allow" && d.decidedBy !== "rule")).toEqual([]);
    expect(allowed).toBeLessThanOrEqual(4000);
    expect(allowed).toBeGreaterThanOrEqual(4000 - lost);
    expect(await engine.store.limits.usage("searches", 3_600_000, Date.now())).toBe(4000);
    await engine.close();
  });

  it("denies approval requests while PostgreSQL is down, and waiters ride out the outage", async () => {
    const { store } = spec();
    const engine = await Engine.load(wasm, { store, audit: false, approvalPollMs: 60_000, hooks: quiet });
    const operator = await Engine.load(wasm, { store, audit: false, hooks: quiet });
    const wire = { tool: "wire", args: { amount: 500, to: "acme" }, agent };
    const first = await engine.decide(wire);
    expect(first).toMatchObject({ effect: "approve" });
    // A wait that began while the server was up and ends while it is down: the approval as last read.
    const before = engine.approvals.wait(first.approval!, 3_000);
    await new Promise((r) => setTimeout(r, 500)); // its first read done (retried if slow) while the server is up
    await postgres!.stop("fast");
    const down = await timed(engine, { ...wire, args: { amount: 501, to: "acme" } });
    expect(down.d).toMatchObject({ effect: "deny", decidedBy: "error" });
    expect(down.d.reasons[0]).toMatch(/postgres (store )?at 127\.0\.0\.1:\d+\/postgres .*(unavailable|did not answer)/);
    expect(down.ms).toBeLessThan(1000);
    expect((await before).status).toBe("pending");
    // One that never reads the approval ends at its timeout with the store's error, not a status.
    await expect(engine.approvals.wait(first.approval!, 300)).rejects.toMatchObject({ name: "StoreError", code: "unavailable" });
    // One that begins while the server is down reads again until it answers (a first read failing
    // on a reconnecting pool once ended the wait at once); then its LISTEN connection, back by
    // itself, is what wakes it: the poll interval is a minute.
    const waiting = engine.approvals.wait(first.approval!, 30_000);
    await postgres!.start();
    await new Promise((r) => setTimeout(r, 1500));
    const resolvedAt = Date.now();
    await until(operator, () => true); // the operator's pool has reconnected
    await operator.approvals.resolve(first.approval!, { approve: true, by: "ana", groups: ["finance"] });
    const woke = await waiting;
    expect(woke.status).toBe("approved");
    expect(Date.now() - resolvedAt).toBeLessThan(5000);
    expect((await engine.decide(wire))).toMatchObject({ effect: "allow", decidedBy: "approval" });
    await Promise.all([engine.close(), operator.close()]);
  });

  it("loses no decision the caller saw from the PostgreSQL audit chain across a server restart", async () => {
    const { t, store } = spec();
    const audit = { url: postgres!.url, key: KEY, schema: t, flushTimeoutMs: 60_000 };
    const engine = await Engine.load(wasm, { store: { ...store, approvals: store.limits }, audit, hooks: quiet });
    const seen: string[] = [];
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        seen.push((await engine.decide(search(i))).id);
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    await run(100);
    await postgres!.stop("immediate"); // a crash: in-flight commits are cut off
    await run(100);
    await postgres!.start();
    await run(100);
    await engine.flush();
    await engine.close();
    expect(seen).toHaveLength(300);
    const c = new pg.Client({ connectionString: postgres!.url, options: `-c search_path=${t}` });
    await c.connect();
    // Every decision the caller saw, allowed or denied (a store error is an `error` record).
    const ids = (await c.query<{ id: string }>("SELECT record::json->>'id' AS id FROM audit_records WHERE record::json->>'type' IN ('decision', 'error')")).rows.map((r) => r.id);
    await c.end();
    expect(ids.sort()).toEqual([...seen].sort());
    expect(await verifyPostgresAudit(postgres!.url, { key: KEY, schema: t })).toMatchObject({ ok: true });
  });
});

/** One command on the shared Redis from a throwaway connection. */
async function redisCommand(args: string[]): Promise<unknown> {
  const { createClient } = await import("redis");
  const c = createClient({ url: redis!.url });
  c.on("error", () => {});
  await c.connect();
  try {
    return await c.sendCommand(args);
  } finally {
    c.destroy();
  }
}
