// One process of the fleet suite's throughput run (benchmarks/suites/fleet.ts): an Engine on Redis
// deciding searches that all charge one shared limit. argv[2] is {wasm, url, prefix, seconds};
// prints "ready", waits for a start time on stdin, decides for `seconds`, prints {n, allowed}.
// No audit: the figure is the decision path's, with the shared limit as the contended state.

import { createInterface } from "node:readline";
import { Engine } from "../../runtime/index.js";

const cfg = JSON.parse(process.argv[2]!) as { wasm: string; url: string; prefix: string; seconds: number };
const engine = await Engine.load(cfg.wasm, { store: `${cfg.url}?prefix=${encodeURIComponent(cfg.prefix)}`, audit: false });
const lines = createInterface({ input: process.stdin });
const startAt = await new Promise<number>((resolve) => {
  process.stdout.write("ready\n");
  lines.once("line", (line) => resolve(Number(line)));
});
lines.close();
while (Date.now() < startAt) {
  // Busy-wait so every process starts together.
}
const end = startAt + cfg.seconds * 1000;
let n = 0;
let allowed = 0;
const agent = { id: `bench-${process.pid}` };
while (Date.now() < end) {
  const d = await engine.decide({ tool: "search", args: { q: `q${n}` }, agent });
  n++;
  if (d.effect === "allow") allowed++;
}
await engine.close();
process.stdout.write(`${JSON.stringify({ n, allowed })}\n`);
