// The garbage-collector setting `pol serve` runs with, applied by the `pol serve` command
// (cli/serve.ts) and by suite 7's server process (benchmarks/lib/serve-child.ts), so the
// benchmark measures what users run. Not applied by startServer(): V8 flags are the process's,
// and a program that embeds the server keeps its own.
//
// Why no parallel scavenge: a decision leaves almost nothing alive (V8 copies ~260 KB per
// scavenge, the same as an empty loop's), so the copying takes ~0.3 ms; V8's parallel scavenger
// added as much again waiting for its helper thread to get a CPU, which on a machine whose cores
// are busy with the server's clients (2 vCPUs here) is often the next scheduling slice. Paired
// runs of pol serve at 5,000 requests/s, five rounds each: median p99 2.44 → 2.23 ms, requests
// over 2 ms 832 → 642 (benchmarks/FINDINGS.md, "pol serve over HTTP").

import { setFlagsFromString } from "node:v8";

/** Node options that choose the scavenger's threading themselves; when given, they are kept. */
const CHOSEN = /^--(no-)?(parallel-scavenge|single-threaded-gc|single-threaded)$/;

/** Turns off V8's parallel scavenge for this process, unless `node` was started with a choice. */
export function applyServeGc(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => CHOSEN.test(a.replace(/_/g, "-")))) return false;
  setFlagsFromString("--no-parallel-scavenge");
  return true;
}
