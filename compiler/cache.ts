// A content-addressed cache of compiled modules, so `pol eval`, `pol test` and
// `Engine.load("x.pol")` do not pay for asc on every run. The key covers the
// policy's sources and everything that shapes the output: every file the
// compiler runs or reads, found by following imports from its entry points
// (never a hand-kept list, which once left stdlib files out and served stale
// modules), plus asc's and binaryen's versions.
// Stored under the nearest node_modules/.cache/pol from the working directory
// (the find-cache-dir convention), else ~/.cache/pol; POL_CACHE_DIR overrides,
// POL_CACHE=0 disables.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AS_IMPORTS } from "./abi.js";
import { ASCONFIG, ROOT, WORKER } from "./asc.js";
import { makeDir } from "../runtime/make-dir.js";

/** Relative specifiers a module imports: static and dynamic imports, re-exports, and `new URL("./x", import.meta.url)`. */
const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)["'](\.\.?\/[^"']+)["']/g;

/** The file a relative specifier names: as written, else the TypeScript source of a `.js` specifier, else with `ext` added. */
function resolveSpecifier(from: string, spec: string, ext: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const f of [base, base.replace(/\.js$/, ".ts"), base + ext]) if (existsSync(f) && extname(f) !== "") return f;
  return undefined;
}

/** Every file reachable from `roots` through relative imports, sorted; `ext` completes extensionless specifiers (AssemblyScript's). */
export function reachableFiles(roots: string[], ext: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!/\.(m?[jt]s)$/.test(file)) return;
    for (const m of readFileSync(file, "utf8").matchAll(SPECIFIERS)) {
      const next = resolveSpecifier(file, m[1]!, ext);
      if (next) visit(next);
    }
  };
  for (const r of roots) visit(r);
  return [...seen].sort();
}

/** The version of an installed package, resolved the way Node resolves it from `from`. */
function versionOf(name: string, from: string): string {
  try {
    return JSON.parse(readFileSync(createRequire(from).resolve(`${name}/package.json`), "utf8")).version as string;
  } catch {
    return `${name}?`;
  }
}

/**
 * The files whose content decides a compiled module: the compiler's own modules and what they
 * import (front end, stdlib signatures, regex compiler), the asc worker, the AssemblyScript stdlib
 * and ABI the generated entry imports, and asconfig.json.
 */
export function toolchainFiles(): string[] {
  const self = fileURLToPath(import.meta.url);
  const js = reachableFiles([join(dirname(self), `compile-file${extname(self)}`), fileURLToPath(WORKER)], extname(self));
  const as = reachableFiles(Object.values(AS_IMPORTS).map((p) => join(ROOT, `${p}.ts`)), ".ts");
  return [...new Set([...js, ...as, ASCONFIG])].sort();
}

let toolchain: string | undefined;

/** A hash of toolchainFiles() and the asc and binaryen versions: computed once per process. */
export function toolchainHash(): string {
  if (toolchain) return toolchain;
  const h = createHash("sha256");
  for (const f of toolchainFiles()) h.update(`${f.slice(ROOT.length)}\0`).update(readFileSync(f)).update("\0");
  const asc = createRequire(import.meta.url).resolve("assemblyscript/package.json");
  h.update(`assemblyscript ${versionOf("assemblyscript", import.meta.url)}\0binaryen ${versionOf("binaryen", asc)}`);
  return (toolchain = h.digest("hex"));
}

function dir(): string | undefined {
  if (process.env["POL_CACHE"] === "0") return undefined;
  const forced = process.env["POL_CACHE_DIR"];
  if (forced) return forced;
  for (let d = process.cwd(); ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules"))) return join(d, "node_modules", ".cache", "pol");
    if (dirname(d) === d) break;
  }
  return join(process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "pol");
}

export function cacheKey(sources: ReadonlyMap<string, string>): string {
  const h = createHash("sha256").update(toolchainHash());
  for (const [name, text] of [...sources].sort(([a], [b]) => a.localeCompare(b))) h.update(`${name}\0${text}\0`);
  return h.digest("hex");
}

export function readCache(key: string): Uint8Array | undefined {
  const d = dir();
  if (!d) return undefined;
  try {
    return readFileSync(join(d, `${key}.wasm`));
  } catch {
    return undefined;
  }
}

/** Writes atomically (temp file + rename), so a concurrent reader never sees half a module. Failures are ignored: the cache is an optimisation. */
export function writeCache(key: string, wasm: Uint8Array): void {
  const d = dir();
  if (!d) return;
  try {
    makeDir(d);
    const tmp = join(d, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, wasm);
    renameSync(tmp, join(d, `${key}.wasm`));
  } catch {
    // a read-only or full disk just means compiling next time
  }
}
