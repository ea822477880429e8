import { openPostgresAudit } from "../runtime/audit/index.ts";
import { startPostgres } from "../runtime/store/test/servers.ts";
const p = await startPostgres();
const log = await openPostgresAudit(p.url, { key: "ab".repeat(32) });
let t = performance.now();
for (let i = 0; i < 2000; i++) { log.append({ type: "decision", time: new Date().toISOString(), i }); if (i % 10 === 0) await new Promise(r => setImmediate(r)); }
console.log("append loop", (performance.now() - t).toFixed(1), "ms");
t = performance.now(); await log.flush(); console.log("flush", (performance.now() - t).toFixed(1));
t = performance.now();
for (let i = 0; i < 200; i++) { log.append({ type: "decision", time: new Date().toISOString(), i }); await new Promise(r => setTimeout(r, 1)); }
console.log("paced 200", (performance.now() - t).toFixed(1));
await log.close(); await p.destroy();
