// `pol compile`: one .wasm per policy (partials `_*.pol` skipped), with the
// same diagnostics as `pol check` on errors; prints a line per policy.

import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { compilePolicy } from "../compiler/compile.js";
import { loadFile } from "../language/load.js";
import { renderDiagnostics } from "../language/render.js";
import { expandPaths, isPartial } from "./files.js";
import type { Io } from "./io.js";

export async function compileCommand(io: Io, paths: string[], opts: { outDir?: string; emitAs?: boolean }): Promise<number> {
  const { files, missing } = expandPaths(paths.length ? paths : ["."]);
  for (const m of missing) io.err(`error: no such file or directory \`${m}\`\n`);
  const outDir = opts.outDir ?? "dist";
  mkdirSync(outDir, { recursive: true });
  const policies = files.filter((f) => !isPartial(f));
  let failed = 0;
  for (const [i, f] of policies.entries()) {
    const t0 = performance.now();
    const l = loadFile(f);
    if (!l.checked || l.sink.hasErrors()) {
      io.err(renderDiagnostics(l.sink.sorted(), { sources: l.sources, color: io.color }) + "\n");
      failed++;
      continue;
    }
    const c = await compilePolicy(l.checked, l.sink);
    if (!c) {
      io.err(renderDiagnostics(l.sink.errors, { sources: l.sources, color: io.color }) + "\n");
      failed++;
      continue;
    }
    const out = join(outDir, basename(f).replace(/\.pol$/, ".wasm"));
    writeFileSync(out, c.wasm);
    if (opts.emitAs) writeFileSync(out.replace(/\.wasm$/, ".as.ts"), c.source);
    const ms = Math.round(performance.now() - t0);
    io.err(`[${i + 1}/${policies.length}] ${f} -> ${out} (${(c.wasm.length / 1024).toFixed(1)} KiB, sha256 ${c.hash.slice(0, 12)}, ${ms} ms)\n`);
  }
  io.err(`compiled ${policies.length - failed} of ${policies.length} polic${policies.length === 1 ? "y" : "ies"}\n`);
  return missing.length ? 2 : failed ? 1 : 0;
}
