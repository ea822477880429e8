// pol's `in_cidr` builtin (TypeScript reference): strict IPv4/IPv6 address and
// CIDR parsing into 16-bit words, then a prefix comparison. stdlib/as/cidr.ts
// is the wasm twin, with the same functions in the same order.

import { isDigit } from "./utf16.js";

const hexVal = (u: number): number => {
  if (u >= 0x30 && u <= 0x39) return u - 0x30;
  const l = u | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
};

/**
 * Parses a strict dotted quad in `s[a..b)` into `w[at]` (high 16 bits) and
 * `w[at+1]`: exactly four decimal parts of 1–3 digits, each <= 255, no leading
 * zeros (`01` is rejected: some parsers read it as octal).
 */
function parseV4(s: string, a: number, b: number, w: number[], at: number): boolean {
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
  w[at] = Math.floor(value / 65536);
  w[at + 1] = value % 65536;
  return true;
}

/**
 * Parses IPv6 text in `s[a..b)` into the eight words `w[0..8)`: groups of 1–4
 * hex digits separated by `:`, at most one `::` standing for one or more zero
 * groups, optionally ending in a dotted quad for the last 32 bits. No zone
 * (`%eth0`), no brackets.
 */
function parseV6(s: string, a: number, b: number, w: number[]): boolean {
  let n = 0;
  let gap = -1;
  let i = a;
  if (b - a >= 2 && s.charCodeAt(a) === 0x3a && s.charCodeAt(a + 1) === 0x3a) {
    gap = 0;
    i = a + 2;
  }
  while (i < b) {
    let j = i;
    while (j < b && s.charCodeAt(j) !== 0x3a && s.charCodeAt(j) !== 0x2e) j++;
    if (j < b && s.charCodeAt(j) === 0x2e) {
      // A dotted quad may only end the address and fills two words.
      if (n > 6 || !parseV4(s, i, b, w, n)) return false;
      n += 2;
      i = b;
      break;
    }
    if (j === i || j - i > 4 || n === 8) return false;
    let v = 0;
    for (let k = i; k < j; k++) {
      const h = hexVal(s.charCodeAt(k));
      if (h < 0) return false;
      v = v * 16 + h;
    }
    w[n++] = v;
    i = j;
    if (i === b) break;
    i++; // the ':'
    if (i < b && s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === b) {
      return false; // a single trailing ':'
    }
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Move the groups after the gap to the end and zero the gap.
  for (let k = n - 1; k >= gap; k--) w[k + 8 - n] = w[k];
  for (let k = gap; k < gap + 8 - n; k++) w[k] = 0;
  return true;
}

/** Parses an address of either family into `w`; returns 32 or 128 (its bit count), or 0 when invalid. */
function parseAddr(s: string, a: number, b: number, w: number[]): number {
  for (let i = a; i < b; i++) {
    if (s.charCodeAt(i) === 0x3a) return parseV6(s, a, b, w) ? 128 : 0;
  }
  return parseV4(s, a, b, w, 0) ? 32 : 0;
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
 * `in_cidr(ip, cidr)`: whether address `ip` lies in the range `cidr`.
 * `ip` is a strict IPv4 dotted quad (`10.0.0.1`, no leading zeros) or an IPv6
 * address (`2001:db8::1`, `::ffff:1.2.3.4`). `cidr` is `address/length`
 * (length 0–32 or 0–128, no leading zeros) or a bare address, meaning an exact
 * match. Host bits set in the range's address are ignored (`10.1.2.3/8` is
 * `10.0.0.0/8`). Families never mix: an IPv4 address is not in an IPv6 range,
 * not even an IPv4-mapped one. Anything malformed gives false.
 */
export function in_cidr(ip: string, cidr: string): boolean {
  const w1 = [0, 0, 0, 0, 0, 0, 0, 0];
  const w2 = [0, 0, 0, 0, 0, 0, 0, 0];
  const bits = parseAddr(ip, 0, ip.length, w1);
  if (bits === 0) return false;
  let slash = cidr.length;
  for (let i = 0; i < cidr.length; i++) {
    if (cidr.charCodeAt(i) === 0x2f) {
      slash = i;
      break;
    }
  }
  if (parseAddr(cidr, 0, slash, w2) !== bits) return false;
  const prefix = slash === cidr.length ? bits : parsePrefix(cidr, slash + 1, cidr.length, bits);
  if (prefix < 0) return false;
  let left = prefix;
  for (let k = 0; left > 0; k++) {
    const take = left >= 16 ? 16 : left;
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((w1[k] & mask) !== (w2[k] & mask)) return false;
    left -= take;
  }
  return true;
}
