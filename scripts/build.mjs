#!/usr/bin/env node
// The package build (`npm run build`, and `prepare` on install and pack): tsc emits the library
// and CLI to dist/ (.js + .d.ts, one file per source, see tsconfig.build.json), then the files the
// compiler reads or runs at run time are copied beside it, so dist/ is the whole package:
// the AssemblyScript stdlib and ABI (read by asc), asconfig.json, the asc worker, the web
// console's static files (stylesheet, vendored htmx and its licence; read by server/assets.ts),
// the fleet stores' Redis Lua scripts and PostgreSQL migrations, and the audit writer thread
// with the .mjs modules it shares with the TypeScript.
// Plain JavaScript on purpose: it runs before anything is built.

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

if (!existsSync(tsc)) {
  console.error("pol build: typescript is not installed; run `npm install` in the repository first");
  process.exit(2);
}
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });

/** Copies every file of `dir` whose name passes `keep` (not recursive: these folders are flat). */
function copyFlat(dir, keep) {
  mkdirSync(join(dist, dir), { recursive: true });
  for (const name of readdirSync(join(root, dir))) if (keep(name)) cpSync(join(root, dir, name), join(dist, dir, name));
}
copyFlat("stdlib/as", (n) => n.endsWith(".ts"));
copyFlat("wasm", (n) => n.endsWith(".ts"));
cpSync(join(root, "asconfig.json"), join(dist, "asconfig.json"));
cpSync(join(root, "compiler", "asc-worker.mjs"), join(dist, "compiler", "asc-worker.mjs"));
cpSync(join(root, "server", "assets"), join(dist, "server", "assets"), { recursive: true });
for (const f of ["verify-worker.mjs", "audit-index-worker.mjs", "worker-setup.mjs"]) cpSync(join(root, "server", f), join(dist, "server", f));
// The fleet stores' server-side code, read next to the modules that run it.
copyFlat("runtime/store/lua", (n) => n.endsWith(".lua"));
copyFlat("runtime/store/sql", (n) => n.endsWith(".sql"));
// The audit writer thread and the modules it shares with the TypeScript (with their types).
copyFlat("runtime/audit", (n) => n.endsWith(".mjs") || n.endsWith(".d.mts"));
// `--bench` (npm run bench, bench:budget): the benchmarks too, to dist/benchmarks/, so they run
// the built code under plain node; dist/benchmarks is never packed (package.json `files`).
if (process.argv.includes("--bench")) execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.bench.json")], { stdio: "inherit" });
