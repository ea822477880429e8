#!/usr/bin/env node
// Before/after in one process: each row of issue 15's targets measured on several builds of pol
// (dist/ folders, e.g. this branch's and main's), alternated build by build within every round so
// load from other processes falls on all of them; prints the median over rounds per build. Plain
// JavaScript against the builds (run `node scripts/build.mjs --bench` first: the peers and calls
// come from dist/benchmarks). Usage:
//   node benchmarks/compare.mjs --dist=dist,../main/dist [--rounds=5] [--rows=bare,peers,engine,fleet,rules,items]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const ROOT = new URL("..", import.meta.url).pathname;
const DISTS = arg("dist", "dist").split(",").map((d) => resolve(ROOT, d));
const ROUNDS = Number(arg("rounds", 5));
const ROWS = arg("rows", "bare,peers,engine,fleet,rules,items").split(",");
const bench = (p) => import(pathToFileURL(join(ROOT, "dist", "benchmarks", p)).href);
const { SUPPORT_CALLS, PEER_CALLS } = await bench("calls.js");
const { decideByHand } = await bench("peers/js.js");
const { decideWithAjv } = await bench("peers/ajv.js");
const { scalePolicy, scaleCall, PAYLOAD_POLICY, payloadCall } = await bench("lib/generate.js");
const { ENGINE_CALLS, agentCalls, AGENTS } = await bench("suites/engine.js");

const builds = [];
for (const dist of DISTS) {
  const m = async (p) => import(pathToFileURL(join(dist, p)).href);
  builds.push({ dist, ...(await m("runtime/index.js")), ...(await m("compiler/compile-file.js")), asc: await m("compiler/asc.js") });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const pct = (xs, q) => { const s = Float64Array.from(xs).sort(); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };

/** ns per call of fn over a batch, the median of 15 batches (each loop compiled apart, so its call site stays monomorphic). */
function perCall(fn, n) {
  const loop = new Function("f", "n", "let r; for (let i = 0; i < n; i++) r = f(i); return r;");
  loop(fn, n);
  const xs = [];
  for (let k = 0; k < 15; k++) {
    const a = process.hrtime.bigint();
    loop(fn, n);
    xs.push(Number(process.hrtime.bigint() - a) / n);
  }
  return median(xs);
}

async function compiled(b, text, name) {
  const c = await b.compileText(text, name, { optimize: false, read: () => { throw new Error("no imports"); } });
  return b.WasmPolicy.fromBytes(c.wasm);
}

const nextTurn = () => new Promise((r) => setImmediate(r));
async function perDecision(decide, calls, n) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    await nextTurn();
    const a = process.hrtime.bigint();
    await decide(calls[i % calls.length]);
    xs.push(Number(process.hrtime.bigint() - a));
  }
  return { p50: pct(xs, 0.5), p99: pct(xs, 0.99) };
}

