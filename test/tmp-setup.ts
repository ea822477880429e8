// vitest's global setup: every test run gets one temporary directory, made the TMPDIR of the test
// workers and of every process they start (os.tmpdir() reads it), and removed when the run ends.
// Tests make their own directories under it with mkdtemp as before; those a test leaves behind
// (a failed assertion before its cleanup, a child killed mid-write) no longer pile up in the
// machine's /tmp from run to run (a developer's had 18 GB of them). POL_KEEP_TMP=1 keeps it, and
// prints where, to look at what a failing test left.

import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "pol-tests-"));
  // Others may pass through, as through /tmp, not list it: a test running PostgreSQL as root
  // hands the `postgres` user a data directory inside (runtime/store/test/servers.ts). The
  // directories tests make in it are mkdtemp's, 0700, as before.
  chmodSync(dir, 0o711);
  process.env["TMPDIR"] = dir;
  return () => {
    if (process.env["POL_KEEP_TMP"] === "1") {
      console.log(`test files kept in ${dir} (POL_KEEP_TMP=1)`);
      return;
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.log(`could not remove the tests' temporary directory ${dir}: ${(e as Error).message}`);
    }
  };
}
