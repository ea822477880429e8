// `pol import mcp`: an MCP server's tools as pol `tool` declarations, from the server itself (a
// command over stdio or a Streamable HTTP URL, listed with the SDK's Client) or from a saved
// `tools/list` result. Types come from schema.ts (strict: what pol cannot express is a problem
// naming the tool and schema path, and that tool is left out, never declared loosely); classes
// from the tool annotations, as a starting point the author reviews. The output is formatted and
// checked by pol's own front end before it is returned. Used by cli/import.ts.

import { formatSource } from "../../language/format.js";
import { loadText } from "../../language/load.js";
import { renderDiagnostics } from "../../language/render.js";
import { showType, type FieldType } from "../../language/types.js";
import { fieldsOf, SchemaError, toolClassOf } from "./schema.js";
import type { UpstreamSpec } from "./spec.js";

/** A tool as `tools/list` describes it. */
export interface CatalogueTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
  annotations?: { readOnlyHint?: unknown; destructiveHint?: unknown };
}

export interface ImportProblem {
  tool: string;
  /** A JSON Pointer into the tool's inputSchema (`/properties/labels/items`). */
  path: string;
  message: string;
}

export interface Imported {
  text: string;
  /** How many tools were declared. */
  declared: number;
  problems: ImportProblem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The tools of a saved listing: a `tools/list` result `{ tools }`, a JSON-RPC response carrying one, or a bare array. */
export function parseToolsList(value: unknown): CatalogueTool[] {
  const list = Array.isArray(value) ? value : isRecord(value) && isRecord(value["result"]) ? value["result"]["tools"] : isRecord(value) ? value["tools"] : undefined;
  if (!Array.isArray(list)) throw new Error("expected a `tools/list` result: an object with a `tools` array (or a JSON-RPC response with `result.tools`)");
  return list.map((t, i) => {
    if (!isRecord(t) || typeof t["name"] !== "string" || t["name"] === "") throw new Error(`\`tools[${i}]\` has no \`name\` string`);
    if (t["description"] !== undefined && typeof t["description"] !== "string") throw new Error(`\`tools[${i}].description\` is not a string`);
    return t as unknown as CatalogueTool;
  });
}

/** Lists a live server's tools (every page) through the SDK's Client. */
export async function listServerTools(spec: UpstreamSpec, timeoutMs = 30_000): Promise<CatalogueTool[]> {
  // Loaded here: declaring tools from a saved listing needs no SDK.
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { openUpstream } = await import("./upstream.js");
  const client = new Client({ name: "pol-import", version: "1" });
  const { transport } = openUpstream(spec);
  await client.connect(transport, { timeout: timeoutMs });
  try {
    const tools: CatalogueTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
      tools.push(...(page.tools as CatalogueTool[]));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  } finally {
    await client.close();
  }
}

const OPERATORS = new Set(["for", "by", "if", "because", "and", "or", "not", "in", "matches", "has", "any", "all", "true", "false"]);
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A tool name as pol writes it: bare when it is a dotted name, else a quoted string. */
export function toolNameText(name: string): string {
  if (DOTTED.test(name) && !OPERATORS.has(name.split(".")[0]!)) return name;
  const esc = name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
  return `"${esc}"`;
}

function fieldsText(fields: FieldType[]): string {
  const simple = fields.length <= 3 && fields.every((f) => f.type.kind !== "record" && !(f.type.kind === "list" && f.type.elem.kind === "record"));
  const one = (f: FieldType) => `${f.name}${f.optional ? "?" : ""}: ${showType(f.type)}`;
  if (fields.length === 0) return "{}";
  return simple ? `{ ${fields.map(one).join(", ")} }` : `{\n${fields.map((f) => `  ${one(f)}`).join("\n")}\n}`;
}

/** A description as a comment: its first line, bounded. */
function comment(description: string | undefined): string {
  const first = (description ?? "").split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "");
  if (!first) return "";
  return `# ${first.length > 160 ? `${first.slice(0, 159)}…` : first}\n`;
}

/** The `tool` declarations of a catalogue; tools pol cannot type are problems, left out with a comment. */
export function declareTools(tools: readonly CatalogueTool[], o: { source: string; prefix?: string }): Imported {
  const prefix = o.prefix ?? "";
  const problems: ImportProblem[] = [];
  const parts: string[] = [
    `# The tools of ${o.source}, written by \`pol import mcp\`. Review each class (read, write or\n# destructive, from the server's annotations) before relying on it, then write the rules.\n`,
  ];
  const seen = new Set<string>();
  let declared = 0;
  for (const t of tools) {
    const name = prefix + t.name;
    if (seen.has(name)) {
      problems.push({ tool: name, path: "", message: "the server lists this tool twice" });
      continue;
    }
    seen.add(name);
    let fields: FieldType[];
    try {
      fields = fieldsOf((t.inputSchema ?? { type: "object" }) as never);
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      problems.push({ tool: name, path: e.path || "/", message: e.problem });
      parts.push(`# not declared: \`${name}\`: its input schema at \`${e.path || "/"}\`: ${e.problem}\n`);
      continue;
    }
    parts.push(`${comment(t.description)}tool ${toolNameText(name)} ${fieldsText(fields)} ${toolClassOf(t.annotations)}\n`);
    declared++;
  }
  return { text: checked(parts.join("\n"), o.source), declared, problems };
}

/** The text in canonical format, after pol's own parser and checker accept it (a failure here is a bug in this file). */
function checked(text: string, source: string): string {
  const file = "imported.pol";
  const f = formatSource(text, file);
  const out = f.ok ? f.text : text;
  const l = loadText(out, file, () => "");
  if (!f.ok || !l.checked || l.sink.hasErrors()) {
    throw new Error(`pol import produced declarations pol rejects for ${source}:\n${renderDiagnostics(f.ok ? l.sink.errors : f.diagnostics, { sources: l.sources })}`);
  }
  return out;
}
