// WHATWG host parsing for wasm: the subset pol accepts (IPv4 in every WHATWG
// form, IPv6, ASCII domains) and the refusal classes; a function-for-function
// port of stdlib/ts/host.ts (see there for the rules). Derived text goes to
// the arena; addresses to the static WORDS buffer.

import { arenaAlloc } from "./arena";
import { BOT, asciiLower, isDigit, slen32, sref, unit } from "./str";

// Refusal classes: the numbers of REFUSAL in stdlib/ts/host.ts.
export const NO_SCHEME = 1;
export const NO_HOST = 2;
export const SLASHES = 3;
export const BACKSLASH = 4;
export const CONTROL = 5;
export const SEVERAL_AT = 6;
export const PERCENT = 7;
export const USERINFO = 8;
export const PORT = 9;
export const IPV6 = 10;
export const IPV4 = 11;
export const IDN = 12;
export const HOST_CHARS = 13;
export const TRAILING_DOT = 14;
export const OPAQUE_HOST = 15;
export const FILE_HOST = 16;

let why: i32 = 0;

export function lastRefusal(): i32 {
  return why;
}

export function refuse(code: i32): i64 {
  why = code;
  return BOT;
}

export const KIND_DOMAIN = 1;
export const KIND_V4 = 2;
export const KIND_V6 = 3;

/** Eight u16 words of the last IP parsed (IPv4 as ::ffff:a.b.c.d). */
export const WORDS: usize = memory.data(16, 8);

@inline export function wget(k: i32): i32 {
  return <i32>load<u16>(WORDS + (<usize>k << 1));
}

@inline export function wset(k: i32, v: i32): void {
  store<u16>(WORDS + (<usize>k << 1), <u16>v);
}

let kind: i32 = 0;

export function lastKind(): i32 {
  return kind;
}

export function hexVal(u: i32): i32 {
  if (u >= 0x30 && u <= 0x39) return u - 0x30;
  const l = u | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

const BIG: i64 = 0x100000000;

function ipv4Number(s: i64, a: i32, b: i32): i64 {
  if (a == b) return -1;
  let radix = 10;
  if (b - a >= 2 && unit(s, a) == 0x30 && (unit(s, a + 1) | 0x20) == 0x78) {
    radix = 16;
    a += 2;
  } else if (b - a >= 2 && unit(s, a) == 0x30) {
    radix = 8;
    a += 1;
  }
  let v: i64 = 0;
  for (let i = a; i < b; i++) {
    const d = hexVal(unit(s, i));
    if (d < 0 || d >= radix) return -1;
    v = v * radix + d;
    if (v > BIG) v = BIG;
  }
  return v;
}

function lastLabel(s: i64, e: i32): i32 {
  let k = e;
  while (k > 0 && unit(s, k - 1) != 0x2e) k--;
  return k;
}

function endsInNumber(s: i64): bool {
  let e = slen32(s);
  if (e > 0 && unit(s, e - 1) == 0x2e) {
    if (e == 1) return false;
    e--;
  }
  const st = lastLabel(s, e);
  if (st == e) return false;
  let digits = true;
  for (let i = st; i < e; i++) if (!isDigit(unit(s, i))) digits = false;
  return digits || ipv4Number(s, st, e) >= 0;
}

function parseV4(s: i64): bool {
  let e = slen32(s);
  if (e > 0 && unit(s, e - 1) == 0x2e) e--;
  let parts = 1;
  for (let i = 0; i < e; i++) if (unit(s, i) == 0x2e) parts++;
  if (parts > 4) return false;
  let value: i64 = 0;
  let st = 0;
  for (let p = 0; p < parts; p++) {
    let k = st;
    while (k < e && unit(s, k) != 0x2e) k++;
    const v = ipv4Number(s, st, k);
    if (v < 0) return false;
    if (p < parts - 1) {
      if (v > 255) return false;
      value += v << <i64>(8 * (3 - p));
    } else {
      if (v >= (<i64>1 << <i64>(8 * (5 - parts)))) return false;
      value += v;
    }
    st = k + 1;
  }
  for (let k = 0; k < 5; k++) wset(k, 0);
  wset(5, 0xffff);
  wset(6, <i32>(value >> 16));
  wset(7, <i32>(value & 0xffff));
  return true;
}

@inline function cAt(s: i64, i: i32, b: i32): i32 {
  return i < b ? unit(s, i) : -1;
}

export function parseV6(s: i64, a: i32, b: i32): bool {
  for (let k = 0; k < 8; k++) wset(k, 0);
  let piece = 0;
  let compress = -1;
  let p = a;
  if (cAt(s, p, b) == 0x3a) {
    if (cAt(s, p + 1, b) != 0x3a) return false;
    p += 2;
    piece++;
    compress = piece;
  }
  while (cAt(s, p, b) != -1) {
    if (piece == 8) return false;
    if (cAt(s, p, b) == 0x3a) {
      if (compress != -1) return false;
      p++;
      piece++;
      compress = piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && hexVal(cAt(s, p, b)) >= 0) {
      value = value * 16 + hexVal(cAt(s, p, b));
      p++;
      length++;
    }
    if (cAt(s, p, b) == 0x2e) {
      if (length == 0) return false;
      p -= length;
      if (piece > 6) return false;
      let seen = 0;
      while (cAt(s, p, b) != -1) {
        let v4 = -1;
        if (seen > 0) {
          if (cAt(s, p, b) == 0x2e && seen < 4) p++;
          else return false;
        }
        if (!isDigit(cAt(s, p, b))) return false;
        while (isDigit(cAt(s, p, b))) {
          const d = cAt(s, p, b) - 0x30;
          if (v4 == -1) v4 = d;
          else if (v4 == 0) return false;
          else v4 = v4 * 10 + d;
          if (v4 > 255) return false;
          p++;
        }
        wset(piece, wget(piece) * 0x100 + v4);
        seen++;
        if (seen == 2 || seen == 4) piece++;
      }
      if (seen != 4) return false;
      break;
    } else if (cAt(s, p, b) == 0x3a) {
      p++;
      if (cAt(s, p, b) == -1) return false;
    } else if (cAt(s, p, b) != -1) return false;
    wset(piece, value);
    piece++;
  }
  if (compress != -1) {
    let swaps = piece - compress;
    piece = 7;
    while (piece != 0 && swaps > 0) {
      const t = wget(piece);
      wset(piece, wget(compress + swaps - 1));
      wset(compress + swaps - 1, t);
      piece--;
      swaps--;
    }
  } else if (piece != 8) return false;
  return true;
}

// A small writer for serialised addresses (at most 41 units with brackets).
let outPtr: usize = 0;
let outLen: i32 = 0;

function outStart(): void {
  outPtr = arenaAlloc(96);
  outLen = 0;
}

@inline function outPut(u: i32): void {
  store<u16>(outPtr + (<usize>outLen << 1), <u16>u);
  outLen++;
}

function outHex(v: i32): void {
  let shift = 12;
  while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) {
    const d = (v >> shift) & 0xf;
    outPut(d < 10 ? 0x30 + d : 0x57 + d);
  }
}

