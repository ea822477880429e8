// What the figures were measured on: CPU, cores, memory, load, Node and V8
// versions. Recorded in latest.json by run.ts and shown at the top of RESULTS.md.

import { cpus, loadavg, totalmem, type as osType, release } from "node:os";

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
    /** 1, 5 and 15 minute load averages when the run started: above the core count means shared CPUs. */
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
