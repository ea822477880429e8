// A fleet on one machine: eight replica processes (fixtures/fleet-worker.ts), each an Engine on
// the same real Redis (limits, trust, pauses) and PostgreSQL (approvals, anchors, one audit chain)
// started here. Proves the fleet claims end to end, through the compiled policy.

import { describe, expect, it } from "vitest";
import { Engine } from "../../index.js";
import { verifyPostgresAudit } from "../../audit/index.js";
import { openRedisStore } from "../index.js";
import { startReplica, useFleetServers } from "./fleet-helpers.js";

const { ready, redis, postgres, wasm } = await useFleetServers();

const KEY = "5e".repeat(32);
let tenants = 0;

/** A fresh tenant: its own Redis key prefix and PostgreSQL schema, as one fleet would have. */
function tenant() {
  const t = `f${tenants++}`;
  const store = { limits: `${redis!.url}?prefix=pol:{${t}}:`, trust: `${redis!.url}?prefix=pol:{${t}}:`, pauses: `${redis!.url}?prefix=pol:{${t}}:`, approvals: `${postgres!.url}?schema=${t}`, timeoutMs: 2000 };
  return { store, audit: { url: postgres!.url, key: KEY, schema: t }, schema: t, prefix: `pol:{${t}}:` };
}

async function launch(n: number, mode: string, t: ReturnType<typeof tenant>, perReplica = 0) {
  const replicas = Array.from({ length: n }, (_, i) => startReplica({ wasm, store: t.store, audit: t.audit, mode, n: perReplica, agent: `bot-${i}` }));
  await Promise.all(replicas.map((r) => r.printed("ready")));
  const startAt = Date.now() + 300;
  for (const r of replicas) r.go(startAt);
  return replicas;
}

describe.runIf(ready)("a fleet of replicas on real Redis and PostgreSQL", () => {
  it("admits exactly the count limit and exactly the spend cap across 8 processes × 2,000 decisions, in one verified audit chain", async () => {
    const t = tenant();
    const replicas = await launch(8, "limits", t, 2000);
    const results = (await Promise.all(replicas.map((r) => r.done))) as { search: number; refund: number; limit: number; other: string[] }[];
    expect(results.flatMap((r) => r.other)).toEqual([]);
    expect(results.reduce((n, r) => n + r.search, 0)).toBe(4000);
    expect(results.reduce((n, r) => n + r.refund, 0) * 3).toBe(3000);
    expect(results.reduce((n, r) => n + r.limit, 0)).toBe(16_000 - 4000 - 1000);
    const store = await openRedisStore(redis!.url, { prefix: t.prefix });
    expect(await store.limits.usage("searches", 3_600_000, Date.now())).toBe(4000);
    expect(await store.limits.usage("spend", 86_400_000, Date.now())).toBe(3000);
    await store.close();
    // Every replica's engine.start record and 2,000 decisions, in one chain.
    expect(await verifyPostgresAudit(postgres!.url, { key: KEY, schema: t.schema })).toMatchObject({ ok: true, count: 8 * 2001 });
  });

  it("denies in every other replica within 100 ms of a pause set by one process", async () => {
    const t = tenant();
    const replicas = await launch(4, "pause", t);
    await Promise.all(replicas.map((r) => r.printed("deciding")));
    const operator = await Engine.load(wasm, { store: t.store, audit: t.audit });
    await operator.pause("search", "incident 7", "oncall");
    const set = Date.now();
    const results = (await Promise.all(replicas.map((r) => r.done))) as { deniedAt: number; lastAllowedAt: number; reason: string }[];
    await operator.close();
    // How stale each replica's view was: a decision it started more than this long after the pause
    // was set would have been denied. (When the first denied decision starts depends also on when
    // the replica next decides, which on a loaded machine is the scheduler's business.)
    const stale = results.map((r) => Math.max(0, r.lastAllowedAt - set));
    process.stderr.write(`pause: last allowed decision ${stale.join(", ")} ms and first denied ${results.map((r) => r.deniedAt - set).join(", ")} ms after it was set, in 4 replicas\n`);
    for (const r of results) expect(r.reason).toContain("`search` is paused: incident 7");
    expect(Math.max(...stale)).toBeLessThanOrEqual(100);
  });

  it("wakes approvals.wait in one replica at once when another process resolves the approval", async () => {
    const t = tenant();
    const [replica] = await launch(1, "wait", t);
    const line = (await replica!.printed(/"approval"/)).find((l) => l.includes('"approval"'))!;
    const { approval, effect } = JSON.parse(line) as { approval: string; effect: string };
    expect(effect).toBe("approve");
    const operator = await Engine.load(wasm, { store: t.store, audit: t.audit });
    await new Promise((r) => setTimeout(r, 200)); // the replica is waiting by now
    const resolvedAt = Date.now();
    await operator.approvals.resolve(approval, { approve: true, by: "ana@finance", groups: ["finance"] });
    const woke = (await replica!.done) as { wokeAt: number; status: string; by: string };
    await operator.close();
    expect(woke).toMatchObject({ status: "approved", by: "ana@finance" });
    // The replica polls only every 60 s: waking within a second can only be the notification.
    expect(woke.wokeAt - resolvedAt).toBeLessThan(1000);
    expect(await verifyPostgresAudit(postgres!.url, { key: KEY, schema: t.schema })).toMatchObject({ ok: true });
  });
});
