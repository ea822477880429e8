import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../runtime/index.ts";
import { startPostgres, startRedis } from "../runtime/store/test/servers.ts";
import { fleetWasm } from "../runtime/store/test/fleet-helpers.ts";
const wasm = await fleetWasm(mkdtempSync(join(tmpdir(), "x-")));
const r = await startRedis(); const p = await startPostgres();
const e = await Engine.load(wasm, { store: r.url, audit: { url: p.url, key: "ab".repeat(32), schema: "s1" } });
const lat: number[] = [];
for (let i = 0; i < 300; i++) { const t = performance.now(); const d = await e.decide({ tool: "search", args: { q: "x" + i }, agent: { id: "a" } }); lat.push(performance.now() - t); }
console.log(lat.slice(0, 40).map(x => x.toFixed(1)).join(" "));
await e.close(); await r.destroy(); await p.destroy();
