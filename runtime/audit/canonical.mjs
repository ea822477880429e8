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
  // When every object's keys are in canonical order already (records read back by verify.ts, the
  // Engine's own entries), JSON.stringify writes the same text after the same checks, about 3×
  // faster than encoding in JavaScript; toJSON on a polluted Object.prototype is never called.
  if (inOrder(value) && Object.prototype.toJSON === undefined) return JSON.stringify(value);
  return encode(value, [], new Set());
}

/** check() as a yes/no: false on anything encode would refuse too, so encode reports it as it always has (in key order). */
function inOrder(value) {
  try {
    return check(value, [], new Set());
  } catch {
    return false;
  }
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
 * The canonical JSON of `{ ...entry, seq, prev }` around the 64 characters of `prev`: `head` ends
 * with `"prev":"` and `tail` starts with the `"` after the hash, so that body = head + prev + tail
 * (byte-identical to canonicalJsonWith(entry, { seq, prev })). Throws NotJsonError where
 * canonicalJson would. What JsonlAuditLog.append queues: its writer thread fills in `prev` and
 * hashes the bytes without parsing them. When every object below the entry already has its keys
 * in canonical order (the Engine builds its entries so), the two halves are written by
 * JSON.stringify after a check that reads each value once, about 4× cheaper than encoding in
 * JavaScript; other entries are encoded by canonicalJson. `entry` must not set seq or prev
 * (chain.ts checkEntry).
 */
export function entryBody(entry, seq) {
  const proto = Object.getPrototypeOf(entry);
  if (proto !== Object.prototype && proto !== null) throw new NotJsonError("", "is not a plain object");
  const keys = Object.keys(entry);
  // JSON.stringify honours a toJSON found on a polluted Object.prototype; canonicalJson never calls one
  let sorted = Object.prototype.toJSON === undefined;
  let ordered = true;
  const before = {};
  const after = {};
  let seqPlaced = false;
  const trail = [];
  const open = new Set([entry]);
  try {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (i > 0 && !(keys[i - 1] < k)) ordered = false;
      if (indexLike(k)) sorted = false;
      const v = entry[k];
      trail.push(k);
      if (!check(v, trail, open)) sorted = false;
      trail.pop();
      // Placed as read; when the keys turn out not to be in order, the halves are rebuilt below.
      if (k < "prev") define(before, k, v);
      else {
        if (!seqPlaced && k > "seq") {
          after.seq = seq;
          seqPlaced = true;
        }
        define(after, k, v);
      }
    }
  } catch (e) {
    // the error canonicalJsonWith gives, which walks the keys in canonical order
    canonicalJsonWith(entry, { seq, prev: "0".repeat(64) });
    throw e;
  }
  if (!seqPlaced) after.seq = seq;
  return ordered ? halves(before, after, sorted) : halves(...split(entry, keys, seq), sorted);
}

/** head and tail from the two halves of the record (keys before and after `prev`, each in canonical order). */
function halves(before, after, sorted) {
  const a = sorted ? JSON.stringify(before) : canonicalJson(before);
  const b = sorted ? JSON.stringify(after) : canonicalJson(after);
  return { head: `${a.length > 2 ? `${a.slice(0, -1)},` : "{"}"prev":"`, tail: `",${b.slice(1)}` };
}

/**
 * The halves of an entry whose keys were not in canonical order, rebuilt in that order (reading
 * the values again: the Engine's entries never take this path).
 */
function split(entry, keys, seq) {
  const before = {};
  const after = {};
  let seqPlaced = false;
  for (const k of [...keys].sort(byCodeUnits)) {
    if (k < "prev") define(before, k, entry[k]);
    else {
      if (!seqPlaced && k > "seq") {
        after.seq = seq;
        seqPlaced = true;
      }
      define(after, k, entry[k]);
    }
  }
  if (!seqPlaced) after.seq = seq;
  return [before, after];
}

/** Sets a data property, a `__proto__` key included (plain assignment would set the prototype). */
function define(o, key, value) {
  if (key === "__proto__") Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** Keys JavaScript enumerates before all others, whatever their insertion order (array indices); checked loosely. */
const indexLike = (k) => k.length > 0 && k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57;

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

/**
 * encode's checks without the encoding: throws NotJsonError where encode would. Returns whether
 * every object inside has its keys in canonical order already (so JSON.stringify writes it
 * canonically).
 */
function check(value, trail, open) {
  switch (typeof value) {
    case "string": case "boolean": return true;
    case "number":
      if (!Number.isFinite(value)) throw new NotJsonError(formatPath(trail), `is ${String(value)}, which json cannot represent`);
      return true;
    case "object":
      if (value === null) return true;
      break;
    default:
      throw new NotJsonError(formatPath(trail), `is a ${typeof value}, which json cannot represent`);
  }
  enter(value, trail, open);
  let sorted = true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      trail.push(i);
      if (!Object.prototype.hasOwnProperty.call(value, i)) throw new NotJsonError(formatPath(trail), "is a hole in a sparse array");
      if (!check(value[i], trail, open)) sorted = false;
      trail.pop();
    }
  } else {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if ((i > 0 && !(keys[i - 1] < k)) || indexLike(k)) sorted = false;
      trail.push(k);
      if (!check(value[k], trail, open)) sorted = false;
      trail.pop();
    }
  }
  open.delete(value);
  return sorted;
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
