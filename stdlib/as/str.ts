// String refs and UTF-16 helpers for pol's AssemblyScript stdlib and the code
// the compiler generates. A string is an i64: low 32 bits the byte address of
// its UTF-16 code units in linear memory, high 32 bits its length in units.

@inline export function sref(ptr: usize, len: u32): i64 {
  return (<i64>len << 32) | <i64>(<u32>ptr);
}

@inline export function sptr(s: i64): usize {
  return <usize>(<u32>s);
}

@inline export function slen(s: i64): u32 {
  return <u32>(s >>> 32);
}

/**
 * FNV-1a (32-bit) over the string's UTF-16 code units: the key rule indexes dispatch on
 * (compiler/index-rules.ts computes the same hash of each constant at compile time).
 */
export function str_hash(s: i64): u32 {
  const p = sptr(s);
  const n = <usize>slen(s);
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < n; i++) h = (h ^ <u32>load<u16>(p + (i << 1))) * 16777619;
  return h;
}

/** The same hash over the bits of a number, -0 taken as 0 (they compare equal). */
export function num_hash(x: f64): u32 {
  const b = reinterpret<u64>(x == 0 ? 0.0 : x);
  let h: u32 = 0x811c9dc5;
  h = (h ^ <u32>(b & 0xffffffff)) * 16777619;
  h = (h ^ <u32>(b >>> 32)) * 16777619;
  return h;
}

/** Code-unit equality of two string refs. */
@inline export function str_eq(a: i64, b: i64): bool {
  const n = slen(a);
  if (n != slen(b)) return false;
  if (sptr(a) == sptr(b)) return true;
  return memory.compare(sptr(a), sptr(b), <usize>n << 1) == 0;
}

/** The code unit at `i`, or -1 past either end (mirrors `at` in stdlib/ts/pii.ts). */
@inline export function at(s: i64, i: i32): i32 {
  if (i < 0 || <u32>i >= slen(s)) return -1;
  return <i32>load<u16>(sptr(s) + (<usize>i << 1));
}

/** The code unit at `i`; the caller guarantees 0 <= i < length. */
@inline export function unit(s: i64, i: i32): i32 {
  return <i32>load<u16>(sptr(s) + (<usize>i << 1));
}

@inline export function slen32(s: i64): i32 {
  return <i32>slen(s);
}

/** `s[a..b)` as a string ref sharing the same memory. */
@inline export function slice(s: i64, a: i32, b: i32): i64 {
  return sref(sptr(s) + (<usize>a << 1), <u32>(b - a));
}

@inline export function isHigh(u: i32): bool {
  return u >= 0xd800 && u <= 0xdbff;
}

@inline export function isLow(u: i32): bool {
  return u >= 0xdc00 && u <= 0xdfff;
}

/** The code point starting at unit `i` (a lone surrogate is returned as itself); mirrors stdlib/ts/utf16.ts. */
export function cpAt(s: i64, i: i32): i32 {
  const u = unit(s, i);
  if (isHigh(u) && i + 1 < slen32(s)) {
    const v = unit(s, i + 1);
    if (isLow(v)) return 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
  }
  return u;
}

@inline export function cpWidth(c: i32): i32 {
  return c > 0xffff ? 2 : 1;
}

@inline export function isDigit(u: i32): bool {
  return u >= 0x30 && u <= 0x39;
}

@inline export function isAsciiLetter(u: i32): bool {
  return (u | 0x20) >= 0x61 && (u | 0x20) <= 0x7a;
}

@inline export function isAsciiAlnum(u: i32): bool {
  return isDigit(u) || isAsciiLetter(u);
}

@inline export function asciiLower(u: i32): i32 {
  return u >= 0x41 && u <= 0x5a ? u + 32 : u;
}

/**
 * The failure value ⊥ of a string-valued builtin (`host`, `domain`): no real
 * ref has this address and length. Generated code tests it with is_bot.
 */
export const BOT: i64 = -1;

@inline export function is_bot(s: i64): bool {
  return s == BOT;
}

/**
 * Kleene `not` on a three-valued bool: 0 false, 1 true, 2 + site for ⊥
 * (the failing call site, so reasons can name the input); ⊥ stays ⊥.
 */
@inline export function tri_not(x: i32): i32 {
  return x < 2 ? 1 - x : x;
}
