// Preloaded (`node --import`) into the servers benchmarks/serve-cost.mjs starts: counts the
// process's scavenges and mark-compacts and their pauses (PerformanceObserver "gc" entries) and
// how much the old generation grew across scavenges (what they promoted, read from
// v8.getHeapSpaceStatistics after each), and answers "gc" on the IPC channel with the counts so
// far. Plain JavaScript, as serve-cost.mjs.

import { PerformanceObserver, constants } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";

const counts = { minor: 0, minorMs: 0, major: 0, majorMs: 0, promoted: 0 };
/** Bytes used in the old generation's spaces (old, code, large objects) now. */
const oldBytes = () => getHeapSpaceStatistics().reduce((n, s) => (s.space_name === "new_space" || s.space_name === "new_large_object_space" ? n : n + s.space_used_size), 0);
// A scavenge is observed after it ends, so the growth since the last look is what it (and any
// direct old-space allocation since) added; a mark-compact resets the baseline.
let old = oldBytes();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = e.detail?.kind;
    const now = oldBytes();
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      counts.minor++;
      counts.minorMs += e.duration;
      counts.promoted += Math.max(0, now - old);
    } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      counts.major++;
      counts.majorMs += e.duration;
    }
    old = now;
  }
}).observe({ entryTypes: ["gc"] });

process.on("message", (m) => {
  if (m === "gc") process.send?.(counts);
});
// the IPC channel must not keep the server alive on its own
process.channel?.unref();
