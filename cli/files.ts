// Expands the CLI's file and directory arguments into sorted input paths. Used by every command
// that takes "files or dirs"; a missing path, or arguments holding no input at all, is reported.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Problems } from "./problems.js";

/** Every `ext` file under the given paths (directories recursively, skipping node_modules and dot folders), sorted. */
export function expandPaths(paths: string[], ext = ".pol"): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(ext)) files.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      missing.push(p);
      continue;
    }
    if (st.isDirectory()) walk(p);
    else files.push(p);
  }
  return { files: [...new Set(files)], missing };
}

/**
 * The input files a command works on (default: the current directory), `keep` applied; every
 * missing path, and finding no input at all, goes to `problems` (exit 2: a typo in CI must not
 * pass as "nothing to check").
 */
export function inputs(paths: string[], ext: string, problems: Problems, keep: (f: string) => boolean = () => true, what = `\`*${ext}\` files`): string[] {
  const given = paths.length ? paths : ["."];
  const { files, missing } = expandPaths(given, ext);
  for (const m of missing) problems.add(`no such file or directory \`${m}\``, m);
  const kept = files.filter(keep);
  if (kept.length === 0 && missing.length < given.length) problems.add(`no ${what} found in ${given.map((p) => `\`${p}\``).join(", ")}`);
  return kept;
}

/** Files named `_*.pol` are partials: imported by policies, not policies of their own. */
export const isPartial = (file: string) => /(^|[\\/])_[^\\/]*\.pol$/.test(file);
