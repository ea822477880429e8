// pol's `host` (of a URL), `is_url` and `domain` (of an email address)
// builtins, TypeScript reference. host() answers what a WHATWG parser
// (browsers, fetch) answers, or fails (null, the interpreter's ⊥) where
// parsers disagree or pol cannot check the host. stdlib/as/url.ts is the twin.

import { REFUSAL, hostText, lastRefusal, parseV6, refuse, serialiseV6 } from "./host.js";
import { is_email } from "./pii.js";
import { asciiLower, isAsciiLetter, isDigit } from "./utf16.js";

const isSchemeChar = (u: number): boolean => isAsciiLetter(u) || isDigit(u) || u === 0x2b || u === 0x2d || u === 0x2e;
const isTabOrNewline = (u: number): boolean => u === 0x09 || u === 0x0a || u === 0x0d;

/** RFC 3986 user info: unreserved, sub-delims and `:` (`%` is refused before this is asked). */
function isUserinfoChar(u: number): boolean {
  if (isAsciiLetter(u) || isDigit(u)) return true;
  return u === 0x2d || u === 0x2e || u === 0x5f || u === 0x7e || u === 0x21 || u === 0x24 || (u >= 0x26 && u <= 0x2c) || u === 0x3b || u === 0x3d || u === 0x3a;
}

const NON_SPECIAL = 0;
const SPECIAL = 1;
const FILE = 2;

/** Whether `s[a..b)` equals the lower-case ASCII `lit`, ignoring ASCII case. */
function eqLower(s: string, a: number, b: number, lit: string): boolean {
  if (b - a !== lit.length) return false;
  for (let k = 0; k < lit.length; k++) if (asciiLower(s.charCodeAt(a + k)) !== lit.charCodeAt(k)) return false;
  return true;
}

/** WHATWG's special schemes decide how the rest is read; `file` has its own rules. */
function schemeKind(s: string, b: number): number {
  if (eqLower(s, 0, b, "http") || eqLower(s, 0, b, "https") || eqLower(s, 0, b, "ws") || eqLower(s, 0, b, "wss") || eqLower(s, 0, b, "ftp")) return SPECIAL;
  return eqLower(s, 0, b, "file") ? FILE : NON_SPECIAL;
}

/** Whether `s[a..b)` is exactly the text `t`. */
function sameText(s: string, a: number, b: number, t: string): boolean {
  if (b - a !== t.length) return false;
  for (let k = 0; k < t.length; k++) if (s.charCodeAt(a + k) !== t.charCodeAt(k)) return false;
  return true;
}

/** The port after the `:` at `p`, up to `e`: digits only (possibly none), at most 65535. */
function validPort(s: string, p: number, e: number): boolean {
  let v = 0;
  for (let k = p + 1; k < e; k++) {
    const u = s.charCodeAt(k);
    if (!isDigit(u)) return false;
    v = Math.min(v * 10 + (u - 0x30), 100000);
  }
  return v <= 65535;
}

/**
 * `host(url)`: the host a WHATWG URL parser gives `url` (the `hostname`:
 * lower-cased, IPv4 in any form as a dotted quad, IPv6 bracketed and
 * compressed, fullwidth forms and ideographic full stops mapped), or null when
 * `url` is not `scheme://` + authority, has no host, or is ambiguous: parsers
 * that read URLs differently (RFC 3986's urllib, Go, curl) could reach
 * another host. The refusal classes are REFUSAL in host.ts; each is checked
 * on the text before the end of the authority (the first `/`, `?` or `#`
 * after `//`), so paths, queries and fragments are never refused.
 */
export function host(url: string): string | null {
  // The last answer, as the wasm twin keeps it: rules over lists of ranges read host(args.url) once per range.
  if (url === memo.in) return memo.out ?? refuse(memo.why);
  const out = hostOf(url);
  memo.in = url;
  memo.out = out;
  memo.why = lastRefusal();
  return out;
}

const memo: { in?: string; out: string | null; why: number } = { out: null, why: 0 };

