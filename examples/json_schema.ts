// JSON Schema tool definitions (MCP `inputSchema`, AgentDojo `params`) as pol
// field types, and a comparison against a policy's declared tools. Used by
// examples.test.ts to prove that a policy's schemas mirror the catalogue.

import type { FieldType, Type } from "../language/types.js";
import { showType } from "../language/types.js";

/** A JSON Schema object, as far as tool catalogues use it. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
}

/**
 * An object with `additionalProperties` and no `properties` has no fixed
 * shape: pol declares a record of the fields it reads, so any record matches.
 */
const OPEN: Type = { kind: "record", fields: [] };
const isOpen = (t: Type) => t === OPEN;

function resolve(s: JsonSchema, root: JsonSchema): JsonSchema {
  if (s.$ref === undefined) return s;
  const name = s.$ref.replace(/^#\/\$defs\//, "");
  const target = root.$defs?.[name];
  if (!target) throw new Error(`unresolved $ref \`${s.$ref}\``);
  return { ...target, ...s, $ref: undefined };
}

/** The pol type of a schema, and whether the schema admits null (pol: optional). */
function typeOf(s0: JsonSchema, root: JsonSchema): { type: Type; nullable: boolean } {
  const s = resolve(s0, root);
  if (s.anyOf) {
    const some = s.anyOf.filter((x) => x.type !== "null");
    if (some.length !== 1) throw new Error(`anyOf with ${some.length} non-null branches has no pol type`);
    return { type: typeOf(some[0]!, root).type, nullable: some.length < s.anyOf.length };
  }
  switch (s.type) {
    case "string": return { type: { kind: "string" }, nullable: false };
    case "number":
    case "integer": return { type: { kind: "number" }, nullable: false };
    case "boolean": return { type: { kind: "bool" }, nullable: false };
    case "array": return { type: { kind: "list", elem: s.items ? typeOf(s.items, root).type : OPEN }, nullable: false };
    case "object":
      if (!s.properties) return { type: OPEN, nullable: false };
      return { type: { kind: "record", fields: fieldsOf(s, root) }, nullable: false };
    default: throw new Error(`JSON Schema type \`${String(s.type)}\` has no pol type`);
  }
}

/** The fields of an object schema: optional when not required or nullable. */
export function fieldsOf(schema: JsonSchema, root: JsonSchema = schema): FieldType[] {
  const req = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const { type, nullable } = typeOf(p, root);
    return { name, type, optional: nullable || !req.has(name) };
  });
}

function diffType(path: string, want: Type, got: Type, out: string[]): void {
  if (isOpen(want) && got.kind === "record") return;
  if (want.kind !== got.kind) {
    out.push(`\`${path}\`: the catalogue has ${showType(want)}, the policy ${showType(got)}`);
    return;
  }
  if (want.kind === "list" && got.kind === "list") diffType(`${path}[]`, want.elem, got.elem, out);
  if (want.kind === "record" && got.kind === "record") diffFields(path, want.fields, got.fields, out);
}

function diffFields(path: string, want: FieldType[], got: FieldType[], out: string[]): void {
  for (const w of want) {
    const g = got.find((f) => f.name === w.name);
    const p = path ? `${path}.${w.name}` : w.name;
    if (!g) out.push(`\`${p}\` is in the catalogue but not declared`);
    else {
      if (g.optional !== w.optional) out.push(`\`${p}\` is ${w.optional ? "optional" : "required"} in the catalogue`);
      diffType(p, w.type, g.type, out);
    }
  }
  for (const g of got) if (!want.some((w) => w.name === g.name)) out.push(`\`${path ? `${path}.` : ""}${g.name}\` is declared but not in the catalogue`);
}

/** Differences between a catalogue tool's schema and a policy's declaration of it; empty when they mirror. */
export function schemaDiff(schema: JsonSchema, declared: FieldType[]): string[] {
  const out: string[] = [];
  diffFields("", fieldsOf(schema), declared, out);
  return out;
}
