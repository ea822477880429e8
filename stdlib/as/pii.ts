// pol's `is_email` and `has_pii` builtins for wasm: a line-for-line port of
// stdlib/ts/pii.ts (see there for the exact rules). Linear time, no
// allocation but the normalised copy of non-ASCII text; every read goes
// through `at`, which gives -1 out of range.

import { arenaAlloc } from "./arena";
import { at, isAsciiAlnum, isAsciiLetter, isDigit, slen32, sref, unit } from "./str";

export function isLocalChar(u: i32): bool {
  if (isAsciiAlnum(u)) return true;
  return (
    u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2a || u == 0x2b || u == 0x2d || u == 0x2e ||
    u == 0x2f || u == 0x3d || u == 0x3f || (u >= 0x5e && u <= 0x60) || (u >= 0x7b && u <= 0x7e)
  );
}

@inline function isDomainChar(u: i32): bool {
  return isAsciiAlnum(u) || u == 0x2d || u == 0x2e;
}

function validLocal(s: i64, a: i32, b: i32): bool {
  if (b - a < 1 || b - a > 64) return false;
  if (at(s, a) == 0x2e || at(s, b - 1) == 0x2e) return false;
  for (let i = a; i < b; i++) {
    const u = at(s, i);
    if (!isLocalChar(u)) return false;
    if (u == 0x2e && i + 1 < b && at(s, i + 1) == 0x2e) return false;
  }
  return true;
}

function validDomain(s: i64, a: i32, b: i32): bool {
  let labels = 0;
  let lastStart = a;
  let i = a;
  for (;;) {
    const st = i;
    while (i < b && at(s, i) != 0x2e) {
      const u = at(s, i);
      if (!isAsciiAlnum(u) && u != 0x2d) return false;
      i++;
    }
    if (i - st < 1 || i - st > 63) return false;
    if (at(s, st) == 0x2d || at(s, i - 1) == 0x2d) return false;
    labels++;
    lastStart = st;
    if (i == b) break;
    i++;
  }
  if (labels < 2 || b - lastStart < 2) return false;
  for (let k = lastStart; k < b; k++) if (!isAsciiLetter(at(s, k))) return false;
  return true;
}

export function std_is_email(s: i64): bool {
  let p = slen32(s) - 1;
  while (p >= 0 && at(s, p) != 0x40) p--;
  if (p < 0) return false;
  return validLocal(s, 0, p) && validDomain(s, p + 1, slen32(s));
}

function digitsAt(s: i64, i: i32, n: i32): bool {
  if (i + n > slen32(s)) return false;
  for (let k = i; k < i + n; k++) if (!isDigit(at(s, k))) return false;
  return true;
}

@inline function digitAt(s: i64, i: i32): bool {
  return isDigit(at(s, i));
}

function numAt(s: i64, i: i32, n: i32): i32 {
  let v = 0;
  for (let k = i; k < i + n; k++) v = v * 10 + (at(s, k) - 0x30);
  return v;
}

function emailAt(s: i64, p: i32): bool {
  const u = at(s, p - 1);
  if (!isLocalChar(u) || u == 0x2e) return false;
  let e = p + 1;
  while (isDomainChar(at(s, e))) e++;
  while (e > p + 1 && (at(s, e - 1) == 0x2e || at(s, e - 1) == 0x2d)) e--;
  return validDomain(s, p + 1, e);
}

@inline function isNumSep(u: i32): bool {
  return u == 0x20 || u == 0x2d || u == 0x2e;
}

function e164At(s: i64, p: i32): bool {
  if (isAsciiAlnum(at(s, p - 1))) return false;
  let i = p + 1;
  if (!digitAt(s, i)) return false;
  let count = 0;
  for (;;) {
    while (digitAt(s, i)) {
      count++;
      i++;
      if (count > 15) return false;
    }
    if (isNumSep(at(s, i)) && digitAt(s, i + 1)) i++;
    else break;
  }
  return count >= 8;
}

function naParenAt(s: i64, p: i32): bool {
  if (!(digitsAt(s, p + 1, 3) && at(s, p + 4) == 0x29)) return false;
  const i = at(s, p + 5) == 0x20 ? p + 6 : p + 5;
  return digitsAt(s, i, 3) && isNumSep(at(s, i + 3)) && digitsAt(s, i + 4, 4) && !digitAt(s, i + 8);
}

function naSepAt(s: i64, i: i32): bool {
  const sep = at(s, i + 3);
  return (
    isNumSep(sep) && digitsAt(s, i, 3) && digitsAt(s, i + 4, 3) && at(s, i + 7) == sep &&
    digitsAt(s, i + 8, 4) && !digitAt(s, i + 12)
  );
}

function ssnAt(s: i64, i: i32): bool {
  if (!(digitsAt(s, i, 3) && isNumSep(at(s, i + 3)) && digitsAt(s, i + 4, 2))) return false;
  if (!(isNumSep(at(s, i + 6)) && digitsAt(s, i + 7, 4) && !digitAt(s, i + 11))) return false;
  const area = numAt(s, i, 3);
  return area != 0 && area != 666 && area < 900 && numAt(s, i + 4, 2) != 0 && numAt(s, i + 7, 4) != 0;
}

