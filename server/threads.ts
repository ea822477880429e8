// The CPU priority of `pol serve`'s helper threads, lowered by the `pol serve` command
// (cli/serve.ts, `--helper-nice`) and by suite 7's server process (benchmarks/lib/serve-child.ts)
// once the server has started. Not by startServer(): a program that embeds the server owns its
// process's threads.
//
// Why: the main thread answers every request; the others (V8's compiler and GC helpers, libuv's
// pool with the audit fdatasyncs and the login scrypt, the audit writer) work in the background.
// At the same priority, Linux's scheduler queued the main thread behind one of them for 1–3 ms
// at a time on a machine whose cores are busy (2 vCPUs here, shared with the clients; `perf sched
// timehist` showed ten such waits in 6 s), and each wait pushes the requests that arrive in it
// past 2 ms. At nice 19 a waking main thread takes the CPU from them at once. Paired runs at
// 5,000 requests/s: requests over 2 ms 543–1,185 → 231–455 per 10 s (benchmarks/FINDINGS.md,
// "pol serve over HTTP").
//
// Linux only: there, setpriority() on a thread id changes that one thread. Elsewhere it would
// change the whole process, so nothing is done.

import { readdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { setPriority } from "node:os";

/** The default nice value of the helper threads: the lowest priority. */
export const HELPER_NICE = 19;

/** The nice value this process chose for its helper threads, once the command chose one. */
let chosen: number | undefined;

/**
 * Records the helper threads' nice value before the server starts, so the threads the server
 * starts itself (the audit verifier's, verify-thread.ts) lower themselves to it as they start:
 * a thread is born with its creator's priority, and one started after lowerHelperThreads()
 * listed the threads would keep the main thread's.
 */
export function chooseHelperNice(nice: number): void {
  checkNice(nice);
  chosen = nice;
}

/** What a thread the server starts should lower itself to: the choice made, else the default. */
export function helperNice(): number {
  return chosen ?? HELPER_NICE;
}

function checkNice(nice: number): void {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`helper nice must be a whole number from 0 to 19, got ${nice}`);
}

/**
 * Sets every thread of this process except the main one to `nice` (0–19) and resolves with how
 * many it changed; 0 off Linux. Threads started later by the main thread keep its priority,
 * but for the server's own (chooseHelperNice).
 */
export async function lowerHelperThreads(nice: number = HELPER_NICE): Promise<number> {
  chooseHelperNice(nice);
  if (process.platform !== "linux" || nice === 0) return 0;
  // libuv starts its pool's threads on the pool's first use, and a thread is born with the
  // priority of the thread that starts it: use the pool now, so its threads are here to lower.
  await stat(process.execPath);
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return 0; // no /proc (a sandbox): the threads keep their priority
  }
  let changed = 0;
  for (const t of tids) {
    const tid = Number(t);
    if (tid === process.pid) continue;
    try {
      setPriority(tid, nice);
      changed++;
    } catch {
      // a thread that ended since the listing
    }
  }
  return changed;
}
