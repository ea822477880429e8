// Latency of Engine.decide on the allow path (no limit; one limit with a fresh or a shared bucket)
// over the SQLite file store and the memory store, with a batched JSONL audit log. Not a test:
// prints median/p90/p99 of the wall time of decide() and of its reported latencyUs.
// Run: npx tsx examples/service/bench.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, loadPolicy } from "../../runtime/index.js";

const dir = mkdtempSync(join(tmpdir(), "pol-bench-"));
const src = join(dir, "bench.pol");
writeFileSync(src, `policy bench
default deny
tool read_doc { id: string } read
tool send { to: string } write
allow read_doc
allow send
send_rate: limit send 1000000 calls per hour per agent
`);
const policy = await loadPolicy(src);

function stats(xs: number[]) {
  xs.sort((a, b) => a - b);
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(1);
  return `median ${q(0.5)} µs  p90 ${q(0.9)}  p99 ${q(0.99)}  (n=${xs.length})`;
}

async function run(label: string, store: string, call: object | ((i: number) => object), n: number) {
  const make = typeof call === "function" ? (call as (i: number) => object) : () => call;
  const e = await Engine.load(policy, { store, audit: join(dir, `${label}.jsonl`) });
  for (let i = 0; i < Math.min(2000, n); i++) await e.decide(make(-1 - i));
  const wall: number[] = [];
  const inner: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = make(i);
    const t = performance.now();
    const d = await e.decide(c);
    wall.push((performance.now() - t) * 1000);
    inner.push(d.latencyUs);
    if (d.effect !== "allow") throw new Error(`${label}: ${d.reasons[0]}`);
  }
  await e.close();
  console.log(`${label.padEnd(34)} decide(): ${stats(wall)}\n${"".padEnd(34)} latencyUs: ${stats(inner)}`);
}

const agent = { id: "bench-bot" };
const send = (i: number) => ({ tool: "send", args: { to: "x" }, agent: { id: `bot-${i}` } });
await run("no limit, sqlite", join(dir, "a.db"), { tool: "read_doc", args: { id: "d1" }, agent }, 20000);
await run("one limit (fresh bucket), sqlite", join(dir, "b.db"), send, 2000);
await run("one limit (one bucket), sqlite", join(dir, "c.db"), { tool: "send", args: { to: "x" }, agent }, 2000);
await run("no limit, memory", ":memory:", { tool: "read_doc", args: { id: "d1" }, agent }, 20000);
await run("one limit (fresh bucket), memory", ":memory:", send, 20000);
await run("one limit (one bucket), memory", ":memory:", { tool: "send", args: { to: "x" }, agent }, 5000);
rmSync(dir, { recursive: true, force: true });
