// Compiling benchmark policies from text with pol's own front end and compiler,
// timing each stage. Used by the scaling and compile-time suites.

import { compileErrors, compileText } from "../../compiler/compile-file.js";
import { WasmPolicy } from "../../runtime/loader.js";

export interface Built {
  wasm: Uint8Array;
  /** Parse + type-check, ms. */
  checkMs: number;
  /** Lower + emit + asc (+ manifest), ms. */
  compileMs: number;
}

/** Checks and compiles `text`; throws with the rendered diagnostics on any error. */
export async function build(text: string, file: string, optimize = true): Promise<Built> {
  // optimize given explicitly: never the cache, so compile times are real.
  const c = await compileText(text, file, { optimize, read: () => { throw new Error("benchmark policies have no imports"); } });
  if (!c.wasm) throw new Error(`${file} did not compile:\n${compileErrors(c)}`);
  return { wasm: c.wasm, checkMs: c.checkMs, compileMs: c.compileMs };
}

/** build() then instantiate, with the load time. */
export async function buildAndLoad(text: string, file: string, optimize = true): Promise<Built & { policy: WasmPolicy; loadMs: number }> {
  const b = await build(text, file, optimize);
  const t0 = performance.now();
  const policy = await WasmPolicy.fromBytes(b.wasm);
  return { ...b, policy, loadMs: performance.now() - t0 };
}
