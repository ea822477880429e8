#!/usr/bin/env node
// What each request costs pol serve at a fixed rate, per build: CPU of the server's main thread
// and of the whole process (from /proc, Linux only), scavenges per 1,000 requests and their
// pause, what they promote into the old generation per request, mark-compacts, and the open-loop
// latency. Builds (dist/ folders) are alternated run by run so load from other processes falls on
// all of them. Suite 7 says how slow the tail is; this says what the server spends to get there
// (benchmarks/FINDINGS.md, "pol serve over HTTP").
// Plain JavaScript against the builds (run `node scripts/build.mjs --bench` first). Usage:
//   node benchmarks/serve-cost.mjs [--dist=dist,/tmp/before/dist] [--mode=memory|sqlite|floor|work[:µs]]
//                                  [--rounds=3] [--seconds=10] [--rate=5000]
// --mode takes a list (`--mode=floor,work:20,work:40,memory`): every build runs every mode, and
// `work:N` is the floor spending N µs per request (suite 7's busy-work peer spends WORK_US), so one
// run draws what this machine's tail allows against the CPU a request costs.

import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const ROOT = new URL("..", import.meta.url).pathname;
const DISTS = arg("dist", "dist").split(",").map((d) => resolve(ROOT, d));
const MODES = arg("mode", "memory").split(",");
const ROUNDS = Number(arg("rounds", 3));
const SECONDS = Number(arg("seconds", 10));
const RATE = Number(arg("rate", 5000));
const GC_COUNT = new URL("./gc-count.mjs", import.meta.url).pathname;

if (!existsSync(`/proc/${process.pid}/task`)) throw new Error("serve-cost reads per-thread CPU from /proc: Linux only");
const bench = (p) => import(pathToFileURL(join(ROOT, "dist", "benchmarks", p)).href);
const { openLoop } = await bench("lib/open-loop.js");
const { ENGINE_CALLS } = await bench("suites/engine.js");
const { WORK_US } = await bench("suites/serve.js");
const bodies = ENGINE_CALLS.map((c) => JSON.stringify(c.call));

/** CPU ticks (1/100 s) of the process's main thread and of all its threads. */
function ticks(pid) {
  let main = 0;
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // a thread that ended between the listing and the read
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const t = Number(f[11]) + Number(f[12]);
    all += t;
    if (Number(tid) === pid) main = t;
  }
  return { main, all };
}

function start(dist, spec) {
  const [mode, work = String(WORK_US)] = spec.split(":");
  const child = spawn(process.execPath, ["--import", GC_COUNT, join(dist, "benchmarks/lib/serve-child.js"), mode, work], { stdio: ["ignore", "pipe", "ignore", "ipc"], cwd: ROOT });
  return new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (b) => {
      out += b;
      const line = /^\{"url.*$/m.exec(out);
      if (line) ok({ child, ...JSON.parse(line[0]) });
    });
    child.once("exit", (code) => fail(new Error(`the ${spec} server of ${dist} exited with ${code}`)));
  });
}

/** The server's GC counts so far (gc-count.mjs answers over IPC). */
function gc(child) {
  return new Promise((ok) => {
    child.once("message", ok);
    child.send("gc");
  });
}

const load = (s, seconds) => openLoop({ url: s.url, path: "/v1/decide", headers: { "content-type": "application/json", ...(s.authorization ? { authorization: s.authorization } : {}) }, bodies, rate: RATE, seconds, connections: 64 });

const servers = [];
try {
  for (const dist of DISTS) {
    for (const mode of MODES) {
      const s = await start(dist, mode);
      servers.push({ dist, mode, ...s });
      await load(s, 4); // warm-up
    }
  }
  const n = RATE * SECONDS;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of servers) {
      const a = ticks(s.child.pid);
      const g0 = await gc(s.child);
      const r = await load(s, SECONDS);
      const b = ticks(s.child.pid);
      const g1 = await gc(s.child);
      const us = (t) => ((t * 1e4) / n).toFixed(1);
      const scavenges = g1.minor - g0.minor;
      console.log(
        `round ${round} ${s.dist} ${s.mode}: main thread ${us(b.main - a.main)} µs/request, process ${us(b.all - a.all)} µs/request, ` +
          `scavenges ${((scavenges * 1000) / n).toFixed(2)} per 1k requests (${((g1.minorMs - g0.minorMs) / Math.max(1, scavenges)).toFixed(2)} ms each), ` +
          `old generation +${((g1.promoted - g0.promoted) / n).toFixed(0)} B/request, mark-compacts ${g1.major - g0.major} (${(g1.majorMs - g0.majorMs).toFixed(0)} ms) | p50 ${(r.latency.p50 / 1e6).toFixed(2)} ms, p99 ${(r.latency.p99 / 1e6).toFixed(2)} ms`,
      );
    }
  }
} finally {
  for (const s of servers) s.child.kill("SIGTERM");
}
