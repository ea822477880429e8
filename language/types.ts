// The types of pol values. Produced by the checker from schema declarations
// and expressions; read by the interpreter's validator, the compiler's slot
// allocator and the runtime's call validator.

export type Type =
  | { kind: "number" }
  /** `values`: an enum (`"r" | "rw"`), a string that must be one of them; otherwise any string. */
  | { kind: "string"; values?: readonly string[] }
  | { kind: "bool" }
  | { kind: "list"; elem: Type }
  /** `open`: the value may have other fields, which are never checked nor read. */
  | { kind: "record"; fields: FieldType[]; open?: boolean }
  /** A map written in a `let` (`{ 6: ..., 7: ... }`), read by key: `m[k]`. */
  | { kind: "map"; key: Type; value: Type }
  /** The element type of `[]`: compatible with every type. */
  | { kind: "never" }
  /** Produced after an error has been reported, so one mistake is reported once. */
  | { kind: "error" };

export interface FieldType {
  name: string;
  type: Type;
  optional: boolean;
}

export const NUMBER: Type = { kind: "number" };
export const STRING: Type = { kind: "string" };
export const BOOL: Type = { kind: "bool" };
export const NEVER: Type = { kind: "never" };
export const ERROR: Type = { kind: "error" };
export const listOf = (elem: Type): Type => ({ kind: "list", elem });

/** Renders a type the way a policy author writes it: `list<string>`, `{ a: number, b?: bool }`. */
export function showType(t: Type): string {
  switch (t.kind) {
    case "number":
    case "bool":
      return t.kind;
    case "string":
      return t.values ? t.values.map((v) => JSON.stringify(v)).join(" | ") : "string";
    case "list":
      return `list<${showType(t.elem)}>`;
    case "record":
      return `{ ${[...t.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${showType(f.type)}`), ...(t.open ? ["..."] : [])].join(", ")} }`;
    case "map":
      return `map<${showType(t.key)}, ${showType(t.value)}>`;
    case "never":
      return "never";
    case "error":
      return "<error>";
  }
}

/**
 * Structural equality; `never` and `error` are equal to anything so errors do not cascade. An
 * enum is a string and an open record a record here: they are read and encoded alike, and only
 * validation (each tool by its own schema) looks at the values and the openness.
 */
export function sameType(a: Type, b: Type): boolean {
  if (a.kind === "error" || b.kind === "error" || a.kind === "never" || b.kind === "never") return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === "list" && b.kind === "list") return sameType(a.elem, b.elem);
  if (a.kind === "map" && b.kind === "map") return sameType(a.key, b.key) && sameType(a.value, b.value);
  if (a.kind === "record" && b.kind === "record") {
    if (a.fields.length !== b.fields.length) return false;
    return a.fields.every((f) => {
      const g = b.fields.find((x) => x.name === f.name);
      return g !== undefined && g.optional === f.optional && sameType(f.type, g.type);
    });
  }
  return true;
}

/** The more specific of two compatible types (a list of `never` joins with a list of strings as the latter). */
export function joinType(a: Type, b: Type): Type {
  if (a.kind === "never" || a.kind === "error") return b;
  if (b.kind === "never" || b.kind === "error") return a;
  if (a.kind === "list" && b.kind === "list") return listOf(joinType(a.elem, b.elem));
  // An enum joined with another string is a string (`["r", x]`).
  if (a.kind === "string" && b.kind === "string" && a.values !== b.values) return STRING;
  return a;
}
