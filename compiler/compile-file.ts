// The one road from a `.pol` file (or its text) to a module: load and check it with the front end,
// then compile it through the content-addressed cache. Used by `pol compile`, `pol eval`, `pol test`,
// `Engine.load("x.pol")` (through a dynamic import, so services loading .wasm never load the front
// end) and the benchmarks. Reports, never throws for a policy's own errors: they are in `loaded.sink`.

import { createHash } from "node:crypto";
import type { CheckedPolicy } from "../language/checked.js";
import { loadFile, loadText, type Loaded, type Reader } from "../language/load.js";
import { renderDiagnostics } from "../language/render.js";
import { cacheKey, readCache, writeCache } from "./cache.js";
import { compilePolicy, manifestPayload } from "./compile.js";
import { readManifest } from "./manifest.js";

export interface CompileFileOptions {
  /** Run binaryen's optimiser; default: for policies up to OPTIMIZE_MAX_RULES rules. */
  optimize?: boolean;
  /** Reuse and fill the module cache (compiler/cache.ts); default true. Off when the generated source is wanted. */
  cache?: boolean;
  /** How imports are read; default the file system. */
  read?: Reader;
}

export interface Compilation {
  /** The front end's result: the checked policy, every diagnostic, every source read. */
  loaded: Loaded;
  /** The module, when the policy checked and compiled. */
  wasm?: Uint8Array;
  /** Its policy hash (hex SHA-256 of the module), with wasm. */
  hash?: string;
  /** The generated AssemblyScript, when the module was compiled now rather than read from the cache. */
  source?: string;
  fromCache: boolean;
  /** Parse + check, and compile (0 on a cache hit), in ms. */
  checkMs: number;
  compileMs: number;
}

/** Reads, checks and compiles the policy at `path` (its imports resolved from its own directory). */
export function compileFile(path: string, opts: CompileFileOptions = {}): Promise<Compilation> {
  const t0 = performance.now();
  return finish(loadFile(path, opts.read), t0, opts);
}

/** As compileFile, for text not on disk named `file` (diagnostics and rule ids use the name). */
export function compileText(text: string, file: string, opts: CompileFileOptions = {}): Promise<Compilation> {
  const t0 = performance.now();
  return finish(loadText(text, file, opts.read), t0, opts);
}

/**
 * Whether a cached module is this policy's: a valid module whose manifest is exactly the one
 * compiling the policy would embed (and the loader checks the code is bound to it). A stale,
 * truncated or swapped cache file is compiled over instead of being run as the policy.
 */
async function isModuleOf(wasm: Uint8Array, policy: CheckedPolicy): Promise<boolean> {
  try {
    // Compiled off the main thread (WebAssembly.compile), so a large module does not block a server reloading it.
    const read = readManifest(await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>));
    return typeof read !== "string" && Buffer.from(read.bytes).equals(Buffer.from(manifestPayload(policy)));
  } catch {
    return false;
  }
}

async function finish(loaded: Loaded, t0: number, opts: CompileFileOptions): Promise<Compilation> {
  const t1 = performance.now();
  const base = { loaded, fromCache: false, checkMs: t1 - t0, compileMs: 0 };
  if (!loaded.checked || loaded.sink.hasErrors()) return base;
  const useCache = opts.cache !== false && opts.optimize === undefined;
  const key = useCache ? cacheKey(loaded.sources) : undefined;
  const cached = key !== undefined ? readCache(key) : undefined;
  const hit = cached && (await isModuleOf(cached, loaded.checked as CheckedPolicy)) ? cached : undefined;
  if (hit) return { ...base, wasm: hit, hash: createHash("sha256").update(hit).digest("hex"), fromCache: true };
  const c = await compilePolicy(loaded.checked as CheckedPolicy, loaded.sink, opts.optimize !== undefined ? { optimize: opts.optimize } : {});
  const compileMs = performance.now() - t1;
  if (!c) return { ...base, compileMs };
  if (key !== undefined) writeCache(key, c.wasm);
  return { ...base, wasm: c.wasm, hash: c.hash, source: c.source, compileMs };
}

/** The errors that stopped a compilation, rendered with carets (empty when it succeeded). */
export function compileErrors(c: Compilation, color = false): string {
  return c.wasm ? "" : renderDiagnostics(c.loaded.sink.errors, { sources: c.loaded.sources, color });
}
