// pol's `domain` (of an email address) and `host` (of a URL) builtins,
// TypeScript reference. A hand-written parser, never JS `URL`, so that
// stdlib/as/url.ts can match it code unit for code unit.

import { asciiLower, isAsciiLetter, isDigit } from "./utf16.js";

/** ASCII-lower-cases `s[a..b)` and returns it. */
function lowerSlice(s: string, a: number, b: number): string {
  let out = "";
  for (let i = a; i < b; i++) out += String.fromCharCode(asciiLower(s.charCodeAt(i)));
  return out;
}

/** Moves `b` left past trailing `.` characters, never below `a`. */
function stripDots(s: string, a: number, b: number): number {
  while (b > a && s.charCodeAt(b - 1) === 0x2e) b--;
  return b;
}

/**
 * `domain(s)`: the text after the last `@` of `s`, up to the end or the first
 * `>` after that `@` (so `"Ann <ann@Acme.com>"` gives `acme.com`), with
 * trailing dots removed and ASCII letters lower-cased; `""` when `s` has no
 * `@`. Nothing is validated: use `is_email` for that.
 */
export function domain(s: string): string {
  const at = s.lastIndexOf("@");
  if (at < 0) return "";
  let end = s.indexOf(">", at + 1);
  if (end < 0) end = s.length;
  return lowerSlice(s, at + 1, stripDots(s, at + 1, end));
}

const isSchemeChar = (u: number): boolean => isAsciiLetter(u) || isDigit(u) || u === 0x2b || u === 0x2d || u === 0x2e;
/** `/ ? # \` end the authority. */
const endsAuthority = (u: number): boolean => u === 0x2f || u === 0x3f || u === 0x23 || u === 0x5c;

/** Whether `s[k..]` is one or more digits followed by the end or an authority terminator. */
function isPortThenEnd(s: string, k: number): boolean {
  let j = k;
  while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  return j > k && (j === s.length || endsAuthority(s.charCodeAt(j)));
}

/** Where the authority of `s` starts, or -1 when `s` has a scheme but no authority. */
function authorityStart(s: string): number {
  const n = s.length;
  if (n > 0 && isAsciiLetter(s.charCodeAt(0))) {
    let j = 1;
    while (j < n && isSchemeChar(s.charCodeAt(j))) j++;
    if (j < n && s.charCodeAt(j) === 0x3a) {
      if (j + 2 < n && s.charCodeAt(j + 1) === 0x2f && s.charCodeAt(j + 2) === 0x2f) return j + 3;
      // `localhost:8080/x` is a host and port, not a scheme.
      if (isPortThenEnd(s, j + 1)) return 0;
      return -1;
    }
    return 0;
  }
  if (n >= 2 && s.charCodeAt(0) === 0x2f && s.charCodeAt(1) === 0x2f) return 2;
  return 0;
}

/**
 * `host(url)`: the host of a URL, ASCII-lower-cased, by these steps:
 * 1. A scheme is `[A-Za-z][A-Za-z0-9+.-]*:`. With a scheme, the authority
 *    starts after `scheme://`; a scheme without `//` (`mailto:x`) means no
 *    host, `""`. Exception: when the text after the `:` is digits followed by
 *    the end or `/ ? # \`, the "scheme" is a host and port (`localhost:8080`).
 *    Without a scheme the authority starts after a leading `//`, or at the
 *    start of the string (`example.com/path` gives `example.com`).
 * 2. The authority ends at the first `/`, `?`, `#` or `\`.
 * 3. Everything up to the last `@` of the authority (user info) is dropped.
 * 4. `[...]` gives the text inside the brackets (`[::1]:80` gives `::1`; no
 *    `]` gives `""`); otherwise the host ends at the first `:` (the port).
 * 5. Trailing dots are removed. Nothing else is validated or decoded.
 */
export function host(url: string): string {
  const start = authorityStart(url);
  if (start < 0) return "";
  let end = start;
  while (end < url.length && !endsAuthority(url.charCodeAt(end))) end++;
  let hs = start;
  for (let i = start; i < end; i++) if (url.charCodeAt(i) === 0x40) hs = i + 1;
  let he = hs;
  if (hs < end && url.charCodeAt(hs) === 0x5b) {
    hs++;
    he = hs;
    while (he < end && url.charCodeAt(he) !== 0x5d) he++;
    if (he === end) return "";
  } else {
    while (he < end && url.charCodeAt(he) !== 0x3a) he++;
  }
  return lowerSlice(url, hs, stripDots(url, hs, he));
}
