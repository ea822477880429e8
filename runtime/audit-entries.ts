// What the Engine writes to the audit log: decision, outcome, error and admin entries, with
// arguments redacted (declared paths plus default secrets, via runtime/audit's redact) and then
// made JSON-safe and bounded. Fed by engine.ts and guard.ts; the entries go to an AuditSink.
//
// Why bound the copy: a hostile call (a 10 MB string, a 10,000-item list, NaN, a BigInt) must be
// denied and audited without making the log the victim. Strings longer than `maxString` are cut
// with a note of how much was dropped; after a total budget per entry only markers remain;
// values JSON cannot carry become descriptive strings, so appending never fails on them.

import { redact, type AuditEntry } from "./audit/index.js";

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

function safe(v: unknown, b: Budget): unknown {
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
  if (Array.isArray(v)) {
    const n = Math.min(v.length, b.maxItems);
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = safe(v[i], b);
    if (v.length > n) out.push(`[cut: ${v.length - n} more items]`);
    return out;
  }
  // redact() rebuilt every object from its own keys with Object.fromEntries, so this is a plain
  // object; build the copy the same way so a `__proto__` key stays a plain data key.
  const keys = Object.keys(v);
  const entries: [string, unknown][] = [];
  for (let i = 0; i < keys.length && i < b.maxItems; i++) {
    const k = keys[i]!;
    const key = k.length > MAX_KEY ? `${k.slice(0, MAX_KEY)}…[cut key ${i}]` : k;
    entries.push([key, safe((v as Record<string, unknown>)[k], b)]);
  }
  if (keys.length > b.maxItems) entries.push(["…", `[cut: ${keys.length - b.maxItems} more keys]`]);
  return Object.fromEntries(entries);
}

/** The arguments as the audit log sees them: redacted, JSON-safe, bounded. */
export function auditArgs(args: unknown, redactPaths: readonly string[], maxString: number): unknown {
  const redacted = (redact({ args }, redactPaths) as { args: unknown }).args;
  return safe(redacted, { left: BUDGET, maxString, maxItems: MAX_ITEMS });
}

/** A value redacted and made JSON-safe but never cut: what an approver is shown must be all of what they approve. */
export function wholeArgs(value: unknown, redactPaths: readonly string[]): unknown {
  const redacted = (redact({ args: value }, redactPaths) as { args: unknown }).args;
  return safe(redacted, { left: Infinity, maxString: Infinity, maxItems: Infinity });
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

export function isoTime(ms: number): string {
  return new Date(Number.isFinite(ms) ? ms : 0).toISOString();
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
