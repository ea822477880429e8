#!/usr/bin/env node
// The workload the flame graphs profile: Engine.decide on the memory store with the default JSONL
// audit log, the support-agent engine mix, one decision per event-loop turn. Plain JavaScript
// against a built dist/ (`--dist=dir`, default ../../dist), so a build from before a change can be
// profiled the same way. Run under `node --cpu-prof` by benchmarks/flame.ts; prints its p50/p99.
// Usage: node benchmarks/profile/decide-loop.mjs [--dist=dir] [--n=20000] [--store=memory|sqlite]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const dist = resolve(arg("dist", new URL("../../dist", import.meta.url).pathname));
const N = Number(arg("n", 20000));
const store = arg("store", "memory");
const { Engine } = await import(pathToFileURL(join(dist, "runtime/index.js")).href);

const agent = { id: "support-bot", roles: ["support"], trust: 90 };
const run = { id: "run-42", calls: 3 };
const CALLS = [
  { tool: "stripe.refund", args: { amount: 5, currency: "usd", customer: "cus_1" }, agent, env: "production", run },
  { tool: "stripe.refund", args: { amount: 120, currency: "usd", customer: "cus_1" }, agent, env: "production", run },
  { tool: "stripe.refund", args: { amount: 500, currency: "usd", customer: "cus_2" }, agent, env: "production", run },
  { tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Customer asked for a refund." }, agent, env: "production", run },
  { tool: "search.web", args: { q: "refunds" }, agent, env: "production", run },
];
const dir = mkdtempSync(join(tmpdir(), "pol-profile-"));
const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
const engine = await Engine.load(new URL("../../examples/support_agent/support_agent.pol", import.meta.url).pathname, {
  store: store === "memory" ? ":memory:" : join(dir, "pol.db"),
  audit: { path: join(dir, "audit.jsonl"), key: Buffer.alloc(32, 7) },
  clock,
  approvalTimeoutMs: 365 * 24 * 3600 * 1000,
});
const xs = new Float64Array(N);
for (let i = 0; i < N + 2000; i++) {
  await new Promise((r) => setImmediate(r));
  clock.t += 600_000;
  const a = process.hrtime.bigint();
  await engine.decide(CALLS[i % CALLS.length]);
  if (i >= 2000) xs[i - 2000] = Number(process.hrtime.bigint() - a);
}
await engine.close();
rmSync(dir, { recursive: true, force: true });
xs.sort();
console.log(`decide p50 ${(xs[N >> 1] / 1000).toFixed(2)} µs  p99 ${(xs[Math.floor(N * 0.99)] / 1000).toFixed(2)} µs  (${dist})`);
