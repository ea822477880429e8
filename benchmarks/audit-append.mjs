#!/usr/bin/env node
// The JSONL audit sink's cost on the caller's thread: JsonlAuditLog.append alone (sealEntry beside
// it for scale), and Engine.decide on the memory store with the audit log on and off, each call in
// its own event-loop turn as a service's request handler would see it. Plain JavaScript against
// the built dist/ (run `npm run build` first): tsx's keepNames wrappers would add to every closure.
// Usage: node benchmarks/audit-append.mjs [--runs=5] [--n=4000] [--dist=dir[,dir...]]
// With several builds (e.g. the previous commit's beside dist/), they are measured in turns, row
// by row within each run, so load from other processes falls on them alike. Prints, per build,
// the median over runs of each run's p50 and p99.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const RUNS = Number(arg("runs", 5));
const N = Number(arg("n", 4000));
const DISTS = arg("dist", new URL("../dist", import.meta.url).pathname).split(",").map((d) => resolve(d));
const builds = [];
for (const dist of DISTS) {
  const { Engine, JsonlAuditLog } = await import(pathToFileURL(join(dist, "runtime/index.js")).href);
  const { sealEntry } = await import(pathToFileURL(join(dist, "runtime/audit/index.js")).href);
  builds.push({ dist, Engine, JsonlAuditLog, sealEntry });
}
const POLICY = "examples/support_agent/support_agent.pol";
const agent = { id: "support-bot", roles: ["support"], trust: 90 };
const run = { id: "run-42", calls: 3 };
const CALLS = [
  { tool: "stripe.refund", args: { amount: 5, currency: "usd", customer: "cus_1" }, agent, env: "production", run },
  { tool: "stripe.refund", args: { amount: 500, currency: "usd", customer: "cus_2" }, agent, env: "production", run },
  { tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Customer asked for a refund." }, agent, env: "production", run },
  { tool: "search.web", args: { q: "refunds" }, agent, env: "production", run },
];
const KEY = Buffer.alloc(32, 7);
const nextTurn = () => new Promise((r) => setImmediate(r));

function pct(xs, q) {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const median = (xs) => pct(xs, 0.5);

/** Real decision entries, captured from the Engine through a sink that only records them. */
async function captureEntries({ Engine, sealEntry }) {
  const entries = [];
  const sink = { seq: 0, lastHash: "0".repeat(64), append: (e) => (entries.push(structuredClone(e)), sealEntry(e, ++sink.seq, sink.lastHash, KEY).record), flush: async () => {}, close: async () => {} };
  const engine = await Engine.load(POLICY, { store: ":memory:", audit: sink });
  for (const c of CALLS) await engine.decide(c);
  await engine.close();
  return entries;
}

/** Nanoseconds per call of `fn`, timed one call at a time; with `turns`, each in its own event-loop turn. */
async function timeEach(fn, n, turns) {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (turns) await nextTurn();
    const a = process.hrtime.bigint();
    await fn(i);
    xs[i] = Number(process.hrtime.bigint() - a);
  }
  return xs;
}

function timeEachSync(fn, n) {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = process.hrtime.bigint();
    fn(i);
    xs[i] = Number(process.hrtime.bigint() - a);
  }
  return xs;
}

async function appendRun({ JsonlAuditLog }, dir, turns) {
  const log = await JsonlAuditLog.open(join(dir, `append-${turns}-${Date.now()}.jsonl`), { key: KEY });
  const append = (i) => log.append(entries[i % entries.length]);
  for (let i = 0; i < 500; i++) append(i);
  const xs = turns ? await timeEach(append, N, true) : timeEachSync(append, N);
  await log.close();
  return xs;
}

/** A sink that seals each entry and keeps nothing: the Engine's audit cost without any log. */
function sealOnlySink(sealEntry) {
  const sink = { seq: 0, lastHash: "0".repeat(64), flush: async () => {}, close: async () => {} };
  sink.append = (e) => {
    const { record } = sealEntry(e, sink.seq + 1, sink.lastHash, KEY);
    sink.seq = record.seq;
    sink.lastHash = record.hash;
    return record;
  };
  return sink;
}

/** A sink that drops each entry: the Engine's cost of building audit entries, without sealing. */
function dropSink() {
  const record = { type: "decision", time: "2030-01-01T00:00:00.000Z", seq: 1, prev: "0".repeat(64), hash: "0".repeat(64), mac: "0".repeat(64) };
  return { seq: 0, lastHash: "0".repeat(64), append: () => record, flush: async () => {}, close: async () => {} };
}

async function engineRun({ Engine, sealEntry }, dir, audit) {
  const option = audit === "jsonl" ? { path: join(dir, `engine-${Date.now()}.jsonl`), key: KEY }
    : audit === "seal" ? sealOnlySink(sealEntry) : audit === "drop" ? dropSink() : false;
  const engine = await Engine.load(POLICY, { store: ":memory:", audit: option });
  const decide = (i) => engine.decide(CALLS[i % CALLS.length]);
  for (let i = 0; i < 500; i++) await decide(i);
  const xs = await timeEach(decide, N, true);
  await engine.close();
  return xs;
}

const ROWS = [
  ["sealEntry alone", (b) => timeEachSync((i) => b.sealEntry(entries[i % entries.length], i + 1, "0".repeat(64), KEY), N)],
  ["JsonlAuditLog.append, back to back", (b, dir) => appendRun(b, dir, false)],
  ["JsonlAuditLog.append, one per event-loop turn", (b, dir) => appendRun(b, dir, true)],
  ["Engine.decide, memory store, JSONL audit, one per turn", (b, dir) => engineRun(b, dir, "jsonl")],
  ["Engine.decide, memory store, a sink that only seals, one per turn", (b, dir) => engineRun(b, dir, "seal")],
  ["Engine.decide, memory store, a sink that drops entries, one per turn", (b, dir) => engineRun(b, dir, "drop")],
  ["Engine.decide, memory store, audit: false, one per turn", (b, dir) => engineRun(b, dir, false)],
];

const entries = await captureEntries(builds[0]);
const bytes = entries.map((e, i) => Buffer.byteLength(builds[0].sealEntry(e, i + 1, "0".repeat(64), KEY).line));
const samples = builds.map(() => ROWS.map(() => []));
for (let r = 0; r < RUNS; r++) {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-audit-"));
  try {
    for (let row = 0; row < ROWS.length; row++) {
      for (let b = 0; b < builds.length; b++) samples[b][row].push(await ROWS[row][1](builds[b], dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const us = (ns) => (ns / 1000).toFixed(2).padStart(7);
console.log(`audit record lines of ${bytes.join(", ")} bytes; ${RUNS} runs of ${N} calls; per build, the median over runs of each run's p50 and p99 (µs)`);
builds.forEach((b, i) => console.log(`[${i + 1}] ${b.dist}`));
console.log(`${"".padEnd(66)}${builds.map((_, i) => `   [${i + 1}] p50     p99`).join("")}`);
ROWS.forEach(([what], row) => {
  const cells = builds.map((_, b) => `${us(median(samples[b][row].map((x) => pct(x, 0.5))))} ${us(median(samples[b][row].map((x) => pct(x, 0.99))))}`);
  console.log(`${what.padEnd(66)}${cells.map((c) => `  ${c}`).join("")}`);
});
