// The AssemblyScript compiler, run in a worker thread: loaded once and kept
// warm, and loaded by Node itself rather than through tsx (tsx transforms
// binaryen's 13 MB of JavaScript, which costs seconds). Plain JavaScript on
// purpose. Receives {id, source, optimize} from asc.ts; replies {id, wasm, errors}.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parentPort, workerData } from "node:worker_threads";

const ENTRY = "pol_policy_entry.ts";
/** The project's asconfig.json options: one place for the flags, also usable with `npx asc --config`. */
const config = JSON.parse(readFileSync(workerData.asconfig, "utf8")).options;
const asc = (await import("assemblyscript/asc")).default;

async function compile(source, optimize) {
  let wasm;
  let errors = "";
  const stream = { write: (chunk) => { errors += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"); return true; } };
  // No --initialMemory: asc sizes it to the static data; forcing one page broke policies with
  // over 64 KiB of constants (AS105 at 10,000 rules) and changes no bytes for smaller ones.
  const result = await asc.main(
    [
      ENTRY, "--outFile", "out.wasm", "--runtime", config.runtime, ...(config.noAssert ? ["--noAssert"] : []),
      "--optimizeLevel", String(optimize ? config.optimizeLevel : 0), "--shrinkLevel", String(optimize ? config.shrinkLevel : 0), "--noColors",
    ],
    {
      stdout: stream,
      stderr: stream,
      readFile: (name, baseDir) => {
        if (name === ENTRY) return source;
        // asc names files relative to the entry's directory ("." for the entry): resolve them against
        // the package's own root, never the process's working directory.
        try {
          return readFileSync(resolve(workerData.root, baseDir || ".", name), "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (name, contents) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") wasm = contents;
      },
      listFiles: () => [],
    },
  );
  if (result.error) return { errors: errors || result.error.message };
  return wasm ? { wasm, errors: "" } : { errors: errors || "asc produced no module" };
}

parentPort.on("message", async ({ id, source, optimize }) => {
  try {
    const r = await compile(source, optimize);
    parentPort.postMessage({ id, ...r }, r.wasm ? [r.wasm.buffer] : []);
  } catch (e) {
    parentPort.postMessage({ id, errors: `asc crashed: ${e && e.message}` });
  }
});
