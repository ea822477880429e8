// What the figures were measured on: CPU, cores, memory, load, Node and V8
// versions, recorded in latest.json by run.ts and shown at the top of RESULTS.md; and what the
// VM takes from a server (probeVm), measured by suite 7 and shown beside its rows.

import { closeSync, fstatSync, openSync } from "node:fs";
import { cpus, loadavg, totalmem, type as osType, release } from "node:os";
import { median } from "./sample.js";

export type Machine = ReturnType<typeof machine>;

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

export interface VmProbe {
  /** One system call from Node (fstatSync), in µs: the median of five batches. */
  syscallUs: number;
  /** A busy loop of `seconds`: how often it lost its vCPU for over 1 ms, and the longest loss. */
  stalls: { seconds: number; overOneMs: number; maxMs: number };
}

/**
 * What this VM takes from a server, measured on the spot. Two VMs of the same description (2
 * vCPUs, same CPU model) differed about 4× in the cost of a system call (`PRAGMA data_version`
 * 0.78 against 3.3 µs), and with it every row of suite 7, the bare HTTP floor's included
 * (benchmarks/FINDINGS.md, "pol serve over HTTP"): a reader comparing runs needs to know which
 * kind of machine each came from.
 */
export function probeVm(seconds = 2): VmProbe {
  const fd = openSync("/dev/null", "r");
  const batches: number[] = [];
  try {
    for (let b = 0; b < 5; b++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 5_000; i++) fstatSync(fd);
      batches.push(Number(process.hrtime.bigint() - t) / 5_000 / 1_000);
    }
  } finally {
    closeSync(fd);
  }
  let overOneMs = 0;
  let maxMs = 0;
  const end = performance.now() + seconds * 1_000;
  for (let last = performance.now(), now = last; now < end; last = now) {
    now = performance.now();
    const gap = now - last;
    if (gap > 1) overOneMs++;
    if (gap > maxMs) maxMs = gap;
  }
  return { syscallUs: Math.round(median(batches) * 100) / 100, stalls: { seconds, overOneMs, maxMs: Math.round(maxMs * 100) / 100 } };
}

/** The probe as a sentence, for suite 7's log and RESULTS.md. */
export function vmLine(vm: VmProbe): string {
  const { seconds, overOneMs, maxMs } = vm.stalls;
  return `This run's VM, before the servers started: a system call from Node (fstat) took ${vm.syscallUs.toFixed(2)} µs, and a busy loop lost its vCPU for over 1 ms ${overOneMs} time${overOneMs === 1 ? "" : "s"} in ${seconds} s (the longest ${maxMs.toFixed(1)} ms).`;
}
