// The GC setting of `pol serve` (server/gc.ts): applied, V8 stops scavenging in parallel; chosen on
// node's command line, it is left alone. Each case runs a child node (through tsx, from the
// sources) with --trace-gc-nvp, which reports each scavenge's background parallel time, over a
// workload that keeps enough alive for V8 to use its helper thread when allowed.

import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const gcModule = new URL("../gc.ts", import.meta.url).href;

/** The longest background scavenge time (ms) of a child that calls applyServeGc() after `nodeArgs`, and what it returned. */
function run(nodeArgs: string[]): { applied: boolean; background: number } {
  const script = `
    const { applyServeGc } = await import(${JSON.stringify(gcModule)});
    console.log("applied=" + applyServeGc());
    const keep = [];
    for (let i = 0; i < 3e6; i++) { keep.push({ i, s: "v" + i }); if (keep.length > 200000) keep.length = 0; }`;
  const out = execFileSync(process.execPath, [...nodeArgs, "--trace-gc-nvp", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  // only the scavenges after the setting (loading tsx and the module scavenges too)
  const after = out.slice(out.indexOf("applied="));
  const background = [...after.matchAll(/gc=s .*?background\.scavenge\.parallel=([\d.]+)/g)].map((m) => Number(m[1]));
  expect(background.length).toBeGreaterThan(5);
  return { applied: after.startsWith("applied=true"), background: Math.max(...background) };
}

describe("pol serve's GC setting", () => {
  it("turns off V8's parallel scavenge", () => {
    const r = run([]);
    expect(r.applied).toBe(true);
    expect(r.background).toBe(0);
  }, 60_000);

  it("leaves a scavenger choice made on node's command line alone", () => {
    const r = run(["--parallel-scavenge"]);
    expect(r.applied).toBe(false);
    // the control: the same workload does scavenge in parallel when allowed
    expect(r.background).toBeGreaterThan(0);
  }, 60_000);
});
