// Preloaded (`node --import`) into the servers benchmarks/serve-cost.mjs starts: counts the
// process's scavenges and mark-compacts and their pauses (PerformanceObserver "gc" entries), and
// answers "gc" on the IPC channel with the counts so far. Plain JavaScript, as serve-cost.mjs.

import { PerformanceObserver, constants } from "node:perf_hooks";

const counts = { minor: 0, minorMs: 0, major: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = e.detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      counts.minor++;
      counts.minorMs += e.duration;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      counts.major++;
      counts.majorMs += e.duration;
    }
  }
}).observe({ entryTypes: ["gc"] });

process.on("message", (m) => {
  if (m === "gc") process.send?.(counts);
});
// the IPC channel must not keep the server alive on its own
process.channel?.unref();
