// What the Engine writes to the audit log: decision, outcome, error and admin entries, with
// arguments redacted (declared paths plus default secrets, via runtime/audit's redact) and then
// made JSON-safe and bounded. Fed by engine.ts and guard.ts; the entries go to an AuditSink.
//
// Why bound the copy: a hostile call (a 10 MB string, a 10,000-item list, NaN, a BigInt) must be
// denied and audited without making the log the victim. Strings longer than `maxString` are cut
// with a note of how much was dropped; after a total budget per entry only markers remain;
// values JSON cannot carry become descriptive strings, so appending never fails on them.

import { CYCLE, isSecretKey, MAX_REDACT_DEPTH, REDACTED, TOO_DEEP, type AuditEntry } from "./audit/index.js";

/** Total characters of argument text one entry may carry before strings are omitted. */
const BUDGET = 64 * 1024;
const MAX_ITEMS = 1000;
const MAX_KEY = 256;

interface Budget { left: number; maxString: number; maxItems: number }

function text(s: string, b: Budget): string {
  if (b.left <= 0) return `[omitted: ${s.length} chars over the audit size budget]`;
  const keep = Math.min(s.length, b.maxString, b.left);
  b.left -= keep;
  return keep === s.length ? s : `${s.slice(0, keep)}…[cut: ${s.length - keep} more chars]`;
}

/** Redact lists split into segments, by list (a policy's list is one array for its lifetime). */
const splitPaths = new WeakMap<readonly string[], string[][] | "all">();

/**
 * The paths below `{ args }`'s `args` (redact paths are written from the call's root:
 * `args.card_number`), or "all" when one names `args` itself.
 */
function argsPaths(paths: readonly string[]): string[][] | "all" {
  let live = splitPaths.get(paths);
  if (!live) {
    const below: string[][] = [];
    for (const p of paths) {
      const segs = p.split(".");
      if (segs.some((s) => s.length === 0) || (segs[0] !== "args" && segs[0] !== "*")) continue;
      below.push(segs.slice(1));
    }
    live = below.some((segs) => segs.length === 0) ? "all" : below;
    splitPaths.set(paths, live);
  }
  return live;
}

/**
 * One walk doing what redact() (audit/redact.ts) then a bounded JSON-safe copy would: secret keys
 * and `live` paths become "[redacted]", cycles "[cycle]", containers deeper than redact's limit
 * "[too deep]", Dates ISO strings; strings are cut to the budget, lists and objects to maxItems,
 * values JSON cannot carry become descriptive strings. One pass without closures or intermediate
 * copies: the two passes were about 9% of Engine.decide (profile in benchmarks/FINDINGS.md).
 */
function bounded(v: unknown, live: string[][] | null, b: Budget, depth: number, open: Set<object>): unknown {
  switch (typeof v) {
    case "string": return text(v, b);
    case "number": return Number.isFinite(v) ? v : `[${String(v)}]`;
    case "boolean": return v;
    case "undefined": return "[undefined]";
    case "bigint": return `[bigint ${text(v.toString(), b)}]`;
    case "object": break;
    default: return `[${typeof v}]`;
  }
  if (v === null) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : text(v.toISOString(), b);
  if (open.has(v)) return text(CYCLE, b);
  if (depth >= MAX_REDACT_DEPTH) return text(TOO_DEEP, b);
  open.add(v);
  let out: unknown;
  if (Array.isArray(v)) {
    const n = Math.min(v.length, b.maxItems);
    const xs: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) xs[i] = child(String(i), v[i], live, b, depth, open);
    if (v.length > n) xs.push(`[cut: ${v.length - n} more items]`);
    out = xs;
  } else {
    const keys = Object.keys(v);
    const n = Math.min(keys.length, b.maxItems);
    // Values in the object's own order (the budget runs out in that order), inserted with keys in
    // canonical order, so the audit log can write the entry without sorting it (canonical.mjs entryBody).
    const names: string[] = new Array(n);
    const values: unknown[] = new Array(n);
    let ordered = true;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      names[i] = k.length > MAX_KEY ? `${k.slice(0, MAX_KEY)}…[cut key ${i}]` : k;
      values[i] = child(k, (v as Record<string, unknown>)[k], live, b, depth, open);
      if (i > 0 && !(names[i - 1]! < names[i]!)) ordered = false;
    }
    if (keys.length > n) {
      names.push("…");
      values.push(`[cut: ${keys.length - n} more keys]`);
      ordered = false;
    }
    const o: Record<string, unknown> = {};
    if (ordered) for (let i = 0; i < names.length; i++) define(o, names[i]!, values[i]);
    else for (const i of names.map((_, i) => i).sort((x, y) => (names[x]! < names[y]! ? -1 : names[x]! > names[y]! ? 1 : 0))) define(o, names[i]!, values[i]);
    out = o;
  }
  // Shared (non-cyclic) references are copied at each place they appear, so leave the set on exit.
  open.delete(v);
  return out;
}

