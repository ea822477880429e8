// pol's `in_cidr` builtin for wasm; a function-for-function port of
// stdlib/ts/cidr.ts. Addresses are parsed into eight 16-bit words held in two
// static scratch buffers (no allocation).

import { isDigit, slen32, unit } from "./str";

const W1: usize = memory.data(16, 8);
const W2: usize = memory.data(16, 8);

@inline function wget(w: usize, k: i32): i32 {
  return <i32>load<u16>(w + (<usize>k << 1));
}

@inline function wset(w: usize, k: i32, v: i32): void {
  store<u16>(w + (<usize>k << 1), <u16>v);
}

function hexVal(u: i32): i32 {
  if (u >= 0x30 && u <= 0x39) return u - 0x30;
  const l = u | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function parseV4(s: i64, a: i32, b: i32, w: usize, at: i32): bool {
  let value: u32 = 0;
  let i = a;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= b || unit(s, i) != 0x2e) return false;
      i++;
    }
    const st = i;
    let v = 0;
    while (i < b && isDigit(unit(s, i)) && i - st < 3) {
      v = v * 10 + (unit(s, i) - 0x30);
      i++;
    }
    if (i == st || v > 255 || (i - st > 1 && unit(s, st) == 0x30)) return false;
    value = value * 256 + <u32>v;
  }
  if (i != b) return false;
  wset(w, at, <i32>(value >>> 16));
  wset(w, at + 1, <i32>(value & 0xffff));
  return true;
}

function parseV6(s: i64, a: i32, b: i32, w: usize): bool {
  let n = 0;
  let gap = -1;
  let i = a;
  if (b - a >= 2 && unit(s, a) == 0x3a && unit(s, a + 1) == 0x3a) {
    gap = 0;
    i = a + 2;
  }
  while (i < b) {
    let j = i;
    while (j < b && unit(s, j) != 0x3a && unit(s, j) != 0x2e) j++;
    if (j < b && unit(s, j) == 0x2e) {
      if (n > 6 || !parseV4(s, i, b, w, n)) return false;
      n += 2;
      i = b;
      break;
    }
    if (j == i || j - i > 4 || n == 8) return false;
    let v = 0;
    for (let k = i; k < j; k++) {
      const h = hexVal(unit(s, k));
      if (h < 0) return false;
      v = v * 16 + h;
    }
    wset(w, n++, v);
    i = j;
    if (i == b) break;
    i++;
    if (i < b && unit(s, i) == 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i == b) {
      return false;
    }
  }
  if (gap < 0) return n == 8;
  if (n > 7) return false;
  for (let k = n - 1; k >= gap; k--) wset(w, k + 8 - n, wget(w, k));
  for (let k = gap; k < gap + 8 - n; k++) wset(w, k, 0);
  return true;
}

function parseAddr(s: i64, a: i32, b: i32, w: usize): i32 {
  for (let i = a; i < b; i++) {
    if (unit(s, i) == 0x3a) return parseV6(s, a, b, w) ? 128 : 0;
  }
  return parseV4(s, a, b, w, 0) ? 32 : 0;
}

function parsePrefix(s: i64, a: i32, b: i32, max: i32): i32 {
  if (b == a || b - a > 3) return -1;
  if (b - a > 1 && unit(s, a) == 0x30) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const u = unit(s, i);
    if (!isDigit(u)) return -1;
    v = v * 10 + (u - 0x30);
  }
  return v <= max ? v : -1;
}

export function std_in_cidr(ip: i64, cidr: i64): bool {
  const bits = parseAddr(ip, 0, slen32(ip), W1);
  if (bits == 0) return false;
  const cn = slen32(cidr);
  let slash = cn;
  for (let i = 0; i < cn; i++) {
    if (unit(cidr, i) == 0x2f) {
      slash = i;
      break;
    }
  }
  if (parseAddr(cidr, 0, slash, W2) != bits) return false;
  const prefix = slash == cn ? bits : parsePrefix(cidr, slash + 1, cn, bits);
  if (prefix < 0) return false;
  let left = prefix;
  for (let k = 0; left > 0; k++) {
    const take = left >= 16 ? 16 : left;
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((wget(W1, k) & mask) != (wget(W2, k) & mask)) return false;
    left -= take;
  }
  return true;
}
