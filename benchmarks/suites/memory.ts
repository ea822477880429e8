// Suite 6: memory over many decisions: the module's linear memory and the
// process's RSS and heap before and after 10,000,000 evaluations of the
// support_agent mix, with checkpoints. Needs --expose-gc (run.ts passes it).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WasmPolicy } from "../../runtime/loader.js";
import { SUPPORT_CALLS } from "../calls.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { EXAMPLE, cycling } from "./bare.js";

const gc = (globalThis as { gc?: () => void }).gc;

function snapshot(wasmBytes: number, decisions: number) {
  gc?.();
  const m = process.memoryUsage();
  return { decisions, wasmMemoryBytes: wasmBytes, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers };
}

export async function memory(o: SuiteOptions) {
  const total = o.quick ? 1_000_000 : 10_000_000;
  // Compiled by `pol compile` in another process: the compiler (binaryen) would otherwise
  // hold ~200 MiB of this process's RSS that is not the evaluator's.
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-"));
  execFileSync(process.execPath, ["bin/pol.js", "compile", EXAMPLE, "-o", dir], { stdio: ["ignore", "pipe", "pipe"] });
  const p = await WasmPolicy.fromBytes(readFileSync(join(dir, "support_agent.wasm")));
  rmSync(dir, { recursive: true });
  const wasm = (p as unknown as { ex?: { memory: WebAssembly.Memory } }).ex?.memory;
  const wasmBytes = () => wasm?.buffer.byteLength ?? -1;
  const step = cycling(SUPPORT_CALLS, (c) => p.evaluate(c));
  // One warm-up pass so the "before" figure includes the JIT's code, not just the load.
  for (let i = 0; i < 100_000; i++) step();
  const points = [snapshot(wasmBytes(), 0)];
  const every = total / 10;
  const t0 = performance.now();
  for (let done = 0; done < total; ) {
    for (let i = 0; i < every; i++) step();
    done += every;
    points.push(snapshot(wasmBytes(), done));
  }
  const seconds = (performance.now() - t0) / 1000;
  const [before, after] = [points[0]!, points[points.length - 1]!];
  log(`${total.toLocaleString("en")} decisions in ${seconds.toFixed(1)} s: wasm memory ${before.wasmMemoryBytes} -> ${after.wasmMemoryBytes} B, RSS ${(before.rssBytes / 2 ** 20).toFixed(1)} -> ${(after.rssBytes / 2 ** 20).toFixed(1)} MiB, heap ${(before.heapUsedBytes / 2 ** 20).toFixed(1)} -> ${(after.heapUsedBytes / 2 ** 20).toFixed(1)} MiB`);
  return { decisions: total, gcExposed: gc !== undefined, seconds, before, after, points };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(memory);
