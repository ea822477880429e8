// One cold compile for the compile-time suite: a fresh Node process that
// imports pol, checks, compiles (starting the asc worker) and loads a generated
// policy. Spawned by suites/compile.ts; prints its timings as JSON on stdout.

const started = performance.now(); // ms since this process started (Node's time origin)
const rules = Number(process.argv[2]);
const optimize = process.argv[3] !== "-O0";
const { scalePolicy } = await import("../lib/generate.js");
const { build } = await import("../lib/policy.js");
const { WasmPolicy } = await import("../../runtime/loader.js");
const { stopCompiler } = await import("../../compiler/asc.js");
const imported = performance.now();
const b = await build(scalePolicy(rules, Math.max(1, rules / 10)), `cold_${rules}.pol`, optimize);
const t0 = performance.now();
await WasmPolicy.fromBytes(b.wasm);
const loaded = performance.now();
process.stdout.write(JSON.stringify({ rules, startupMs: started, importMs: imported - started, checkMs: b.checkMs, compileMs: b.compileMs, loadMs: loaded - t0, totalMs: loaded }) + "\n");
await stopCompiler();
