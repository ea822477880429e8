// JSON Schema (an MCP tool's `inputSchema`, an AgentDojo tool's `params`) as pol field types, and
// the comparison of a catalogue's schema with a policy's declaration. The one home of that mapping:
// `pol import mcp` (import.ts) writes `tool` declarations from it, strictly (anything pol cannot
// express is a SchemaError naming the schema path, never a silent `any`); examples.test.ts checks
// with schemaDiff that example policies still mirror their catalogues.

import { showType, type FieldType, type Type } from "../../language/types.js";

/** A JSON Schema, as far as tool catalogues use it. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  [key: string]: unknown;
}

/** A schema pol cannot express; `path` is a JSON Pointer into the tool's inputSchema. */
export class SchemaError extends Error {
  override readonly name = "SchemaError";
  constructor(readonly path: string, readonly problem: string) {
    super(`\`${path || "/"}\`: ${problem}`);
  }
}

/**
 * How a free-form object (`type: object` without `properties`) maps: to the open record `{ ... }`
 * (any object, no field readable) in both modes; in `open` mode (schemaDiff) it also matches any
 * declared record, so an author may declare the fields the policy reads, as
 * examples/agentdojo/_mail_calendar.pol does. An object with properties is closed unless its
 * `additionalProperties` allows more (`true` or a schema): then it is open (`{ a: string, ... }`).
 */
export type ObjectMode = "strict" | "open";

/** The type of a free-form object (`{ ... }`); in `open` mode compared by identity. */
export const OPEN: Type = { kind: "record", fields: [], open: true };

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keywords that constrain values without changing their pol type; the upstream still enforces them. */
const CONSTRAINTS = new Set([
  "title", "description", "default", "examples", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "$schema", "$id", "$comment",
  "readOnly", "writeOnly", "deprecated", "contentEncoding", "contentMediaType", "propertyNames",
]);
/** Keywords pol reads (the rest of the schema keywords are refused, so nothing is silently dropped). */
const STRUCTURE = new Set(["type", "properties", "required", "items", "anyOf", "oneOf", "allOf", "enum", "const", "$ref", "$defs", "definitions", "additionalProperties"]);

const ptr = (path: string, ...parts: (string | number)[]) => path + parts.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
const isSchema = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

interface Ctx {
  root: JsonSchema;
  mode: ObjectMode;
  /** $refs being expanded, to refuse recursive schemas (pol types are finite). */
  expanding: string[];
}

function resolveRef(s: JsonSchema, path: string, cx: Ctx): { schema: JsonSchema; ref?: string } {
  if (s.$ref === undefined) return { schema: s };
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
  const target = m ? (m[1] === "$defs" ? cx.root.$defs : cx.root.definitions)?.[m[2]!.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  if (!isSchema(target)) throw new SchemaError(ptr(path, "$ref"), `\`${s.$ref}\` does not name a definition in this schema`);
  if (cx.expanding.includes(s.$ref)) throw new SchemaError(ptr(path, "$ref"), `\`${s.$ref}\` is recursive; pol types are finite, so declare the levels the policy reads by hand`);
  const { $ref: _r, ...rest } = s;
  return { schema: { ...target, ...rest }, ref: s.$ref };
}

/** The pol type of a schema, and whether the schema admits null (pol: optional). */
function typeOf(s0: unknown, path: string, cx: Ctx): { type: Type; nullable: boolean } {
  if (s0 === true || (isSchema(s0) && Object.keys(s0).every((k) => CONSTRAINTS.has(k)))) throw new SchemaError(path, "any value is accepted here; pol has no `any` type, so declare the type the tool really takes");
  if (!isSchema(s0)) throw new SchemaError(path, "expected a schema object");
  const { schema: s, ref } = resolveRef(s0, path, cx);
  if (ref) cx.expanding.push(ref);
  try {
    for (const k of Object.keys(s)) if (!CONSTRAINTS.has(k) && !STRUCTURE.has(k)) throw new SchemaError(ptr(path, k), `the \`${k}\` keyword has no pol equivalent`);
    if (s.allOf !== undefined) {
      if (!Array.isArray(s.allOf) || s.allOf.length !== 1) throw new SchemaError(ptr(path, "allOf"), "`allOf` of several schemas has no pol type; write the combined record by hand");
      return typeOf(s.allOf[0], ptr(path, "allOf", 0), cx);
    }
    const branches = s.anyOf ?? s.oneOf;
    if (branches !== undefined) return union(branches, ptr(path, s.anyOf ? "anyOf" : "oneOf"), cx);
    if (s.const !== undefined) return { type: literalType([s.const], ptr(path, "const")), nullable: false };
    if (s.enum !== undefined) return enumType(s.enum, ptr(path, "enum"));
    return byType(s, path, cx);
  } finally {
    if (ref) cx.expanding.pop();
  }
}

/** anyOf/oneOf: `[T, null]` is an optional T; branches of one pol type are that type; anything else is refused. */
function union(branches: unknown, path: string, cx: Ctx): { type: Type; nullable: boolean } {
  if (!Array.isArray(branches) || branches.length === 0) throw new SchemaError(path, "expected a non-empty list of schemas");
  const isNull = (b: unknown) => isSchema(b) && b.type === "null" && Object.keys(b).every((k) => k === "type" || CONSTRAINTS.has(k));
  const some = branches.map((b, i) => ({ b, i })).filter(({ b }) => !isNull(b));
  if (some.length === 0) throw new SchemaError(path, "only `null` is accepted; pol has no null type");
  const types = some.map(({ b, i }) => typeOf(b, ptr(path, i), cx));
  const first = types[0]!.type;
  for (let k = 1; k < types.length; k++) {
    if (showType(types[k]!.type) !== showType(first)) throw new SchemaError(path, `the branches have different types (${showType(first)}, ${showType(types[k]!.type)}); pol has no union types`);
  }
  return { type: first, nullable: some.length < branches.length || types.some((t) => t.nullable) };
}

function literalType(values: unknown[], path: string): Type {
  const kinds = new Set(values.map((v) => (v === null ? "null" : typeof v)));
  // A string enum (or const) is a pol enum: `"r" | "rw"`. Numbers and bools stay their type.
  if (kinds.size === 1 && kinds.has("string")) return { kind: "string", values: [...new Set(values as string[])] };
  if (kinds.size === 1 && kinds.has("number")) return { kind: "number" };
  if (kinds.size === 1 && kinds.has("boolean")) return { kind: "bool" };
  throw new SchemaError(path, `values of kinds ${[...kinds].join(", ")} have no single pol type`);
}

function enumType(values: unknown, path: string): { type: Type; nullable: boolean } {
  if (!Array.isArray(values) || values.length === 0) throw new SchemaError(path, "expected a non-empty list of values");
  const some = values.filter((v) => v !== null);
  if (some.length === 0) throw new SchemaError(path, "only `null` is accepted; pol has no null type");
  return { type: literalType(some, path), nullable: some.length < values.length };
}

function byType(s: JsonSchema, path: string, cx: Ctx): { type: Type; nullable: boolean } {
  let t = s.type;
  let nullable = false;
  if (Array.isArray(t)) {
    const some = t.filter((x) => x !== "null");
    nullable = some.length < t.length;
    if (some.length !== 1) throw new SchemaError(ptr(path, "type"), some.length === 0 ? "only `null` is accepted; pol has no null type" : `types ${some.map((x) => `\`${x}\``).join(", ")} have no single pol type`);
    t = some[0];
  }
  switch (t) {
    case "string": return { type: { kind: "string" }, nullable };
    case "number":
    case "integer": return { type: { kind: "number" }, nullable };
    case "boolean": return { type: { kind: "bool" }, nullable };
    case "array": {
      if (s.items === undefined) throw new SchemaError(path, "an array without `items` has no pol element type; declare `list<T>` by hand");
      if (Array.isArray(s.items)) throw new SchemaError(ptr(path, "items"), "tuple arrays have no pol type");
      return { type: { kind: "list", elem: typeOf(s.items, ptr(path, "items"), cx).type }, nullable };
    }
    case "object": return { type: objectType(s, path, cx), nullable };
    case undefined:
      if (s.properties !== undefined) return { type: objectType(s, path, cx), nullable };
      throw new SchemaError(path, "the schema names no `type`");
    case "null": throw new SchemaError(ptr(path, "type"), "only `null` is accepted; pol has no null type");
    default: throw new SchemaError(ptr(path, "type"), `JSON Schema type \`${String(t)}\` has no pol type`);
  }
}

