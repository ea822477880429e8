// pol's plain string builtins (TypeScript reference): trim, len, starts_with,
// ends_with, contains. Called by the interpreter through stdlib/signatures.ts;
// stdlib/as/text.ts is the wasm twin.

import { isHigh, isLow } from "./utf16.js";

/**
 * The white space `trim` strips: exactly the set JS `String.prototype.trim`
 * strips (WhiteSpace and LineTerminator of ECMA-262): U+0009–U+000D, U+0020,
 * U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF.
 * Fixed here (not taken from the host) so wasm and interpreter agree forever.
 */
export function isTrimSpace(u: number): boolean {
  if (u <= 0x20) return u === 0x20 || (u >= 0x09 && u <= 0x0d);
  if (u < 0xa0) return false;
  return (
    u === 0xa0 ||
    u === 0x1680 ||
    (u >= 0x2000 && u <= 0x200a) ||
    u === 0x2028 ||
    u === 0x2029 ||
    u === 0x202f ||
    u === 0x205f ||
    u === 0x3000 ||
    u === 0xfeff
  );
}

/** `trim(s)`: `s` without leading and trailing white space (see isTrimSpace); same result as JS `s.trim()`. */
export function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isTrimSpace(s.charCodeAt(a))) a++;
  while (b > a && isTrimSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Number of code points in `s`: a surrogate pair counts once, a lone surrogate counts once. */
export function codePointCount(s: string): number {
  let n = s.length;
  for (let i = 1; i < s.length; i++) {
    if (isLow(s.charCodeAt(i)) && isHigh(s.charCodeAt(i - 1))) {
      n--;
      i++; // the low half cannot also start a pair
    }
  }
  return n;
}

/** `len(x)`: for a string, its number of code points (`len("😀") == 1`); for a list, its number of items. */
export function len(x: string | readonly unknown[]): number {
  return typeof x === "string" ? codePointCount(x) : x.length;
}

/** `starts_with(s, p)`: whether `s` begins with `p`, comparing UTF-16 code units exactly (no case folding); `p == ""` is always true. */
export function starts_with(s: string, p: string): boolean {
  return s.startsWith(p);
}

/** `ends_with(s, p)`: whether `s` ends with `p`, comparing UTF-16 code units exactly; `p == ""` is always true. */
export function ends_with(s: string, p: string): boolean {
  return s.endsWith(p);
}

/** `contains(s, p)`: whether `p` occurs in `s` as a run of UTF-16 code units (case-sensitive); `p == ""` is always true. */
export function contains(s: string, p: string): boolean {
  return s.includes(p);
}
