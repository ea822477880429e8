// One read of a call, made before anything decides on it: a copy built from plain data, so the
// policy, the limits, the approval binding, the audit record and a guarded tool all see the same
// values. Fed every call by engine.ts (decide) and guard.ts (the args it executes with).
//
// Why: a call is caller-controlled JavaScript. A getter or Proxy can answer differently on each
// read (the audit once showed other values than were decided; a $10 refund was decided and
// $100,000 executed), throw half-way (the call was denied but never audited), or hang inherited
// values on Object.prototype (`Object.prototype.id` made the policy and the audit disagree on the
// agent). Copying own enumerable properties once, into plain objects and arrays, closes all three.
// The copy also bounds the call's total size before any of it reaches wasm memory (a
// 200M-character call once grew it to 400 MB for good).

/** Total size of a call: string lengths (UTF-16 units) plus list lengths plus object keys. */
export const DEFAULT_MAX_CALL_SIZE = 4_000_000;
const MAX_DEPTH = 64;

/** Values parseCall made that no decision has read yet (each is taken once, by snapshotCall). */
const PARSED = new WeakSet<object>();

/**
 * JSON.parse for a call body pol itself received (pol serve's decision API): what it returns is
 * plain data by construction and held by nobody else, so snapshotCall measures it instead of
 * copying it (the copy's property descriptors were 1.3 KB of garbage per request). Not exported
 * from the package: a caller could change the value between parsing and deciding. Throws what
 * JSON.parse throws.
 */
export function parseCall(text: string): unknown {
  const v: unknown = JSON.parse(text);
  if (typeof v === "object" && v !== null) PARSED.add(v);
  return v;
}

export interface Snapshot {
  /** The copy: plain objects and arrays, primitives as they were; a partial copy when `problem` is set. */
  value: unknown;
  /** Why the call cannot be decided on (it could not be read, is not plain data, or is too large); a deny reason. */
  problem?: string;
}

class Unreadable extends Error {}
/** The size limit was passed: copying stops at once (reading on would cost what the limit prevents). */
class TooLarge extends Unreadable {}

const SKIP = Symbol("skip");
/** A field path as a person reads it (`args.items[2].sku`), from the trail of keys to it. */
function pathOf(trail: string[]): string {
  let path = "";
  for (const key of trail) path = path === "" ? key : /^\d+$/.test(key) ? `${path}[${key}]` : `${path}.${key}`;
  return path;
}
/** A field path in a message, shortened past 60 characters (a 64-deep path would fill the line). */
const where = (trail: string[]): string => {
  const path = pathOf(trail);
  return path === "" ? "the call" : `\`${path.length > 60 ? `${path.slice(0, 60)}…` : path}\``;
};

/**
 * The copier. Paths are kept as a stack of keys and only formatted for a message, and copies are
 * object literals (a `__proto__` key defined as data): building every path string, and objects
 * made with a null prototype then given Object.prototype, had made the copy 1.8 µs for a
 * support-agent call and every later read of it slow (spreading it took 665 ns against 25 ns).
 */
class Copier {
  size = 0;
  problem: string | undefined;
  readonly trail: string[] = [];

  constructor(private readonly maxSize: number) {}

  private charge(n: number): void {
    this.size += n;
    if (this.size > this.maxSize) throw new TooLarge(`${where(this.trail)} makes the call larger than ${this.maxSize} characters, list items and keys in all (\`maxCallSize\`)`);
  }

  copy(v: unknown, depth: number): unknown {
    if (typeof v === "string") {
      this.charge(v.length);
      return v;
    }
    if (typeof v !== "object" || v === null) return v; // numbers, booleans, undefined, bigint, symbols, functions: validation names them
    if (depth >= MAX_DEPTH) throw new Unreadable(`${where(this.trail)} is nested more than ${MAX_DEPTH} levels deep`);
    if (Array.isArray(v)) {
      const n = v.length;
      this.charge(n);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.field(v, String(i), depth);
      return out;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new Unreadable(`${where(this.trail)} is not plain data (an instance of a class); calls must be JSON-like`);
    const keys = Object.keys(v);
    this.charge(keys.length);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const x = this.field(v as Record<string, unknown>, k, depth);
      if (x === SKIP) continue;
      // Plain assignment of `__proto__` would set the prototype; as data, validation then refuses it.
      if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
      else out[k] = x;
    }
    return out;
  }

