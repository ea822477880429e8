// pol's `domain` and `host` builtins for wasm; a step-for-step port of
// stdlib/ts/url.ts. The result is a slice of the input, copied to the arena
// only when it has ASCII upper-case letters to lower.

import { arenaAlloc } from "./arena";
import { asciiLower, isAsciiLetter, isDigit, slen32, slice, sref, unit } from "./str";

/** ASCII-lower-cases `s[a..b)`. */
function lowerSlice(s: i64, a: i32, b: i32): i64 {
  let i = a;
  while (i < b && asciiLower(unit(s, i)) == unit(s, i)) i++;
  if (i == b) return slice(s, a, b);
  const out = arenaAlloc(<usize>(b - a) << 1);
  for (let k = a; k < b; k++) store<u16>(out + (<usize>(k - a) << 1), <u16>asciiLower(unit(s, k)));
  return sref(out, <u32>(b - a));
}

function stripDots(s: i64, a: i32, b: i32): i32 {
  while (b > a && unit(s, b - 1) == 0x2e) b--;
  return b;
}

export function std_domain(s: i64): i64 {
  const n = slen32(s);
  let at = n - 1;
  while (at >= 0 && unit(s, at) != 0x40) at--;
  if (at < 0) return slice(s, 0, 0);
  let end = at + 1;
  while (end < n && unit(s, end) != 0x3e) end++;
  return lowerSlice(s, at + 1, stripDots(s, at + 1, end));
}

@inline function isSchemeChar(u: i32): bool {
  return isAsciiLetter(u) || isDigit(u) || u == 0x2b || u == 0x2d || u == 0x2e;
}

@inline function endsAuthority(u: i32): bool {
  return u == 0x2f || u == 0x3f || u == 0x23 || u == 0x5c;
}

function isPortThenEnd(s: i64, k: i32): bool {
  const n = slen32(s);
  let j = k;
  while (j < n && isDigit(unit(s, j))) j++;
  return j > k && (j == n || endsAuthority(unit(s, j)));
}

function authorityStart(s: i64): i32 {
  const n = slen32(s);
  if (n > 0 && isAsciiLetter(unit(s, 0))) {
    let j = 1;
    while (j < n && isSchemeChar(unit(s, j))) j++;
    if (j < n && unit(s, j) == 0x3a) {
      if (j + 2 < n && unit(s, j + 1) == 0x2f && unit(s, j + 2) == 0x2f) return j + 3;
      if (isPortThenEnd(s, j + 1)) return 0;
      return -1;
    }
    return 0;
  }
  if (n >= 2 && unit(s, 0) == 0x2f && unit(s, 1) == 0x2f) return 2;
  return 0;
}

export function std_host(url: i64): i64 {
  const n = slen32(url);
  const start = authorityStart(url);
  if (start < 0) return slice(url, 0, 0);
  let end = start;
  while (end < n && !endsAuthority(unit(url, end))) end++;
  let hs = start;
  for (let i = start; i < end; i++) if (unit(url, i) == 0x40) hs = i + 1;
  let he = hs;
  if (hs < end && unit(url, hs) == 0x5b) {
    hs++;
    he = hs;
    while (he < end && unit(url, he) != 0x5d) he++;
    if (he == end) return slice(url, 0, 0);
  } else {
    while (he < end && unit(url, he) != 0x3a) he++;
  }
  return lowerSlice(url, hs, stripDots(url, hs, he));
}

