// The in-process AssemblyScript driver: compiles generated sources to wasm
// in memory (no temp files) with the stdlib read from disk. Used by
// compile.ts; asc's own diagnostics are returned, never printed.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root, from which the generated entry imports `./stdlib/as/index`. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

type Asc = typeof import("assemblyscript/asc");
let ascModule: Promise<Asc> | undefined;
/** asc is ESM-only and slow to load (about a second): load it once, on first use. */
function loadAsc(): Promise<Asc> {
  return (ascModule ??= import("assemblyscript/asc"));
}

export interface AscResult {
  wasm?: Uint8Array;
  /** asc's diagnostics text (empty on success). */
  errors: string;
}

const ENTRY = "pol_policy_entry.ts";

/** Compiles one AssemblyScript entry source (which may import files under ROOT). */
export async function compileAssemblyScript(source: string, opts: { optimize?: boolean } = {}): Promise<AscResult> {
  const asc = (await loadAsc()).default;
  let wasm: Uint8Array | undefined;
  let errors = "";
  const stream = { write: (chunk: Uint8Array | string) => { errors += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"); return true; } };
  const result = await asc.main(
    [ENTRY, "--outFile", "out.wasm", "--runtime", "stub", "--noAssert", ...(opts.optimize === false ? ["-O0"] : ["-O3"]), "--initialMemory", "1", "--noColors"],
    {
      stdout: stream as never,
      stderr: stream as never,
      readFile: (name: string, baseDir: string) => {
        if (name === ENTRY) return source;
        try {
          return readFileSync(join(baseDir || ROOT, name), "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") wasm = contents;
      },
      listFiles: () => [],
    },
  );
  if (result.error) return { errors: errors || result.error.message };
  return wasm ? { wasm, errors: "" } : { errors: errors || "asc produced no module" };
}
