// Types of canonical.mjs: canonical JSON for audit records, shared by the TypeScript sources and
// the writer thread.

/** A value JSON can carry unchanged through a stringify/parse round trip. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Thrown when a value cannot be encoded; `path` names the offending field (`args.amount`). */
export class NotJsonError extends TypeError {
  readonly path: string;
  constructor(path: string, what: string);
}

/** Deeper nesting is refused rather than risking a stack overflow on hostile input. */
export const MAX_DEPTH: number;

/** JSON with object keys sorted recursively, no whitespace; throws NotJsonError for what JSON cannot carry unchanged. */
export function canonicalJson(value: unknown): string;

/** canonicalJson of `{ ...base, ...extra }` without building that object. */
export function canonicalJsonWith(base: object, extra: Record<string, unknown>): string;

/**
 * canonicalJsonWith(entry, { seq, prev }) around prev's 64 characters: body = head + prev + tail.
 * `entry` must not set seq or prev. Throws NotJsonError where canonicalJson would.
 */
export function entryBody(entry: object, seq: number): { head: string; tail: string };
