import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../runtime/index.ts";
import { startPostgres } from "../runtime/store/test/servers.ts";
import { fleetWasm } from "../runtime/store/test/fleet-helpers.ts";
const wasm = await fleetWasm(mkdtempSync(join(tmpdir(), "x-")));
const p = await startPostgres();
for (const batchMs of [5, 1000]) {
  const e = await Engine.load(wasm, { store: ":memory:", audit: { url: p.url, key: "ab".repeat(32), schema: "s" + batchMs, batchMs } });
  let t = performance.now();
  for (let i = 0; i < 1000; i++) await e.decide({ tool: "search", args: { q: "x" + i }, agent: { id: "a" } });
  console.log(batchMs, ((performance.now() - t) / 1000).toFixed(3), "ms/decision");
  t = performance.now(); await e.close(); console.log("close", (performance.now() - t).toFixed(0));
}
await p.destroy();
