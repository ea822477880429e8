// openStore and the deadline, without servers: specs for the embedded back-ends, mixed per part,
// stores passed in, and the errors a wrong spec gets; withDeadline on an operation that never
// settles. The server urls are exercised by fleet.test.ts and faults.test.ts.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openMemoryStore, openSqliteStore, openStore, withDeadline, type StateStore } from "../index.js";
import { T0, charge, expectStoreError } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pol-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openStore", () => {
  it("opens :memory: and SQLite files, owned, with the file's change probe", async () => {
    const mem = await openStore(":memory:");
    expect(mem).toMatchObject({ owned: true, path: null, probe: null, clock: null });
    await mem.store.close();
    const file = join(dir, "a.db");
    const opened = await openStore(file, { initialTrust: 60 });
    expect(opened).toMatchObject({ owned: true, path: file });
    expect(await opened.store.trust.get("bot")).toMatchObject({ score: 60 });
    const before = opened.probe!.token();
    const other = await openSqliteStore(file);
    await other.pauses.pause({ pattern: "*", reason: "incident" }, T0);
    expect(opened.probe!.token()).not.toBe(before);
    opened.probe!.close();
    await Promise.all([opened.store.close(), other.close()]);
  });

  it("leaves a store passed in to its owner", async () => {
    const mine = await openMemoryStore();
    const opened = await openStore(mine);
    expect(opened.store).toBe(mine);
    expect(opened.owned).toBe(false);
    await mine.close();
  });

  it("assembles a store from one source per part, opening each source once", async () => {
    const file = join(dir, "b.db");
    const opened = await openStore({ default: ":memory:", limits: file, approvals: file });
    const s = opened.store;
    await s.limits.consume([charge("k", 1, 5)], T0);
    await s.pauses.pause({ pattern: "*", reason: "memory part" }, T0);
    const direct = await openSqliteStore(file);
    expect(await direct.limits.usage("k", 3_600_000, T0)).toBe(1);
    expect(await direct.pauses.list()).toEqual([]);
    await s.anchors.advance("audit", { seq: 1, hash: "h", at: T0 });
    expect(await direct.anchors.get("audit")).toMatchObject({ seq: 1 }); // anchors follow approvals
    // Pauses and trust live in memory here, which has no probe: the cache falls back to a lifetime.
    expect(opened.probe).toBeNull();
    await s.close();
    await expectStoreError(s.pauses.list(), "closed", "store is closed");
    await direct.close();
  });

  it("refuses specs it cannot open, naming the problem", async () => {
    await expectStoreError(openStore({ limits: ":memory:" }), "invalid", "store part `approvals` has no source");
    await expectStoreError(openStore({ default: ":memory:", limit: ":memory:" } as never), "invalid", "unknown store part `limit`");
    await expectStoreError(openStore({ default: ":memory:", timeoutMs: 0 }), "invalid", "store timeout");
    await expectStoreError(openStore(42 as never), "invalid", "store spec");
    await expectStoreError(openStore("redis://user:secret@[::1"), "invalid", "not a valid url");
  });
});

describe("withDeadline", () => {
  it("turns an operation that never settles into an `unavailable` error naming the back-end", async () => {
    const real = await openMemoryStore();
    const hanging: StateStore = { ...real, limits: { ...real.limits, consume: () => new Promise(() => {}) } };
    const bounded = withDeadline(hanging, 30, "redis at 10.0.0.5:6379");
    await expectStoreError(bounded.limits.consume([charge("k", 1, 1)], T0), "unavailable", "the redis at 10.0.0.5:6379 store (limits.consume) did not answer within 30 ms");
    expect(await bounded.trust.get("bot")).toMatchObject({ score: 100 });
    await expectStoreError(Promise.resolve().then(() => withDeadline(real, -1, "x")), "invalid", "store timeout");
    await real.close();
  });
});

describe("serverClock", () => {
  it("reads the server's time through the local monotonic clock", async () => {
    const { serverClock } = await import("../clock.js");
    const skew = 3_600_000; // a server an hour ahead of this host
    const clock = await serverClock(async () => Date.now() + skew, 10);
    expect(Math.abs(clock.now() - (Date.now() + skew))).toBeLessThan(50);
    const a = clock.now();
    await new Promise((r) => setTimeout(r, 30));
    expect(clock.now()).toBeGreaterThan(a);
    clock.stop();
    await expect(serverClock(async () => { throw new Error("down"); })).rejects.toThrow("down");
  });
});