function cardAt(s: i64, i: i32): bool {
  if (at(s, i) == 0x30) return false;
  let count = 0;
  let sumEven = 0;
  let sumOdd = 0;
  let j = i;
  let more = true;
  while (more) {
    const run = j;
    while (digitAt(s, j)) {
      const d = at(s, j) - 0x30;
      const dd = d * 2 > 9 ? d * 2 - 9 : d * 2;
      if ((count & 1) == 0) {
        sumEven += dd;
        sumOdd += d;
      } else {
        sumEven += d;
        sumOdd += dd;
      }
      count++;
      j++;
      if (count > 19) return false;
    }
    if (count >= 13 && ((count & 1) == 0 ? sumEven : sumOdd) % 10 == 0) return true;
    const u = at(s, j);
    more = u == 0x2e ? j - run >= 4 && digitsAt(s, j + 1, 4) : (u == 0x20 || u == 0x2d) && digitAt(s, j + 1);
    if (more) j++;
  }
  return false;
}

/** Whether `s[i..]` starts with the ASCII text `lit` (a static string: no allocation). */
function litAt(s: i64, i: i32, lit: string): bool {
  for (let k = 0; k < lit.length; k++) if (at(s, i + k) != <i32>lit.charCodeAt(k)) return false;
  return true;
}

const ALNUM = 0;
const UPPER_DIGIT = 1;
const GOOGLE = 2;
const SLACK = 3;

function inKeySet(u: i32, set: i32): bool {
  if (set == UPPER_DIGIT) return isDigit(u) || (u >= 0x41 && u <= 0x5a);
  if (isAsciiAlnum(u)) return true;
  if (set == GOOGLE) return u == 0x2d || u == 0x5f;
  if (set == SLACK) return u == 0x2d;
  return false;
}

function runLen(s: i64, i: i32, max: i32, set: i32): i32 {
  let k = 0;
  while (k < max && inKeySet(at(s, i + k), set)) k++;
  return k;
}

function keyAt(s: i64, i: i32): bool {
  const u = at(s, i);
  if (u == 0x73 || u == 0x72) {
    if (!(litAt(s, i, "sk_live_") || litAt(s, i, "sk_test_") || litAt(s, i, "rk_live_"))) return false;
    return runLen(s, i + 8, 16, ALNUM) == 16;
  }
  if (u == 0x41) {
    if (litAt(s, i, "AKIA")) return runLen(s, i + 4, 16, UPPER_DIGIT) == 16 && !isAsciiAlnum(at(s, i + 20));
    if (litAt(s, i, "AIza")) return runLen(s, i + 4, 35, GOOGLE) == 35 && !inKeySet(at(s, i + 39), GOOGLE);
    return false;
  }
  if (u == 0x67) {
    if (!(litAt(s, i, "ghp_") || litAt(s, i, "gho_") || litAt(s, i, "ghs_"))) return false;
    return runLen(s, i + 4, 36, ALNUM) == 36 && !isAsciiAlnum(at(s, i + 40));
  }
  if (u == 0x78) {
    if (!litAt(s, i, "xox") || at(s, i + 4) != 0x2d) return false;
    const t = at(s, i + 3);
    if (t != 0x61 && t != 0x62 && t != 0x70 && t != 0x72 && t != 0x73) return false;
    return runLen(s, i + 5, 10, SLACK) == 10;
  }
  return false;
}

/** One code unit as stdlib/ts/pii.ts normalise() maps it; -1 drops it. */
function piiUnit(u: i32): i32 {
  if (u < 0x80) return u;
  if ((u >= 0x200b && u <= 0x200d) || u == 0x2060 || u == 0xfeff || u == 0xad) return -1;
  if (u >= 0xff01 && u <= 0xff5e) return u - 0xfee0;
  if ((u >= 0x2010 && u <= 0x2015) || u == 0x2212 || u == 0xfe58 || u == 0xfe63) return 0x2d;
  if (u == 0xa0 || (u >= 0x2000 && u <= 0x200a) || u == 0x202f || u == 0x205f || u == 0x3000) return 0x20;
  return u;
}

/** The text has_pii reads: `s` itself when ASCII, else a folded copy in the arena (see normalise in the TS twin). */
function normalise(s: i64): i64 {
  const n = slen32(s);
  let ascii = true;
  for (let i = 0; i < n && ascii; i++) if (unit(s, i) >= 0x80) ascii = false;
  if (ascii) return s;
  const out = arenaAlloc(<usize>n << 1);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const u = piiUnit(unit(s, i));
    if (u < 0) continue;
    store<u16>(out + (<usize>k << 1), <u16>u);
    k++;
  }
  return sref(out, <u32>k);
}

export function std_has_pii(text: i64): bool {
  const s = normalise(text);
  const n = slen32(s);
  for (let i = 0; i < n; i++) {
    const u = at(s, i);
    const prev = at(s, i - 1);
    if (u == 0x40) {
      if (emailAt(s, i)) return true;
    } else if (u == 0x2b) {
      if (e164At(s, i)) return true;
    } else if (u == 0x28) {
      if (naParenAt(s, i)) return true;
    } else if (isDigit(u)) {
      if (isDigit(prev)) continue;
      if (ssnAt(s, i) || naSepAt(s, i) || cardAt(s, i)) return true;
    } else if (!isAsciiAlnum(prev) && keyAt(s, i)) {
      return true;
    }
  }
  return false;
}
