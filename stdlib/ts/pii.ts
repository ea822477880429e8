// pol's `is_email` and `has_pii` builtins (TypeScript reference): hand-written
// scanners, linear in the input, no regular expressions. stdlib/as/pii.ts is a
// line-for-line port; keep the two in step when changing either.

import { isAsciiAlnum, isAsciiLetter, isDigit } from "./utf16.js";

/** The code unit at `i`, or -1 past either end: every read below goes through this, as in the AS port. */
const at = (s: string, i: number): number => (i >= 0 && i < s.length ? s.charCodeAt(i) : -1);

/** Characters allowed in the local part of an address: `[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]`. */
export function isLocalChar(u: number): boolean {
  if (isAsciiAlnum(u)) return true;
  return (
    u === 0x21 || (u >= 0x23 && u <= 0x27) || u === 0x2a || u === 0x2b || u === 0x2d || u === 0x2e ||
    u === 0x2f || u === 0x3d || u === 0x3f || (u >= 0x5e && u <= 0x60) || (u >= 0x7b && u <= 0x7e)
  );
}

const isDomainChar = (u: number): boolean => isAsciiAlnum(u) || u === 0x2d || u === 0x2e;

/** 1–64 local characters, no leading, trailing or doubled dot. */
function validLocal(s: string, a: number, b: number): boolean {
  if (b - a < 1 || b - a > 64) return false;
  if (at(s, a) === 0x2e || at(s, b - 1) === 0x2e) return false;
  for (let i = a; i < b; i++) {
    const u = at(s, i);
    if (!isLocalChar(u)) return false;
    if (u === 0x2e && i + 1 < b && at(s, i + 1) === 0x2e) return false;
  }
  return true;
}

/**
 * Dot-separated labels of `[A-Za-z0-9-]`, each 1–63 long without a leading or
 * trailing hyphen; at least two labels; the last one is 2 or more letters.
 */
function validDomain(s: string, a: number, b: number): boolean {
  let labels = 0;
  let lastStart = a;
  let i = a;
  for (;;) {
    const st = i;
    while (i < b && at(s, i) !== 0x2e) {
      const u = at(s, i);
      if (!isAsciiAlnum(u) && u !== 0x2d) return false;
      i++;
    }
    if (i - st < 1 || i - st > 63) return false;
    if (at(s, st) === 0x2d || at(s, i - 1) === 0x2d) return false;
    labels++;
    lastStart = st;
    if (i === b) break;
    i++; // the '.'
  }
  if (labels < 2 || b - lastStart < 2) return false;
  for (let k = lastStart; k < b; k++) if (!isAsciiLetter(at(s, k))) return false;
  return true;
}

/**
 * `is_email(s)`: whether the whole of `s` is `local@domain` where local is
 * 1–64 of `[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]` with no leading, trailing or
 * doubled dot, and domain is two or more dot-separated labels of
 * `[A-Za-z0-9-]` (1–63 each, no leading or trailing hyphen) whose last label is
 * two or more ASCII letters. No quoted local parts, comments or IP literals.
 */
export function is_email(s: string): boolean {
  let p = s.length - 1;
  while (p >= 0 && at(s, p) !== 0x40) p--;
  if (p < 0) return false;
  return validLocal(s, 0, p) && validDomain(s, p + 1, s.length);
}

/** `n` digits at `s[i..i+n)`. */
function digitsAt(s: string, i: number, n: number): boolean {
  if (i + n > s.length) return false;
  for (let k = i; k < i + n; k++) if (!isDigit(at(s, k))) return false;
  return true;
}

const digitAt = (s: string, i: number): boolean => isDigit(at(s, i));
const numAt = (s: string, i: number, n: number): number => {
  let v = 0;
  for (let k = i; k < i + n; k++) v = v * 10 + (at(s, k) - 0x30);
  return v;
};

/** An address around the `@` at `p`: a non-dot local character before it, a valid domain after it. */
function emailAt(s: string, p: number): boolean {
  const u = at(s, p - 1);
  if (!isLocalChar(u) || u === 0x2e) return false;
  let e = p + 1;
  while (isDomainChar(at(s, e))) e++;
  // Sentence punctuation after an address is not part of it.
  while (e > p + 1 && (at(s, e - 1) === 0x2e || at(s, e - 1) === 0x2d)) e--;
  return validDomain(s, p + 1, e);
}

/** A separator inside a phone number or card: a space, a dash or a dot (after normalise()). */
const isNumSep = (u: number): boolean => u === 0x20 || u === 0x2d || u === 0x2e;

