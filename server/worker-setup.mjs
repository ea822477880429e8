// What every pol serve helper worker does first (verify-worker.mjs, audit-index-worker.mjs,
// started by helper-thread.ts): lower its own CPU priority to the helpers' nice value, so a
// waking main thread takes the CPU from it, and under this repository's tests, where the modules
// it loads are TypeScript sources, register tsx. Plain JavaScript, so Node starts it from the
// sources and from dist/ alike.

import { setPriority } from "node:os";

/** Sets the thread up; `anyModule` is one of the module URLs it will import. */
export async function setUpWorker(nice, anyModule) {
  try {
    // On Linux, 0 is this thread alone: below the server's main thread, as its other helpers are
    // (threads.ts: 19 unless `--helper-nice` chose otherwise; 0 leaves it at the main thread's).
    if (process.platform === "linux" && nice > 0) setPriority(0, nice);
  } catch {
    // a sandbox that refuses it: the thread keeps its priority
  }
  if (anyModule.endsWith(".ts")) {
    const { register } = await import("tsx/esm/api");
    register();
  }
}
