// pol's `lower` and `upper` builtins for wasm; twin of stdlib/ts/case.ts,
// reading the same generated runs (case_table.ts). Results that differ from
// the input are written to the arena; unchanged input is returned as is.

import { LOWER_COUNT, LOWER_RUNS, UPPER_COUNT, UPPER_RUNS } from "./case_table";
import { arenaAlloc } from "./arena";
import { cpAt, cpWidth, slen, slen32, sptr, sref } from "./str";

/** Binary search for the run holding `c` (runs are 3 i32 each); returns the mapped code point or `c`. */
function lookup(runs: usize, count: i32, c: i32): i32 {
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (load<i32>(runs + <usize>mid * 12) <= c) lo = mid + 1;
    else hi = mid - 1;
  }
  if (hi < 0) return c;
  const base = runs + <usize>hi * 12;
  const start = load<i32>(base);
  const end = load<i32>(base, 4);
  const v = load<i32>(base, 8);
  if (c > end) return c;
  if ((v & 1) == 1 && ((c - start) & 1) == 1) return c;
  return c + (v >> 1);
}

export function lowerCp(c: i32): i32 {
  if (c < 0x80) return c >= 0x41 && c <= 0x5a ? c + 32 : c;
  return lookup(LOWER_RUNS, LOWER_COUNT, c);
}

export function upperCp(c: i32): i32 {
  if (c < 0x80) return c >= 0x61 && c <= 0x7a ? c - 32 : c;
  return lookup(UPPER_RUNS, UPPER_COUNT, c);
}

@inline function mapCp(c: i32, toUpper: bool): i32 {
  return toUpper ? upperCp(c) : lowerCp(c);
}

/** Maps every code point; the generator guarantees a mapping never changes the UTF-16 length. */
function mapString(s: i64, toUpper: bool): i64 {
  const n = slen32(s);
  let i = 0;
  // Find the first code point that changes; most inputs need no copy at all.
  while (i < n) {
    const c = cpAt(s, i);
    if (mapCp(c, toUpper) != c) break;
    i += cpWidth(c);
  }
  if (i == n) return s;
  const out = arenaAlloc(<usize>n << 1);
  memory.copy(out, sptr(s), <usize>i << 1);
  while (i < n) {
    const c = cpAt(s, i);
    const m = mapCp(c, toUpper);
    if (m > 0xffff) {
      store<u16>(out + (<usize>i << 1), <u16>(0xd800 + ((m - 0x10000) >> 10)));
      store<u16>(out + (<usize>i << 1) + 2, <u16>(0xdc00 + ((m - 0x10000) & 0x3ff)));
    } else {
      store<u16>(out + (<usize>i << 1), <u16>m);
    }
    i += cpWidth(c);
  }
  return sref(out, slen(s));
}

export function std_lower(s: i64): i64 {
  return mapString(s, false);
}

export function std_upper(s: i64): i64 {
  return mapString(s, true);
}
