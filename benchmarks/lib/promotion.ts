// What a stretch of work promotes into V8's old generation, per operation: the growth of the old
// spaces across each scavenge (read from v8.getHeapSpaceStatistics after it), as
// benchmarks/gc-count.mjs counts it inside pol serve (that file is plain JavaScript so that
// serve-cost.mjs can preload it into older builds too). Fed by budget.ts, which checks
// Engine.decide's figure against benchmarks/budget.json: promotion is a count of bytes, not a
// time, so it holds on a loaded machine, and it is what sets pol serve's scavenge pauses and
// mark-compacts (benchmarks/FINDINGS.md, "pol serve over HTTP").

import { PerformanceObserver, constants } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";

/** Bytes used in the old generation's spaces (old, code, large objects) now. */
const oldBytes = () => getHeapSpaceStatistics().reduce((n, s) => (s.space_name === "new_space" || s.space_name === "new_large_object_space" ? n : n + s.space_used_size), 0);

/**
 * Runs `work` (which does `n` operations) and returns the bytes its scavenges promoted per
 * operation, how many scavenges there were, and how many mark-compacts. The old spaces are read
 * when the observer runs, which may be after several collections: a mark-compact among them
 * hides what the scavenges before it promoted, so a figure from a stretch with any is not one
 * to trust (the caller measures again).
 */
export async function promotedPer(n: number, work: () => Promise<void>): Promise<{ bytes: number; scavenges: number; majors: number }> {
  let promoted = 0;
  let scavenges = 0;
  let majors = 0;
  let old = oldBytes();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const now = oldBytes();
      // A mark-compact shrinks the old spaces: it only resets the baseline.
      if (((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        scavenges++;
        promoted += Math.max(0, now - old);
      } else {
        majors++;
      }
      old = now;
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  try {
    await work();
    // GC entries are delivered on a later turn: let the last ones arrive.
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    obs.disconnect();
  }
  return { bytes: promoted / n, scavenges, majors };
}
