import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Engine } from "../runtime/index.ts";
import { startPostgres, startRedis } from "../runtime/store/test/servers.ts";
import { fleetWasm } from "../runtime/store/test/fleet-helpers.ts";
const wasm = await fleetWasm(mkdtempSync(join(tmpdir(), "x-")));
const r = await startRedis(); const p = await startPostgres();
const e = await Engine.load(wasm, { store: r.url, audit: { url: p.url, key: "ab".repeat(32), schema: "s1" } });
const h = monitorEventLoopDelay({ resolution: 1 }); h.enable();
const lat: number[] = [];
const t0 = performance.now();
for (let i = 0; i < 2000; i++) { const t = performance.now(); const d = await e.decide({ tool: "search", args: { q: "x" + i }, agent: { id: "a" } }); lat.push(performance.now() - t); }
h.disable();
lat.sort((a,b)=>a-b);
console.log("total", (performance.now()-t0).toFixed(0), "p50", lat[1000].toFixed(2), "p99", lat[1980].toFixed(2), "max", lat[1999].toFixed(1));
console.log("loop delay max", (h.max/1e6).toFixed(1), "mean", (h.mean/1e6).toFixed(2));
await e.close(); await r.destroy(); await p.destroy();
