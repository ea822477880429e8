// `pol compile`: one .wasm per policy (partials `_*.pol` skipped), with the same diagnostics as
// `pol check` on errors; prints a line per policy. Two inputs that would write the same output
// file are refused before anything is compiled. Exit 0, 1 when a policy has errors, 2 on usage
// or I/O errors.

import { writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { compileFile } from "../compiler/compile-file.js";
import { renderDiagnostics } from "../language/render.js";
import { EXIT } from "./exit.js";
import { inputs, isPartial } from "./files.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";
import { makeDir } from "../runtime/make-dir.js";

const outputOf = (outDir: string, file: string) => join(outDir, basename(file).replace(/\.pol$/, ".wasm"));

/** Inputs mapping to one output, e.g. `a/x.pol` and `b/x.pol` both to `dist/x.wasm`. */
function collisions(files: string[], outDir: string): string[] {
  const by = new Map<string, string[]>();
  for (const f of files) {
    const out = resolve(outputOf(outDir, f));
    by.set(out, [...(by.get(out) ?? []), f]);
  }
  return [...by].filter(([, fs]) => fs.length > 1).map(([out, fs]) => `${fs.map((f) => `\`${f}\``).join(" and ")} would both be written to \`${out}\`: compile them into separate --out-dir directories or rename one`);
}

export async function compileCommand(io: Io, paths: string[], opts: { outDir?: string; emitAs?: boolean }): Promise<number> {
  const problems = new Problems(io, false);
  const outDir = opts.outDir ?? "dist";
  const policies = inputs(paths, ".pol", problems, (f) => !isPartial(f), "policies (`*.pol` files not starting with `_`)");
  for (const c of collisions(policies, outDir)) problems.add(c);
  if (problems.any) return EXIT.usage;
  try {
    makeDir(outDir);
  } catch (e) {
    return problems.fail(`cannot create \`${outDir}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, outDir);
  }
  let failed = 0;
  for (const [i, f] of policies.entries()) {
    const t0 = performance.now();
    // The generated AssemblyScript exists only when compiled now, so --emit-as bypasses the cache.
    const c = await compileFile(f, { cache: !opts.emitAs });
    if (!c.wasm) {
      io.err(renderDiagnostics(c.loaded.sink.sorted(), { sources: c.loaded.sources, color: io.colorErr }) + "\n");
      failed++;
      continue;
    }
    const out = outputOf(outDir, f);
    try {
      writeFileSync(out, c.wasm);
      if (opts.emitAs && c.source !== undefined) writeFileSync(out.replace(/\.wasm$/, ".as.ts"), c.source);
    } catch (e) {
      problems.add(`cannot write \`${out}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, out);
      continue;
    }
    const ms = Math.round(performance.now() - t0);
    io.err(`[${i + 1}/${policies.length}] ${f} -> ${out} (${(c.wasm.length / 1024).toFixed(1)} KiB, sha256 ${c.hash!.slice(0, 12)}, ${ms} ms${c.fromCache ? ", cached" : ""})\n`);
  }
  io.err(`compiled ${policies.length - failed - problems.list.length} of ${policies.length} polic${policies.length === 1 ? "y" : "ies"}\n`);
  return problems.any ? EXIT.usage : failed ? EXIT.failed : EXIT.ok;
}
