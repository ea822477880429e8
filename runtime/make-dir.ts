// Creating the directory a file goes in, parents included: used wherever pol writes to a path a
// person named (compile output, JUnit reports, the audit log, a SQLite store, the compile cache).
// Not `mkdirSync(dir, { recursive: true })`: on Node 20 that loops forever at 100% CPU under a
// directory where mkdir fails with ENOENT though the parent exists (/proc/nope), so a mistyped
// path hung the command instead of failing.

import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/** Makes `dir` and any missing parents; throws the system error (ENOENT, EACCES, ENOTDIR...) when one cannot be made. */
export function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (e) {
    if (isDirAlready(e, dir)) return;
    const parent = dirname(dir);
    if ((e as NodeJS.ErrnoException).code !== "ENOENT" || parent === dir) throw e;
    makeDir(parent);
  }
  try {
    mkdirSync(dir); // the parents are there now: an error here is this directory's own
  } catch (e) {
    if (!isDirAlready(e, dir)) throw e; // another process made it meanwhile
  }
}

/** Whether mkdir failed only because a directory is already there (made by us earlier, or by another process just now). */
function isDirAlready(e: unknown, dir: string): boolean {
  return (e as NodeJS.ErrnoException).code === "EEXIST" && statSync(dir).isDirectory();
}
