// pol serve over a signed bundle with --watch (server/serve.ts, health.ts, console/policy.ts): the
// public /health names the live bundle and its signer and warns, without paths or error text,
// when a replaced bundle is refused; the console's policy page says why; decisions stay on the old
// policy until a good bundle arrives, then move to it. Real bundles (bundle/test/fixtures.ts).

import { copyFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFile, signer, SUITE_V1, SUITE_V2, tempDir, V1, V2 } from "../../bundle/test/fixtures.js";
import { serve, signIn, type Served } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const call = (amount: number) => ({ tool: "refund", args: { amount, customer: "c1" }, agent: { id: "bot" }, run: { id: "r1" } });

let s: Served;
let live: string;
let v1: { path: string; bytes: Uint8Array };
let v2: { path: string; bytes: Uint8Array };

beforeAll(async () => {
  v1 = await bundleFile(V1, SUITE_V1);
  v2 = await bundleFile(V2, SUITE_V2);
  live = join(tempDir("pol-live-"), "live.polb");
  copyFileSync(v1.path, live);
  s = await serve({ policy: live, verifyKey: signer().publicKey, watch: true });
}, 120_000);
afterAll(() => s?.close());

async function healthBody(): Promise<Record<string, any>> {
  const r = await fetch(`${s.url}/health`);
  expect(r.status).toBe(200);
  return r.json();
}

async function until(ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const t0 = Date.now(); !(await ok()); await sleep(50)) if (Date.now() - t0 > ms) throw new Error("timed out waiting");
}

const effect = async (amount: number) => (await (await s.api("/v1/decide", { as: "svc", body: call(amount) })).json()).effect;

describe("pol serve with a signed bundle and --watch", () => {
  it("names the live bundle and its signer in /health, and never a path", async () => {
    const h = await healthBody();
    const status = s.engine.policyStatus();
    expect(h.policy).toEqual({ name: "refunds", hash: s.engine.policyHash, bundle: status.live.bundle, signer: status.live.signer, since: status.live.since });
    expect(h.policy.signer).toMatch(/^ed25519:[0-9a-f]{16}$/);
    expect(h.rollout).toEqual({ changes: { ok: 0, failed: 0, inProgress: false } });
    expect(JSON.stringify(h)).not.toContain("live.polb");
    expect(await effect(75)).toBe("allow"); // v1: up to 100 is automatic
  });

  it("keeps serving the old policy when a tampered bundle replaces it, and says so", async () => {
    const before = s.engine.policyHash;
    const bad = Buffer.from(v2.bytes);
    bad[bad.length - 40]! ^= 1;
    writeFileSync(`${live}.tmp`, bad);
    renameSync(`${live}.tmp`, live);
    await until(async () => (await healthBody()).rollout.changes.failed === 1);
    const h = await healthBody();
    expect(h.status).toBe("ok");
    expect(h.policy.hash).toBe(before);
    expect(h.rollout.changes.last).toEqual({ ok: false, role: "live", at: expect.any(String), stage: "verify" });
    expect(h.warnings).toEqual([expect.stringMatching(/^the last live policy change \(.*\) was refused at verify; still serving [0-9a-f]{12}: the console's policy page and the audit log say why$/)]);
    expect(JSON.stringify(h)).not.toContain("live.polb");
    expect(await effect(75)).toBe("allow");
    const page = await (await (await signIn(s, "vera")).get("/policy")).text();
    expect(page).toMatch(/<dt>changes<\/dt><dd>0 made, 1 refused<\/dd>/);
    expect(page).toMatch(/<strong>refused<\/strong>: live from <code>[^<]*live\.polb<\/code> at [\d-]+T[\d:.]+Z: refused at verify: `[^`]*live\.polb`: not a pol bundle: /);
  }, 60_000);

  it("moves to a good signed bundle, and the warning goes", async () => {
    copyFileSync(v2.path, `${live}.tmp`);
    renameSync(`${live}.tmp`, live);
    await until(async () => (await healthBody()).rollout.changes.ok === 1);
    const h = await healthBody();
    expect(h.policy.hash).toBe(s.engine.policyHash);
    expect(h.rollout.changes.last).toEqual({ ok: true, role: "live", at: expect.any(String) });
    expect(h.warnings).toBeUndefined();
    expect(await effect(75)).toBe("approve"); // v2: 51 to 250 waits for finance
  }, 60_000);
});
