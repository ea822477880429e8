// `npm run bench`: builds, then runs every suite from dist/benchmarks under plain node, each in
// its own Node process, writes benchmarks/results/latest.json and renders benchmarks/RESULTS.md
// (and the scaling plot). `--quick` is a short smoke run written to results/quick.json
// (RESULTS.md untouched); `--only=1,3` re-runs some suites and merges them into latest.json.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { machine, type Machine } from "./lib/machine.js";
import { BENCH, ROOT, script } from "./lib/paths.js";
import { render, writeImages } from "./render.js";

export const SUITES = [
  { n: 1, key: "bare", file: "suites/bare", title: "bare evaluator" },
  { n: 2, key: "peers", file: "suites/peers", title: "peers" },
  { n: 3, key: "scaling", file: "suites/scaling", title: "scaling" },
  { n: 4, key: "engine", file: "suites/engine", title: "full Engine" },
  { n: 5, key: "compile", file: "suites/compile", title: "compile time" },
  { n: 6, key: "memory", file: "suites/memory", title: "memory" },
  { n: 7, key: "serve", file: "suites/serve", title: "pol serve over HTTP" },
  { n: 8, key: "gateway", file: "suites/gateway", title: "MCP gateway" },
  { n: 9, key: "fleet", file: "suites/fleet", title: "fleet stores (Redis, PostgreSQL)" },
] as const;

function runOne(file: string, quick: boolean): unknown {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-"));
  const out = join(dir, "result.json");
  try {
    // --expose-gc for the memory suite's snapshots; stdout (benny's banner) and stderr (progress) pass through.
    execFileSync(process.execPath, ["--expose-gc", ...script(import.meta.url, `./${file}`), "--out", out, ...(quick ? ["--quick"] : [])], { stdio: ["ignore", "inherit", "inherit"], cwd: ROOT });
    return JSON.parse(readFileSync(out, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const only = argv.find((a) => a.startsWith("--only="))?.slice(7).split(",").map(Number);
  const target = join(BENCH, "results", quick ? "quick.json" : "latest.json");
  const previous = only && existsSync(target) ? JSON.parse(readFileSync(target, "utf8")) : {};
  const results: Record<string, unknown> = { ...(previous.suites ?? {}) };
  const seconds: Record<string, number> = { ...(previous.seconds ?? {}) };
  // The 1-minute load average as each suite starts and ends: the machine is shared, so every figure says what it ran beside.
  const load: Record<string, [number, number]> = { ...(previous.load ?? {}) };
  // When each suite ran: with --only (or a failed suite), figures from several runs share one document.
  const ran: Record<string, string> = { ...(previous.ran ?? {}) };
  // Which machine each suite ran on: merged documents hold figures from several machines (VMs of
  // one description differed 4× in a system call's cost), so one `machine` would misname them.
  // A document written before this map names one machine for every suite it holds.
  const machines: Record<string, Machine> = { ...Object.fromEntries(Object.keys(results).map((k) => [k, previous.machine])), ...(previous.machines ?? {}) };
  const t0 = performance.now();
  const write = () => {
    const doc = { generated: new Date().toISOString(), quick, machine: machine(), machines, seconds, load, ran, suites: results };
    writeFileSync(target, JSON.stringify(doc, null, 1) + "\n");
    return doc;
  };
  let failed = 0;
  for (const s of SUITES) {
    if (only && !only.includes(s.n)) continue;
    process.stderr.write(`suite ${s.n}: ${s.title}${quick ? " (quick)" : ""}\n`);
    const t = performance.now();
    const before = loadavg()[0]!;
    // A suite that fails is reported and the run goes on: the suites already run are kept (the
    // document is written after each), and the failed one keeps its previous figures, if any.
    try {
      results[s.key] = runOne(s.file, quick);
      seconds[s.key] = Math.round((performance.now() - t) / 100) / 10;
      ran[s.key] = new Date().toISOString();
      machines[s.key] = machine();
      load[s.key] = [before, loadavg()[0]!].map((x) => Math.round(x * 10) / 10) as [number, number];
    } catch (e) {
      failed++;
      process.stderr.write(`suite ${s.n} (${s.title}) failed: ${(e as Error).message.split("\n")[0]}\n`);
    }
    write();
  }
  const doc = write();
  process.stderr.write(`wrote ${target} in ${((performance.now() - t0) / 1000).toFixed(0)} s${failed ? `; ${failed} suite(s) failed` : ""}\n`);
  if (failed) process.exitCode = 1;
  if (!quick) {
    writeImages(doc);
    writeFileSync(join(BENCH, "RESULTS.md"), render(doc));
    process.stderr.write(`wrote ${join(BENCH, "RESULTS.md")}\n`);
  }
}

await main();