/** E.164 at the `+` at `p`: 8–15 digits in groups split by single spaces, dashes or dots, not glued to a word before. */
function e164At(s: string, p: number): boolean {
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

/** `(ddd)ddd-dddd` at the `(` at `p`: an optional space after `)`, a space, dash or dot before the last four, not followed by a digit. */
function naParenAt(s: string, p: number): boolean {
  if (!(digitsAt(s, p + 1, 3) && at(s, p + 4) === 0x29)) return false;
  const i = at(s, p + 5) === 0x20 ? p + 6 : p + 5;
  return digitsAt(s, i, 3) && isNumSep(at(s, i + 3)) && digitsAt(s, i + 4, 4) && !digitAt(s, i + 8);
}

/** `ddd<sep>ddd<sep>dddd` starting at digit-run start `i`, the same separator twice, not followed by a digit. */
function naSepAt(s: string, i: number): boolean {
  const sep = at(s, i + 3);
  return (
    isNumSep(sep) && digitsAt(s, i, 3) && digitsAt(s, i + 4, 3) && at(s, i + 7) === sep &&
    digitsAt(s, i + 8, 4) && !digitAt(s, i + 12)
  );
}

/** US SSN `ddd-dd-dddd` (any of space, dash, dot as each separator) at digit-run start `i`: area not 000, 666 or 9xx; group not 00; serial not 0000. */
function ssnAt(s: string, i: number): boolean {
  if (!(digitsAt(s, i, 3) && isNumSep(at(s, i + 3)) && digitsAt(s, i + 4, 2))) return false;
  if (!(isNumSep(at(s, i + 6)) && digitsAt(s, i + 7, 4) && !digitAt(s, i + 11))) return false;
  const area = numAt(s, i, 3);
  return area !== 0 && area !== 666 && area < 900 && numAt(s, i + 4, 2) !== 0 && numAt(s, i + 7, 4) !== 0;
}

/**
 * A payment card starting at digit-run start `i`: whole digit runs joined by
 * single spaces, dashes or dots (a dot only between runs of 4+ digits, so
 * `3.14159265358979` is a number, not a card), 13–19 digits in all, first
 * digit not 0, passing Luhn. Tries every run count from here, so a card
 * followed by more numbers is still found; a run of 20+ digits is never part
 * of a card.
 */
function cardAt(s: string, i: number): boolean {
  if (at(s, i) === 0x30) return false;
  let count = 0;
  // Luhn sums with the digits at even (resp. odd) positions from the left doubled.
  let sumEven = 0;
  let sumOdd = 0;
  let j = i;
  let more = true;
  while (more) {
    const run = j;
    while (digitAt(s, j)) {
      const d = at(s, j) - 0x30;
      const dd = d * 2 > 9 ? d * 2 - 9 : d * 2;
      if ((count & 1) === 0) {
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
    // Luhn doubles every second digit from the right: positions with the parity of `count`.
    if (count >= 13 && ((count & 1) === 0 ? sumEven : sumOdd) % 10 === 0) return true;
    const u = at(s, j);
    more = u === 0x2e ? j - run >= 4 && digitsAt(s, j + 1, 4) : (u === 0x20 || u === 0x2d) && digitAt(s, j + 1);
    if (more) j++;
  }
  return false;
}

/** Whether `s[i..]` starts with the ASCII text `lit`. */
function litAt(s: string, i: number, lit: string): boolean {
  for (let k = 0; k < lit.length; k++) if (at(s, i + k) !== lit.charCodeAt(k)) return false;
  return true;
}

/** Character sets of key bodies. */
const ALNUM = 0;
const UPPER_DIGIT = 1; // [0-9A-Z]
const GOOGLE = 2; // [0-9A-Za-z_-]
const SLACK = 3; // [A-Za-z0-9-]

function inKeySet(u: number, set: number): boolean {
  if (set === UPPER_DIGIT) return isDigit(u) || (u >= 0x41 && u <= 0x5a);
  if (isAsciiAlnum(u)) return true;
  if (set === GOOGLE) return u === 0x2d || u === 0x5f;
  if (set === SLACK) return u === 0x2d;
  return false;
}

/** Length of the run at `s[i..]` of characters in key set `set`, counting no further than `max`. */
function runLen(s: string, i: number, max: number, set: number): number {
  let k = 0;
  while (k < max && inKeySet(at(s, i + k), set)) k++;
  return k;
}

/** An API key shape starting at `i` (the caller checked that no letter or digit precedes `i`). */
function keyAt(s: string, i: number): boolean {
  const u = at(s, i);
  if (u === 0x73 || u === 0x72) {
    // sk_live_, sk_test_, rk_live_ + 16 or more letters and digits
    if (!(litAt(s, i, "sk_live_") || litAt(s, i, "sk_test_") || litAt(s, i, "rk_live_"))) return false;
    return runLen(s, i + 8, 16, ALNUM) === 16;
  }
  if (u === 0x41) {
    // AKIA + exactly 16 of [0-9A-Z]; AIza + exactly 35 of [0-9A-Za-z_-]
    if (litAt(s, i, "AKIA")) return runLen(s, i + 4, 16, UPPER_DIGIT) === 16 && !isAsciiAlnum(at(s, i + 20));
    if (litAt(s, i, "AIza")) return runLen(s, i + 4, 35, GOOGLE) === 35 && !inKeySet(at(s, i + 39), GOOGLE);
    return false;
  }
  if (u === 0x67) {
    // ghp_, gho_, ghs_ + exactly 36 letters and digits
    if (!(litAt(s, i, "ghp_") || litAt(s, i, "gho_") || litAt(s, i, "ghs_"))) return false;
    return runLen(s, i + 4, 36, ALNUM) === 36 && !isAsciiAlnum(at(s, i + 40));
  }
  if (u === 0x78) {
    // xoxa-, xoxb-, xoxp-, xoxr-, xoxs- + 10 or more of [A-Za-z0-9-]
    if (!litAt(s, i, "xox") || at(s, i + 4) !== 0x2d) return false;
    const t = at(s, i + 3);
    if (t !== 0x61 && t !== 0x62 && t !== 0x70 && t !== 0x72 && t !== 0x73) return false;
    return runLen(s, i + 5, 10, SLACK) === 10;
  }
  return false;
}

/**
 * What has_pii reads instead of `s` (UTS #46-style folding of the forms used
 * to slip numbers past a scanner): zero-width characters (U+200B–U+200D,
 * U+2060, U+FEFF) and soft hyphens (U+00AD) removed; fullwidth ASCII
 * (U+FF01–U+FF5E, fullwidth digits included) mapped to ASCII; dashes
 * U+2010–U+2015, U+2212, U+FE58, U+FE63 mapped to `-`; Unicode spaces
 * (U+00A0, U+2000–U+200A, U+202F, U+205F, U+3000) mapped to a space. ASCII
 * text is returned as is.
 */
export function normalise(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) if (s.charCodeAt(i) >= 0x80) ascii = false;
  if (ascii) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const u = piiUnit(s.charCodeAt(i));
    if (u >= 0) out += String.fromCharCode(u);
  }
  return out;
}

/** One code unit as normalise() maps it; -1 drops it. */
function piiUnit(u: number): number {
  if (u < 0x80) return u;
  if ((u >= 0x200b && u <= 0x200d) || u === 0x2060 || u === 0xfeff || u === 0xad) return -1;
  if (u >= 0xff01 && u <= 0xff5e) return u - 0xfee0;
  if ((u >= 0x2010 && u <= 0x2015) || u === 0x2212 || u === 0xfe58 || u === 0xfe63) return 0x2d;
  if (u === 0xa0 || (u >= 0x2000 && u <= 0x200a) || u === 0x202f || u === 0x205f || u === 0x3000) return 0x20;
  return u;
}

/**
 * `has_pii(s)`: whether normalise(s) contains any of (ASCII, case-sensitive):
 * - an email address: an `@` preceded by a local-part character other than
 *   `.` and followed by a valid `is_email` domain, taken as the longest run of
 *   `[A-Za-z0-9.-]` minus trailing dots and hyphens;
 * - an E.164 phone number: `+` (not right after a letter or digit), then 8–15
 *   digits in groups joined by single spaces, dashes or dots, not followed by more;
 * - a North-American phone number `(ddd) ddd-dddd` (the space optional, and
 *   the dash may be a space or dot), or `ddd-ddd-dddd` with two equal
 *   separators (space, dash or dot), not glued to further digits;
 * - a US SSN `ddd-dd-dddd`, each separator a space, dash or dot, with area
 *   not 000, 666 or 900–999, group not 00, serial not 0000, not glued to
 *   further digits;
 * - a payment card: 13–19 digits, first not 0, as whole digit runs joined by
 *   single spaces or dashes (or dots between runs of 4 or more), passing the
 *   Luhn check (a run of 20 or more digits is never part of one);
 * - an API key, not preceded by a letter or digit: `sk_live_`/`sk_test_`/
 *   `rk_live_` + 16 or more letters/digits; `AKIA` + exactly 16 `[0-9A-Z]`;
 *   `ghp_`/`gho_`/`ghs_` + exactly 36 letters/digits; `xox[abprs]-` + 10 or
 *   more `[A-Za-z0-9-]`; `AIza` + exactly 35 `[0-9A-Za-z_-]`.
 * Digit runs are whole: a number is never found inside a longer run of digits.
 * Linear time: every check starting at a position reads a bounded window,
 * except the email domain run, which stops at the next `@`.
 */
export function has_pii(text: string): boolean {
  const s = normalise(text);
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const u = at(s, i);
    const prev = at(s, i - 1);
    if (u === 0x40) {
      if (emailAt(s, i)) return true;
    } else if (u === 0x2b) {
      if (e164At(s, i)) return true;
    } else if (u === 0x28) {
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
