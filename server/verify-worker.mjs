// The thread pol serve verifies its audit chain on (started by server/verify-thread.ts), so the
// thread answering requests never walks the chain: a full verification costs ~30 µs a record,
// seconds for a day's log. Runs verifyAudit from runtime/audit/verify for a JSONL log, or
// verifyFleetAudit from runtime/audit/fleet for a PostgreSQL chain (the URLs it is given: the
// built .js, or the .ts sources under this repository's tests, which tsx loads), at the helper
// threads' CPU priority, and answers each {id, target, from} with {id, result, text} or {id, error}.
// Plain JavaScript, so Node starts it from the sources and from dist/ alike.

import { parentPort, workerData } from "node:worker_threads";
import { setUpWorker } from "./worker-setup.mjs";

const { modules, nice } = workerData;
await setUpWorker(nice, modules.jsonl);
const { verifyAudit, formatVerifyResult } = await import(modules.jsonl);

async function verify(target, from) {
  const keyFile = target.keyFile !== undefined ? { keyFile: target.keyFile } : {};
  if (target.kind === "jsonl") return verifyAudit(target.path, { ...keyFile, ...(from ? { from } : {}) });
  // loaded on first use: `pg` is needed only by a server whose chain is in PostgreSQL
  const { verifyFleetAudit } = await import(modules.postgres);
  return verifyFleetAudit(target.url, { ...keyFile, chain: target.chain, ...(target.anchor !== undefined ? { anchor: target.anchor } : {}) });
}

parentPort.on("message", async ({ id, target, from }) => {
  try {
    const result = await verify(target, from);
    parentPort.postMessage({ id, result, text: formatVerifyResult(result) });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
