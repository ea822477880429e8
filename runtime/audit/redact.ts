// Redaction of secrets before a call reaches the audit log: a deep copy with declared paths
// (`redact args.card_number`) and well-known secret keys replaced. Fed a decision's args and the
// policy's redact list by the Engine; its output is what AuditSink.append receives.

export const REDACTED = "[redacted]";
export const CYCLE = "[cycle]";
export const TOO_DEEP = "[too deep]";
export const MAX_REDACT_DEPTH = 64;

/** Keys redacted wherever they occur, compared lowercased. A superset of the policy language's DEFAULT_REDACT. */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  "password", "passwd", "token", "access_token", "refresh_token", "secret", "api_key", "apikey",
  "authorization", "ssn", "card_number", "credit_card", "cvv",
];

/**
 * A deep copy of `value` in which every dotted path in `paths` (relative to `value`, e.g.
 * `args.card_number`; a `*` segment matches any key or array index) and every object key whose
 * lowercase form is in `defaults` is replaced by "[redacted]". Cycles become "[cycle]" and
 * containers nested deeper than 64 levels "[too deep]". Objects are rebuilt from their own
 * enumerable string keys with Object.fromEntries, so `__proto__` stays a plain data key and never
 * reaches a prototype; Dates become ISO strings; other values are copied as they are, leaving
 * type checks to the audit sink. The input is never modified.
 */
export function redact(value: unknown, paths: readonly string[] = [], defaults: readonly string[] = DEFAULT_SECRET_KEYS): unknown {
  const secret = new Set(defaults.map((k) => k.toLowerCase()));
  const split = paths.map((p) => p.split(".")).filter((segs) => segs.every((s) => s.length > 0));
  return copy(value, split, secret, 0, new Set());
}

function copy(value: unknown, live: string[][], secret: Set<string>, depth: number, open: Set<object>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (open.has(value)) return CYCLE;
  if (depth >= MAX_REDACT_DEPTH) return TOO_DEEP;
  open.add(value);
  const child = (key: string, v: unknown): unknown => {
    if (secret.has(key.toLowerCase())) return REDACTED;
    const next: string[][] = [];
    for (const segs of live) {
      if (segs[0] !== key && segs[0] !== "*") continue;
      if (segs.length === 1) return REDACTED;
      next.push(segs.slice(1));
    }
    return copy(v, next, secret, depth + 1, open);
  };
  const out = Array.isArray(value)
    ? Array.from(value, (v, i) => child(String(i), v))
    : Object.fromEntries(Object.keys(value).map((k) => [k, child(k, (value as Record<string, unknown>)[k])]));
  // Shared (non-cyclic) references are copied at each place they appear, so leave the set on exit.
  open.delete(value);
  return out;
}
