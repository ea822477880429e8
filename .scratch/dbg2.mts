import { startRedis } from "/work/wt/fleet/runtime/store/test/servers.ts";
import { createClient } from "redis";
const r = await startRedis();
const c = createClient({ url: r.url }); await c.connect();
await c.sendCommand(["ZADD", "z", "1735689600000", "0000000000000001:90"]);
console.log(await c.sendCommand(["ZRANGE", "z", "(1735689300000", "+inf", "BYSCORE", "WITHSCORES"]));
console.log(await c.sendCommand(["HGETALL", "nonexist"]));
await c.close(); await r.destroy();
