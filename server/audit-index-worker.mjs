// The thread the console's audit index lives on (started by server/audit-index-thread.ts), so the
// thread answering decisions never reads or parses the audit chain for a page: it runs the
// IndexService of audit-index-service.ts (the URL it is given: the built .js, or the .ts source
// under this repository's tests, which tsx loads) at the helper threads' CPU priority, and
// answers each {id, q} with {id, answer} or {id, error}. Plain JavaScript, so Node starts it from
// the sources and from dist/ alike.

import { parentPort, workerData } from "node:worker_threads";
import { setUpWorker } from "./worker-setup.mjs";

const { module, target, nice } = workerData;
await setUpWorker(nice, module);
const { IndexService } = await import(module);
const service = new IndexService(target);

parentPort.on("message", async ({ id, q }) => {
  try {
    parentPort.postMessage({ id, answer: await service.answer(q) });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
