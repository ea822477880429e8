// Expands the CLI's file and directory arguments into sorted .pol paths.
// Used by every command that takes "files or dirs".

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

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

/** Files named `_*.pol` are partials: imported by policies, not policies of their own. */
export const isPartial = (file: string) => /(^|[\\/])_[^\\/]*\.pol$/.test(file);
