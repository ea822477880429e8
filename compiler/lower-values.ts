// Lowering of the record and map values written in lets: a field of a record
// literal is its expression; a lookup `m[k]` in a map literal is a `sel` over
// the map's constant keys (one branch per entry), and a list found by lookup
// is distributed: `x in m[k]` is a `sel` of `x in <each list>`. Called by
// lower.ts wherever a path, `has`, `in`, `len` or a quantifier meets a let value.

import type { Expr, PathExpr, PathSegment } from "../language/ast.js";
import type { IR, Scalar } from "./ir.js";

/** What lower-values needs of the lowerer. */
export interface ValueLowerer {
  /** Lowers an expression in the current environment (map keys may read quantifier variables). */
  expr(e: Expr): IR;
  /** Lowers a let's own expression (closed: it reads no variables). */
  closed(e: Expr): IR;
}

/** A lookup in a map literal: the key, and per entry the constant key and the value after the path's remaining segments. */
export interface Cases {
  key: IR;
  keyT: Scalar;
  keys: IR[];
  values: Expr[];
}

const keyIR = (k: number | string): IR => (typeof k === "number" ? { k: "num", v: k } : { k: "str", v: k });

/** `value` with record fields walked (`{ a: { b: 1 } }` then `.a.b` is `1`); a path value is extended instead. */
export function project(value: Expr, segs: readonly PathSegment[]): Expr | undefined {
  let v = value;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (v.kind === "path") return { ...v, segments: [...v.segments, ...segs.slice(i)], ref: { ...v.ref!, fields: [...v.ref!.fields, ...segs.slice(i).map((s) => s.name)] } as PathExpr["ref"] };
    if (seg.index || v.kind !== "record") return undefined;
    const f = v.fields.find((x) => x.name === seg.name);
    if (!f) return undefined;
    v = f.value;
  }
  return v;
}

/** The lookup a let path makes (`orders[args.id].to`): undefined when the path has no `[key]`. The checker allows one per path. */
export function cases(value: Expr, segs: readonly PathSegment[], L: ValueLowerer): Cases | undefined {
  const at = segs.findIndex((s) => s.index !== undefined);
  if (at < 0) return undefined;
  let map = project(value, segs.slice(0, at));
  // A let naming another let: follow it to the literal.
  for (let d = 0; d < 64 && map?.kind === "path" && map.segments.length === 0 && map.ref?.kind === "let"; d++) map = map.ref.decl.value;
  if (map?.kind !== "map") throw new Error("internal error: a lookup in something that is not a map literal");
  const rest = segs.slice(at + 1);
  const keyT: Scalar = typeof map.entries[0]?.key === "string" ? "string" : "number";
  const values = map.entries.map((x) => {
    const v = project(x.value, rest);
    if (!v) throw new Error("internal error: a field of a map value that is not a record literal");
    return v;
  });
  return { key: L.expr(segs[at]!.index!), keyT, keys: map.entries.map((x) => keyIR(x.key)), values };
}

/** A lookup's value as a `sel`, each branch built by `build` from the entry's value (a scalar, or `x in list`, `len(list)`...). */
export function sel(c: Cases, t: Scalar, build: (value: Expr) => IR): IR {
  return { k: "sel", t, keyT: c.keyT, key: c.key, keys: c.keys, values: c.values.map(build) };
}

/** `has m[k]...`: whether the key is one of the map's (record literal fields are never absent). */
export function hasKey(c: Cases): IR {
  return { k: "inlit", t: c.keyT, l: c.key, items: c.keys, negate: false };
}
