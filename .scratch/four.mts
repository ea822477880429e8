import { openRedisStore } from "../runtime/store/index.ts";
import { startRedis, startPostgres } from "../runtime/store/test/servers.ts";
import { openPostgresAudit } from "../runtime/audit/index.ts";
const r = await startRedis();
const p = await startPostgres();
const s = await openRedisStore(r.url);
const probe = s.openProbe!()!;
await new Promise(res => setTimeout(res, 300));
console.log("token", probe.token(), probe.token());
const ch = [{ id: "k", key: "k", amount: 1, max: 1e9, windowMs: 3600000 }];
for (const withAudit of [false, true]) {
  const log = withAudit ? await openPostgresAudit(p.url, { key: "ab".repeat(32) }) : null;
  let t = performance.now();
  for (let i = 0; i < 2000; i++) { await s.limits.consume(ch, Date.now()); log?.append({ type: "decision", time: new Date().toISOString(), i }); }
  console.log(withAudit, ((performance.now() - t) / 2000).toFixed(3), "ms/consume");
  t = performance.now();
  for (let i = 0; i < 2000; i++) { await s.trust.get("a"); log?.append({ type: "decision", time: new Date().toISOString(), i }); }
  console.log(withAudit, ((performance.now() - t) / 2000).toFixed(3), "ms/get");
  await log?.close();
}
await s.close(); await r.destroy(); await p.destroy();