function outDec(v: i32): void {
  if (v >= 100) outPut(0x30 + v / 100);
  if (v >= 10) outPut(0x30 + (v / 10) % 10);
  outPut(0x30 + v % 10);
}

@inline function outEnd(): i64 {
  return sref(outPtr, <u32>outLen);
}

/** `words` as WHATWG serialises an IPv6 address, in brackets when `bracket`. */
export function serialiseV6(bracket: bool): i64 {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && wget(j) == 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j > i ? j : i + 1;
  }
  outStart();
  if (bracket) outPut(0x5b);
  for (let i = 0; i < 8; i++) {
    if (i == best) {
      outPut(0x3a);
      if (i == 0) outPut(0x3a);
      i += bestLen - 1;
      continue;
    }
    outHex(wget(i));
    if (i != 7) outPut(0x3a);
  }
  if (bracket) outPut(0x5d);
  return outEnd();
}

function serialiseV4(): i64 {
  outStart();
  outDec(wget(6) >> 8);
  outPut(0x2e);
  outDec(wget(6) & 255);
  outPut(0x2e);
  outDec(wget(7) >> 8);
  outPut(0x2e);
  outDec(wget(7) & 255);
  return outEnd();
}

function mapUnit(u: i32): i32 {
  if (u < 0x80) return asciiLower(u);
  if (u == 0x3002 || u == 0xff61) return 0x2e;
  if (u >= 0xff01 && u <= 0xff5e) return asciiLower(u - 0xfee0);
  return -1;
}

@inline function isHostChar(u: i32): bool {
  return (u >= 0x61 && u <= 0x7a) || isDigit(u) || u == 0x2d || u == 0x2e || u == 0x5f;
}

function idnCodePoint(c: i32): bool {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || isDigit(c) || c == 0x2d;
  return (
    (c >= 0xdf && c <= 0xff && c != 0xf7) ||
    (c >= 0x3ac && c <= 0x3ce) ||
    (c >= 0x430 && c <= 0x45f) ||
    (c >= 0x3041 && c <= 0x3096) ||
    (c >= 0x30a1 && c <= 0x30fa) ||
    c == 0x30fc ||
    (c >= 0x4e00 && c <= 0x9fa5) ||
    (c >= 0xac00 && c <= 0xd7a3)
  );
}

/** Decoded code points of the punycode label being checked (at most 63). */
const DECODED: usize = memory.data(256, 4);
let decodedLen: i32 = 0;

