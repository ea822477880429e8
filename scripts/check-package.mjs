#!/usr/bin/env node
// The package as a user gets it (run by .ci/run): `npm pack`, install the tarball into a new
// project outside the repository, and there, with plain `node` and no tsx:
//   1. `npx pol compile` and `npx pol test` on that project's own policy and suite;
//   2. a plain ESM script loads the compiled .wasm, decides calls and runs a guarded tool;
//   3. importing `pol/runtime` loads neither the parser (chevrotain) nor the compiler;
//   4. `tsc --strict` with default libs and no @types type-checks a consumer file, the MCP gateway
//      and the AI SDK and OpenAI Agents guards included, none of their SDKs installed (pol/langchain
//      is left out: its middleware's type is LangChain's own, so it needs langchain installed);
//   5. `--version` and a compile from a subdirectory work;
//   6. `pol/openapi.json` resolves to the API's description; `npx pol serve` answers POST /v1/decide, its background audit check (a worker thread
//      loading the built verifier) finds the log intact, as /metrics reports, and its console,
//      signed in, shows the run's timeline (from the audit index's worker thread).
// Then it measures the install size, `import("pol/runtime")` time and `pol check` wall time
// (medians) and writes them to benchmarks/results/package.json for benchmarks/RESULTS.md.
// `--keep` leaves the temporary project for inspection.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const work = mkdtempSync(join(tmpdir(), "pol-package-"));
const project = join(work, "service");

function step(title) {
  process.stderr.write(`check-package: ${title}\n`);
}

