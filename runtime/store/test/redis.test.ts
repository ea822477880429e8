// The Redis store against a real redis-server started here: the shared conformance suite unchanged,
// then what only a server shows: NOSCRIPT reloads, key prefixes and hash tags, the change feed and
// probe, and errors when the server is gone. Multi-process behaviour is in fleet.test.ts.

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { StoreError, openMemoryStore, openRedisStore } from "../index.js";
import { storeConformance } from "./conformance.js";
import { HOUR, T0, charge, eventually, expectStoreError, request } from "./helpers.js";
import { fleetServersReady, startRedis, type RedisServer } from "./servers.js";

const ready = fleetServersReady();
const server: RedisServer | null = ready ? await startRedis() : null;
afterAll(() => server?.destroy());
let tenants = 0;
const fresh = () => openRedisStore(server!.url, { prefix: `pol:{t${tenants++}}:` });

describe.runIf(ready)("redis store", () => {
  storeConformance("redis", fresh);
});

describe.runIf(ready)("redis store on its server", () => {
  it("reloads its scripts when the server lost them (NOSCRIPT)", async () => {
    const s = await fresh();
    expect(await s.limits.consume([charge("k", 1, 5)], T0)).toEqual({ ok: true });
    await redisCli(["SCRIPT", "FLUSH"]);
    expect(await s.limits.consume([charge("k", 1, 5)], T0 + 1)).toEqual({ ok: true });
    expect(await s.limits.usage("k", HOUR, T0 + 1)).toBe(2);
    await s.close();
  });

  it("decides mixed whole and fractional charges bit for bit like the memory store", async () => {
    // The script's shortcuts (running total, whole-number buckets) must agree with window.ts's exact
    // fold whatever mix of amounts a bucket holds as events come and go.
    const s = await fresh();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 40_000 }), amount: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 40, noNaN: true })) }), { minLength: 1, maxLength: 30 }),
        async (steps) => {
          const mem = await openMemoryStore();
          const key = `mix-${run++}`;
          let now = T0 + run * 1e9;
          for (const step of steps) {
            now += step.dt;
            const c = charge(key, step.amount, 100, 60_000);
            expect(await s.limits.consume([c], now)).toEqual(await mem.limits.consume([c], now));
            expect(await s.limits.usage(key, 60_000, now)).toBe(await mem.limits.usage(key, 60_000, now));
          }
          await mem.close();
        },
      ),
      { numRuns: 60 },
    );
    await s.close();
  });

  it("keeps every key of a store under its prefix's hash tag, and refuses a prefix without one", async () => {
    const s = await openRedisStore(server!.url, { prefix: "pol:{tagged}:" });
    await s.limits.consume([charge("refunds|agent=bot", 1, 5)], T0);
    await s.approvals.create(request("a1"));
    await s.pauses.pause({ pattern: "*", reason: "why" }, T0);
    await s.trust.adjust("bot", -1, T0);
    await s.anchors.advance("audit", { seq: 1, hash: "h", at: T0 });
    const keys = (await redisCli(["KEYS", "*{tagged}*"])) as string[];
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.every((k) => k.startsWith("pol:{tagged}:"))).toBe(true);
    await s.close();
    await expectStoreError(openRedisStore(server!.url, { prefix: "pol:acme:" }), "invalid", "hash tag");
  });

  it("lists pending approvals from its pending index, not the whole history", async () => {
    const prefix = `pol:{t${tenants++}}:`;
    const s = await openRedisStore(server!.url, { prefix });
    for (const id of ["p1", "p2", "p3"]) await s.approvals.create(request(id, { callHash: `h-${id}` }));
    await s.approvals.resolve("p2", { approve: false, by: "ana" }, T0 + 1);
    expect((await s.approvals.list({ status: "pending" }, T0 + 2)).map((a) => a.id)).toEqual(["p1", "p3"]);
    expect(await redisCli(["ZCARD", `${prefix}a:pending`])).toBe(2);
    // Without the history index, the pending ones are still listed (oldest first, newest n), the rest are not.
    await redisCli(["DEL", `${prefix}a:all`]);
    expect((await s.approvals.list({ status: "pending" }, T0 + 2)).map((a) => a.id)).toEqual(["p1", "p3"]);
    expect((await s.approvals.list({ status: "pending", newest: 1 }, T0 + 2)).map((a) => a.id)).toEqual(["p3"]);
    expect(await s.approvals.list({}, T0 + 2)).toEqual([]);
    await s.close();
  });

  it("lists right what an older pol, which keeps no pending index, created and resolved (a fleet mid-upgrade)", async () => {
    const prefix = `pol:{t${tenants++}}:`;
    const s = await openRedisStore(server!.url, { prefix });
    await s.approvals.create(request("new1", { callHash: "h-new1" }));
    await s.approvals.create(request("old1", { callHash: "h-old1" }));
    await s.approvals.create(request("old2", { callHash: "h-old2" }));
    // What an older pol's creates leave: the records and the history, not the index nor its count.
    const members = (await redisCli(["ZRANGE", `${prefix}a:pending`, "0", "-1"])) as string[];
    await redisCli(["ZREM", `${prefix}a:pending`, ...members.filter((m) => m.endsWith(":old1") || m.endsWith(":old2"))]);
    await redisCli(["DECRBY", `${prefix}a:pending:kept`, "2"]);
    // ...and an older pol's rejection of old2: the record changes, the index does not.
    const old2 = JSON.parse((await redisCli(["HGET", `${prefix}a`, "old2"])) as string);
    await redisCli(["HSET", `${prefix}a`, "old2", JSON.stringify({ ...old2, state: "rejected", resolvedBy: "ana", resolvedAt: T0 + 1 })]);
    await redisCli(["ZADD", `${prefix}a:pending`, String(old2.createdAt), members.find((m) => m.endsWith(":old2"))!]);
    expect((await s.approvals.list({ status: "pending" }, T0 + 2)).map((a) => a.id)).toEqual(["new1", "old1"]);
    // The index was rebuilt and covers the two older creations; the rejected one's entry is gone.
    expect(await redisCli(["GET", `${prefix}a:pending:covered`])).toBe("2");
    expect(((await redisCli(["ZRANGE", `${prefix}a:pending`, "0", "-1"])) as string[]).map((m) => m.slice(17))).toEqual(["new1", "old1"]);
    await s.approvals.create(request("new2", { callHash: "h-new2" }));
    expect((await s.approvals.list({ status: "pending" }, T0 + 2)).map((a) => a.id)).toEqual(["new1", "old1", "new2"]);
    await s.close();
  });

  it("rebuilds the pending index once, however many approvals newer pols create meanwhile", async () => {
    const prefix = `pol:{t${tenants++}}:`;
    const [s, other] = [await openRedisStore(server!.url, { prefix }), await openRedisStore(server!.url, { prefix })];
    for (let i = 0; i < 20; i++) await s.approvals.create(request(`h${i}`, { callHash: `h-${i}` }));
    // What an upgrade finds: a history, and no count of creations that kept the index.
    await redisCli(["DEL", `${prefix}a:pending:kept`, `${prefix}a:pending`]);
    const conn = (s.approvals as unknown as { conn: { command(args: string[]): Promise<unknown> } }).conn;
    const command = conn.command.bind(conn);
    let wholeReads = 0;
    let n = 0;
    conn.command = async (args) => {
      if (args[0] === "ZRANGE" && args[1] === `${prefix}a:all` && args[3] === "-1") {
        wholeReads++;
        // another server, on this pol, creates an approval while the history is read
        await other.approvals.create(request(`n${n++}`, { callHash: `n-${n}` }));
      }
      return command(args);
    };
    const lists = await Promise.all([1, 2, 3].map(() => s.approvals.list({ status: "pending" }, T0 + 1)));
    for (let i = 0; i < 3; i++) expect((await s.approvals.list({ status: "pending" }, T0 + 1)).length).toBe(20 + n);
    expect(wholeReads).toBe(1);
    expect(lists.every((l) => l.length >= 20)).toBe(true);
    await Promise.all([s.close(), other.close()]);
  });

  it("drops a pending approval from its index only when it is settled or long expired by the server's clock, whatever a caller's `now`", async () => {
    const prefix = `pol:{t${tenants++}}:`;
    const s = await openRedisStore(server!.url, { prefix });
    const now = Date.now();
    await s.approvals.create(request("live", { createdAt: now, expiresAt: now + 15 * 60_000 }));
    await s.approvals.create(request("long-gone", { createdAt: now - 3 * HOUR, expiresAt: now - 2 * HOUR }));
    // A caller whose clock runs hours ahead sees neither as pending, and removes only what the server's clock says is long expired.
    expect(await s.approvals.list({ status: "pending" }, now + 5 * HOUR)).toEqual([]);
    expect(((await redisCli(["ZRANGE", `${prefix}a:pending`, "0", "-1"])) as string[]).map((m) => m.slice(17))).toEqual(["live"]);
    expect((await s.approvals.list({ status: "pending" }, now + 1)).map((a) => a.id)).toEqual(["live"]);
    await s.close();
  });

  it("tells other store objects about changes: the probe moves, approvals are relayed", async () => {
    const { a, b, probe } = await feedPair();
    const before = probe.token();
    await a.pauses.pause({ pattern: "*", reason: "incident" }, T0);
    await eventually(() => probe.token() !== before);
    const seen: string[] = [];
    // A relayed change carries the approval as read when the notice arrived (it may be newer).
    b.approvals.onChange((c) => seen.push(`${c.type}:${c.approval.id}`));
    await a.approvals.create(request("x"));
    await a.approvals.resolve("x", { approve: true, by: "ana" }, T0 + 1);
    await eventually(() => seen.length === 2);
    expect(seen).toEqual(["created:x", "resolved:x"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("announces an outcome's trust change to other store objects only when the score moved, and claims nothing when the script fails", async () => {
    const { prefix, a, b, probe } = await feedPair();
    const at100 = probe.token();
    // At 100 a success moves nothing: no notice, so no replica drops its cache.
    await a.trust.adjustOnce!("bot", 1, "d-1", T0 + HOUR, T0);
    await a.pauses.list(); // a round trip after it, so a notice would have arrived by now
    await new Promise((r) => setTimeout(r, 50));
    expect(probe.token()).toBe(at100);
    await a.trust.adjustOnce!("bot", -5, "d-2", T0 + HOUR, T0);
    await eventually(() => probe.token() !== at100);
    // A record the script cannot read fails it before the claim: once readable, the same claim counts.
    await redisCli(["HSET", `${prefix}trust`, "odd", "x|0|1"]);
    await expect(a.trust.adjustOnce!("odd", -5, "d-3", T0 + HOUR, T0)).rejects.toThrow();
    await redisCli(["HSET", `${prefix}trust`, "odd", "50|0|1"]);
    expect(await a.trust.adjustOnce!("odd", -5, "d-3", T0 + HOUR, T0)).toMatchObject({ score: 45 });
    await Promise.all([a.close(), b.close()]);
  });

  it("caps pending approvals exactly across store objects", async () => {
    const prefix = `pol:{cap${tenants++}}:`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => openRedisStore(server!.url, { prefix })));
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => stores[i % 4]!.approvals.create(request(`c${i}`), { maxPendingPerAgent: 9 })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(9);
    await Promise.all(stores.map((s) => s.close()));
  });

  it("fails with `unavailable` when the server is unreachable, at open and per call", async () => {
    await expectStoreError(openRedisStore("redis://127.0.0.1:1", { connectTimeoutMs: 500 }), "unavailable", "cannot open redis store at 127.0.0.1:1");
    const err = await fresh().then(async (s) => {
      await s.close();
      return s.limits.consume([charge("k", 1, 1)], T0).catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(StoreError);
  });
});


/** Two store objects on one new prefix, and the second's change probe once it has a token. */
async function feedPair() {
  const prefix = `pol:{feed${tenants++}}:`;
  const [a, b] = [await openRedisStore(server!.url, { prefix }), await openRedisStore(server!.url, { prefix })];
  const probe = b.openProbe!()!;
  await eventually(() => typeof probe.token() === "number");
  return { prefix, a, b, probe };
}

async function redisCli(args: string[]): Promise<unknown> {
  const { createClient } = await import("redis");
  const c = createClient({ url: server!.url, RESP: 2 });
  await c.connect();
  try {
    return await c.sendCommand(args);
  } finally {
    c.destroy();
  }
}
