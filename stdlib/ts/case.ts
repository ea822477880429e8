// pol's `lower` and `upper` builtins (TypeScript reference), plus the
// per-code-point mappings the regex compiler uses for the `i` flag. Reads the
// generated runs in case_table.ts; stdlib/as/case.ts is the wasm twin.

import { LOWER_RUNS, UPPER_RUNS } from "./case_table.js";
import { cpAt, cpWidth, fromUnits } from "./utf16.js";

/** Binary search for the run holding `c`; returns the mapped code point or `c`. */
function lookup(runs: readonly number[], c: number): number {
  let lo = 0;
  let hi = runs.length / 3 - 1;
  // Find the last run whose start is <= c.
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid * 3] <= c) lo = mid + 1;
    else hi = mid - 1;
  }
  if (hi < 0) return c;
  const start = runs[hi * 3];
  const end = runs[hi * 3 + 1];
  const v = runs[hi * 3 + 2];
  if (c > end) return c;
  if ((v & 1) === 1 && ((c - start) & 1) === 1) return c;
  return c + (v >> 1);
}

/** Simple lower-case mapping of one code point (see `lower`). */
export function lowerCp(c: number): number {
  if (c < 0x80) return c >= 0x41 && c <= 0x5a ? c + 32 : c;
  return lookup(LOWER_RUNS, c);
}

/** Simple upper-case mapping of one code point (see `upper`). */
export function upperCp(c: number): number {
  if (c < 0x80) return c >= 0x61 && c <= 0x7a ? c - 32 : c;
  return lookup(UPPER_RUNS, c);
}

/** Maps every code point of `s` with `f`; the generator guarantees the UTF-16 length never changes. */
function mapString(s: string, f: (c: number) => number): string {
  const out = new Uint16Array(s.length);
  let changed = false;
  for (let i = 0; i < s.length; ) {
    const c = cpAt(s, i);
    const m = f(c);
    if (m !== c) changed = true;
    if (m > 0xffff) {
      out[i] = 0xd800 + ((m - 0x10000) >> 10);
      out[i + 1] = 0xdc00 + ((m - 0x10000) & 0x3ff);
    } else {
      out[i] = m;
    }
    i += cpWidth(c);
  }
  return changed ? fromUnits(out) : s;
}

/**
 * `lower(s)`: maps each code point `c` to `String.fromCodePoint(c).toLowerCase()`
 * when that is exactly one code point, and leaves `c` unchanged otherwise
 * (so `İ` stays `İ`). No context rules (final sigma is `σ`), no locale.
 * Lone surrogates are left unchanged. The result has the same UTF-16 length.
 */
export function lower(s: string): string {
  return mapString(s, lowerCp);
}

/**
 * `upper(s)`: maps each code point `c` to `String.fromCodePoint(c).toUpperCase()`
 * when that is exactly one code point, and leaves `c` unchanged otherwise
 * (so `ß` stays `ß`, `ŉ` stays `ŉ`). No locale. Lone surrogates are unchanged.
 */
export function upper(s: string): string {
  return mapString(s, upperCp);
}
