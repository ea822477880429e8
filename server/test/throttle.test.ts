// Guessing secrets is slowed (server/auth/throttle.ts): the backoff schedule per name on a fake
// clock, the cap on scrypt checks at once, and, on a real `pol serve`, both doors (the API's
// credentials and the console's sign-in form) answering 429 with Retry-After while a service whose
// credentials were already verified keeps deciding.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONCURRENT_CHECKS, FREE_FAILURES, isRefusal, MAX_WAIT_S, QUEUED_CHECKS, SignInThrottle } from "../auth/throttle.js";
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

  it("runs at most four checks at once and refuses, without queueing, past 64 waiting", async () => {
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