function objectType(s: JsonSchema, path: string, cx: Ctx): Type {
  if (s.properties === undefined || Object.keys(s.properties).length === 0) {
    if (s.additionalProperties === false) throw new SchemaError(path, "an object that may have no properties has no pol type; declare `{}` by hand if that is meant");
    return OPEN;
  }
  const open = s.additionalProperties === true || isSchema(s.additionalProperties);
  return { kind: "record", fields: fieldsIn(s, path, cx), ...(open ? { open: true } : {}) };
}

function fieldsIn(s: JsonSchema, path: string, cx: Ctx): FieldType[] {
  if (!isSchema(s.properties)) throw new SchemaError(ptr(path, "properties"), "expected an object of property schemas");
  const req = new Set(Array.isArray(s.required) ? s.required : []);
  return Object.entries(s.properties).map(([name, p]) => {
    const at = ptr(path, "properties", name);
    if (!FIELD_NAME.test(name)) throw new SchemaError(at, `property name \`${name}\` is not a pol field name (letters, digits and \`_\`, not starting with a digit)`);
    const { type, nullable } = typeOf(p, at, cx);
    return { name, type, optional: nullable || !req.has(name) };
  });
}

/** The fields of a tool's input schema (an object schema; an empty one means no arguments). Throws SchemaError. */
export function fieldsOf(schema: JsonSchema, mode: ObjectMode = "strict"): FieldType[] {
  if (!isSchema(schema)) throw new SchemaError("", "an input schema must be an object schema");
  const cx: Ctx = { root: schema, mode, expanding: [] };
  const { schema: s } = resolveRef(schema, "", cx);
  if (s.type !== undefined && s.type !== "object") throw new SchemaError("/type", "a tool's input schema must have type `object`");
  if (s.properties === undefined) return [];
  return fieldsIn(s, "", cx);
}

/** MCP tool annotations as a pol tool class: readOnlyHint → read; destructiveHint (true unless said otherwise) → destructive; else write. */
export function toolClassOf(annotations: { readOnlyHint?: unknown; destructiveHint?: unknown } | undefined): "read" | "write" | "destructive" {
  if (annotations?.readOnlyHint === true) return "read";
  return annotations?.destructiveHint === false ? "write" : "destructive";
}

function diffType(path: string, want: Type, got: Type, out: string[]): void {
  if (want === OPEN && got.kind === "record") return;
  if (want.kind !== got.kind || (want.kind === "string" && showType(want) !== showType(got))) {
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

/** Differences between a catalogue tool's schema and a policy's declaration of it; empty when they mirror. Free-form objects match any record. */
export function schemaDiff(schema: JsonSchema, declared: FieldType[]): string[] {
  const out: string[] = [];
  diffFields("", fieldsOf(schema, "open"), declared, out);
  return out;
}
