// pol's plain string builtins for wasm: trim, len, starts_with, ends_with,
// contains; twin of stdlib/ts/text.ts. Only `contains` with a long needle
// uses the arena (for its KMP table); the rest read in place.

import { arenaAlloc } from "./arena";
import { isHigh, isLow, slen32, slice, sptr, unit } from "./str";

/** Exactly the set JS `String.prototype.trim` strips; see stdlib/ts/text.ts. */
function isTrimSpace(u: i32): bool {
  if (u <= 0x20) return u == 0x20 || (u >= 0x09 && u <= 0x0d);
  if (u < 0xa0) return false;
  return (
    u == 0xa0 ||
    u == 0x1680 ||
    (u >= 0x2000 && u <= 0x200a) ||
    u == 0x2028 ||
    u == 0x2029 ||
    u == 0x202f ||
    u == 0x205f ||
    u == 0x3000 ||
    u == 0xfeff
  );
}

export function std_trim(s: i64): i64 {
  let a = 0;
  let b = slen32(s);
  while (a < b && isTrimSpace(unit(s, a))) a++;
  while (b > a && isTrimSpace(unit(s, b - 1))) b--;
  return slice(s, a, b);
}

/** Number of code points: a surrogate pair counts once, a lone surrogate once. */
export function std_len(s: i64): f64 {
  const len = slen32(s);
  let n = len;
  for (let i = 1; i < len; i++) {
    if (isLow(unit(s, i)) && isHigh(unit(s, i - 1))) {
      n--;
      i++;
    }
  }
  return <f64>n;
}

export function std_starts_with(s: i64, p: i64): bool {
  const m = slen32(p);
  if (m > slen32(s)) return false;
  return memory.compare(sptr(s), sptr(p), <usize>m << 1) == 0;
}

export function std_ends_with(s: i64, p: i64): bool {
  const m = slen32(p);
  const n = slen32(s);
  if (m > n) return false;
  return memory.compare(sptr(s) + (<usize>(n - m) << 1), sptr(p), <usize>m << 1) == 0;
}

/** Needles up to this length are searched naively (at most this many compares per position). */
const NAIVE_MAX = 8;

export function std_contains(s: i64, p: i64): bool {
  const n = slen32(s);
  const m = slen32(p);
  if (m == 0) return true;
  if (m > n) return false;
  if (m <= NAIVE_MAX) {
    for (let i = 0; i <= n - m; i++) {
      let k = 0;
      while (k < m && unit(s, i + k) == unit(p, k)) k++;
      if (k == m) return true;
    }
    return false;
  }
  // Knuth–Morris–Pratt keeps long needles linear: fail[k] is the length of
  // the longest proper border of p[0..k].
  const fail = arenaAlloc(<usize>m << 2);
  store<i32>(fail, 0);
  let k = 0;
  for (let i = 1; i < m; i++) {
    while (k > 0 && unit(p, i) != unit(p, k)) k = load<i32>(fail + (<usize>(k - 1) << 2));
    if (unit(p, i) == unit(p, k)) k++;
    store<i32>(fail + (<usize>i << 2), k);
  }
  k = 0;
  for (let i = 0; i < n; i++) {
    while (k > 0 && unit(s, i) != unit(p, k)) k = load<i32>(fail + (<usize>(k - 1) << 2));
    if (unit(s, i) == unit(p, k)) k++;
    if (k == m) return true;
  }
  return false;
}
