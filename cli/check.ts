// `pol check`: parse and type-check policies, print diagnostics. Exit 0 when
// clean, 1 on errors (or warnings with --strict), 2 when a path is missing.

import { loadFile } from "../language/load.js";
import { diagnosticsToJson, renderDiagnostics, summary } from "../language/render.js";
import type { Diagnostic } from "../language/diagnostics.js";
import { expandPaths } from "./files.js";
import type { Io } from "./io.js";

export function checkCommand(io: Io, paths: string[], opts: { strict?: boolean; format?: string }): number {
  const { files, missing } = expandPaths(paths.length ? paths : ["."]);
  for (const m of missing) io.err(`error: no such file or directory \`${m}\`\n`);
  const all: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const f of files) {
    const l = loadFile(f);
    for (const [k, v] of l.sources) sources.set(k, v);
    all.push(...l.sink.sorted());
  }
  if (opts.format === "json") io.out(JSON.stringify({ files: files.length, diagnostics: diagnosticsToJson(all) }, null, 2) + "\n");
  else {
    if (all.length) io.err(renderDiagnostics(all, { sources, color: io.color }) + "\n");
    io.err(`checked ${files.length} file${files.length === 1 ? "" : "s"}: ${summary(all)}\n`);
  }
  if (missing.length) return 2;
  const failing = all.some((d) => d.severity === "error" || (opts.strict && d.severity === "warning"));
  return failing ? 1 : 0;
}
