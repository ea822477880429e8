// Suite 6: memory over many Engine decisions: the policy module's linear memory and the process's
// RSS and heap before and after 10,000,000 Engine.decide calls of the support-agent engine mix
// (memory store, JSONL audit), with checkpoints. Needs --expose-gc (run.ts passes it). The audit
// log's rotated files are deleted at each checkpoint so the disk does not fill (about 7 GB of
// records); the current file and the chain are the writer's as usual.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WasmPolicy } from "../../runtime/loader.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { EXAMPLE } from "./bare.js";
import { ENGINE_CALLS, openEngine } from "./engine.js";

const gc = (globalThis as { gc?: () => void }).gc;

function snapshot(wasmBytes: number, decisions: number) {
  gc?.();
  const m = process.memoryUsage();
  return { decisions, wasmMemoryBytes: wasmBytes, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers };
}

export async function memory(o: SuiteOptions) {
  const total = o.quick ? 500_000 : 10_000_000;
  // Compiled by `pol compile` in another process: the compiler (binaryen) would otherwise
  // hold ~200 MiB of this process's RSS that is not the engine's.
  const out = mkdtempSync(join(tmpdir(), "pol-bench-"));
  execFileSync(process.execPath, ["bin/pol.js", "compile", EXAMPLE, "-o", out], { stdio: ["ignore", "pipe", "pipe"] });
  const policy = await WasmPolicy.fromBytes(readFileSync(join(out, "support_agent.wasm")));
  rmSync(out, { recursive: true });
  const e = await openEngine(policy, "memory");
  const wasm = (policy as unknown as { ex?: { memory: WebAssembly.Memory } }).ex?.memory;
  const wasmBytes = () => wasm?.buffer.byteLength ?? -1;
  const calls = ENGINE_CALLS.map((c) => c.call);
  const dropRotated = () => {
    for (const f of readdirSync(e.dir)) if (/^audit\.\d{6,}\.jsonl$/.test(f)) rmSync(join(e.dir, f));
  };
  // One warm-up pass so the "before" figure includes the JIT's code and the stores' steady state.
  for (let i = 0; i < 100_000; i++) await e.decide(calls[i % calls.length]);
  await e.engine.flush();
  const points = [snapshot(wasmBytes(), 0)];
  const every = total / 10;
  const t0 = performance.now();
  for (let done = 0; done < total; ) {
    for (let i = 0; i < every; i++) await e.decide(calls[i % calls.length]);
    done += every;
    await e.engine.flush();
    dropRotated();
    points.push(snapshot(wasmBytes(), done));
    log(`${done.toLocaleString("en")} decisions: RSS ${(points.at(-1)!.rssBytes / 2 ** 20).toFixed(1)} MiB, heap ${(points.at(-1)!.heapUsedBytes / 2 ** 20).toFixed(1)} MiB, wasm ${points.at(-1)!.wasmMemoryBytes} B`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await e.close();
  const [before, after] = [points[0]!, points[points.length - 1]!];
  const change = (k: "rssBytes" | "wasmMemoryBytes" | "heapUsedBytes") => after[k] / before[k] - 1;
  log(`${total.toLocaleString("en")} decisions in ${seconds.toFixed(1)} s: wasm memory ${before.wasmMemoryBytes} -> ${after.wasmMemoryBytes} B, RSS ${(before.rssBytes / 2 ** 20).toFixed(1)} -> ${(after.rssBytes / 2 ** 20).toFixed(1)} MiB`);
  return { decisions: total, engine: "Engine.decide, memory store, JSONL audit", gcExposed: gc !== undefined, seconds, before, after, points, change: { rss: change("rssBytes"), wasm: change("wasmMemoryBytes"), heap: change("heapUsedBytes") } };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(memory);
