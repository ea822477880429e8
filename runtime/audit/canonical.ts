// Canonical JSON: the one byte sequence an audit record hashes to, whatever order its keys were
// built in. Fed audit entries by chain.ts (sealing) and parsed records by verify.ts (re-hashing);
// a PostgreSQL sink must hash with this same function to stay verifiable by `pol audit verify`.

/** A value JSON can carry unchanged through a stringify/parse round trip. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Thrown when a value cannot be encoded; `path` names the offending field (`args.amount`). */
export class NotJsonError extends TypeError {
  readonly path: string;

  constructor(path: string, what: string) {
    super(`audit entry field \`${path || "(root)"}\` ${what}; redact or convert it before appending`);
    this.name = "NotJsonError";
    this.path = path;
  }
}

/** Deeper nesting is refused rather than risking a stack overflow on hostile input. */
export const MAX_DEPTH = 128;

/**
 * Encodes `value` as JSON with object keys sorted recursively (UTF-16 code unit order, the
 * default of Array.prototype.sort), no whitespace, and numbers and strings exactly as
 * JSON.stringify writes them. Anything JSON.stringify would silently drop, alter or reject
 * (undefined, functions, symbols, bigints, NaN/Infinity, Dates, Maps, class instances, cycles,
 * sparse arrays) throws NotJsonError instead, so what is hashed is exactly what is stored.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, [], new Set());
}

/**
 * canonicalJson of `{ ...base, ...extra }` without building that object: copying a wide entry
 * costs more than the hashing on the append path. `extra` keys win over `base` keys.
 */
export function canonicalJsonWith(base: object, extra: Record<string, unknown>): string {
  const trail: Array<string | number> = [];
  const proto = Object.getPrototypeOf(base);
  if (proto !== Object.prototype && proto !== null) throw new NotJsonError("", "is not a plain object");
  const open = new Set<object>([base]);
  const rec = base as Record<string, unknown>;
  const keys = Object.keys(base).filter((k) => !Object.prototype.hasOwnProperty.call(extra, k));
  keys.push(...Object.keys(extra));
  keys.sort(byCodeUnits);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    trail.push(k);
    const v = Object.prototype.hasOwnProperty.call(extra, k) ? extra[k] : rec[k];
    out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:${encode(v, trail, open)}`;
    trail.pop();
  }
  return `${out}}`;
}

/** The order of Array.prototype.sort's default for strings, without its per-call string coercion. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `trail` is the key path to `value`, kept as a stack and only formatted for an error message. */
function encode(value: unknown, trail: Array<string | number>, open: Set<object>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new NotJsonError(formatPath(trail), `is ${String(value)}, which json cannot represent`);
      return JSON.stringify(value);
    case "object":
      if (value === null) return "null";
      return encodeContainer(value, trail, open);
    default:
      throw new NotJsonError(formatPath(trail), `is a ${typeof value}, which json cannot represent`);
  }
}

function encodeContainer(value: object, trail: Array<string | number>, open: Set<object>): string {
  if (trail.length >= MAX_DEPTH) throw new NotJsonError(formatPath(trail), `is nested more than ${MAX_DEPTH} levels deep`);
  if (open.has(value)) throw new NotJsonError(formatPath(trail), "refers back to itself (a cycle)");
  open.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) {
      trail.push(i);
      if (!Object.prototype.hasOwnProperty.call(value, i)) throw new NotJsonError(formatPath(trail), "is a hole in a sparse array");
      out += (i > 0 ? "," : "") + encode(value[i], trail, open);
      trail.pop();
    }
    out += "]";
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "non-plain object";
      throw new NotJsonError(formatPath(trail), `is a ${name}, not a plain object`);
    }
    const keys = Object.keys(value).sort(byCodeUnits);
    const rec = value as Record<string, unknown>;
    out = "{";
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      trail.push(k);
      out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:${encode(rec[k], trail, open)}`;
      trail.pop();
    }
    out += "}";
  }
  open.delete(value);
  return out;
}

/** `args.items[2]["odd key"]`: how a field is named in error messages. */
function formatPath(trail: Array<string | number>): string {
  let path = "";
  for (const k of trail) {
    if (typeof k === "number") path += `[${k}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(k)) path += path ? `.${k}` : k;
    else path += `[${JSON.stringify(k)}]`;
  }
  return path;
}
