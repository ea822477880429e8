// Compiling benchmark policies from text with pol's own front end and compiler,
// timing each stage. Used by the scaling and compile-time suites.

import { compilePolicy } from "../../compiler/compile.js";
import { renderDiagnostics } from "../../language/render.js";
import { loadText } from "../../language/load.js";
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
  const t0 = performance.now();
  const l = loadText(text, file, () => { throw new Error("benchmark policies have no imports"); });
  const t1 = performance.now();
  if (!l.checked || l.sink.hasErrors()) throw new Error(`${file} has errors:\n${renderDiagnostics(l.sink.errors, { sources: l.sources })}`);
  const c = await compilePolicy(l.checked, l.sink, { optimize });
  const t2 = performance.now();
  if (!c) throw new Error(`${file} did not compile:\n${renderDiagnostics(l.sink.errors, { sources: l.sources })}`);
  return { wasm: c.wasm, checkMs: t1 - t0, compileMs: t2 - t1 };
}

/** build() then instantiate, with the load time. */
export async function buildAndLoad(text: string, file: string, optimize = true): Promise<Built & { policy: WasmPolicy; loadMs: number }> {
  const b = await build(text, file, optimize);
  const t0 = performance.now();
  const policy = await WasmPolicy.fromBytes(b.wasm);
  return { ...b, policy, loadMs: performance.now() - t0 };
}