/** Runs a command; on failure prints its output and exits 1. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, ...opts });
  if (r.status !== (opts.expect ?? 0)) {
    process.stderr.write(`check-package: \`${cmd} ${args.join(" ")}\` exited ${r.status} (expected ${opts.expect ?? 0})\n${r.stdout}\n${r.stderr}\n`);
    process.exit(1);
  }
  return r;
}

/** Starts `npx pol serve` on the project's policy, decides one call and waits for pol_audit_verify_ok 1. */
async function servePackage() {
  const child = spawn("npx", ["pol", "serve", "--policy", "dist/refunds.wasm", "--store", "serve.db", "--audit", "serve.audit.jsonl", "--listen", "127.0.0.1:0"], { cwd: project, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout.on("data", (b) => (out += b));
  child.stderr.on("data", (b) => (out += b));
  const deadline = Date.now() + 60_000;
  let failure;
  const until = async (what, ok) => {
    for (;;) {
      const v = await ok();
      if (v) return v;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pol serve: no ${what} within 60 s; it printed:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const [, url] = await until("address", () => /on (http:\/\/\S+)/.exec(out));
    const [, secret] = await until("admin secret", () => /with this secret[^\n]*\n\s+(\S+)/.exec(out));
    const headers = { authorization: `Basic ${Buffer.from(`admin:${secret}`).toString("base64")}`, "content-type": "application/json" };
    const call = { tool: "stripe.refund", args: { amount: 20, currency: "usd", customer: "c1" }, agent: { id: "support-bot" }, run: { id: "run-9" } };
    const d = await (await fetch(`${url}/v1/decide`, { method: "POST", headers, body: JSON.stringify(call) })).json();
    if (d.effect !== "allow") throw new Error(`pol serve decided ${JSON.stringify(d)}, want allow`);
    await until("pol_audit_verify_ok 1 on /metrics", async () => /^pol_audit_verify_ok 1$/m.test(await (await fetch(`${url}/metrics`, { headers })).text()));
    // The console, signed in, shows the run: its pages come from the audit index's worker thread.
    const cookieOf = (r, name) => r.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith(`${name}=`));
    const login = await fetch(`${url}/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1];
    const signedIn = await fetch(`${url}/login`, {
      method: "POST", redirect: "manual", headers: { cookie: cookieOf(login, "pol_login"), "content-type": "application/x-www-form-urlencoded", origin: url },
      body: new URLSearchParams({ _csrf: csrf, name: "admin", secret, next: "/runs" }),
    });
    const cookie = cookieOf(signedIn, "pol_session");
    if (!cookie) throw new Error(`pol serve: signing in to the console failed (${signedIn.status})`);
    const timeline = await (await fetch(`${url}/runs/run-9`, { headers: { cookie } })).text();
    if (!timeline.includes("1 step, oldest first")) throw new Error(`pol serve: the console's timeline of run-9 does not show its decision:\n${timeline.slice(0, 2000)}`);
  } catch (e) {
    failure = e;
  } finally {
    try {
      process.kill(-child.pid, "SIGTERM"); // npx and the server under it
    } catch {
      // already gone
    }
  }
  // after the kill: fail() exits at once, and would leave the server running
  if (failure) fail(failure.message);
}

function fail(message) {
  process.stderr.write(`check-package: FAILED: ${message}\n`);
  process.exit(1);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function duKiB(dir) {
  let bytes = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else bytes += st.size;
    }
  };
  walk(dir);
  return Math.round(bytes / 1024);
}

step("npm pack");
const packed = execFileSync("npm", ["pack", "--pack-destination", work, "--json"], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const info = JSON.parse(packed)[0];
const tarball = join(work, info.filename);
const shipped = info.files.map((f) => f.path);
const stray = shipped.filter((p) => /(^|\/)(test|tests|benchmarks|\.ci)\/|\.test\.|^scratch\//.test(p));
if (stray.length) fail(`the tarball ships files users do not need: ${stray.slice(0, 5).join(", ")}`);
if (!shipped.includes("dist/runtime/index.js") || !shipped.includes("dist/stdlib/as/index.ts")) fail("the tarball lacks the built runtime or the AssemblyScript stdlib");
if (!shipped.includes("docs/openapi.json")) fail("the tarball lacks docs/openapi.json, the `pol serve` API's description (exported as pol/openapi.json)");

step(`install ${info.filename} (${shipped.length} files) into ${project}`);
mkdirSync(join(project, "policies", "nested"), { recursive: true });
writeFileSync(join(project, "package.json"), JSON.stringify({ name: "service", version: "1.0.0", private: true, type: "module" }, null, 2));
run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball]);
// The API's description resolves by its export, for clients generated from it.
run("node", ["--input-type=module", "-e", "import { createRequire } from 'node:module'; const spec = createRequire(import.meta.url)('pol/openapi.json'); if (spec.openapi !== '3.1.0' || !spec.paths['/v1/decide']) throw new Error('pol/openapi.json is not the API description');"]);

writeFileSync(join(project, "policies", "refunds.pol"), `policy refunds "refunds for the support agent"

tool stripe.refund { amount: number, currency: string, customer: string } write

allow   stripe.refund if args.amount <= 50
approve stripe.refund by "finance" if args.amount > 50 and args.amount <= 300
deny    stripe.refund if args.amount > 300 because "refunds over $300 are never automatic"
`);
writeFileSync(join(project, "policies", "refunds.test.yaml"), `defaults:
  agent: { id: support-bot }
fixtures:
  refund: { tool: stripe.refund, args: { amount: 20, currency: usd, customer: c1 } }
cases:
  - name: small refunds go through
    use: refund
    expect: { effect: allow }
  - name: middling refunds need finance
    use: refund
    call: { args: { amount: 120 } }
    expect: { effect: approve, approvers: [finance] }
  - name: large refunds are refused
    use: refund
    call: { args: { amount: 900 } }
    expect: { effect: deny }
`);
writeFileSync(join(project, "policies", "nested", "small.pol"), "tool t { n: number }\nallow t if args.n < 3\nlimit t 20 calls per hour per run\n");

step("npx pol --version, compile, test (in the project's own directory)");
const version = run("npx", ["pol", "--version"]).stdout.trim();
if (version !== JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version) fail(`pol --version printed \`${version}\``);
run("npx", ["pol", "compile", "policies/refunds.pol", "-o", "dist"]);
const tested = run("npx", ["pol", "test", "policies", "--coverage-min", "100"]);
if (!/3 passed, 0 failed/.test(tested.stdout)) fail(`pol test did not pass its 3 cases:\n${tested.stdout}`);
run("npx", ["pol", "check", "--strict", "nested"], { cwd: join(project, "policies") });
run("npx", ["pol", "compile", "small.pol", "-o", "../../dist"], { cwd: join(project, "policies", "nested") });

step("a plain node ESM script: Engine.load(.wasm), decide, guard");
writeFileSync(join(project, "service.mjs"), `import { Engine, PolicyDenied } from "pol/runtime";
const engine = await Engine.load("dist/refunds.wasm", { store: "pol.db" });
const ctx = { agent: { id: "support-bot" }, run: { id: "run-1" } };
const effects = [];
for (const amount of [20, 120, 900]) effects.push((await engine.decide({ tool: "stripe.refund", args: { amount, currency: "usd", customer: "c1" }, ...ctx })).effect);
let ran = 0;
const refund = engine.guard("stripe.refund", async (args) => { ran++; return { refunded: args.amount }; });
const ok = await refund({ amount: 25, currency: "usd", customer: "c1" }, ctx);
let denied = "";
try { await refund({ amount: 5000, currency: "usd", customer: "c1" }, ctx); } catch (e) { denied = e instanceof PolicyDenied ? e.decision.effect : String(e); }
await engine.close();
console.log(JSON.stringify({ effects, ok, ran, denied }));
`);
const out = JSON.parse(run("node", ["service.mjs"]).stdout);
const want = { effects: ["allow", "approve", "deny"], ok: { refunded: 25 }, ran: 1, denied: "deny" };
if (JSON.stringify(out) !== JSON.stringify(want)) fail(`the service script got ${JSON.stringify(out)}, want ${JSON.stringify(want)}`);
run("npx", ["pol", "audit", "verify", "pol.audit.jsonl"]);

step("npx pol serve: decides over HTTP, verifies its audit log and shows the run in its console, each on its own thread");
await servePackage();

step("import(\"pol/runtime\") loads no parser and no compiler");
writeFileSync(join(project, "loaded.mjs"), `import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on("message", (u) => urls.push(u));
const hooks = "let port; export function initialize(d) { port = d.port; } export async function load(url, ctx, next) { port.postMessage(url); return next(url, ctx); }";
register("data:text/javascript," + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
await import("pol/runtime");
await new Promise((r) => setTimeout(r, 100));
port1.close();
console.log(JSON.stringify(urls));
`);
const urls = JSON.parse(run("node", ["loaded.mjs"]).stdout);
const heavy = urls.filter((u) => /chevrotain|\/dist\/compiler\/(compile|compile-file|lower|emit|asc)\.js|\/dist\/language\/(parse|check|grammar|lexer)\.js|assemblyscript|binaryen/.test(u));
if (!urls.some((u) => u.includes("/dist/runtime/engine.js"))) fail("the load hook saw no runtime module: the check itself is broken");
if (heavy.length) fail(`importing pol/runtime loaded ${heavy.join(", ")}`);

step("tsc --strict, default libs, no @types, skipLibCheck off");
writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", target: "es2022", noEmit: true, skipLibCheck: false, types: [] }, include: ["consumer.ts"] }, null, 2));
writeFileSync(join(project, "consumer.ts"), `import { Engine, PolicyDenied, type EngineDecision } from "pol/runtime";
import { compileFile } from "pol/compiler";
import { loadText } from "pol/language";
import * as pol from "pol";
import { startGateway, type GatewayHost } from "pol/mcp";
import { polAi } from "pol/ai";
import { polAgents } from "pol/openai-agents";

export async function decideOne(policy: string): Promise<EngineDecision> {
  const engine = await Engine.load(policy, { store: ":memory:", audit: false, expectHash: undefined });
  const refund = engine.guard("stripe.refund", async (args: { amount: number }) => ({ refunded: args.amount }));
  try {
    const r: { refunded: number } = await refund({ amount: 1 }, { agent: { id: "a" } });
    void r;
  } catch (e) {
    if (!(e instanceof PolicyDenied)) throw e;
    const reasons: string[] = e.decision.reasons;
    void reasons;
  }
  const c = await compileFile("policies/refunds.pol");
  const l = loadText("tool t { n: number }", "t.pol");
  void c.wasm; void l.checked; void pol.Engine;
  return engine.decide({ tool: "stripe.refund", args: { amount: 1 } });
}

// The guards' and the gateway's types stand alone: no SDK (optional peers) and no @types/node needed.
export function guards(engine: Engine) {
  const tools = polAi(engine, { context: { agent: { id: "a" } } }).tools({ refund: { execute: async (x: { amount: number }) => x.amount } });
  const options = polAgents(engine).guard({ name: "refund", execute: async (x: { amount: number }) => x.amount });
  const host: GatewayHost = engine;
  return { tools, options, host, startGateway };
}
`);
run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "."]);

