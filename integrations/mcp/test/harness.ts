// Scaffolding for the gateway tests and the latency benchmark: the fixture policy compiled to
// .wasm, the fixture MCP server (integrations/mcp/test/fixtures/server.mjs) over stdio or HTTP,
// and `pol mcp` itself (bin/pol.js, so `npm run build` first) in front of it, reached by the
// SDK's own Client over either transport. Not a test itself.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { compiled } from "../../../runtime/test/helpers.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../../..");
export const SERVER = join(HERE, "fixtures", "server.mjs");
export const POLICY = join(HERE, "fixtures", "gateway.pol");
export const POL = join(ROOT, "bin", "pol.js");

export type Kind = "stdio" | "http";

export interface Gw {
  client: Client;
  dir: string;
  store: string;
  audit: string;
  /** The tool calls the upstream executed. */
  calls(): { name: string; args: Record<string, unknown> }[];
  /** What the gateway wrote to stderr so far. */
  stderr(): string;
  /** The upstream process (HTTP upstreams only: stdio ones are the gateway's children). */
  upstream?: ChildProcess;
  /** The gateway process (HTTP only: a stdio gateway is the client transport's child). */
  gateway?: ChildProcess;
  /** Closes the client and waits for the gateway to exit (its audit log flushed). */
  close(): Promise<void>;
  /** Sends the gateway process a signal and waits for its connection to close. */
  signal(sig: NodeJS.Signals): Promise<void>;
}

export interface GwOptions {
  kind: Kind;
  /** Answers elicitations (the client then declares the capability). */
  elicit?: (message: string) => ElicitResult | Promise<ElicitResult>;
  /** Extra `pol mcp` flags. */
  flags?: string[];
  /** HTTP: the X-Pol-Agent header. */
  agentHeader?: string;
  /** stdio: another upstream command instead of the fixture server. */
  upstream?: string[];
  /** The policy to pass instead of the fixture compiled to .wasm (given the test's directory). */
  policy?: (dir: string) => Promise<string>;
}

/** The fixture policy as .wasm in `dir`. */
export async function policyWasm(dir: string): Promise<string> {
  const out = join(dir, "gateway.wasm");
  writeFileSync(out, await compiled(POLICY));
  return out;
}

/** A line the process prints on `stream` that matches `re`. */
function lineMatching(p: ChildProcess, stream: "stdout" | "stderr", re: RegExp, log?: (s: string) => void): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (c: Buffer) => {
      buf += c.toString();
      log?.(c.toString());
      const m = re.exec(buf);
      if (m) {
        p[stream]!.off("data", onData);
        resolve(m);
      }
    };
    p[stream]!.on("data", onData);
    p.once("exit", (code) => reject(new Error(`process exited (${code}) before printing ${re}: ${buf}`)));
  });
}

export async function startHttpUpstream(callsFile: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [SERVER, "http", "0"], { env: { ...process.env, CALLS_FILE: callsFile }, stdio: ["ignore", "pipe", "inherit"] });
  const m = await lineMatching(proc, "stdout", /(http:\/\/\S+)\n/);
  return { url: m[1]!, proc };
}

export async function startGateway(o: GwOptions): Promise<Gw> {
  const dir = mkdtempSync(join(tmpdir(), "pol-mcp-"));
  const wasm = o.policy ? await o.policy(dir) : await policyWasm(dir);
  const store = join(dir, "pol.db");
  const audit = join(dir, "pol.audit.jsonl");
  const callsFile = join(dir, "calls.jsonl");
  writeFileSync(callsFile, "");
  const env = { ...process.env, CALLS_FILE: callsFile } as Record<string, string>;
  // `{dir}` in a flag is this gateway's directory (where `policy` put its files).
  const base = ["mcp", "--policy", wasm, "--store", store, ...(o.flags ?? []).map((f) => f.replaceAll("{dir}", dir))];
  const client = new Client({ name: "test-client", version: "1.0.0" }, { capabilities: o.elicit ? { elicitation: {} } : {} });
  if (o.elicit) {
    const answer = o.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (req) => answer(req.params.message));
  }
  let err = "";
  let gateway: ChildProcess | undefined;
  let upstream: ChildProcess | undefined;
  let pid: () => number | null = () => gateway?.pid ?? null;
  if (o.kind === "stdio") {
    const t = new StdioClientTransport({ command: process.execPath, args: [POL, ...base, "--", ...(o.upstream ?? [process.execPath, SERVER, "stdio"])], env, stderr: "pipe", cwd: ROOT });
    t.stderr?.on("data", (c: Buffer) => void (err += c.toString()));
    pid = () => t.pid;
    await client.connect(t).catch(async (e: unknown) => {
      await t.close();
      throw e;
    });
  } else {
    const up = await startHttpUpstream(callsFile);
    upstream = up.proc;
    gateway = spawn(process.execPath, [POL, ...base, "--upstream", up.url, "--listen", "127.0.0.1:0"], { env, stdio: ["ignore", "ignore", "pipe"], cwd: ROOT });
    const m = await lineMatching(gateway, "stderr", /listening on (http:\/\/\S+)\n/, (s) => void (err += s));
    gateway.stderr!.on("data", (c: Buffer) => void (err += c.toString()));
    const headers = o.agentHeader ? { "x-pol-agent": o.agentHeader } : undefined;
    await client.connect(new StreamableHTTPClientTransport(new URL(m[1]!), headers ? { requestInit: { headers } } : undefined));
  }
  return {
    client, dir, store, audit, upstream, gateway,
    calls: () => readFileSync(callsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { name: string; args: Record<string, unknown> }),
    stderr: () => err,
    close: async () => {
      await client.close();
      if (gateway && gateway.exitCode === null) {
        const exited = new Promise((r) => gateway!.once("exit", r));
        gateway.kill("SIGTERM");
        await exited;
      }
      if (upstream && upstream.exitCode === null) upstream.kill("SIGKILL");
    },
    signal: async (sig) => {
      const closed = new Promise<void>((r) => (client.onclose = r));
      process.kill(pid()!, sig);
      await closed;
    },
  };
}

/** The text of a tool result's first content block. */
export function textOf(r: unknown): string {
  const c = (r as { content?: { type: string; text?: string }[] }).content;
  return c?.[0]?.text ?? "";
}

/** Runs `pol` (approvals, audit) and returns its exit code and output. */
export function pol(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [POL, ...args], { cwd: ROOT });
    let out = "";
    let err = "";
    p.stdout.on("data", (c: Buffer) => void (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => void (err += c.toString()));
    p.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}
