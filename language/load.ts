// Reads a policy file and its imports from disk (or any reader), parses and
// checks them: the front end in one call. Used by the CLI, the compiler driver,
// the runtime's `.pol` loading and the tests.

import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Policy } from "./ast.js";
import { check } from "./check.js";
import type { CheckedPolicy } from "./checked.js";
import { Sink } from "./diagnostics.js";
import { parse } from "./parse.js";
import { NO_SPAN } from "./span.js";

export type Reader = (path: string) => string;

export interface Loaded {
  /** Undefined only when the main file could not be read. */
  checked?: CheckedPolicy;
  sink: Sink;
  /** Every source read, by file name (for rendering diagnostics). */
  sources: Map<string, string>;
}

/** Parses `text` as `file`, follows its imports through `read`, and type-checks the whole. */
export function loadText(text: string, file: string, read: Reader = (p) => readFileSync(p, "utf8")): Loaded {
  const sink = new Sink();
  const sources = new Map([[file, text]]);
  const main = parse(text, file, sink);
  const imports: Policy[] = [];
  const seen = new Set([resolve(file)]);
  const visit = (p: Policy, stack: string[]) => {
    for (const item of p.items) {
      if (item.kind !== "import") continue;
      const path = resolve(dirname(p.file), item.path);
      if (stack.includes(path)) {
        sink.report("E0309", item.span, `import cycle: ${[...stack, path].map((x) => x.split("/").pop()).join(" -> ")}`);
        continue;
      }
      if (seen.has(path)) continue;
      seen.add(path);
      let src: string;
      try {
        src = read(path);
      } catch (e) {
        sink.report("E0307", item.span, `cannot read \`${item.path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { help: "import paths are relative to the importing file" });
        continue;
      }
      // Name imported files relative to the working directory, as the main file usually is.
      const rel = relative(process.cwd(), path) || path;
      sources.set(rel, src);
      const q = parse(src, rel, sink);
      visit(q, [...stack, path]);
      imports.push(q);
    }
  };
  visit(main, [resolve(file)]);
  const checked = check(main, sink, imports);
  return { checked, sink, sources };
}

/** Reads and checks a policy file. A file that cannot be read is reported as E0902. */
export function loadFile(path: string, read: Reader = (p) => readFileSync(p, "utf8")): Loaded {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    const sink = new Sink();
    sink.report("E0902", { ...NO_SPAN, file: path }, `cannot read \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return { sink, sources: new Map() };
  }
  return loadText(text, path, read);
}
