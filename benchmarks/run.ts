// `npm run bench`: runs every suite (7 since pol serve), each in its own Node process, writes
// benchmarks/results/latest.json and renders benchmarks/RESULTS.md. `--quick`
// is a short smoke run written to results/quick.json (RESULTS.md untouched);
// `--only=1,3` re-runs some suites and merges them into latest.json.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { machine } from "./lib/machine.js";
import { render } from "./render.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
export const SUITES = [
  { n: 1, key: "bare", file: "suites/bare.ts", title: "bare evaluator" },
  { n: 2, key: "peers", file: "suites/peers.ts", title: "peers" },
  { n: 3, key: "scaling", file: "suites/scaling.ts", title: "scaling" },
  { n: 4, key: "engine", file: "suites/engine.ts", title: "full Engine" },
  { n: 5, key: "compile", file: "suites/compile.ts", title: "compile time" },
  { n: 6, key: "memory", file: "suites/memory.ts", title: "memory" },
  { n: 7, key: "serve", file: "suites/serve.ts", title: "pol serve over HTTP" },
  { n: 8, key: "gateway", file: "suites/gateway.ts", title: "MCP gateway" },
  { n: 9, key: "fleet", file: "suites/fleet.ts", title: "fleet stores (Redis, PostgreSQL)" },
] as const;

function runOne(file: string, quick: boolean): unknown {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-"));
  const out = join(dir, "result.json");
  try {
    // --expose-gc for the memory suite's snapshots; stdout (benny's banner) and stderr (progress) pass through.
    execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", join(HERE, file), "--out", out, ...(quick ? ["--quick"] : [])], { stdio: ["ignore", "inherit", "inherit"], cwd: join(HERE, "..") });
    return JSON.parse(readFileSync(out, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const only = argv.find((a) => a.startsWith("--only="))?.slice(7).split(",").map(Number);
  const target = join(HERE, "results", quick ? "quick.json" : "latest.json");
  const previous = only && existsSync(target) ? JSON.parse(readFileSync(target, "utf8")) : {};
  const results: Record<string, unknown> = { ...(previous.suites ?? {}) };
  const seconds: Record<string, number> = { ...(previous.seconds ?? {}) };
  const t0 = performance.now();
  for (const s of SUITES) {
    if (only && !only.includes(s.n)) continue;
    process.stderr.write(`suite ${s.n}: ${s.title}${quick ? " (quick)" : ""}\n`);
    const t = performance.now();
    results[s.key] = runOne(s.file, quick);
    seconds[s.key] = Math.round((performance.now() - t) / 100) / 10;
  }
  const doc = { generated: new Date().toISOString(), quick, machine: machine(), seconds, suites: results };
  writeFileSync(target, JSON.stringify(doc, null, 1) + "\n");
  process.stderr.write(`wrote ${target} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  if (!quick) {
    writeFileSync(join(HERE, "RESULTS.md"), render(doc));
    process.stderr.write(`wrote ${join(HERE, "RESULTS.md")}\n`);
  }
}

await main();
