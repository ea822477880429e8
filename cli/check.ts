// `pol check`: parse and type-check policies, print diagnostics. Exit 0 when clean, 1 on errors
// (or warnings with --strict), 2 when a path is missing or holds no policy.

import { loadFile } from "../language/load.js";
import { diagnosticsToJson, renderDiagnostics, summary } from "../language/render.js";
import type { Diagnostic } from "../language/diagnostics.js";
import { EXIT } from "./exit.js";
import { inputs } from "./files.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";

export function checkCommand(io: Io, paths: string[], opts: { strict?: boolean; format?: string }): number {
  const problems = new Problems(io, opts.format === "json");
  const files = inputs(paths, ".pol", problems);
  const all: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const f of files) {
    const l = loadFile(f);
    for (const [k, v] of l.sources) sources.set(k, v);
    all.push(...l.sink.sorted());
  }
  if (opts.format === "json") io.out(JSON.stringify({ files: files.length, diagnostics: diagnosticsToJson(all), errors: problems.list }, null, 2) + "\n");
  else {
    if (all.length) io.err(renderDiagnostics(all, { sources, color: io.colorErr }) + "\n");
    io.err(`checked ${files.length} file${files.length === 1 ? "" : "s"}: ${summary(all)}\n`);
  }
  if (problems.any) return EXIT.usage;
  const failing = all.some((d) => d.severity === "error" || (opts.strict && d.severity === "warning"));
  return failing ? EXIT.failed : EXIT.ok;
}