function hostOf(url: string): string | null {
  const n = url.length;
  if (n > 0 && url.charCodeAt(0) <= 0x20) return refuse(REFUSAL.CONTROL);
  if (n === 0 || !isAsciiLetter(url.charCodeAt(0))) return refuse(REFUSAL.NO_SCHEME);
  let i = 1;
  while (i < n && isSchemeChar(url.charCodeAt(i))) i++;
  if (i < n && isTabOrNewline(url.charCodeAt(i))) return refuse(REFUSAL.CONTROL);
  if (i === n || url.charCodeAt(i) !== 0x3a) return refuse(REFUSAL.NO_SCHEME);
  const kind = schemeKind(url, i);
  i++;
  let slashes = 0;
  for (; i < n; i++) {
    const u = url.charCodeAt(i);
    if (u === 0x5c) return refuse(REFUSAL.BACKSLASH);
    if (isTabOrNewline(u)) return refuse(REFUSAL.CONTROL);
    if (u !== 0x2f) break;
    slashes++;
  }
  if (slashes !== 2) return refuse(kind === SPECIAL || (kind === FILE && slashes < 2) ? REFUSAL.SLASHES : REFUSAL.NO_HOST);
  // The authority, up to the first `/`, `?` or `#` (where RFC 3986 parsers end it too).
  const a = i;
  let e = a;
  let at = -1;
  for (; e < n; e++) {
    const u = url.charCodeAt(e);
    if (u === 0x2f || u === 0x3f || u === 0x23) break;
    if (u === 0x5c) return refuse(REFUSAL.BACKSLASH);
    if (u <= 0x20 || u === 0x7f) return refuse(REFUSAL.CONTROL);
    if (u === 0x25) return refuse(REFUSAL.PERCENT);
    if (u === 0x40) {
      if (at >= 0) return refuse(REFUSAL.SEVERAL_AT);
      at = e;
    }
  }
  if (kind === FILE) return refuse(a === e ? REFUSAL.NO_HOST : REFUSAL.FILE_HOST);
  let hs = a;
  if (at >= 0) {
    for (let k = a; k < at; k++) if (!isUserinfoChar(url.charCodeAt(k))) return refuse(REFUSAL.USERINFO);
    hs = at + 1;
  }
  let he = hs;
  if (hs < e && url.charCodeAt(hs) === 0x5b) {
    while (he < e && url.charCodeAt(he) !== 0x5d) he++;
    if (he === e) return refuse(REFUSAL.IPV6);
    he++;
    if (he < e && url.charCodeAt(he) !== 0x3a) return refuse(REFUSAL.IPV6);
  } else {
    while (he < e && url.charCodeAt(he) !== 0x3a) he++;
  }
  if (he < e && !validPort(url, he, e)) return refuse(REFUSAL.PORT);
  if (he === hs) return refuse(REFUSAL.NO_HOST);
  if (url.charCodeAt(hs) === 0x5b) return parseV6(url, hs + 1, he - 1) ? `[${serialiseV6()}]` : refuse(REFUSAL.IPV6);
  const h = hostText(url, hs, he);
  // A non-special URL keeps its host as written (an opaque host): accepted only when that is already canonical.
  if (h !== null && kind === NON_SPECIAL && !sameText(url, hs, he, h)) return refuse(REFUSAL.OPAQUE_HOST);
  return h;
}

/** `is_url(s)`: whether host(s) succeeds. Never fails. */
export function is_url(s: string): boolean {
  return host(s) !== null;
}

/**
 * `domain(s)`: the ASCII-lower-cased domain of `s` when `s` is exactly one
 * bare address (is_email), else null: several addresses, display names,
 * header injection (`\r\nBcc:`) and `x@evil.org@acme.com` all fail.
 */
export function domain(s: string): string | null {
  if (!is_email(s)) return null;
  const at = s.lastIndexOf("@");
  let out = "";
  for (let i = at + 1; i < s.length; i++) out += String.fromCharCode(asciiLower(s.charCodeAt(i)));
  return out;
}
