// Canonical JSON: the one byte sequence an audit record hashes to, whatever order its keys were
// built in. Fed audit entries by chain.ts (sealing), by the writer thread (writer.mjs seals what
// jsonl.ts queued) and parsed records by verify.ts (re-hashing); the PostgreSQL sink hashes with
// this same function. Plain JavaScript so the writer thread loads it as is; types in canonical.d.mts.

/** Thrown when a value cannot be encoded; `path` names the offending field (`args.amount`). */
export class NotJsonError extends TypeError {
  constructor(path, what) {
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
export function canonicalJson(value) {
  return encode(value, [], new Set());
}

/**
 * canonicalJson of `{ ...base, ...extra }` without building that object: copying a wide entry
 * costs more than the hashing on the append path. `extra` keys win over `base` keys.
 */
export function canonicalJsonWith(base, extra) {
  const trail = [];
  const proto = Object.getPrototypeOf(base);
  if (proto !== Object.prototype && proto !== null) throw new NotJsonError("", "is not a plain object");
  const open = new Set([base]);
  const keys = Object.keys(base).filter((k) => !Object.prototype.hasOwnProperty.call(extra, k));
  keys.push(...Object.keys(extra));
  keys.sort(byCodeUnits);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    trail.push(k);
    const v = Object.prototype.hasOwnProperty.call(extra, k) ? extra[k] : base[k];
    out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:${encode(v, trail, open)}`;
    trail.pop();
  }
  return `${out}}`;
}

/**
 * The JSON text of `value` (an audit entry) with the same keys and values canonicalJson would
 * encode, in the object's own key order: JSON.stringify after the checks canonicalJson makes, so
 * it throws NotJsonError for the same values. About 4× cheaper than canonicalJson (no sorting, no
 * string building in JavaScript): what JsonlAuditLog.append queues, leaving the sorting to the
 * writer thread, which parses the text back (an exact round trip for values that pass the checks).
 */
export function jsonText(value) {
  check(value, [], new Set());
  // JSON.stringify honours toJSON found on the prototype chain, which check() cannot see on a
  // polluted Object.prototype: then encode canonically, which never calls it.
  return Object.prototype.toJSON === undefined ? JSON.stringify(value) : canonicalJson(value);
}

/** The order of Array.prototype.sort's default for strings, without its per-call string coercion. */
function byCodeUnits(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `trail` is the key path to `value`, kept as a stack and only formatted for an error message. */
function encode(value, trail, open) {
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

/** Refuses what a container may not be (too deep, a cycle, a class instance); marks it open. */
function enter(value, trail, open) {
  if (trail.length >= MAX_DEPTH) throw new NotJsonError(formatPath(trail), `is nested more than ${MAX_DEPTH} levels deep`);
  if (open.has(value)) throw new NotJsonError(formatPath(trail), "refers back to itself (a cycle)");
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = value.constructor?.name ?? "non-plain object";
      throw new NotJsonError(formatPath(trail), `is a ${name}, not a plain object`);
    }
  }
  open.add(value);
}

function encodeContainer(value, trail, open) {
  enter(value, trail, open);
  let out;
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
    const keys = Object.keys(value).sort(byCodeUnits);
    out = "{";
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      trail.push(k);
      out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:${encode(value[k], trail, open)}`;
      trail.pop();
    }
    out += "}";
  }
  open.delete(value);
  return out;
}

/** encode's checks without the encoding: throws NotJsonError where encode would. */
function check(value, trail, open) {
  switch (typeof value) {
    case "string": case "boolean": return;
    case "number":
      if (!Number.isFinite(value)) throw new NotJsonError(formatPath(trail), `is ${String(value)}, which json cannot represent`);
      return;
    case "object":
      if (value === null) return;
      break;
    default:
      throw new NotJsonError(formatPath(trail), `is a ${typeof value}, which json cannot represent`);
  }
  enter(value, trail, open);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      trail.push(i);
      if (!Object.prototype.hasOwnProperty.call(value, i)) throw new NotJsonError(formatPath(trail), "is a hole in a sparse array");
      check(value[i], trail, open);
      trail.pop();
    }
  } else {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      trail.push(keys[i]);
      check(value[keys[i]], trail, open);
      trail.pop();
    }
  }
  open.delete(value);
}

/** `args.items[2]["odd key"]`: how a field is named in error messages. */
function formatPath(trail) {
  let path = "";
  for (const k of trail) {
    if (typeof k === "number") path += `[${k}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(k)) path += path ? `.${k}` : k;
    else path += `[${JSON.stringify(k)}]`;
  }
  return path;
}