@inline function dget(k: i32): i32 {
  return load<i32>(DECODED + (<usize>k << 2));
}

@inline function dset(k: i32, v: i32): void {
  store<i32>(DECODED + (<usize>k << 2), v);
}

function punyDigit(u: i32): i32 {
  if (u >= 0x61 && u <= 0x7a) return u - 0x61;
  if (isDigit(u)) return u - 0x30 + 26;
  return -1;
}

function adapt(delta: i64, points: i64, first: bool): i64 {
  delta = first ? delta / 700 : delta / 2;
  delta += delta / points;
  let k: i64 = 0;
  while (delta > 455) {
    delta = delta / 35;
    k += 36;
  }
  return k + (36 * delta) / (delta + 38);
}

const MAXINT: i64 = 0x7fffffff;

function punycodeOk(s: i64, a: i32, b: i32): bool {
  if (b - a > 63) return false;
  const st = a + 4;
  let d = b - 1;
  while (d >= st && unit(s, d) != 0x2d) d--;
  decodedLen = 0;
  let p = st;
  if (d > st) {
    for (let k = st; k < d; k++) {
      dset(decodedLen, unit(s, k));
      decodedLen++;
    }
    p = d + 1;
  }
  let n: i64 = 128;
  let i: i64 = 0;
  let bias: i64 = 72;
  while (p < b) {
    const old = i;
    let w: i64 = 1;
    for (let k: i64 = 36; ; k += 36) {
      if (p >= b) return false;
      const digit = <i64>punyDigit(unit(s, p++));
      if (digit < 0 || digit > (MAXINT - i) / w) return false;
      i += digit * w;
      const t: i64 = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      if (w > MAXINT / (36 - t)) return false;
      w *= 36 - t;
    }
    const count = <i64>decodedLen + 1;
    bias = adapt(i - old, count, old == 0);
    if (i / count > MAXINT - n) return false;
    n += i / count;
    i %= count;
    if (n < 0x80 || decodedLen >= 63) return false;
    for (let k = decodedLen; k > <i32>i; k--) dset(k, dget(k - 1));
    dset(<i32>i, <i32>n);
    decodedLen++;
    i++;
  }
  let wide = false;
  for (let k = 0; k < decodedLen; k++) {
    const c = dget(k);
    if (!idnCodePoint(c)) return false;
    if (c >= 0x80) wide = true;
  }
  const xn = decodedLen >= 4 && dget(0) == 0x78 && dget(1) == 0x6e && dget(2) == 0x2d && dget(3) == 0x2d;
  return wide && !xn;
}

@inline function startsXn(m: i64, st: i32): bool {
  return unit(m, st) == 0x78 && unit(m, st + 1) == 0x6e && unit(m, st + 2) == 0x2d && unit(m, st + 3) == 0x2d;
}

export function hostText(s: i64, a: i32, b: i32): i64 {
  const buf = arenaAlloc(<usize>(b - a) << 1);
  for (let i = a; i < b; i++) {
    const u = mapUnit(unit(s, i));
    if (u < 0) return refuse(IDN);
    if (!isHostChar(u)) return refuse(u == 0x25 ? PERCENT : u == 0x3a || u == 0x5b || u == 0x5d ? IPV6 : HOST_CHARS);
    store<u16>(buf + (<usize>(i - a) << 1), <u16>u);
  }
  const m = sref(buf, <u32>(b - a));
  const len = b - a;
  if (len == 0) return refuse(NO_HOST);
  if (endsInNumber(m)) {
    if (!parseV4(m)) return refuse(IPV4);
    kind = KIND_V4;
    return serialiseV4();
  }
  if (unit(m, len - 1) == 0x2e) return refuse(TRAILING_DOT);
  for (let st = 0; st <= len; ) {
    let e = st;
    while (e < len && unit(m, e) != 0x2e) e++;
    if (e == st) return refuse(HOST_CHARS);
    if (e - st >= 4 && startsXn(m, st) && !punycodeOk(m, st, e)) return refuse(IDN);
    st = e + 1;
  }
  kind = KIND_DOMAIN;
  return m;
}

export function parseAddress(s: i64): i32 {
  const n = slen32(s);
  if (n > 0 && unit(s, 0) == 0x5b) {
    if (n < 2 || unit(s, n - 1) != 0x5d || !parseV6(s, 1, n - 1)) {
      refuse(IPV6);
      return 0;
    }
    return KIND_V6;
  }
  for (let i = 0; i < n; i++) {
    if (unit(s, i) == 0x3a) {
      if (parseV6(s, 0, n)) return KIND_V6;
      refuse(IPV6);
      return 0;
    }
  }
  return hostText(s, 0, n) == BOT ? 0 : kind;
}
