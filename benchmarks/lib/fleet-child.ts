// One process of the fleet suite's throughput run (benchmarks/suites/fleet.ts): an Engine deciding
// searches that all charge one limit, on Redis (shared by every process) or in memory (each
// process its own: the control). argv[2] is {wasm, store, seconds}; prints "ready", waits for a
// start time on stdin, decides for `seconds` with `inFlight` decisions at a time (a service serves
// requests concurrently; node-redis pipelines their round trips), prints {n, allowed}. No audit:
// the figure is the decision path's.

import { Engine } from "../../runtime/index.js";
import { awaitStart } from "../../runtime/store/test/fixtures/start-signal.js";

const cfg = JSON.parse(process.argv[2]!) as { wasm: string; store: string; seconds: number; inFlight: number };
// Denials (a store deadline missed on a loaded machine) are counted in the result, not printed.
const engine = await Engine.load(cfg.wasm, { store: cfg.store, audit: false, hooks: { onError: () => {} } });
await awaitStart();
const end = Date.now() + cfg.seconds * 1000;
let n = 0;
let allowed = 0;
const agent = { id: `bench-${process.pid}` };
async function loop(): Promise<void> {
  while (Date.now() < end) {
    const d = await engine.decide({ tool: "search", args: { q: `q${n}` }, agent });
    n++;
    if (d.effect === "allow") allowed++;
  }
}
await Promise.all(Array.from({ length: cfg.inFlight }, loop));
await engine.close();
process.stdout.write(`${JSON.stringify({ n, allowed })}\n`);
