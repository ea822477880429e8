// benchmarks/lib/machine.ts's probe of the VM (suite 7 records it beside its rows): it times a
// real system call and a real busy loop for as long as asked, and says what it found in one line.

import { describe, expect, it } from "vitest";
import { probeVm, vmLine } from "../lib/machine.js";

describe("probeVm", () => {
  it("times a system call and watches a busy loop for the seconds asked", () => {
    const started = performance.now();
    const vm = probeVm(0.2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    // a system call is more than a function call and far less than a millisecond
    expect(vm.syscallUs).toBeGreaterThan(0.05);
    expect(vm.syscallUs).toBeLessThan(1_000);
    expect(vm.stalls.seconds).toBe(0.2);
    expect(Number.isInteger(vm.stalls.overOneMs) && vm.stalls.overOneMs >= 0).toBe(true);
    // the longest gap is at least the loop's own step, and no stall counts unless it was over 1 ms
    expect(vm.stalls.maxMs).toBeGreaterThanOrEqual(0);
    if (vm.stalls.overOneMs > 0) expect(vm.stalls.maxMs).toBeGreaterThan(1);
  });

  it("reads as one sentence", () => {
    expect(vmLine({ syscallUs: 2.4, stalls: { seconds: 2, overOneMs: 1, maxMs: 3.31 } })).toBe(
      "This run's VM, before the servers started: a system call from Node (fstat) took 2.40 µs, and a busy loop lost its vCPU for over 1 ms 1 time in 2 s (the longest 3.3 ms).",
    );
  });
});
