// `pol import mcp` and the JSON Schema mapping under it: every kind of schema pol cannot express
// is an error naming its schema path (never a loose type); declarations come out formatted and
// accepted by pol's checker; the live paths list the real fixture server over stdio and HTTP
// through the SDK's Client; exit codes follow cli/exit.ts.

import { showType } from "../../../language/types.js";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadText } from "../../../language/load.js";
import { metaOf } from "../../../language/meta.js";
import { declareTools, parseToolsList, toolNameText } from "../import.js";
import { fieldsOf, SchemaError, schemaDiff, type JsonSchema } from "../schema.js";
import { pol, ROOT, SERVER, startHttpUpstream } from "./harness.js";

const obj = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({ type: "object", properties, required } as JsonSchema);

function refusal(schema: JsonSchema): { path: string; problem: string } {
  try {
    fieldsOf(schema);
  } catch (e) {
    if (e instanceof SchemaError) return { path: e.path, problem: e.problem };
    throw e;
  }
  throw new Error("the schema was accepted");
}

describe("JSON Schema to pol types", () => {
  it("maps scalars, lists, nested records, optional and nullable fields, enums, consts and $refs", () => {
    const schema = {
      type: "object",
      properties: {
        a: { type: "string", format: "email", maxLength: 10 }, n: { type: "integer", minimum: 0 }, b: { type: "boolean" },
        tags: { type: "array", items: { type: "string" } }, kind: { enum: ["x", "y"] }, one: { const: 3 },
        maybe: { anyOf: [{ type: "number" }, { type: "null" }] }, nul: { type: ["string", "null"] },
        owner: { $ref: "#/$defs/Person" }, legacy: { $ref: "#/definitions/Tag" },
      },
      required: ["a", "n", "tags", "owner", "maybe"],
      $defs: { Person: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
      definitions: { Tag: { type: "string" } },
    } as JsonSchema;
    const f = fieldsOf(schema);
    const shown = Object.fromEntries(f.map((x) => [x.name, `${x.optional ? "?" : ""}${JSON.stringify(x.type)}`]));
    expect(shown).toEqual({
      a: '{"kind":"string"}', n: '{"kind":"number"}', b: '?{"kind":"bool"}', tags: '{"kind":"list","elem":{"kind":"string"}}',
      kind: '?{"kind":"string","values":["x","y"]}', one: '?{"kind":"number"}', maybe: '?{"kind":"number"}', nul: '?{"kind":"string"}',
      owner: '{"kind":"record","fields":[{"name":"name","type":{"kind":"string"},"optional":false}]}', legacy: '?{"kind":"string"}',
    });
    expect(fieldsOf({ type: "object" })).toEqual([]);
  });

  it("maps free-form objects and objects allowing other properties to open records", () => {
    const f = fieldsOf(obj({ meta: { type: "object" }, att: { type: "object", properties: { type: { type: "string" } }, required: ["type"], additionalProperties: true }, closed: { type: "object", properties: { a: { type: "number" } } } }));
    expect(f.map((x) => `${x.name}: ${showType(x.type)}`)).toEqual(["meta: { ... }", "att: { type: string, ... }", "closed: { a?: number }"]);
  });

  it.each<[string, JsonSchema, string, RegExp]>([
    ["an object that may have no properties", obj({ meta: { type: "object", additionalProperties: false } }), "/properties/meta", /may have no properties/],
    ["an untyped value", obj({ x: {} }), "/properties/x", /any value is accepted here; pol has no `any` type/],
    ["a union of types", obj({ u: { type: ["string", "number"] } }), "/properties/u/type", /types `string`, `number` have no single pol type/],
    ["anyOf of different types", obj({ u: { anyOf: [{ type: "string" }, { type: "number" }] } }), "/properties/u/anyOf", /pol has no union types/],
    ["an array without items", obj({ l: { type: "array" } }), "/properties/l", /array without `items`/],
    ["a tuple", obj({ t: { type: "array", items: [{ type: "string" }] } }), "/properties/t/items", /tuple arrays/],
    ["a mixed enum", obj({ e: { enum: ["a", 1] } }), "/properties/e/enum", /values of kinds string, number/],
    ["a recursive $ref", { type: "object", properties: { n: { $ref: "#/$defs/N" } }, $defs: { N: { type: "object", properties: { next: { $ref: "#/$defs/N" } } } } } as JsonSchema, "/properties/n/properties/next/$ref", /is recursive/],
    ["a dangling $ref", obj({ r: { $ref: "#/$defs/Nope" } }), "/properties/r/$ref", /does not name a definition/],
    ["a field name pol cannot write", obj({ "a-b": { type: "string" } }), "/properties/a-b", /property name `a-b` is not a pol field name/],
    ["a keyword pol ignores nothing of", obj({ p: { type: "object", properties: { a: { type: "string" } }, patternProperties: {} } }), "/properties/p/patternProperties", /`patternProperties` keyword has no pol equivalent/],
    ["allOf of two schemas", obj({ a: { allOf: [{ type: "string" }, { minLength: 1 }] } }), "/properties/a/allOf", /`allOf` of several schemas/],
    ["a null-only field", obj({ z: { type: "null" } }), "/properties/z/type", /only `null` is accepted/],
    ["a non-object input", { type: "string" } as JsonSchema, "/type", /must have type `object`/],
  ])("refuses %s, naming the path", (_name, schema, path, problem) => {
    const r = refusal(schema);
    expect(r.path).toBe(path);
    expect(r.problem).toMatch(problem);
  });

  it("compares a catalogue with a declaration, free-form objects matching any record", () => {
    const schema = obj({ to: { type: "string" }, att: { type: "array", items: { type: "object", additionalProperties: true } } }, ["to"]);
    const l = loadText("tool send { to: string, att?: list<{ type: string }> }\n", "t.pol");
    expect(schemaDiff(schema, metaOf(l.checked!).tools.get("send")!.args)).toEqual([]);
    const m = loadText("tool send { to?: number }\n", "t.pol");
    expect(schemaDiff(schema, metaOf(m.checked!).tools.get("send")!.args)).toEqual([
      "`to` is required in the catalogue", "`to`: the catalogue has string, the policy number", "`att` is in the catalogue but not declared",
    ]);
  });
});

describe("declarations", () => {
  it("writes formatted declarations pol accepts, with classes from the annotations and unmappable tools left out loudly", () => {
    const r = declareTools(parseToolsList({ tools: [
      { name: "files.read", description: "Read a file\nmore text", inputSchema: obj({ path: { type: "string" } }, ["path"]), annotations: { readOnlyHint: true } },
      { name: "github/create_issue", inputSchema: obj({ title: { type: "string" }, labels: { type: "array", items: { type: "string" } } }, ["title"]), annotations: { destructiveHint: false } },
      { name: "rm", inputSchema: obj({ path: { type: "string" } }, ["path"]) },
      { name: "and", inputSchema: obj({ x: { type: "object", additionalProperties: false } }) },
      { name: "weird \"name\"", inputSchema: { type: "object" } },
    ] }), { source: "`tools.json`", prefix: "" });
    expect(r.text).toBe([
      "# The tools of `tools.json`, written by `pol import mcp`. Review each class (read, write or",
      "# destructive, from the server's annotations) before relying on it, then write the rules.",
      "",
      "# Read a file",
      "tool files.read { path: string } read",
      "",
      "tool \"github/create_issue\" { title: string, labels?: list<string> } write",
      "",
      "tool rm { path: string } destructive",
      "",
      "# not declared: `and`: its input schema at `/properties/x`: an object that may have no properties has no pol type; declare `{}` by hand if that is meant",
      "",
      "tool \"weird \\\"name\\\"\" {} destructive",
      "",
    ].join("\n"));
    expect(r).toMatchObject({ declared: 4, problems: [{ tool: "and", path: "/properties/x" }] });
  });

  it("quotes names that are not dotted identifiers or start with an operator word", () => {
    expect(toolNameText("db.query")).toBe("db.query");
    expect(toolNameText("in.out")).toBe('"in.out"');
    expect(toolNameText("a b")).toBe('"a b"');
    expect(toolNameText("x\ny")).toBe('"x\\u{a}y"');
  });

  it("reads a tools/list result, a JSON-RPC response or a bare array, and says what is wrong with anything else", () => {
    const t = [{ name: "a" }];
    expect(parseToolsList({ tools: t })).toEqual(t);
    expect(parseToolsList({ jsonrpc: "2.0", id: 1, result: { tools: t } })).toEqual(t);
    expect(parseToolsList(t)).toEqual(t);
    expect(() => parseToolsList({ nope: 1 })).toThrow(/expected a `tools\/list` result/);
    expect(() => parseToolsList({ tools: [{ description: "x" }] })).toThrow("`tools[0]` has no `name` string");
  });
});

describe("pol import mcp", () => {
  it("declares the examples' saved catalogue exactly as the example policy does", async () => {
    const r = await pol(["import", "mcp", "--from", "examples/mcp_catalogue/tools.json"]);
    expect(r.code, r.err).toBe(0);
    const declared = metaOf(loadText(r.out, "imported.pol").checked!).tools;
    const example = metaOf(loadText(readFileSync(join(ROOT, "examples/mcp_catalogue/mcp_catalogue.pol"), "utf8"), "x.pol", () => "").checked!).tools;
    expect([...declared.keys()].sort()).toEqual([...example.keys()].sort());
    for (const [name, t] of declared) expect({ args: t.args, cls: t.toolClass }, name).toEqual({ args: example.get(name)!.args, cls: example.get(name)!.toolClass });
  });

  it("lists a live server over stdio and over HTTP through the SDK's client", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pol-import-"));
    const out = join(dir, "_fixture.pol");
    const r = await pol(["import", "mcp", "-o", out, "--prefix", "fx/", "--", process.execPath, SERVER, "stdio"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`wrote 10 tool declarations to ${out}\n`);
    const text = readFileSync(out, "utf8");
    expect(text).toContain('tool "fx/refund" { amount: number, customer: string } write');
    expect(text).toContain('tool "fx/lookup" { id: string } read');
    const up = await startHttpUpstream(join(dir, "calls.jsonl"));
    try {
      const h = await pol(["import", "mcp", "--url", up.url]);
      expect(h.code, h.err).toBe(0);
      expect(h.out).toContain("tool refund { amount: number, customer: string } write");
    } finally {
      up.proc.kill();
    }
  });

  it("exits 1 naming each schema path pol cannot type, and 2 on usage and I/O errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pol-import-"));
    const file = join(dir, "tools.json");
    writeFileSync(file, JSON.stringify({ tools: [{ name: "ok", inputSchema: obj({}) }, { name: "bad", inputSchema: obj({ m: { type: "object", additionalProperties: false } }) }] }));
    const r = await pol(["import", "mcp", "--from", file]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: tool `bad`: `/properties/m`: an object that may have no properties has no pol type; declare `{}` by hand if that is meant\n");
    expect(r.out).toContain("tool ok {} destructive");
    expect((await pol(["import", "mcp"])).err).toMatch(/name exactly one source/);
    expect(await pol(["import", "mcp", "--from", join(dir, "nope.json")])).toMatchObject({ code: 2, err: expect.stringMatching(/cannot read `.*nope\.json`/) });
    expect(await pol(["import", "mcp", "--timeout", "5000", "--", process.execPath, "-e", "process.exit(1)"])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: listing the tools failed: /) });
  });
});
