import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../runtime/index.ts";
import { startPostgres, startRedis } from "../runtime/store/test/servers.ts";
import { fleetWasm } from "../runtime/store/test/fleet-helpers.ts";
const dir = mkdtempSync(join(tmpdir(), "x-"));
const wasm = await fleetWasm(dir);
const r = await startRedis(); const p = await startPostgres();
for (const variant of ["redis-only", "redis+pg-approvals", "redis+pg-audit", "all"]) {
  const store: any = variant === "redis-only" || variant === "redis+pg-audit" ? r.url : { default: r.url, approvals: p.url };
  const audit: any = variant === "redis+pg-audit" || variant === "all" ? { url: p.url, key: "ab".repeat(32), schema: "s" + Math.random().toString(36).slice(2,6) } : false;
  const e = await Engine.load(wasm, { store, audit });
  const t = performance.now();
  for (let i = 0; i < 2000; i++) await e.decide({ tool: "search", args: { q: "x" + i }, agent: { id: "a" } });
  console.log(variant, ((performance.now() - t) / 2000).toFixed(3), "ms/decision");
  await e.close();
}
await r.destroy(); await p.destroy();
