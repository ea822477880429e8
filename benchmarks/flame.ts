// Flame graphs: runs benchmarks/profile/decide-loop.mjs (Engine.decide, memory store, JSONL audit,
// the engine mix one decision per event-loop turn) or, with --loop=evaluate, profile/evaluate-loop.mjs
// (the bare evaluator on the support-agent mix, or --what=items on an unread 10 KB list of records)
// under `node --cpu-prof` against a built dist/ folder, writes the profile's flame graph as an SVG
// and prints where the main thread's time goes (self and total, by function). For before/after
// images, point --dist at a build of the earlier commit. Usage (after `node scripts/build.mjs --bench`):
//   node dist/benchmarks/flame.js --dist=dist --out=benchmarks/flame-after.svg --label="after" [--n=30000] [--store=memory]
//   node dist/benchmarks/flame.js --loop=evaluate --what=mix --out=benchmarks/flame-evaluate.svg

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { callTree, hotFunctions, type CpuProfile } from "./lib/cpuprofile.js";
import { machine } from "./lib/machine.js";
import { BENCH, ROOT } from "./lib/paths.js";
import { flameGraph } from "./lib/svg.js";

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const dist = resolve(ROOT, arg("dist", "dist"));
const out = resolve(ROOT, arg("out", join(BENCH, "flame.svg")));
const label = arg("label", dist);
const n = arg("n", "30000");
const store = arg("store", "memory");
const loop = arg("loop", "decide");
const what = arg("what", "mix");
const [workload, args, title] = loop === "evaluate"
  ? ["evaluate-loop.mjs", [`--what=${what}`], `WasmPolicy.evaluate, ${what === "items" ? "an unread 10 KB list of records" : "support-agent mix"}`]
  : ["decide-loop.mjs", [`--n=${n}`, `--store=${store}`], `Engine.decide, ${store} store + JSONL audit`];

const dir = mkdtempSync(join(tmpdir(), "pol-flame-"));
try {
  const load = machine().loadAverage;
  const printed = execFileSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, join(BENCH, "profile", workload), `--dist=${dist}`, ...args], { cwd: ROOT, encoding: "utf8" }).trim();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("node --cpu-prof wrote no profile");
  const root = callTree(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile);
  const subtitle = `${printed}; main thread, ${(root.total / 1e6).toFixed(1)} s of samples; load average ${load.join(" / ")}; node --cpu-prof of benchmarks/profile/${workload} ${args.join(" ")}`;
  writeFileSync(out, flameGraph(root, `${title}: ${label}`, subtitle));
  console.log(`wrote ${out}\n${subtitle}`);
  const fns = hotFunctions(root);
  for (const by of ["self", "total"] as const) {
    console.log(`\nby ${by} time:`);
    for (const f of fns.sort((a, b) => b[by] - a[by]).slice(0, 25)) console.log(`${(100 * f.self / root.total).toFixed(1).padStart(5)}% self ${(100 * f.total / root.total).toFixed(1).padStart(5)}% total  ${f.name}  ${f.where}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
