import { startPostgres, startRedis } from "../runtime/store/test/servers.ts";
import { runFleet } from "../examples/fleet/fleet.ts";
const r = await startRedis(); const p = await startPostgres();
try { await runFleet(r.url, p.url, undefined, (l) => console.log(l)); } finally { await r.destroy(); await p.destroy(); }
