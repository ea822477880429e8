// pol's `urls` and `emails` builtins for wasm: the links and addresses written
// in a text, as a list ref (address of i64 string refs in the arena, count);
// twin of stdlib/ts/links.ts, line for line. Bare web addresses get `http://`
// written in front, in the arena.

import { arenaAlloc } from "./arena";
import { at, isAsciiAlnum, isAsciiLetter, isDigit, slen32, slice, sptr, sref } from "./str";
import { isLocalChar } from "./pii";

@inline function isLabelChar(u: i32): bool {
  return isAsciiAlnum(u) || u == 0x2d;
}

function domainEnd(s: i64, i: i32): i32 {
  let best = -1;
  let labels = 0;
  let p = i;
  for (;;) {
    const st = p;
    while (isLabelChar(at(s, p))) p++;
    const n = p - st;
    if (n < 1 || n > 63 || at(s, st) == 0x2d || at(s, p - 1) == 0x2d) break;
    labels++;
    if (labels >= 2) {
      let letters = n >= 2;
      for (let k = st; k < p && letters; k++) letters = isAsciiLetter(at(s, k));
      if (letters) best = p;
    }
    if (at(s, p) != 0x2e || !isLabelChar(at(s, p + 1))) break;
    p++;
  }
  return best;
}

/** A growable list of string refs in the arena: doubling copies; the arena is reset after the decision. */
let LIST: usize = 0;
let COUNT: u32 = 0;
let CAP: u32 = 0;

function listStart(): void {
  CAP = 8;
  COUNT = 0;
  LIST = arenaAlloc(<usize>CAP << 3);
}

function push(x: i64): void {
  if (COUNT == CAP) {
    const bigger = arenaAlloc(<usize>CAP << 4);
    memory.copy(bigger, LIST, <usize>CAP << 3);
    LIST = bigger;
    CAP <<= 1;
  }
  store<i64>(LIST + (<usize>COUNT << 3), x);
  COUNT++;
}

@inline function listRef(): i64 {
  return (<i64>COUNT << 32) | <i64>(<u32>LIST);
}

export function std_emails(s: i64): i64 {
  listStart();
  const len = slen32(s);
  let from = 0;
  for (let p = 0; p < len; p++) {
    if (at(s, p) != 0x40) continue;
    let a = p;
    while (a > from && isLocalChar(at(s, a - 1))) a--;
    for (let k = p - 1; k > a; k--) {
      if (at(s, k) == 0x2e && at(s, k - 1) == 0x2e) {
        a = k + 1;
        break;
      }
    }
    while (a < p && at(s, a) == 0x2e) a++;
    if (p - a < 1 || p - a > 64 || at(s, p - 1) == 0x2e) continue;
    const e = domainEnd(s, p + 1);
    if (e < 0) continue;
    push(slice(s, a, e));
    from = e;
    p = e - 1;
  }
  return listRef();
}

function isLinkChar(u: i32): bool {
  return u > 0x20 && u != 0x7f && u != 0x3c && u != 0x3e && u != 0x22 && u != 0x60 && !(u >= 0x80 && u <= 0x9f) &&
    u != 0xa0 && u != 0x1680 && !(u >= 0x2000 && u <= 0x200a) && u != 0x2028 && u != 0x2029 && u != 0x202f && u != 0x205f && u != 0x3000 && u != 0xfeff;
}

@inline function isTrailing(u: i32): bool {
  return u == 0x2e || u == 0x2c || u == 0x3b || u == 0x3a || u == 0x21 || u == 0x3f || u == 0x27 || u == 0x29 || u == 0x5d || u == 0x7d;
}

function linkEnd(s: i64, i: i32, min: i32): i32 {
  let e = i;
  while (isLinkChar(at(s, e))) e++;
  while (e > min && isTrailing(at(s, e - 1))) e--;
  return e;
}

@inline function isSchemeChar(u: i32): bool {
  return isAsciiAlnum(u) || u == 0x2b || u == 0x2d || u == 0x2e;
}

function schemeLink(s: i64, i: i32): i32 {
  if (!isAsciiLetter(at(s, i)) || isSchemeChar(at(s, i - 1))) return -1;
  let p = i + 1;
  while (isSchemeChar(at(s, p))) p++;
  if (at(s, p) != 0x3a || at(s, p + 1) != 0x2f || at(s, p + 2) != 0x2f) return -1;
  const e = linkEnd(s, p + 3, p + 3);
  return e > p + 3 ? e : -1;
}

function bareLink(s: i64, i: i32): i32 {
  const before = at(s, i - 1);
  if (!isAsciiAlnum(at(s, i)) || isLabelChar(before) || before == 0x2e || before == 0x5f || before == 0x40 || before == 0x2f || before == 0x5c) return -1;
  const d = domainEnd(s, i);
  if (d < 0) return -1;
  const next = at(s, d);
  if (isLabelChar(next) || next == 0x5f || next == 0x40 || (next == 0x2e && isAsciiAlnum(at(s, d + 1)))) return -1;
  let e = d;
  if (next == 0x3a && isDigit(at(s, d + 1))) {
    e = d + 1;
    while (isDigit(at(s, e))) e++;
  }
  const u = at(s, e);
  // `x.com:80@evil.example/` is user info before another host, as a browser reads it: the
  // link runs on, so host() sees `evil.example` (a bare address followed by `@` is an email).
  return u == 0x2f || u == 0x3f || u == 0x23 || (e > d && u == 0x40) ? linkEnd(s, e, e + 1) : e;
}

/** `http://` followed by s[a..b), written in the arena. */
function withScheme(s: i64, a: i32, b: i32): i64 {
  const n = b - a;
  const p = arenaAlloc(<usize>(n + 7) << 1);
  store<u16>(p, 0x68);
  store<u16>(p + 2, 0x74);
  store<u16>(p + 4, 0x74);
  store<u16>(p + 6, 0x70);
  store<u16>(p + 8, 0x3a);
  store<u16>(p + 10, 0x2f);
  store<u16>(p + 12, 0x2f);
  memory.copy(p + 14, sptr(s) + (<usize>a << 1), <usize>n << 1);
  return sref(p, <u32>(n + 7));
}

export function std_urls(s: i64): i64 {
  listStart();
  const len = slen32(s);
  for (let i = 0; i < len; i++) {
    const e = schemeLink(s, i);
    if (e >= 0) {
      push(slice(s, i, e));
      i = e - 1;
      continue;
    }
    const b = bareLink(s, i);
    if (b >= 0) {
      push(withScheme(s, i, b));
      i = b - 1;
    }
  }
  return listRef();
}
