// A content-addressed cache of compiled modules, so `pol eval`, `pol test`
// and `Engine.load("x.pol")` do not pay for asc on every run. The key covers
// the policy's sources and everything that shapes the output (the compiler
// and stdlib sources, asc's version): change any of them and the key changes.
// Stored under node_modules/.cache/pol (POL_CACHE_DIR overrides; POL_CACHE=0 disables).

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./asc.js";

let toolchain: string | undefined;

/** A hash of the compiler and stdlib sources and the asc version: computed once per process. */
function toolchainHash(): string {
  if (toolchain) return toolchain;
  const h = createHash("sha256");
  for (const dir of ["compiler", "wasm", "stdlib/as", "stdlib/regex", "language"]) {
    for (const f of readdirSync(join(ROOT, dir)).filter((x) => x.endsWith(".ts") || x.endsWith(".mjs")).sort()) {
      h.update(`${dir}/${f}\0`).update(readFileSync(join(ROOT, dir, f))).update("\0");
    }
  }
  try {
    h.update(readFileSync(join(ROOT, "asconfig.json")));
    h.update(JSON.parse(readFileSync(join(ROOT, "node_modules/assemblyscript/package.json"), "utf8")).version);
  } catch {
    h.update("asc?");
  }
  return (toolchain = h.digest("hex"));
}

function dir(): string | undefined {
  if (process.env["POL_CACHE"] === "0") return undefined;
  return process.env["POL_CACHE_DIR"] ?? join(ROOT, "node_modules", ".cache", "pol");
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
    mkdirSync(d, { recursive: true });
    const tmp = join(d, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, wasm);
    renameSync(tmp, join(d, `${key}.wasm`));
  } catch {
    // a read-only or full disk just means compiling next time
  }
}
