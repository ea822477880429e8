// `pol mcp --policy p.wasm [--store pol.db] -- <server command...>` (stdio) and `pol mcp --policy
// p.wasm --upstream https://host/mcp --listen 127.0.0.1:PORT` (Streamable HTTP): the MCP gateway
// (integrations/mcp/) in front of one upstream server, deciding every `tools/call` with an Engine.
// stdout carries the protocol in stdio mode, so everything the command says goes to stderr. Runs
// until the client hangs up (stdio) or SIGINT/SIGTERM; exit 0 then, 2 on usage or start-up errors.

import { InvalidArgumentError, Option, type Command } from "commander";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { numberIn, storeOption } from "./options.js";
import { groupFlag } from "../runtime/approval-rules.js";

interface McpOpts {
  policy?: string;
  verifyKey?: string;
  watch?: boolean;
  store?: string;
  audit?: string;
  upstream?: string;
  listen?: { host: string; port: number };
  path: string;
  agent?: string;
  env?: string;
  prefix?: string;
  elicitGroups?: string[];
  timeout?: number;
}

/** `host:port`, `[v6]:port` or `:port` (loopback). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new InvalidArgumentError("expected HOST:PORT, e.g. 127.0.0.1:8931 (port 0 picks a free one)");
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

/** The SDK is an optional peer dependency: its absence is a usage error with the fix. */
export function sdkMissing(e: unknown): string | undefined {
  const err = e as { code?: string; message?: string };
  if (err?.code === "ERR_MODULE_NOT_FOUND" && err.message?.includes("@modelcontextprotocol/sdk")) {
    return "this command needs the MCP TypeScript SDK, an optional peer dependency: run `npm install @modelcontextprotocol/sdk`";
  }
  return undefined;
}

function usage(io: Io, message: string): number {
  io.err(`error: ${message}\n`);
  return EXIT.usage;
}

/** The command line as the gateway's options. */
function gatewayOptions(command: string[], o: McpOpts, store: string): import("../integrations/mcp/index.js").GatewayOptions {
  return {
    upstream: o.upstream !== undefined ? { url: o.upstream } : { command: command[0]!, args: command.slice(1) },
    ...(o.listen ? { listen: { ...o.listen, path: o.path } } : {}),
    ...(o.agent !== undefined ? { agent: o.agent } : {}), ...(o.env !== undefined ? { env: o.env } : {}),
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(o.elicitGroups ? { elicitGroups: o.elicitGroups } : {}),
    ...(o.timeout !== undefined ? { requestTimeoutMs: o.timeout } : {}),
    approveHint: (id, groups) => (store === ":memory:" ? undefined : `pol approvals approve ${id}${groupFlag(groups)} --store ${store}`),
  };
}

export async function mcpCommand(io: Io, command: string[], o: McpOpts): Promise<number> {
  if (!o.policy) return usage(io, "name the policy with --policy <file.wasm|file.pol|bundle.polb>");
  if (command.length === 0 && o.upstream === undefined) return usage(io, "name the upstream MCP server: a command after `--` (pol mcp ... -- node server.js) or --upstream <url>");
  if (command.length > 0 && o.upstream !== undefined) return usage(io, "give the upstream server either as a command after `--` or with --upstream <url>, not both");
  const store = o.store ?? process.env["POL_STORE"] ?? ":memory:";
  if (store === ":memory:" && o.audit === undefined) return usage(io, "name the audit log with --audit <file> (or a state store with --store <file>, which puts the log beside it)");
  let gw: typeof import("../integrations/mcp/index.js");
  try {
    gw = await import("../integrations/mcp/index.js");
  } catch (e) {
    return usage(io, sdkMissing(e) ?? (e as Error).message);
  }
  const { Engine } = await import("../runtime/index.js");
  let engine: Awaited<ReturnType<typeof Engine.load>>;
  try {
    engine = await Engine.load(o.policy, {
      store, ...(o.audit !== undefined ? { audit: o.audit } : {}),
      ...(o.verifyKey !== undefined ? { verifyKey: o.verifyKey } : {}), ...(o.watch ? { watch: true } : {}),
      hooks: { onError: (e, where) => io.err(`pol mcp: ${where}: ${e.message}\n`) },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const log = (line: string) => io.err(`pol mcp: ${line}\n`);
  if (store === ":memory:") log("no --store: approvals can be answered only through elicitation; pass --store <file> to resolve them with `pol approvals`");
  let gateway: Awaited<ReturnType<typeof gw.startGateway>>;
  try {
    gateway = await gw.startGateway(engine, { ...gatewayOptions(command, o, store), log });
  } catch (e) {
    await engine.close();
    return usage(io, `the gateway could not start: ${(e as Error).message}`);
  }
  const stop = () => void gateway.close();
  process.once("SIGINT", stop).once("SIGTERM", stop);
  try {
    await gateway.done;
  } finally {
    process.off("SIGINT", stop).off("SIGTERM", stop);
    await engine.close();
  }
  return EXIT.ok;
}

export function registerMcp(program: Command, io: Io, done: (code: number) => void): void {
  program.command("mcp").description("run the MCP gateway: every tools/call to the upstream server is decided by the policy")
    .argument("[command...]", "the upstream MCP server's command, after `--` (stdio)")
    .option("--policy <file>", "the policy: .wasm, .pol (compiled on start), a bundle (.polb) or a policy directory").addOption(storeOption())
    .option("--verify-key <file>", "serve and reload only bundles signed by this public key")
    .option("--watch", "reload the policy when its file or directory changes (verified and tested first; a failure keeps the old one)")
    .option("--audit <file>", "the audit log (default: beside the store file)")
    .option("--upstream <url>", "an upstream Streamable HTTP endpoint instead of a command")
    .addOption(new Option("--listen <host:port>", "serve Streamable HTTP here instead of stdio").argParser(parseListen))
    .option("--path <path>", "the HTTP endpoint's path", "/mcp")
    .option("--agent <id>", "the agent id for every call (default: the X-Pol-Agent header, else the client's name)")
    .option("--env <env>", "the `env` of every call")
    .option("--prefix <prefix>", "prepended to upstream tool names to form the policy's tool names (e.g. `github/`)")
    .addOption(new Option("--elicit-groups <groups>", "approver groups the person answering an elicitation belongs to (comma-separated)").argParser((v) => v.split(",").map((g) => g.trim()).filter(Boolean)))
    .addOption(new Option("--timeout <ms>", "deadline for an upstream answer, re-armed by progress (default 300000)").argParser(numberIn(1, 86_400_000, "a number of milliseconds from 1 to 86400000")))
    .action(async (command: string[], o: McpOpts) => done(await mcpCommand(io, command, o)));
}