  /**
   * What copy() charges and refuses, without copying: for values JSON.parse made (parseCall),
   * which have only own data properties, plain prototypes and no cycles. Throws as copy() does.
   */
  measure(v: unknown, depth: number): void {
    if (typeof v === "string") return this.charge(v.length);
    if (typeof v !== "object" || v === null) return;
    if (depth >= MAX_DEPTH) throw new Unreadable(`${where(this.trail)} is nested more than ${MAX_DEPTH} levels deep`);
    if (Array.isArray(v)) {
      this.charge(v.length);
      for (let i = 0; i < v.length; i++) this.measure(v[i], depth + 1);
      return;
    }
    const keys = Object.keys(v);
    this.charge(keys.length);
    for (const k of keys) this.measure((v as Record<string, unknown>)[k], depth + 1);
  }

  /**
   * One property, read once. A field that cannot be read is left out of the copy (the first such
   * problem is kept), so the audit record still shows the rest; only TooLarge stops the copy.
   */
  field(o: object, key: string, depth: number): unknown {
    this.trail.push(key);
    try {
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d === undefined) return SKIP;
      if (!("value" in d)) throw new Unreadable(`${where(this.trail)} is an accessor property; calls must be plain data`);
      return this.copy(d.value, depth + 1);
    } catch (e) {
      if (e instanceof TooLarge) throw e;
      this.problem ??= reason(e);
      return SKIP;
    } finally {
      this.trail.pop();
    }
  }
}

/**
 * Copies `call` once (own enumerable data properties only; accessors, class instances, cycles
 * past the depth limit and calls over `maxSize` are problems). Never throws: whatever goes wrong
 * is `problem`, and `value` holds what could be read, for the audit record.
 */
export function snapshotCall(call: unknown, maxSize = DEFAULT_MAX_CALL_SIZE): Snapshot {
  const c = new Copier(maxSize);
  if (typeof call === "object" && call !== null && PARSED.delete(call)) {
    // Made by parseCall and touched by nobody since: it is the one read. Measured, not copied;
    // over a limit, the copier below makes the partial copy and the message it always makes.
    try {
      c.measure(call, 0);
      return { value: call };
    } catch {
      c.size = 0;
    }
  }
  if (typeof call !== "object" || call === null || Array.isArray(call)) {
    try {
      return { value: c.copy(call, 0) };
    } catch (e) {
      return { value: undefined, problem: reason(e) };
    }
  }
  // Field by field, so a problem deep in `args` still leaves tool, agent and run readable.
  let keys: string[];
  try {
    const proto = Object.getPrototypeOf(call);
    if (proto !== Object.prototype && proto !== null) return { value: {}, problem: "the call is not plain data (an instance of a class); calls must be JSON-like" };
    keys = Object.keys(call);
  } catch (e) {
    return { value: {}, problem: reason(e) };
  }
  const out: Record<string, unknown> = {};
  try {
    for (const k of keys) {
      const x = c.field(call, k, 0);
      if (x === SKIP) continue;
      if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
      else out[k] = x;
    }
  } catch (e) {
    c.problem ??= reason(e); // TooLarge: what was copied so far stays, for the audit record
  }
  return c.problem === undefined ? { value: out } : { value: out, problem: c.problem };
}

function reason(e: unknown): string {
  if (e instanceof Unreadable) return e.message;
  if (e instanceof RangeError) return "the call is nested too deeply to read";
  const m = e instanceof Error ? e.message : String(e);
  return `the call could not be read: ${(m.split("\n")[0] ?? "").slice(0, 300)}`;
}