function child(key: string, v: unknown, live: string[][] | null, b: Budget, depth: number, open: Set<object>): unknown {
  if (isSecretKey(key)) return text(REDACTED, b);
  let next: string[][] | null = null;
  if (live !== null) {
    for (const segs of live) {
      if (segs[0] !== key && segs[0] !== "*") continue;
      if (segs.length === 1) return text(REDACTED, b);
      (next ??= []).push(segs.slice(1));
    }
  }
  return bounded(v, next, b, depth + 1, open);
}

/** Sets a data property, a `__proto__` key included (plain assignment would set the prototype). */
function define(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

function redactBounded(value: unknown, paths: readonly string[], b: Budget): unknown {
  const live = argsPaths(paths);
  if (live === "all") return text(REDACTED, b);
  // `args` itself sits at depth 1 below the `{ args }` redact() was given.
  return bounded(value, live.length > 0 ? live : null, b, 1, new Set());
}

/** The arguments as the audit log sees them: redacted, JSON-safe, bounded. */
export function auditArgs(args: unknown, redactPaths: readonly string[], maxString: number): unknown {
  return redactBounded(args, redactPaths, { left: BUDGET, maxString, maxItems: MAX_ITEMS });
}

/** A value redacted and made JSON-safe but never cut: what an approver is shown must be all of what they approve. */
export function wholeArgs(value: unknown, redactPaths: readonly string[]): unknown {
  return redactBounded(value, redactPaths, { left: Infinity, maxString: Infinity, maxItems: Infinity });
}

/** A short, safe rendering of an identifier the caller sent (tool, agent id, run id). */
export function auditText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") return `[not a string: ${Array.isArray(v) ? "list" : typeof v}]`;
  return v.length > MAX_KEY ? `${v.slice(0, MAX_KEY)}…[cut: ${v.length - MAX_KEY} more chars]` : v;
}

/** One line of an error message, bounded, for outcome and error records. */
export function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const line = (m.split("\n")[0] ?? "").trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line || "(no message)";
}

const DAY_MS = 86_400_000;
/** The last day isoTime formatted: its first millisecond and `YYYY-MM-DDT`. */
let day = { start: NaN, prefix: "" };
const pad = (n: number, w: number) => String(n).padStart(w, "0");

/** `new Date(ms).toISOString()`, formatting only the time of day while the day stays the same (~4× cheaper). */
export function isoTime(ms: number): string {
  // Date truncates a fractional time towards zero
  const t = Number.isFinite(ms) ? Math.trunc(ms) : 0;
  let into = t - day.start;
  if (!(into >= 0 && into < DAY_MS)) {
    const iso = new Date(t).toISOString();
    // Years outside 0000-9999 are written with a sign and six digits: leave them to Date.
    if (iso.length !== 24) return iso;
    day = { start: t - (t % DAY_MS + DAY_MS) % DAY_MS, prefix: iso.slice(0, 11) };
    into = t - day.start;
  }
  const h = Math.floor(into / 3_600_000);
  const m = Math.floor(into / 60_000) % 60;
  const s = Math.floor(into / 1000) % 60;
  return `${day.prefix}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(Math.floor(into % 1000), 3)}Z`;
}

/** The fields without the undefined ones, so the object is plain JSON. */
export function compact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) if (fields[k] !== undefined) out[k] = fields[k];
  return out;
}

/** An audit entry from fields built by the engine (all JSON-safe; undefined ones dropped). */
export function entry(fields: { type: AuditEntry["type"]; time: string } & Record<string, unknown>): AuditEntry {
  return compact(fields) as AuditEntry;
}
