// pol's `in_cidr` and `is_ip` builtins (TypeScript reference): the address
// is read with WHATWG host rules (host.ts), the range strictly; both become
// 128-bit addresses (IPv4 as ::ffff:a.b.c.d) compared by prefix.
// stdlib/as/cidr.ts is the wasm twin, with the same functions in the same order.

import { KIND_DOMAIN, KIND_V4, KIND_V6, parseAddress, parseV6, words } from "./host.js";
import { isDigit } from "./utf16.js";

/**
 * Parses a strict dotted quad `s[a..b)` into `words` as ::ffff:a.b.c.d:
 * exactly four decimal parts of 1–3 digits, each <= 255, no leading zeros
 * (`01` is refused: some parsers read it as octal).
 */
function parseQuad(s: string, a: number, b: number): boolean {
  let value = 0;
  let i = a;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= b || s.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
    const st = i;
    let v = 0;
    while (i < b && isDigit(s.charCodeAt(i)) && i - st < 3) {
      v = v * 10 + (s.charCodeAt(i) - 0x30);
      i++;
    }
    if (i === st || v > 255 || (i - st > 1 && s.charCodeAt(st) === 0x30)) return false;
    value = value * 256 + v;
  }
  if (i !== b) return false;
  for (let k = 0; k < 5; k++) words[k] = 0;
  words[5] = 0xffff;
  words[6] = Math.floor(value / 65536);
  words[7] = value % 65536;
  return true;
}

/** Parses a prefix length `s[a..b)`: decimal, no leading zeros, at most `max`; -1 when invalid. */
function parsePrefix(s: string, a: number, b: number, max: number): number {
  if (b === a || b - a > 3) return -1;
  if (b - a > 1 && s.charCodeAt(a) === 0x30) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const u = s.charCodeAt(i);
    if (!isDigit(u)) return -1;
    v = v * 10 + (u - 0x30);
  }
  return v <= max ? v : -1;
}

/**
 * Parses a range `ADDRESS[/LENGTH]` into `words`; returns its prefix length in
 * the 128-bit space (an IPv4 length + 96), or -1. ADDRESS is a strict dotted
 * quad or IPv6 text without brackets; LENGTH is 0–32 or 0–128, no leading
 * zeros; without it the range is the one address.
 */
function parseRange(c: string): number {
  let slash = c.length;
  for (let i = 0; i < c.length; i++) {
    if (c.charCodeAt(i) === 0x2f) {
      slash = i;
      break;
    }
  }
  let v6 = false;
  for (let i = 0; i < slash; i++) if (c.charCodeAt(i) === 0x3a) v6 = true;
  if (v6 ? !parseV6(c, 0, slash) : !parseQuad(c, 0, slash)) return -1;
  const max = v6 ? 128 : 32;
  const p = slash === c.length ? max : parsePrefix(c, slash + 1, c.length, max);
  if (p < 0) return -1;
  return v6 ? p : p + 96;
}

const memo: { in?: string; kind: number; words: number[] } = { kind: 0, words: [] };

/** Whether `cidr` is a range in_cidr() accepts (the checker refuses a constant one that is not). */
export function validCidr(cidr: string): boolean {
  return parseRange(cidr) >= 0;
}

/**
 * `in_cidr(x, cidr)`: whether `x` lies in the range `cidr`. `x` is read with
 * WHATWG host rules: IPv4 in any form (`0x7f.1`, `2130706433`, `0177.0.0.1`,
 * fullwidth digits), IPv6 bracketed or not. IPv4 and IPv4-mapped IPv6 are one
 * address (`::ffff:127.0.0.1` is in `127.0.0.0/8`). A valid domain name gives
 * false (resolving it is outside the policy); anything else, or a range that
 * does not parse (see parseRange), gives null. Host bits set in the range's
 * address are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
 */
export function in_cidr(x: string, cidr: string): boolean | null {
  // The address last read, as the wasm twin keeps it: `any net in L: in_cidr(host(u), net)` reads it once.
  if (x !== memo.in) {
    memo.in = x;
    memo.kind = parseAddress(x);
    memo.words = words.slice();
  }
  const kind = memo.kind;
  if (kind === 0) return null;
  const a = memo.words;
  const prefix = parseRange(cidr);
  if (prefix < 0) return null;
  if (kind === KIND_DOMAIN) return false;
  let left = prefix;
  for (let k = 0; left > 0; k++) {
    const take = left >= 16 ? 16 : left;
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((a[k]! & mask) !== (words[k]! & mask)) return false;
    left -= take;
  }
  return true;
}

/** `is_ip(s)`: whether in_cidr() reads `s` as an IPv4 or IPv6 address (never fails). */
export function is_ip(s: string): boolean {
  const kind = parseAddress(s);
  return kind === KIND_V4 || kind === KIND_V6;
}
