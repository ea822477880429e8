// pol's `host`, `is_url` and `domain` builtins for wasm; a step-for-step port
// of stdlib/ts/url.ts. Failure is the BOT ref (⊥); a domain host is a fresh
// arena string, an address one written by host.ts.

import { arenaAlloc, arenaEpoch } from "./arena";
import { BACKSLASH, CONTROL, FILE_HOST, IPV6, NO_HOST, NO_SCHEME, OPAQUE_HOST, PERCENT, PORT, SEVERAL_AT, SLASHES, USERINFO, hostText, lastRefusal, parseV6, refuse, serialiseV6 } from "./host";
import { std_is_email } from "./pii";
import { BOT, asciiLower, isAsciiLetter, isDigit, slen32, sref, unit } from "./str";

@inline function isSchemeChar(u: i32): bool {
  return isAsciiLetter(u) || isDigit(u) || u == 0x2b || u == 0x2d || u == 0x2e;
}

@inline function isTabOrNewline(u: i32): bool {
  return u == 0x09 || u == 0x0a || u == 0x0d;
}

function isUserinfoChar(u: i32): bool {
  if (isAsciiLetter(u) || isDigit(u)) return true;
  return u == 0x2d || u == 0x2e || u == 0x5f || u == 0x7e || u == 0x21 || u == 0x24 || (u >= 0x26 && u <= 0x2c) || u == 0x3b || u == 0x3d || u == 0x3a;
}

const NON_SPECIAL = 0;
const SPECIAL = 1;
const FILE = 2;

/** Whether `s[a..b)` equals the lower-case ASCII `lit` (a static string: no allocation), ignoring ASCII case. */
function eqLower(s: i64, a: i32, b: i32, lit: string): bool {
  if (b - a != lit.length) return false;
  for (let k = 0; k < lit.length; k++) if (asciiLower(unit(s, a + k)) != <i32>lit.charCodeAt(k)) return false;
  return true;
}

function schemeKind(s: i64, b: i32): i32 {
  if (eqLower(s, 0, b, "http") || eqLower(s, 0, b, "https") || eqLower(s, 0, b, "ws") || eqLower(s, 0, b, "wss") || eqLower(s, 0, b, "ftp")) return SPECIAL;
  return eqLower(s, 0, b, "file") ? FILE : NON_SPECIAL;
}

function sameText(s: i64, a: i32, b: i32, t: i64): bool {
  if (b - a != slen32(t)) return false;
  for (let k = 0; k < b - a; k++) if (unit(s, a + k) != unit(t, k)) return false;
  return true;
}

function validPort(s: i64, p: i32, e: i32): bool {
  let v = 0;
  for (let k = p + 1; k < e; k++) {
    const u = unit(s, k);
    if (!isDigit(u)) return false;
    v = min(v * 10 + (u - 0x30), 100000);
  }
  return v <= 65535;
}

// The last host() answer (see arenaEpoch): its input ref, result and refusal class.
let memoEpoch: u64 = 0;
let memoIn: i64 = 0;
let memoOut: i64 = 0;
let memoWhy: i32 = 0;

export function std_host(url: i64): i64 {
  const e = arenaEpoch();
  if (memoEpoch == e && memoIn == url) {
    if (memoOut == BOT) refuse(memoWhy);
    return memoOut;
  }
  const r = hostOf(url);
  memoEpoch = e;
  memoIn = url;
  memoOut = r;
  memoWhy = lastRefusal();
  return r;
}

function hostOf(url: i64): i64 {
  const n = slen32(url);
  if (n > 0 && unit(url, 0) <= 0x20) return refuse(CONTROL);
  if (n == 0 || !isAsciiLetter(unit(url, 0))) return refuse(NO_SCHEME);
  let i = 1;
  while (i < n && isSchemeChar(unit(url, i))) i++;
  if (i < n && isTabOrNewline(unit(url, i))) return refuse(CONTROL);
  if (i == n || unit(url, i) != 0x3a) return refuse(NO_SCHEME);
  const kind = schemeKind(url, i);
  i++;
  let slashes = 0;
  for (; i < n; i++) {
    const u = unit(url, i);
    if (u == 0x5c) return refuse(BACKSLASH);
    if (isTabOrNewline(u)) return refuse(CONTROL);
    if (u != 0x2f) break;
    slashes++;
  }
  if (slashes != 2) return refuse(kind == SPECIAL || (kind == FILE && slashes < 2) ? SLASHES : NO_HOST);
  const a = i;
  let e = a;
  let at = -1;
  for (; e < n; e++) {
    const u = unit(url, e);
    if (u == 0x2f || u == 0x3f || u == 0x23) break;
    if (u == 0x5c) return refuse(BACKSLASH);
    if (u <= 0x20 || u == 0x7f) return refuse(CONTROL);
    if (u == 0x25) return refuse(PERCENT);
    if (u == 0x40) {
      if (at >= 0) return refuse(SEVERAL_AT);
      at = e;
    }
  }
  if (kind == FILE) return refuse(a == e ? NO_HOST : FILE_HOST);
  let hs = a;
  if (at >= 0) {
    for (let k = a; k < at; k++) if (!isUserinfoChar(unit(url, k))) return refuse(USERINFO);
    hs = at + 1;
  }
  let he = hs;
  if (hs < e && unit(url, hs) == 0x5b) {
    while (he < e && unit(url, he) != 0x5d) he++;
    if (he == e) return refuse(IPV6);
    he++;
    if (he < e && unit(url, he) != 0x3a) return refuse(IPV6);
  } else {
    while (he < e && unit(url, he) != 0x3a) he++;
  }
  if (he < e && !validPort(url, he, e)) return refuse(PORT);
  if (he == hs) return refuse(NO_HOST);
  if (unit(url, hs) == 0x5b) return parseV6(url, hs + 1, he - 1) ? serialiseV6(true) : refuse(IPV6);
  const h = hostText(url, hs, he);
  if (h != BOT && kind == NON_SPECIAL && !sameText(url, hs, he, h)) return refuse(OPAQUE_HOST);
  return h;
}

export function std_is_url(s: i64): bool {
  return std_host(s) != BOT;
}

export function std_domain(s: i64): i64 {
  if (!std_is_email(s)) return BOT;
  const n = slen32(s);
  let at = n - 1;
  while (unit(s, at) != 0x40) at--;
  const out = arenaAlloc(<usize>(n - at - 1) << 1);
  for (let k = at + 1; k < n; k++) store<u16>(out + (<usize>(k - at - 1) << 1), <u16>asciiLower(unit(s, k)));
  return sref(out, <u32>(n - at - 1));
}
