#!/usr/bin/env node
// What a flood of wrong secrets does to a service's decisions: `pol serve` (startServer from the
// build, helper threads lowered as the CLI does, the SQLite store and a JSONL log answered only
// once durable, as `--audit-sync`) decides one call at a time for a client whose credentials
// verified, alone and then while 64 clients send wrong secrets under new names. Each wrong secret
// costs a scrypt check on libuv's thread pool, which also runs the log's fdatasyncs
// (server/auth/throttle.ts says why checks leave two of its threads free).
// Plain JavaScript against the build (run `node scripts/build.mjs` first). Usage:
//   node benchmarks/auth-flood.mjs [--dist=dist] [--sync=1|0] [--calls=50]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const ROOT = new URL("..", import.meta.url).pathname;
const DIST = resolve(ROOT, arg("dist", "dist"));
const SYNC = arg("sync", "1") === "1";
const CALLS = Number(arg("calls", 50));
const load = (p) => import(pathToFileURL(join(DIST, p)).href);
const { startServer } = await load("server/serve.js");
const { lowerHelperThreads } = await load("server/threads.js");

const dir = mkdtempSync(join(tmpdir(), "pol-auth-flood-"));
const server = await startServer({ policy: join(ROOT, "examples/support_agent/support_agent.pol"), store: join(dir, "pol.db"), audit: join(dir, "audit.jsonl"), auditKey: join(dir, "audit.key"), auditSync: SYNC, listen: "127.0.0.1:0" });
await lowerHelperThreads();
const basic = (name, secret) => `Basic ${Buffer.from(`${name}:${secret}`).toString("base64")}`;
const body = JSON.stringify({ tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Refunded." }, agent: { id: "support-bot", roles: ["support"] }, env: "production" });
async function decide(authorization) {
  const t = performance.now();
  const r = await fetch(`${server.url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json", authorization }, body });
  await r.text();
  return { ms: performance.now() - t, status: r.status };
}
async function timed() {
  const ms = [];
  for (let i = 0; i < CALLS; i++) ms.push((await decide(basic("admin", server.adminSecret))).ms);
  ms.sort((a, b) => a - b);
  return `p50 ${ms[ms.length >> 1].toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`;
}
try {
  await decide(basic("admin", server.adminSecret)); // verified once, then answered from the cache
  console.log(`alone: ${await timed()}`);
  let stop = false;
  let n = 0;
  const statuses = {};
  const guesser = async () => {
    while (!stop) {
      const { status } = await decide(basic(`guesser-${n++}`, "wrong"));
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  const flood = Array.from({ length: 64 }, guesser);
  await new Promise((r) => setTimeout(r, 500));
  console.log(`during the flood: ${await timed()}`);
  stop = true;
  await Promise.all(flood);
  console.log(`wrong secrets answered: ${JSON.stringify(statuses)} (audit ${SYNC ? "durable before each answer" : "written every 5 ms"})`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
