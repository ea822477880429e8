// Suite 8: what `pol mcp` adds to a `tools/call` on loopback. The SDK's own Client calls the
// fixture server's `echo` tool (integrations/mcp/test/fixtures/server.mjs, a real McpServer)
// directly; through a bare relay of the same SDK transports (peers/mcp-relay.mjs: the cost of
// any MCP proxy); and through the gateway (bin/pol.js, so build first) deciding with the fixture
// policy on an in-memory store with its JSONL audit. Over stdio and over Streamable HTTP. Rounds
// alternate between the three, so load from other processes falls on all; an added latency is a
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
import { ROOT } from "../lib/paths.js";
import { median, sampleAsync, type Latency } from "../lib/sample.js";

const SERVER = join(ROOT, "integrations/mcp/test/fixtures/server.mjs");
const POLICY = join(ROOT, "integrations/mcp/test/fixtures/gateway.pol");
const POL = join(ROOT, "bin/pol.js");
const RELAY = join(ROOT, "benchmarks/peers/mcp-relay.mjs");

type Transport = "stdio" | "http";
type Via = "direct" | "relay" | "gateway";

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

async function connect(kind: Transport, via: Via, wasm: string, dir: string): Promise<Target> {
  const client = new Client({ name: "bench", version: "1" });
  const procs: ChildProcess[] = [];
  const front = via === "gateway" ? [POL, "mcp", "--policy", wasm, "--audit", join(dir, `${kind}.audit.jsonl`)] : [RELAY, kind];
  if (kind === "stdio") {
    const args = via === "direct" ? [SERVER, "stdio"] : [...front, "--", process.execPath, SERVER, "stdio"];
    await client.connect(new StdioClientTransport({ command: process.execPath, args, stderr: "ignore", cwd: ROOT }));
  } else {
    const up = spawn(process.execPath, [SERVER, "http", "0"], { stdio: ["ignore", "pipe", "ignore"] });
    procs.push(up);
    let url = await printed(up, "stdout", /(http:\/\/\S+)\n/);
    if (via !== "direct") {
      const args = via === "gateway" ? [...front, "--upstream", url, "--listen", "127.0.0.1:0"] : [...front, url];
      const g = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], cwd: ROOT });
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

interface Figures {
  direct: Latency[];
  relay: Latency[];
  gateway: Latency[];
  directP50Ns: number;
  relayP50Ns: number;
  gatewayP50Ns: number;
  /** Gateway minus direct: what a client sees. */
  addedP50Ns: number;
  addedP99Ns: number;
  /** Gateway minus relay: pol's own part. */
  polP50Ns: number;
}

export async function gatewaySuite(o: SuiteOptions) {
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-gateway-"));
  const wasm = join(dir, "gateway.wasm");
  const compiled = await compileFile(POLICY);
  if (!compiled.wasm) throw new Error(`the fixture policy does not compile:\n${compileErrors(compiled)}`);
  writeFileSync(wasm, compiled.wasm);
  const rounds = o.quick ? 2 : 5;
  const samples = o.quick ? 150 : 600;
  const out = {} as Record<Transport, Figures>;
  try {
    for (const kind of ["stdio", "http"] as Transport[]) {
      const targets = { direct: await connect(kind, "direct", wasm, dir), relay: await connect(kind, "relay", wasm, dir), gateway: await connect(kind, "gateway", wasm, dir) };
      const r = { direct: [] as Latency[], relay: [] as Latency[], gateway: [] as Latency[] };
      for (let i = 0; i < rounds; i++) {
        for (const via of ["direct", "relay", "gateway"] as Via[]) {
          const t = targets[via];
          r[via].push(await sampleAsync(() => t.client.callTool({ name: "echo", arguments: { text: "hello from the benchmark" } }), { samples, batch: 1, warmup: 100 }));
        }
      }
      for (const t of Object.values(targets)) await t.close();
      const diff = (a: Latency[], b: Latency[], k: "p50" | "p99") => median(a.map((x, i) => x[k] - b[i]![k]));
      const p50 = (xs: Latency[]) => median(xs.map((x) => x.p50));
      out[kind] = {
        ...r, directP50Ns: p50(r.direct), relayP50Ns: p50(r.relay), gatewayP50Ns: p50(r.gateway),
        addedP50Ns: diff(r.gateway, r.direct, "p50"), addedP99Ns: diff(r.gateway, r.direct, "p99"), polP50Ns: diff(r.gateway, r.relay, "p50"),
      };
      const us = (ns: number) => `${(ns / 1e3).toFixed(0)} µs`;
      log(`${kind.padEnd(5)} p50 direct ${us(out[kind].directP50Ns)}, bare SDK relay ${us(out[kind].relayP50Ns)}, pol mcp ${us(out[kind].gatewayP50Ns)}: added ${us(out[kind].addedP50Ns)} (pol's part ${us(out[kind].polP50Ns)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { policy: "integrations/mcp/test/fixtures/gateway.pol", tool: "echo", store: ":memory:", rounds, samples, transports: out };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(gatewaySuite);
