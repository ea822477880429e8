// pol's `in_cidr` and `is_ip` builtins for wasm; a function-for-function port
// of stdlib/ts/cidr.ts. Addresses are parsed into host.ts's WORDS buffer; the
// address under test is copied to a second static buffer (no allocation).

import { KIND_DOMAIN, KIND_V4, KIND_V6, WORDS, parseAddress, parseV6, wget, wset } from "./host";
import { arenaEpoch } from "./arena";
import { isDigit, slen32, unit } from "./str";

const A: usize = memory.data(16, 8);

function parseQuad(s: i64, a: i32, b: i32): bool {
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
  for (let k = 0; k < 5; k++) wset(k, 0);
  wset(5, 0xffff);
  wset(6, <i32>(value >>> 16));
  wset(7, <i32>(value & 0xffff));
  return true;
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

function parseRange(c: i64): i32 {
  const n = slen32(c);
  let slash = n;
  for (let i = 0; i < n; i++) {
    if (unit(c, i) == 0x2f) {
      slash = i;
      break;
    }
  }
  let v6 = false;
  for (let i = 0; i < slash; i++) if (unit(c, i) == 0x3a) v6 = true;
  if (v6 ? !parseV6(c, 0, slash) : !parseQuad(c, 0, slash)) return -1;
  const max = v6 ? 128 : 32;
  const p = slash == n ? max : parsePrefix(c, slash + 1, n, max);
  if (p < 0) return -1;
  return v6 ? p : p + 96;
}

// The address last read into A (see arenaEpoch): `any net in L: in_cidr(host(u), net)` reads it once.
let memoEpoch: u64 = 0;
let memoIn: i64 = 0;
let memoKind: i32 = 0;

/** 0 false, 1 true, 2 failure (⊥). */
export function std_in_cidr(x: i64, cidr: i64): i32 {
  const e = arenaEpoch();
  let kind = memoKind;
  if (memoEpoch != e || memoIn != x) {
    kind = parseAddress(x);
    if (kind != 0) memory.copy(A, WORDS, 16);
    memoEpoch = e;
    memoIn = x;
    memoKind = kind;
  }
  if (kind == 0) return 2;
  const prefix = parseRange(cidr);
  if (prefix < 0) return 2;
  if (kind == KIND_DOMAIN) return 0;
  let left = prefix;
  for (let k = 0; left > 0; k++) {
    const take = left >= 16 ? 16 : left;
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((<i32>load<u16>(A + (<usize>k << 1)) & mask) != (wget(k) & mask)) return 0;
    left -= take;
  }
  return 1;
}

export function std_is_ip(s: i64): bool {
  const kind = parseAddress(s);
  return kind == KIND_V4 || kind == KIND_V6;
}
