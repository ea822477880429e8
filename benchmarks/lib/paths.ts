// Where the benchmarks live and how a suite starts another Node process. `npm run bench` runs
// the built JavaScript (dist/benchmarks/, plain `node`: tsx's keepNames wrappers cost ~300 ns per
// closure); results, RESULTS.md, FINDINGS.md, budget.json and the images stay in the source
// benchmarks/ folder. Used by run.ts, budget.ts, render.ts and the suites that spawn children.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file holding package.json. */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** The source folder of the benchmarks (results and documents), whether this runs from dist/ or from source. */
export const BENCH = join(ROOT, "benchmarks");
/** True when running the compiled benchmarks under plain node, as `npm run bench` does. */
export const BUILT = import.meta.url.endsWith(".js");

/**
 * Node arguments that run the benchmark module `rel` (relative to `fromUrl`'s folder, written
 * without extension): the compiled .js under plain node, or the .ts through tsx from source.
 */
export function script(fromUrl: string, rel: string): string[] {
  const base = fileURLToPath(new URL(rel, fromUrl));
  return BUILT ? [`${base}.js`] : ["--import", "tsx", `${base}.ts`];
}
