// `pol import mcp [-o tools.pol] [--prefix p] (--from tools.json | --url URL | -- <server command...>)`:
// writes pol `tool` declarations for an MCP server's tools (integrations/mcp/import.ts), from the
// running server or a saved `tools/list` result. Exit 0 when every tool was declared; 1 when some
// schema has no pol type (each is reported with its schema path, and the others are still
// written); 2 on usage errors, an unreadable file or a server that cannot be listed.

import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { sdkMissing } from "./mcp.js";
import { numberIn } from "./options.js";

interface ImportOpts {
  from?: string;
  url?: string;
  out?: string;
  prefix?: string;
  timeout?: number;
}

function fail(io: Io, message: string): number {
  io.err(`error: ${message}\n`);
  return EXIT.usage;
}

export async function importMcpCommand(io: Io, command: string[], o: ImportOpts): Promise<number> {
  const sources = [o.from !== undefined, o.url !== undefined, command.length > 0].filter(Boolean).length;
  if (sources !== 1) return fail(io, "name exactly one source: --from <tools.json>, --url <endpoint>, or the server's command after `--`");
  // The listing side needs the SDK; reading a saved file does not, so that works without it.
  let imp: typeof import("../integrations/mcp/import.js");
  try {
    imp = await import("../integrations/mcp/import.js");
  } catch (e) {
    return fail(io, sdkMissing(e) ?? (e as Error).message);
  }
  let tools: ReturnType<typeof imp.parseToolsList>;
  let source: string;
  try {
    if (o.from !== undefined) {
      source = `\`${o.from}\``;
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(o.from, "utf8"));
      } catch (e) {
        return fail(io, `cannot read \`${o.from}\`: ${(e as Error).message}`);
      }
      tools = imp.parseToolsList(json);
    } else {
      source = o.url !== undefined ? `the MCP server at ${o.url}` : `the MCP server \`${command.join(" ")}\``;
      tools = await imp.listServerTools(o.url !== undefined ? { url: o.url } : { command: command[0]!, args: command.slice(1) }, o.timeout);
    }
  } catch (e) {
    return fail(io, sdkMissing(e) ?? `listing the tools failed: ${(e as Error).message}`);
  }
  const r = imp.declareTools(tools, { source, ...(o.prefix !== undefined ? { prefix: o.prefix } : {}) });
  for (const p of r.problems) io.err(`error: tool \`${p.tool}\`: \`${p.path}\`: ${p.message}\n`);
  if (o.out !== undefined) {
    try {
      writeFileSync(o.out, r.text);
    } catch (e) {
      return fail(io, `cannot write \`${o.out}\`: ${(e as Error).message}`);
    }
    io.err(`wrote ${r.declared} tool declaration${r.declared === 1 ? "" : "s"} to ${o.out}${r.problems.length ? `; ${r.problems.length} left out` : ""}\n`);
  } else io.out(r.text);
  return r.problems.length > 0 ? EXIT.failed : EXIT.ok;
}

export function registerImport(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program.command("import").description("write pol declarations from other formats");
  cmd.command("mcp").description("write `tool` declarations for an MCP server's tools")
    .argument("[command...]", "the server's command, after `--` (listed over stdio)")
    .option("--from <file>", "a saved tools/list result (JSON)").option("--url <url>", "a Streamable HTTP endpoint to list")
    .option("-o, --out <file>", "write here instead of stdout").option("--prefix <prefix>", "prepended to each tool name (e.g. `github/`)")
    .option("--timeout <ms>", "how long to wait for the server", numberIn(1, 600_000, "a number of milliseconds from 1 to 600000"))
    .action(async (command: string[], o: ImportOpts) => done(await importMcpCommand(io, command, o)));
}
