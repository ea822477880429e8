// Suite 5: compile time for 10 / 100 / 1,000 / 10,000 generated rules (ten
// rules per tool), warm (asc worker already running, in process) and cold (a
// new process per compile, via compile-cold.ts). Run by benchmarks/run.ts.

import { execFileSync } from "node:child_process";
import { scalePolicy } from "../lib/generate.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { buildAndLoad } from "../lib/policy.js";
import { script } from "../lib/paths.js";
import { median } from "../lib/sample.js";

const COLD = script(import.meta.url, "./compile-cold");

export interface CompileRow {
  rules: number;
  tools: number;
  optimize: boolean;
  mode: "warm" | "cold";
  /** Repetitions; the figures are their medians. */
  reps: number;
  checkMs: number;
  compileMs: number;
  loadMs: number;
  /** Cold only: process start to loaded policy, as seen from inside and from the parent (wall). */
  totalMs?: number;
  wallMs?: number;
  wasmBytes?: number;
}

const toolsFor = (rules: number) => Math.max(1, rules / 10);

export async function compile(o: SuiteOptions) {
  const rows: CompileRow[] = [];
  // Start the asc worker, so the warm rows measure compiling only.
  await buildAndLoad(scalePolicy(3, 1), "warmup.pol");
  const warm = async (rules: number, optimize: boolean, reps: number) => {
    const xs: { checkMs: number; compileMs: number; loadMs: number; bytes: number }[] = [];
    // A different policy text per repetition (asc caches nothing across runs, but be sure).
    for (let r = 0; r < reps; r++) {
      const b = await buildAndLoad(scalePolicy(rules, toolsFor(rules)) + `# rep ${r}\n`, `warm_${rules}.pol`, optimize);
      xs.push({ checkMs: b.checkMs, compileMs: b.compileMs, loadMs: b.loadMs, bytes: b.wasm.length });
    }
    const row: CompileRow = { rules, tools: toolsFor(rules), optimize, mode: "warm", reps, checkMs: median(xs.map((x) => x.checkMs)), compileMs: median(xs.map((x) => x.compileMs)), loadMs: median(xs.map((x) => x.loadMs)), wasmBytes: xs[0]!.bytes };
    rows.push(row);
    log(`warm ${optimize ? "-O3" : "-O0"} ${String(rules).padStart(6)} rules: check ${row.checkMs.toFixed(0)} ms, compile ${row.compileMs.toFixed(0)} ms, load ${row.loadMs.toFixed(0)} ms`);
  };
  const cold = (rules: number, optimize: boolean, reps: number) => {
    const xs: (CompileRow & { startupMs: number; importMs: number })[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const out = execFileSync(process.execPath, [...COLD, String(rules), optimize ? "-O3" : "-O0"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      const wallMs = performance.now() - t0;
      xs.push({ ...JSON.parse(out.trim().split("\n").pop()!), wallMs });
    }
    const m = (k: "checkMs" | "compileMs" | "loadMs" | "totalMs" | "wallMs" | "importMs" | "startupMs") => median(xs.map((x) => x[k] as number));
    const row = { rules, tools: toolsFor(rules), optimize, mode: "cold" as const, reps, checkMs: m("checkMs"), compileMs: m("compileMs"), loadMs: m("loadMs"), totalMs: m("totalMs"), wallMs: m("wallMs"), startupMs: m("startupMs"), importMs: m("importMs") };
    rows.push(row);
    log(`cold ${optimize ? "-O3" : "-O0"} ${String(rules).padStart(6)} rules: compile ${row.compileMs.toFixed(0)} ms, process start to loaded ${row.totalMs.toFixed(0)} ms (wall ${row.wallMs.toFixed(0)} ms)`);
  };
  const sizes = o.quick ? [10, 100] : [10, 100, 1_000, 10_000];
  for (const rules of sizes) await warm(rules, true, rules <= 100 ? 3 : 1);
  for (const rules of sizes) await warm(rules, false, rules <= 100 ? 3 : 1);
  // Cold -O3 at 10,000 rules would repeat the longest warm compile for little news: startup is additive.
  for (const rules of o.quick ? [10] : [10, 100, 1_000]) cold(rules, true, o.quick || rules >= 1_000 ? 1 : 3);
  if (!o.quick) cold(10_000, false, 1);
  return { shape: "rules spread ten per tool (rules / 10 tools), each reading two fields", rows };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(compile);
