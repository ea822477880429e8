// pol's `urls` and `emails` builtins (TypeScript reference): the links and
// addresses written inside a text, in order, so a rule can check each one
// (`all u in urls(args.body): host(u) in sites`). Hand-written scanners,
// linear in the text; stdlib/as/links.ts is the line-for-line wasm twin.

import { isAsciiAlnum, isAsciiLetter, isDigit } from "./utf16.js";
import { isLocalChar } from "./pii.js";

const at = (s: string, i: number): number => (i >= 0 && i < s.length ? s.charCodeAt(i) : -1);

const isLabelChar = (u: number): boolean => isAsciiAlnum(u) || u === 0x2d;

/**
 * The end of a domain of two or more dot-separated labels starting at `i`
 * (each 1–63 of `[A-Za-z0-9-]`, no leading or trailing hyphen, the last 2–63
 * ASCII letters), taking as many labels as form one; -1 when none does.
 */
function domainEnd(s: string, i: number): number {
  let best = -1;
  let labels = 0;
  let p = i;
  for (;;) {
    const st = p;
    while (isLabelChar(at(s, p))) p++;
    const n = p - st;
    if (n < 1 || n > 63 || at(s, st) === 0x2d || at(s, p - 1) === 0x2d) break;
    labels++;
    if (labels >= 2) {
      let letters = n >= 2;
      for (let k = st; k < p && letters; k++) letters = isAsciiLetter(at(s, k));
      if (letters) best = p;
    }
    if (at(s, p) !== 0x2e || !isLabelChar(at(s, p + 1))) break;
    p++;
  }
  return best;
}

/**
 * `emails(s)`: every email address written in `s`, in order, as written: at
 * each `@`, the run of local-part characters before it (not reaching into an
 * earlier match; leading dots dropped, the part after a doubled dot kept) and
 * the longest domain after it. Each result satisfies is_email.
 */
export function emails(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let p = 0; p < s.length; p++) {
    if (at(s, p) !== 0x40) continue;
    let a = p;
    while (a > from && isLocalChar(at(s, a - 1))) a--;
    for (let k = p - 1; k > a; k--) {
      if (at(s, k) === 0x2e && at(s, k - 1) === 0x2e) {
        a = k + 1;
        break;
      }
    }
    while (a < p && at(s, a) === 0x2e) a++;
    if (p - a < 1 || p - a > 64 || at(s, p - 1) === 0x2e) continue;
    const e = domainEnd(s, p + 1);
    if (e < 0) continue;
    out.push(s.slice(a, e));
    from = e;
    p = e - 1;
  }
  return out;
}

/** Where a link's text stops: white space, control characters, `<`, `>`, `"`, `` ` ``. */
function isLinkChar(u: number): boolean {
  return u > 0x20 && u !== 0x7f && u !== 0x3c && u !== 0x3e && u !== 0x22 && u !== 0x60 && !(u >= 0x80 && u <= 0x9f) &&
    u !== 0xa0 && u !== 0x1680 && !(u >= 0x2000 && u <= 0x200a) && u !== 0x2028 && u !== 0x2029 && u !== 0x202f && u !== 0x205f && u !== 0x3000 && u !== 0xfeff;
}

/** Sentence punctuation a link does not end with: `. , ; : ! ? ' ) ] }`. */
const isTrailing = (u: number): boolean => u === 0x2e || u === 0x2c || u === 0x3b || u === 0x3a || u === 0x21 || u === 0x3f || u === 0x27 || u === 0x29 || u === 0x5d || u === 0x7d;

/** The end of a link's text from `i`: link characters, then trailing punctuation dropped (but never before `min`). */
function linkEnd(s: string, i: number, min: number): number {
  let e = i;
  while (isLinkChar(at(s, e))) e++;
  while (e > min && isTrailing(at(s, e - 1))) e--;
  return e;
}

const isSchemeChar = (u: number): boolean => isAsciiAlnum(u) || u === 0x2b || u === 0x2d || u === 0x2e;

/** A `scheme://...` link at `i` (not inside a word): its end, or -1. */
function schemeLink(s: string, i: number): number {
  if (!isAsciiLetter(at(s, i)) || isSchemeChar(at(s, i - 1))) return -1;
  let p = i + 1;
  while (isSchemeChar(at(s, p))) p++;
  if (at(s, p) !== 0x3a || at(s, p + 1) !== 0x2f || at(s, p + 2) !== 0x2f) return -1;
  const e = linkEnd(s, p + 3, p + 3);
  return e > p + 3 ? e : -1;
}

/** A bare web address at `i` (`www.x.com/a`, `x.com`): not inside a word, a path or an address; its end, or -1. */
function bareLink(s: string, i: number): number {
  const before = at(s, i - 1);
  if (!isAsciiAlnum(at(s, i)) || isLabelChar(before) || before === 0x2e || before === 0x5f || before === 0x40 || before === 0x2f || before === 0x5c) return -1;
  const d = domainEnd(s, i);
  if (d < 0) return -1;
  const next = at(s, d);
  if (isLabelChar(next) || next === 0x5f || next === 0x40 || (next === 0x2e && isAsciiAlnum(at(s, d + 1)))) return -1;
  let e = d;
  if (next === 0x3a && isDigit(at(s, d + 1))) {
    e = d + 1;
    while (isDigit(at(s, e))) e++;
  }
  const u = at(s, e);
  // `x.com:80@evil.example/` is user info before another host, as a browser reads it: the
  // link runs on, so host() sees `evil.example` (a bare address followed by `@` is an email).
  return u === 0x2f || u === 0x3f || u === 0x23 || (e > d && u === 0x40) ? linkEnd(s, e, e + 1) : e;
}

/**
 * `urls(s)`: every link written in `s`, in order: `scheme://...` links as
 * written, and bare web addresses (`www.x.com/a`, `x.com`: a domain whose last
 * label is letters, an optional port, path, query or fragment) with `http://`
 * in front so `host()` reads them. A link runs to white space, a control
 * character or one of `< > " \``, less trailing `. , ; : ! ? ' ) ] }`.
 */
export function urls(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const e = schemeLink(s, i);
    if (e >= 0) {
      out.push(s.slice(i, e));
      i = e - 1;
      continue;
    }
    const b = bareLink(s, i);
    if (b >= 0) {
      out.push("http://" + s.slice(i, b));
      i = b - 1;
    }
  }
  return out;
}
