import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { Engine } from "../runtime/index.ts";
import { startRedis } from "../runtime/store/test/servers.ts";
import { fleetWasm } from "../runtime/store/test/fleet-helpers.ts";
const wasm = await fleetWasm(mkdtempSync(join(tmpdir(), "x-")));
const r = await startRedis();
const engine = await Engine.load(wasm, { store: { default: r.url, timeoutMs: 200 }, audit: false, hooks: { onError: () => {} } });
const k = createClient({ url: r.url }); k.on("error", () => {}); await k.connect();
const killer = setInterval(() => void k.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).catch(() => {}), 60);
const tally = new Map();
const t0 = Date.now();
for (let i = 0; i < 3000; i++) { const d = await engine.decide({ tool: "search", args: { q: "q" + i }, agent: { id: "bot" } }); const key = d.decidedBy + ":" + (d.reasons[0] ?? "").slice(0, 80); tally.set(key, (tally.get(key) ?? 0) + 1); }
clearInterval(killer);
console.log(Date.now() - t0, tally);
tally.clear();
for (let i = 0; i < 5000; i++) { const d = await engine.decide({ tool: "search", args: { q: "q" + i }, agent: { id: "bot" } }); const key = d.decidedBy + ":" + (d.reasons[0] ?? "").slice(0, 60); tally.set(key, (tally.get(key) ?? 0) + 1); if (d.decidedBy === "limit") break; }
console.log(Date.now() - t0, tally);
k.destroy(); await engine.close(); await r.destroy();
