// benchmarks/render.ts's verdict on suite 7's target (p99 ≤ 2 ms at 5,000/s): what RESULTS.md says
// of a run, including the machine's part when the HTTP floor misses the target too.

import { describe, expect, it } from "vitest";
import { machinesLine, serveVerdict } from "../render.js";

const MS = 1e6;
/** A suite 7 result: the SQLite server's round p99s (median as the run's figure) and the floor's p99. */
function run(sqliteRounds: number[], floorP99: number | undefined, perSecond = 4_999, workP99?: number) {
  const sorted = [...sqliteRounds].sort((a, b) => a - b);
  const fixed = (p99: number) => ({ perSecond, latency: { p50: 0.5 * MS, p99 } });
  return {
    targetRate: 5_000,
    workUs: 80,
    sqlite: { fixed: fixed(sorted[Math.floor(sorted.length / 2)]!), rounds: sqliteRounds.map((p99) => ({ p99 })) },
    ...(floorP99 === undefined ? {} : { floor: { fixed: fixed(floorP99) } }),
    ...(workP99 === undefined ? {} : { work: { fixed: fixed(workP99) } }),
  };
}

describe("serveVerdict", () => {
  it("says met, with how many rounds were under 2 ms", () => {
    expect(serveVerdict(run([1.61 * MS, 1.92 * MS, 2.2 * MS], 0.74 * MS))).toBe("**met** (median p99 1.92 ms, 2 of 3 rounds under 2 ms)");
  });

  it("names the floor's p99 beside a miss", () => {
    expect(serveVerdict(run([2.4 * MS, 2.1 * MS, 1.9 * MS], 0.9 * MS))).toBe("**missed** (median p99 2.10 ms, 1 of 3 rounds under 2 ms; the HTTP floor's p99 0.90 ms)");
  });

  it("says so when the bare HTTP floor misses the target too", () => {
    expect(serveVerdict(run([5.3 * MS, 6.1 * MS, 7.2 * MS], 3.4 * MS))).toMatch(/^\*\*missed\*\* \(median p99 6\.10 ms, 0 of 3 rounds under 2 ms; so did the HTTP floor, p99 3\.40 ms in the same rounds: .*misses it too\)$/);
  });

  it("names the busy-work peer beside the floor when the run has one", () => {
    expect(serveVerdict(run([4.8 * MS, 5.5 * MS, 4.9 * MS], 1.67 * MS, 4_999, 3.56 * MS))).toBe(
      "**missed** (median p99 4.90 ms, 0 of 3 rounds under 2 ms; the HTTP floor's p99 1.67 ms, the floor with 80 µs of work per request 3.56 ms)",
    );
    expect(serveVerdict(run([6 * MS], 2.5 * MS, 4_999, 4 * MS))).toMatch(/so did the HTTP floor, p99 2\.50 ms in the same rounds, and the floor with 80 µs of work per request 4\.00 ms: /);
  });

  it("is a miss when the server did not keep up with the rate, whatever its p99", () => {
    expect(serveVerdict(run([1.2 * MS], 0.7 * MS, 4_000))).toBe("**missed** (median p99 1.20 ms; it answered only 4,000/s; the HTTP floor's p99 0.70 ms)");
  });
});

describe("machinesLine", () => {
  const intel = { cpu: "Intel(R) Xeon(R) Processor", cores: 2, memoryGiB: 24, os: "Linux 6.18", node: "v20.20.2", v8: "11.3" };
  const amd = { ...intel, cpu: "AMD EPYC" };
  const doc = (machines?: Record<string, object>) => ({ generated: "", quick: false, machine: amd, ...(machines ? { machines } : {}), seconds: {}, suites: { bare: {}, serve: {} } });

  it("names the one machine when every suite ran on it, or when the document predates per-suite machines", () => {
    expect(machinesLine(doc({ bare: amd, serve: amd }))).toBe("on AMD EPYC, 2 cores, 24 GiB, Linux 6.18, Node v20.20.2 (V8 11.3)");
    expect(machinesLine(doc())).toBe("on AMD EPYC, 2 cores, 24 GiB, Linux 6.18, Node v20.20.2 (V8 11.3)");
  });

  it("says which suites ran on which machine when a merged run mixes them (the run's own machine names only the last)", () => {
    const line = machinesLine(doc({ bare: intel, serve: amd }));
    expect(line).toMatch(/^with figures from 2 machines, not comparable across them/);
    expect(line).toContain("bare on Intel(R) Xeon(R) Processor, 2 cores");
    expect(line).toContain("serve on AMD EPYC, 2 cores");
  });
});
