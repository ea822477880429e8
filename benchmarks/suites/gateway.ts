// Suite 7: what `pol mcp` adds to a `tools/call` on loopback. The SDK's own Client calls the
// fixture server's `echo` tool (integrations/mcp/test/fixtures/server.mjs, a real McpServer)
// directly, and through the gateway (bin/pol.js, so build first) deciding with the fixture policy
// on an in-memory store with its JSONL audit; over stdio and over Streamable HTTP. Direct and
// gateway rounds alternate, so load from other processes falls on both; the added latency is the
// difference of per-call medians, round by round, then the median over rounds. Run by benchmarks/run.ts.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { compileErrors, compileFile } from "../../compiler/compile-file.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { median, sampleAsync, type Latency } from "../lib/sample.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SERVER = join(ROOT, "integrations/mcp/test/fixtures/server.mjs");
const POLICY = join(ROOT, "integrations/mcp/test/fixtures/gateway.pol");
const POL = join(ROOT, "bin/pol.js");

type Transport = "stdio" | "http";

/** A line a process prints that matches `re` (its URL). */
function printed(p: ChildProcess, stream: "stdout" | "stderr", re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    p[stream]!.on("data", (c: Buffer) => {
      buf += c.toString();
      const m = re.exec(buf);
      if (m) resolve(m[1]!);
    });
    p.once("exit", (code) => reject(new Error(`exited ${code} before printing ${re}: ${buf}`)));
  });
}

interface Target {
  client: Client;
  close(): Promise<void>;
}

async function connect(kind: Transport, gateway: boolean, wasm: string, dir: string): Promise<Target> {
  const client = new Client({ name: "bench", version: "1" });
  const procs: ChildProcess[] = [];
  const gw = ["mcp", "--policy", wasm, "--audit", join(dir, `${kind}.audit.jsonl`)];
  if (kind === "stdio") {
    const args = gateway ? [POL, ...gw, "--", process.execPath, SERVER, "stdio"] : [SERVER, "stdio"];
    await client.connect(new StdioClientTransport({ command: process.execPath, args, stderr: "ignore", cwd: ROOT }));
  } else {
    const up = spawn(process.execPath, [SERVER, "http", "0"], { stdio: ["ignore", "pipe", "ignore"] });
    procs.push(up);
    let url = await printed(up, "stdout", /(http:\/\/\S+)\n/);
    if (gateway) {
      const g = spawn(process.execPath, [POL, ...gw, "--upstream", url, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"], cwd: ROOT });
      procs.push(g);
      url = await printed(g, "stderr", /listening on (http:\/\/\S+)\n/);
    }
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  }
  return {
    client,
    close: async () => {
      await client.close();
      await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : (p.once("exit", r), p.kill())))));
    },
  };
}

export async function gatewaySuite(o: SuiteOptions) {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-gateway-"));
  const wasm = join(dir, "gateway.wasm");
  const compiled = await compileFile(POLICY);
  if (!compiled.wasm) throw new Error(`the fixture policy does not compile:\n${compileErrors(compiled)}`);
  writeFileSync(wasm, compiled.wasm);
  const rounds = o.quick ? 2 : 5;
  const samples = o.quick ? 150 : 600;
  const out: Record<Transport, { direct: Latency[]; gateway: Latency[]; addedP50Ns: number; addedP99Ns: number; directP50Ns: number; gatewayP50Ns: number }> = {} as never;
  try {
    for (const kind of ["stdio", "http"] as Transport[]) {
      const direct = await connect(kind, false, wasm, dir);
      const via = await connect(kind, true, wasm, dir);
      const call = (t: Target) => () => t.client.callTool({ name: "echo", arguments: { text: "hello from the benchmark" } });
      const r = { direct: [] as Latency[], gateway: [] as Latency[] };
      for (let i = 0; i < rounds; i++) {
        r.direct.push(await sampleAsync(call(direct), { samples, batch: 1, warmup: 100 }));
        r.gateway.push(await sampleAsync(call(via), { samples, batch: 1, warmup: 100 }));
      }
      await direct.close();
      await via.close();
      const added = (k: "p50" | "p99") => median(r.direct.map((d, i) => r.gateway[i]![k] - d[k]));
      out[kind] = { ...r, addedP50Ns: added("p50"), addedP99Ns: added("p99"), directP50Ns: median(r.direct.map((d) => d.p50)), gatewayP50Ns: median(r.gateway.map((d) => d.p50)) };
      log(`${kind.padEnd(5)} direct p50 ${(out[kind].directP50Ns / 1e3).toFixed(0)} µs, through pol mcp ${(out[kind].gatewayP50Ns / 1e3).toFixed(0)} µs: added p50 ${(out[kind].addedP50Ns / 1e3).toFixed(0)} µs, p99 ${(out[kind].addedP99Ns / 1e3).toFixed(0)} µs`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { policy: "integrations/mcp/test/fixtures/gateway.pol", tool: "echo", store: ":memory:", rounds, samples, transports: out };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(gatewaySuite);
