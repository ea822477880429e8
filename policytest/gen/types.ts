// Types and schemas as the input generators see them: a small mirror of the
// checker's types, with pol-syntax rendering. Shared by the call generator
// (calls.ts, spec.ts) and the test suite's policy generator (test/gen/policy.ts, expr.ts).

export type Ty =
  | { k: "number" }
  /** `values`: an enum (`"r" | "rw"`). */
  | { k: "string"; values?: string[] }
  | { k: "bool" }
  | { k: "list"; elem: Ty }
  /** `open`: other fields allowed (`{ a: string, ... }`). */
  | { k: "record"; fields: Field[]; open?: boolean };

export interface Field { name: string; type: Ty; optional: boolean }
export interface ToolSpec { name: string; quoted: boolean; fields: Field[] }

export const NUM: Ty = { k: "number" };
export const STR: Ty = { k: "string" };
export const BOOL: Ty = { k: "bool" };
export const list = (elem: Ty): Ty => ({ k: "list", elem });
export const rec = (...fields: Field[]): Ty => ({ k: "record", fields });
export const f = (name: string, type: Ty, optional = false): Field => ({ name, type, optional });

export type ScalarKind = "number" | "string" | "bool";
export const isScalar = (t: Ty): t is { k: ScalarKind } => t.k === "number" || t.k === "string" || t.k === "bool";

/** Structural equality as the checker's sameType: record fields match by name, in any order. */
export function tyEq(a: Ty, b: Ty): boolean {
  if (a.k !== b.k) return false;
  // As the checker: an enum is a string, an open record a record (only validation tells them apart).
  if (a.k === "list" && b.k === "list") return tyEq(a.elem, b.elem);
  if (a.k === "record" && b.k === "record") {
    return a.fields.length === b.fields.length && a.fields.every((x) => {
      const y = b.fields.find((g) => g.name === x.name);
      return y !== undefined && x.optional === y.optional && tyEq(x.type, y.type);
    });
  }
  return true;
}

export function showTy(t: Ty): string {
  switch (t.k) {
    case "number": case "bool": return t.k;
    case "string": return t.values ? t.values.map((v) => polString(v)).join(" | ") : "string";
    case "list": return `list<${showTy(t.elem)}>`;
    case "record": return `{ ${[...t.fields.map(showField), ...(t.open ? ["..."] : [])].join(", ")} }`;
  }
}
export const showField = (x: Field) => `${x.name}${x.optional ? "?" : ""}: ${showTy(x.type)}`;

/** A pol string literal for `s` (well-formed UTF-16); `escapeAll` writes every non-ASCII code point as `\u{...}`. */
export function polString(s: string, escapeAll = false): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (cp === 0) out += "\\0";
    else if (cp < 0x20 || cp === 0x7f || (escapeAll && cp > 0x7f)) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** A pol number expression for `v` (finite): negatives (and -0) through unary minus, big integers sometimes with `_`. */
export function polNumber(v: number, underscores = false): string {
  if (v < 0 || Object.is(v, -0)) return `-${polNumber(-v, underscores)}`;
  const s = String(v);
  if (underscores && /^\d{4,}$/.test(s)) return s.replace(/\B(?=(\d{3})+$)/g, "_");
  return s;
}

/** A target as written in a rule: dotted names bare, anything else quoted. */
export interface TargetSpec { text: string; quoted: boolean; glob: boolean; cls?: "read" | "write" | "destructive" }
export const showTarget = (t: TargetSpec) => (t.cls ? `class(${t.cls})` : t.quoted ? polString(t.text) : t.text);
