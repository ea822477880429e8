// pol's date and time builtins for wasm: `date(s)` as a day number, `time(s)`
// as seconds since the epoch, NaN for ⊥ (generated code tests it with isNaN);
// twin of stdlib/ts/dates.ts, line for line.

import { at, isDigit, slen32 } from "./str";

/** The value of `n` digits at `i`, or -1 when they are not all digits. */
function digits(s: i64, i: i32, n: i32): i32 {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const u = at(s, k);
    if (!isDigit(u)) return -1;
    v = v * 10 + (u - 0x30);
  }
  return v;
}

function leap(y: i32): bool {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

function monthDays(y: i32, m: i32): i32 {
  if (m == 2) return leap(y) ? 29 : 28;
  return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
}

/** Floor division for a possibly negative numerator (year 0000 in January or February gives -1). */
function floorDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return q * b > a ? q - 1 : q;
}

/** Days from 1970-01-01 (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: i32, m: i32, d: i32): i32 {
  const yy = m <= 2 ? y - 1 : y;
  const era = floorDiv(yy, 400);
  const yoe = yy - era * 400;
  const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

let DAY: i32 = 0;
let SECS: i32 = 0;
let MS: f64 = 0;

function parse(s: i64): bool {
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || at(s, 4) != 0x2d || at(s, 7) != 0x2d || d > monthDays(y, mo)) return false;
  DAY = daysFromCivil(y, mo, d);
  SECS = 0;
  MS = 0;
  const len = slen32(s);
  if (len == 10) return true;
  const sep = at(s, 10);
  if (sep != 0x54 && sep != 0x74 && sep != 0x20) return false;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || h > 23 || at(s, 13) != 0x3a || mi < 0 || mi > 59) return false;
  let i = 16;
  let sec = 0;
  let frac: f64 = 0;
  if (at(s, i) == 0x3a) {
    sec = digits(s, i + 1, 2);
    if (sec < 0 || sec > 59) return false;
    i += 3;
    if (at(s, i) == 0x2e) {
      let n = 0;
      let f: f64 = 0;
      let scale: f64 = 1;
      while (isDigit(at(s, i + 1 + n)) && n < 9) {
        f = f * 10 + <f64>(at(s, i + 1 + n) - 0x30);
        scale *= 10;
        n++;
      }
      if (n == 0 || isDigit(at(s, i + 1 + n))) return false;
      frac = (f * 1000) / scale;
      i += 1 + n;
    }
  }
  let offset = 0;
  const z = at(s, i);
  if (z == 0x5a || z == 0x7a) i++;
  else if (z == 0x2b || z == 0x2d) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh < 0 || oh > 23 || at(s, i + 3) != 0x3a || om < 0 || om > 59) return false;
    offset = (oh * 60 + om) * 60 * (z == 0x2d ? -1 : 1);
    i += 6;
  }
  if (i != len) return false;
  SECS = h * 3600 + mi * 60 + sec - offset;
  MS = frac;
  return true;
}

export function std_date(s: i64): f64 {
  return parse(s) ? <f64>DAY : NaN;
}

export function std_time(s: i64): f64 {
  return parse(s) ? ((<f64>DAY * 86400 + <f64>SECS) * 1000 + MS) / 1000 : NaN;
}

export function std_is_date(s: i64): bool {
  return parse(s);
}

export function std_is_time(s: i64): bool {
  return parse(s);
}
