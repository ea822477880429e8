import { createClient } from "redis";
import { openRedisStore } from "../runtime/store/index.ts";
import { startRedis } from "../runtime/store/test/servers.ts";
const r = await startRedis();
const s = await openRedisStore(r.url);
const k = createClient({ url: r.url }); k.on("error", () => {}); await k.connect();
const killer = setInterval(() => void k.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).catch(() => {}), 60);
let ok = 0, bad = 0; const msgs = new Map();
for (let i = 0; i < 3000; i++) { try { await s.trust.get("a"); ok++; } catch (e) { bad++; msgs.set(e.message, (msgs.get(e.message) ?? 0) + 1); } }
clearInterval(killer);
console.log("during", ok, bad, msgs);
ok = 0; bad = 0; msgs.clear();
for (let i = 0; i < 200; i++) { try { await s.trust.get("a"); ok++; } catch (e) { bad++; msgs.set(e.message, (msgs.get(e.message) ?? 0) + 1); } await new Promise(r => setTimeout(r, 10)); }
console.log("after", ok, bad, msgs);
k.destroy(); await s.close(); await r.destroy();
