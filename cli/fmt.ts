// `pol fmt`: rewrite policies in canonical form, or with --check report the
// files that are not formatted (exit 1). Files with syntax errors are left alone.

import { readFileSync, writeFileSync } from "node:fs";
import { formatSource } from "../language/format.js";
import { renderDiagnostics } from "../language/render.js";
import { expandPaths } from "./files.js";
import type { Io } from "./io.js";

export function fmtCommand(io: Io, paths: string[], opts: { check?: boolean }): number {
  const { files, missing } = expandPaths(paths.length ? paths : ["."]);
  for (const m of missing) io.err(`error: no such file or directory \`${m}\`\n`);
  let unformatted = 0;
  let broken = 0;
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const r = formatSource(text, f);
    if (!r.ok) {
      broken++;
      io.err(renderDiagnostics(r.diagnostics, { sources: new Map([[f, text]]), color: io.color }) + "\n");
      continue;
    }
    if (!r.changed) continue;
    unformatted++;
    if (opts.check) io.out(`${f}: not formatted\n`);
    else {
      writeFileSync(f, r.text);
      io.out(`formatted ${f}\n`);
    }
  }
  if (opts.check) io.err(`${files.length - unformatted - broken} of ${files.length} files formatted\n`);
  return missing.length || broken ? 2 : opts.check && unformatted ? 1 : 0;
}
