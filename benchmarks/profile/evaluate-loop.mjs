#!/usr/bin/env node
// The workload of the bare evaluator's flame graphs: WasmPolicy.evaluate in a tight loop, either
// the support-agent mix (`--what=mix`) or one doc.put call carrying a 10 KB list of records the
// policy never reads (`--what=items`, benchmarks/lib/generate.ts). Plain JavaScript against a
// built dist/ (`--dist=dir`); run under `node --cpu-prof` by benchmarks/flame.ts; prints the mean.
// Usage: node benchmarks/profile/evaluate-loop.mjs [--dist=dir] [--what=mix|items] [--seconds=3]

import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const dist = resolve(arg("dist", new URL("../../dist", import.meta.url).pathname));
const what = arg("what", "mix");
const seconds = Number(arg("seconds", 3));
const from = async (root, p) => import(pathToFileURL(join(root, p)).href);
const bench = new URL("../../dist/benchmarks/", import.meta.url).pathname;
const { loadPolicy, WasmPolicy } = await from(dist, "runtime/index.js");
const asc = await from(dist, "compiler/asc.js");

let policy;
let calls;
if (what === "items") {
  const { compileText } = await from(dist, "compiler/compile-file.js");
  const { PAYLOAD_POLICY, payloadCall } = await from(bench, "lib/generate.js");
  const c = await compileText(PAYLOAD_POLICY, "payload.pol", { optimize: false, read: () => { throw new Error("no imports"); } });
  policy = await WasmPolicy.fromBytes(c.wasm);
  calls = [payloadCall(10_000, "items")];
} else {
  policy = await loadPolicy(new URL("../../examples/support_agent/support_agent.pol", import.meta.url).pathname);
  calls = (await from(bench, "calls.js")).SUPPORT_CALLS.map((c) => c.call);
}
await asc.stopCompiler();

let n = 0;
let sink;
const end = performance.now() + seconds * 1000;
const t = process.hrtime.bigint();
while (performance.now() < end) {
  for (let i = 0; i < 1000; i++) sink = policy.evaluate(calls[i % calls.length]);
  n += 1000;
}
if (!sink) throw new Error("no decision");
console.log(`evaluate mean ${(Number(process.hrtime.bigint() - t) / n).toFixed(0)} ns over ${n.toLocaleString("en")} calls (${what}, ${dist})`);
