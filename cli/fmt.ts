// `pol fmt`: rewrite policies in canonical form, or with --check report the files that are not
// formatted (exit 1). Files with syntax errors are left alone and make the run exit 1 (policy
// errors); missing or unreadable paths exit 2. `pol fmt -` formats standard input to standard
// output, as gofmt and prettier's --stdin do, for editors.

import { readFileSync, writeFileSync } from "node:fs";
import { formatSource } from "../language/format.js";
import { renderDiagnostics } from "../language/render.js";
import { EXIT } from "./exit.js";
import { inputs } from "./files.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";

/** `pol fmt -`: the formatted text on stdout (with --check, nothing: exit 1 when it would change). */
async function fmtStdin(io: Io, opts: { check?: boolean }): Promise<number> {
  const text = await io.stdin();
  const r = formatSource(text, "<stdin>");
  if (!r.ok) {
    io.err(renderDiagnostics(r.diagnostics, { sources: new Map([["<stdin>", text]]), color: io.colorErr }) + "\n");
    return EXIT.failed;
  }
  if (opts.check) return r.changed ? EXIT.failed : EXIT.ok;
  io.out(r.text);
  return EXIT.ok;
}

export function fmtCommand(io: Io, paths: string[], opts: { check?: boolean }): number | Promise<number> {
  if (paths.includes("-")) {
    if (paths.length > 1) return new Problems(io, false).fail("`-` (standard input) cannot be mixed with paths");
    return fmtStdin(io, opts);
  }
  const problems = new Problems(io, false);
  const files = inputs(paths, ".pol", problems);
  let unformatted = 0;
  let broken = 0;
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (e) {
      problems.add(`cannot read \`${f}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, f);
      continue;
    }
    const r = formatSource(text, f);
    if (!r.ok) {
      broken++;
      io.err(renderDiagnostics(r.diagnostics, { sources: new Map([[f, text]]), color: io.colorErr }) + "\n");
      continue;
    }
    if (!r.changed) continue;
    unformatted++;
    if (opts.check) io.out(`${f}: not formatted\n`);
    else {
      try {
        writeFileSync(f, r.text);
        io.out(`formatted ${f}\n`);
      } catch (e) {
        problems.add(`cannot write \`${f}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, f);
      }
    }
  }
  if (opts.check) io.err(`${files.length - unformatted - broken} of ${files.length} files formatted\n`);
  // A file that does not parse is a policy error (exit 1, as `pol check` says it), not a usage one.
  return problems.any ? EXIT.usage : broken || (opts.check && unformatted) ? EXIT.failed : EXIT.ok;
}