async function engineOf(b, policy, kind) {
  const dir = mkdtempSync(join(tmpdir(), "pol-compare-"));
  const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
  const e = await b.Engine.load(policy, { store: kind === "memory" ? ":memory:" : join(dir, "pol.db"), audit: { path: join(dir, "audit.jsonl") }, clock, approvalTimeoutMs: 365 * 24 * 3600 * 1000 });
  return { decide: (c) => ((clock.t += 600_000), e.decide(c)), close: async () => { await e.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const rows = [];
const record = (row, build, values) => {
  let r = rows.find((x) => x.row === row);
  if (!r) rows.push((r = { row, builds: builds.map(() => []) }));
  r.builds[build].push(values);
};

const support = [];
const peer = [];
for (const b of builds) {
  support.push(await b.loadPolicy(join(ROOT, "examples/support_agent/support_agent.pol")));
  peer.push(await b.loadPolicy(join(ROOT, "benchmarks/policies/peer.pol")));
}
const sc = SUPPORT_CALLS.map((c) => c.call);
const pc = PEER_CALLS.map((c) => c.call);
const rulesPolicies = ROWS.includes("rules") ? await Promise.all(builds.map(async (b) => [await compiled(b, scalePolicy(10, 1), "s10.pol"), await compiled(b, scalePolicy(10_000, 1), "s10000.pol")])) : [];
const items = ROWS.includes("items") ? await Promise.all(builds.map((b) => compiled(b, PAYLOAD_POLICY, "payload.pol"))) : [];
for (const b of builds) await b.asc.stopCompiler();

for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < builds.length; k++) {
    if (ROWS.includes("bare")) record("bare evaluate, support-agent mix (ns)", k, { p50: perCall((i) => support[k].evaluate(sc[i % sc.length]), 50_000) });
    if (ROWS.includes("peers")) {
      const pol = perCall((i) => peer[k].evaluate(pc[i % pc.length]), 50_000);
      const floor = perCall((i) => decideByHand(pc[i % pc.length]), 500_000);
      const ajv = perCall((i) => decideWithAjv(pc[i % pc.length]), 100_000);
      record("peer mix: pol / JS + ajv", k, { ratio: pol / ajv, pol, ajv });
      record("peer mix: pol / JS floor", k, { ratio: pol / floor, pol, floor });
    }
    if (ROWS.includes("rules")) {
      const call = scaleCall();
      const [p10, p10k] = rulesPolicies[k];
      const a = perCall(() => p10.evaluate(call), 20_000);
      const c = perCall(() => p10k.evaluate(call), 200);
      record("10,000 keyed rules on the tool / 10 rules", k, { ratio: c / a, p10: a, p10k: c });
    }
    if (ROWS.includes("items")) {
      const lo = payloadCall(100, "items");
      const hi = payloadCall(10_000, "items");
      const a = perCall(() => items[k].evaluate(lo), 20_000);
      const c = perCall(() => items[k].evaluate(hi), 1_000);
      record("unread list of records, 10 KB / 100 B", k, { ratio: c / a, b100: a, kb10: c });
    }
    if (ROWS.includes("engine")) {
      for (const kind of ["memory", "sqlite"]) {
        const e = await engineOf(builds[k], support[k], kind);
        await perDecision(e.decide, ENGINE_CALLS.map((c) => c.call), 1_000);
        record(`Engine.decide ${kind} + JSONL (µs)`, k, await perDecision(e.decide, ENGINE_CALLS.map((c) => c.call), 3_000));
        await e.close();
      }
    }
    if (ROWS.includes("fleet") && r < 2) {
      for (const kind of ["memory", "sqlite"]) {
        const one = await engineOf(builds[k], support[k], kind);
        const fleet = await engineOf(builds[k], support[k], kind);
        const fc = Array.from({ length: AGENTS }, (_, i) => agentCalls(i)).flat();
        for (let i = 0; i < AGENTS; i++) for (const amount of [120, 150]) await fleet.decide({ ...fc[i * 5 + 1], args: { ...fc[i * 5 + 1].args, amount } });
        await perDecision(one.decide, ENGINE_CALLS.map((c) => c.call), 1_000);
        await perDecision(fleet.decide, fc, 1_000);
        const a = await perDecision(one.decide, ENGINE_CALLS.map((c) => c.call), 3_000);
        const f = await perDecision(fleet.decide, fc, 3_000);
        record(`${AGENTS} agents, 5,000 pending, ${kind}: p99 / one-agent p99`, k, { ratio: f.p99 / a.p99, oneP99: a.p99, fleetP99: f.p99 });
        await one.close();
        await fleet.close();
      }
    }
  }
  process.stderr.write(`round ${r + 1} of ${ROUNDS}\n`);
}

const fmt = (k, v) => (k === "ratio" ? `${v.toFixed(2)}×` : v >= 1000 ? `${(v / 1000).toFixed(2)} µs` : `${v.toFixed(0)} ns`);
console.log(`builds: ${builds.map((b, i) => `[${i + 1}] ${b.dist}`).join("  ")}; ${ROUNDS} rounds, medians over rounds; load ${(await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" / ")}`);
for (const r of rows) {
  const cells = r.builds.map((vs) => Object.keys(vs[0]).map((key) => `${key} ${fmt(key, median(vs.map((v) => v[key])))}`).join(", "));
  console.log(`${r.row}\n${cells.map((c, i) => `  [${i + 1}] ${c}`).join("\n")}`);
}
