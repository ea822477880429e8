// Redaction of secrets before a call reaches the audit log: a deep copy with declared paths
// (`redact args.card_number`) and well-known secret keys replaced. Fed a decision's args and the
// policy's redact list by the Engine; its output is what AuditSink.append receives.

export const REDACTED = "[redacted]";
export const CYCLE = "[cycle]";
export const TOO_DEEP = "[too deep]";
export const MAX_REDACT_DEPTH = 64;

/**
 * Keys redacted wherever they occur, compared lowercased and without `_` and `-` (isSecretKey), so
 * `card_number`, `cardNumber` and `card-number` are one key. A superset of the policy language's
 * DEFAULT_REDACT.
 */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  "password", "passwd", "passphrase", "token", "access_token", "refresh_token", "id_token", "session_token", "secret",
  "client_secret", "secret_key", "private_key", "api_key", "x-api-key", "authorization", "proxy-authorization", "cookie",
  "set-cookie", "ssn", "card_number", "credit_card", "cvv", "cvc",
];

const fold = (key: string): string => {
  const k = key.toLowerCase();
  return k.includes("_") || k.includes("-") ? k.replace(/[-_]/g, "") : k;
};
const SECRET_NAMES = new Set(DEFAULT_SECRET_KEYS.map(fold));

/** Whether a key is one of DEFAULT_SECRET_KEYS in any case and with or without `_` or `-` (`cardNumber`, `X-Api-Key`). */
export function isSecretKey(key: string): boolean {
  return SECRET_NAMES.has(fold(key));
}

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
  const listed = new Set(defaults.map(fold));
  const secret = defaults === DEFAULT_SECRET_KEYS ? SECRET_NAMES : listed;
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
    if (secret.has(fold(key))) return REDACTED;
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