step("measure");
const installKiB = duKiB(join(project, "node_modules"));
const polKiB = duKiB(join(project, "node_modules", "pol"));
const importMs = [];
for (let i = 0; i < 11; i++) {
  const r = run("node", ["--input-type=module", "-e", "const t = performance.now(); await import('pol/runtime'); console.log(performance.now() - t)"]);
  importMs.push(Number(r.stdout.trim()));
}
const checkMs = [];
for (let i = 0; i < 11; i++) {
  const t0 = performance.now();
  run("node", ["node_modules/pol/bin/pol.js", "check", "policies/refunds.pol"]);
  checkMs.push(performance.now() - t0);
}
const result = {
  date: new Date().toISOString(),
  node: process.version,
  tarballKiB: Math.round(info.size / 1024),
  files: shipped.length,
  installKiB,
  polKiB,
  importRuntimeMs: { median: Number(median(importMs).toFixed(1)), min: Number(Math.min(...importMs).toFixed(1)), runs: importMs.length },
  checkWallMs: { median: Number(median(checkMs).toFixed(0)), min: Number(Math.min(...checkMs).toFixed(0)), runs: checkMs.length },
};
mkdirSync(join(repo, "benchmarks", "results"), { recursive: true });
writeFileSync(join(repo, "benchmarks", "results", "package.json"), JSON.stringify(result, null, 2) + "\n");
process.stderr.write(`check-package: ok: ${JSON.stringify(result)}\n`);
if (!keep) rmSync(work, { recursive: true, force: true });
else process.stderr.write(`check-package: kept ${work}\n`);
