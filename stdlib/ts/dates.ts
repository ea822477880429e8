// pol's date and time builtins (TypeScript reference): `date(s)` reads an ISO
// date as a day number, `time(s)` an ISO date and time as seconds since the
// epoch; both give ⊥ (null) on anything else. stdlib/as/dates.ts is the
// line-for-line wasm twin. The clock itself (today(), now()) is an input.

import { isDigit } from "./utf16.js";

const at = (s: string, i: number): number => (i >= 0 && i < s.length ? s.charCodeAt(i) : -1);

/** The value of `n` digits at `i`, or -1 when they are not all digits. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const u = at(s, k);
    if (!isDigit(u)) return -1;
    v = v * 10 + (u - 0x30);
  }
  return v;
}

const leap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

function monthDays(y: number, m: number): number {
  if (m === 2) return leap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil, integers only). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Reads `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and
 * `HH:MM[:SS[.fraction]]`, optionally followed by `Z`, `z` or `±HH:MM`, into
 * the day number, the whole seconds into the day (UTC) and the fraction in
 * milliseconds; a date alone is midnight UTC. Years 0000–9999; months, days,
 * hours (00–23), minutes and seconds (00–59) in range; 1–9 fraction digits.
 */
function parse(s: string, out: { day: number; secs: number; ms: number }): boolean {
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || at(s, 4) !== 0x2d || at(s, 7) !== 0x2d || d > monthDays(y, mo)) return false;
  out.day = daysFromCivil(y, mo, d);
  out.secs = 0;
  out.ms = 0;
  if (s.length === 10) return true;
  const sep = at(s, 10);
  if (sep !== 0x54 && sep !== 0x74 && sep !== 0x20) return false;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || h > 23 || at(s, 13) !== 0x3a || mi < 0 || mi > 59) return false;
  let i = 16;
  let sec = 0;
  let frac = 0;
  if (at(s, i) === 0x3a) {
    sec = digits(s, i + 1, 2);
    if (sec < 0 || sec > 59) return false;
    i += 3;
    if (at(s, i) === 0x2e) {
      let n = 0;
      let f = 0;
      let scale = 1;
      while (isDigit(at(s, i + 1 + n)) && n < 9) {
        f = f * 10 + (at(s, i + 1 + n) - 0x30);
        scale *= 10;
        n++;
      }
      if (n === 0 || isDigit(at(s, i + 1 + n))) return false;
      frac = (f * 1000) / scale;
      i += 1 + n;
    }
  }
  let offset = 0;
  const z = at(s, i);
  if (z === 0x5a || z === 0x7a) i++;
  else if (z === 0x2b || z === 0x2d) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh < 0 || oh > 23 || at(s, i + 3) !== 0x3a || om < 0 || om > 59) return false;
    offset = (oh * 60 + om) * 60 * (z === 0x2d ? -1 : 1);
    i += 6;
  }
  if (i !== s.length) return false;
  out.secs = h * 3600 + mi * 60 + sec - offset;
  out.ms = frac;
  return true;
}

/** `date(s)`: the day `s` names (days since 1970-01-01), as written (a time or zone after it is checked, not applied); ⊥ otherwise. */
export function date(s: string): number | null {
  const r = { day: 0, secs: 0, ms: 0 };
  return parse(s, r) ? r.day : null;
}

/**
 * `time(s)`: the instant `s` names, in seconds since 1970-01-01T00:00Z (UTC without a zone; a date
 * alone is midnight); ⊥ otherwise. Computed through milliseconds, as JavaScript's Date: exact for
 * up to three fraction digits.
 */
export function time(s: string): number | null {
  const r = { day: 0, secs: 0, ms: 0 };
  return parse(s, r) ? ((r.day * 86400 + r.secs) * 1000 + r.ms) / 1000 : null;
}

/** `is_date(s)`: whether `date(s)` succeeds. */
export const is_date = (s: string): boolean => date(s) !== null;
/** `is_time(s)`: whether `time(s)` succeeds (exactly when `is_date(s)`: they read the same text). */
export const is_time = (s: string): boolean => time(s) !== null;

/** `today()` from the host's clock (ms since the epoch): the UTC day number. */
export const todayOf = (ms: number): number => Math.floor(ms / 86_400_000);
/** `now()` from the host's clock: seconds since the epoch. */
export const nowOf = (ms: number): number => ms / 1000;
