// The in-process AssemblyScript driver: compiles generated sources to wasm
// in memory (no temp files), with the stdlib read from disk, in a worker
// thread that keeps asc warm (asc-worker.mjs). asc's diagnostics are
// returned, never printed. Used by compile.ts.

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * The package root the generated entry's imports resolve against (AS_IMPORTS): the repository in a
 * checkout, `dist/` in the built package (the build copies the AssemblyScript sources there).
 */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The asc options file the worker reads (also usable with `npx asc --config`). */
export const ASCONFIG = join(ROOT, "asconfig.json");

/** The worker that runs asc; plain JavaScript (see asc-worker.mjs). */
export const WORKER = new URL("./asc-worker.mjs", import.meta.url);

export interface AscResult {
  wasm?: Uint8Array;
  /** asc's diagnostics text (empty on success). */
  errors: string;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, (r: AscResult) => void>();

function fail(message: string): void {
  for (const [, resolveOne] of pending) resolveOne({ errors: message });
  pending.clear();
  worker = undefined;
}

function getWorker(): Worker {
  if (worker) return worker;
  // No inherited execArgv: the worker is plain JavaScript, and flags valid for the host process
  // (`--input-type`, a loader) make a worker fail to start.
  const w = new Worker(WORKER, { workerData: { root: ROOT, asconfig: ASCONFIG }, execArgv: [] });
  w.on("message", (m: { id: number; wasm?: Uint8Array; errors: string }) => {
    const done = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    done?.(m.wasm ? { wasm: new Uint8Array(m.wasm), errors: "" } : { errors: m.errors });
  });
  w.on("error", (e) => fail(`the AssemblyScript compiler failed: ${e.message}`));
  w.on("exit", (code) => { if (pending.size) fail(`the AssemblyScript compiler exited (code ${code})`); worker = undefined; });
  worker = w;
  return w;
}

/** Compiles one AssemblyScript entry source (which may import files under ROOT). */
export function compileAssemblyScript(source: string, opts: { optimize?: boolean } = {}): Promise<AscResult> {
  const w = getWorker();
  w.ref();
  const id = nextId++;
  return new Promise((res) => {
    pending.set(id, res);
    w.postMessage({ id, source, optimize: opts.optimize !== false });
  });
}

/** Stops the compiler worker (it is unref'd, so this is only needed to free memory early). */
export async function stopCompiler(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
