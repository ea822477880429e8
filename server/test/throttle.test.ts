// Guessing secrets is slowed (server/auth/throttle.ts): the backoff schedule per name on a fake
// clock, the cap on scrypt checks at once, and, on a real `pol serve`, both doors (the API's
// credentials and the console's sign-in form) answering 429 with Retry-After while a service whose
// credentials were already verified keeps deciding.

import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONCURRENT_CHECKS, checksFor, FREE_FAILURES, isRefusal, MAX_WAIT_S, poolThreads, QUEUED_CHECKS, SignInThrottle } from "../auth/throttle.js";
import { Users } from "../auth/users.js";
import { refundCall, serve, signInAttempt, type Served } from "./helpers.js";

describe("the throttle", () => {
  it("lets a name fail five times, then makes it wait 1 s, 2 s, 4 s... up to five minutes", () => {
    let now = 1_000_000;
    const t = new SignInThrottle(() => now);
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect(t.refused("alice")).toBeUndefined();
      t.failed("Alice"); // names compare ignoring case, as the users file does
    }
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = t.refused("alice")!;
      waits.push(r.retryAfterS);
      expect(r.why).toMatch(/too many wrong secrets for this name; try again in \d+ s/);
      now += r.retryAfterS * 1000;
      expect(t.refused("alice")).toBeUndefined();
      t.failed("alice");
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, MAX_WAIT_S, MAX_WAIT_S, MAX_WAIT_S]);
    expect(t.refused("bob")).toBeUndefined(); // one name's failures never slow another
    t.succeeded("ALICE");
    expect(t.refused("alice")).toBeUndefined();
  });

  it("runs at most CONCURRENT_CHECKS checks at once and refuses, without queueing, past 64 waiting", async () => {
    const t = new SignInThrottle();
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const check = () => new Promise<string>((r) => {
      most = Math.max(most, ++running);
      release.push(() => { running--; r("checked"); });
    });
    const all = Array.from({ length: CONCURRENT_CHECKS + QUEUED_CHECKS + 10 }, () => t.slot(check));
    const settled = await Promise.race([Promise.all(all.slice(-10)), new Promise((r) => setTimeout(r, 1000, "still waiting"))]);
    expect(settled).not.toBe("still waiting"); // the ten past the queue are answered at once
    expect((settled as unknown[]).every(isRefusal)).toBe(true);
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.all(all.slice(0, -10));
    expect(results.every((x) => x === "checked")).toBe(true);
    expect(most).toBe(CONCURRENT_CHECKS);
  });

  it("leaves two of libuv's threads to the syncs: two checks with the default pool of four, at most four", () => {
    expect(checksFor(undefined)).toBe(2);
    expect([checksFor("4"), checksFor("5"), checksFor("6"), checksFor("8"), checksFor("64")]).toEqual([2, 3, 4, 4, 4]);
    // libuv reads the variable with atoi and runs at least one thread: a pool of one or two keeps one check
    expect([checksFor("1"), checksFor("2"), checksFor("3"), checksFor("0"), checksFor("lots")]).toEqual([1, 1, 1, 1, 1]);
  });

  // The flood's checks would otherwise take every thread of the pool, and an fdatasync (what makes
  // the audit log and approval commits durable) would wait for the first of them to end.
  // A pool of one or two threads has none to spare (checksFor).
  it.skipIf(poolThreads(process.env["UV_THREADPOOL_SIZE"]) < 3)(
    "lets an fdatasync run while a flood of wrong secrets is being checked",
    async () => {
      const { users } = await Users.ephemeralAdmin();
      const dir = mkdtempSync(join(tmpdir(), "pol-throttle-"));
      const fd = openSync(join(dir, "log"), "w");
      writeSync(fd, "a record\n");
      try {
        const order: string[] = [];
        // unknown names: each still costs a scrypt check (against a decoy), so names cannot be told apart by time
        const checks = Array.from({ length: 12 }, (_, i) => users.authenticate(`guesser-${i}`, "wrong").then(() => void order.push("check")));
        const synced = new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve()))).then(() => void order.push("sync"));
        await Promise.all([...checks, synced]);
        expect(order[0]).toBe("sync");
      } finally {
        closeSync(fd);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});

describe("on pol serve", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(() => s?.close());

  const basic = (name: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${name}:${secret}`).toString("base64")}` });

  it("answers an API guesser 429 with Retry-After, even with the right secret, and keeps a verified service deciding", async () => {
    expect((await s.api("/v1/decide", { as: "svc", body: refundCall(1) })).status).toBe(200); // svc verified, cached
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect((await s.api("/v1/decide", { as: null, headers: basic("olga", `guess-${i}`), body: refundCall(1) })).status).toBe(401);
    }
    const r = await s.api("/v1/decide", { as: null, headers: basic("olga", "olga-secret"), body: refundCall(1) });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await r.json()).toMatchObject({ effect: "deny", error: { code: "throttled" }, reasons: [expect.stringMatching(/too many wrong secrets for this name/)] });
    const svc = await s.api("/v1/decide", { as: "svc", body: refundCall(1) });
    expect(svc.status).toBe(200);
    expect((await svc.json()).effect).toBe("allow");
  }, 30_000);

  it("answers the sign-in form 429 on the page, and lets the person in once the wait is over", async () => {
    for (let i = 0; i < FREE_FAILURES; i++) expect((await signInAttempt(s, "vera", `guess-${i}`)).status).toBe(401);
    const r = await signInAttempt(s, "vera", "vera-secret");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(await r.text()).toMatch(/too many wrong secrets for this name; try again in 1 s/);
    await new Promise((ok) => setTimeout(ok, 1100));
    expect((await signInAttempt(s, "vera", "vera-secret")).status).toBe(303);
  }, 30_000);
});
