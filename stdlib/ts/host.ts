// WHATWG host parsing, the subset pol accepts (TypeScript reference): IPv4 in
// every WHATWG form, IPv6, and ASCII domains, with the refusal classes that
// make host(), in_cidr() and is_ip() fail. Read by stdlib/ts/url.ts and
// stdlib/ts/cidr.ts; stdlib/as/host.ts is the wasm twin, function for function.

import { asciiLower, isDigit } from "./utf16.js";

/**
 * Why a URL, host or address could not be parsed (the failure value ⊥).
 * Stable numbers: the AssemblyScript twin and the tests use the same ones.
 */
export const REFUSAL = {
  /** No `scheme:` at the start. */
  NO_SCHEME: 1,
  /** No host: a scheme without `//` (`mailto:x`, `localhost:8080`), `file:///x`, an empty host. */
  NO_HOST: 2,
  /** A special scheme (http, https, ws, wss, ftp, file) not followed by exactly `//`. */
  SLASHES: 3,
  /** A backslash before the end of the authority: WHATWG reads it as `/`, RFC 3986 parsers do not. */
  BACKSLASH: 4,
  /** A control character or space (tab and newline included) before the end of the authority. */
  CONTROL: 5,
  /** More than one `@` in the authority: parsers split user info at the first or at the last. */
  SEVERAL_AT: 6,
  /** A `%` in the authority: WHATWG decodes it in hosts, urllib and others do not. */
  PERCENT: 7,
  /** User info with characters outside RFC 3986's (`[`, `<`, non-ASCII, ...). */
  USERINFO: 8,
  /** A port that is not digits or is above 65535. */
  PORT: 9,
  /** A bracketed host that is not an IPv6 address (or not closed). */
  IPV6: 10,
  /** A host that ends in a number but is not an IPv4 address in any form. */
  IPV4: 11,
  /** Non-ASCII other than fullwidth forms and ideographic full stops, or a punycode label pol cannot check. */
  IDN: 12,
  /** Host characters other than `a-z 0-9 - . _`, or an empty label. */
  HOST_CHARS: 13,
  /** A domain ending in `.`: the same host as without it to DNS, another string to a policy. */
  TRAILING_DOT: 14,
  /** A non-special scheme whose host an http parser would read differently (case, numeric forms). */
  OPAQUE_HOST: 15,
  /** A `file:` URL naming a host. */
  FILE_HOST: 16,
} as const;

let why = 0;

/** The refusal class of the last failed parse (see REFUSAL). */
export function lastRefusal(): number {
  return why;
}

/** Records why parsing failed; returns null, the failure value of the TypeScript builtins. */
export function refuse(code: number): null {
  why = code;
  return null;
}

export const KIND_DOMAIN = 1;
export const KIND_V4 = 2;
export const KIND_V6 = 3;

/** The address of the last successful IP parse: eight 16-bit words, IPv4 as `::ffff:a.b.c.d`. */
export const words: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
/** What the last successful hostText() produced. */
let kind = 0;
export const lastKind = (): number => kind;

export function hexVal(u: number): number {
  if (u >= 0x30 && u <= 0x39) return u - 0x30;
  const l = u | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Any IPv4 part this large fails wherever it stands, so parsing saturates here (inputs may hold 10^6 digits). */
const BIG = 0x100000000;

/** WHATWG's IPv4 number parser on `s[a..b)`: decimal, `0x` hex or `0` octal, `""` after a prefix is 0; -1 on failure. */
function ipv4Number(s: string, a: number, b: number): number {
  if (a === b) return -1;
  let radix = 10;
  if (b - a >= 2 && s.charCodeAt(a) === 0x30 && (s.charCodeAt(a + 1) | 0x20) === 0x78) {
    radix = 16;
    a += 2;
  } else if (b - a >= 2 && s.charCodeAt(a) === 0x30) {
    radix = 8;
    a += 1;
  }
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = hexVal(s.charCodeAt(i));
    if (d < 0 || d >= radix) return -1;
    v = v * radix + d;
    if (v > BIG) v = BIG;
  }
  return v;
}

/** Start of the last label of `s[0..e)` (after its last `.`). */
function lastLabel(s: string, e: number): number {
  let k = e;
  while (k > 0 && s.charCodeAt(k - 1) !== 0x2e) k--;
  return k;
}

/** WHATWG's "ends in a number": the last label (ignoring one trailing dot) is all digits or a valid IPv4 number. */
function endsInNumber(s: string): boolean {
  let e = s.length;
  if (e > 0 && s.charCodeAt(e - 1) === 0x2e) {
    if (e === 1) return false;
    e--;
  }
  const st = lastLabel(s, e);
  if (st === e) return false;
  let digits = true;
  for (let i = st; i < e; i++) if (!isDigit(s.charCodeAt(i))) digits = false;
  return digits || ipv4Number(s, st, e) >= 0;
}

/** WHATWG's IPv4 parser on all of `s` (one trailing dot allowed): fills `words`. */
function parseV4(s: string): boolean {
  let e = s.length;
  if (e > 0 && s.charCodeAt(e - 1) === 0x2e) e--;
  let parts = 1;
  for (let i = 0; i < e; i++) if (s.charCodeAt(i) === 0x2e) parts++;
  if (parts > 4) return false;
  let value = 0;
  let st = 0;
  for (let p = 0; p < parts; p++) {
    let k = st;
    while (k < e && s.charCodeAt(k) !== 0x2e) k++;
    const v = ipv4Number(s, st, k);
    if (v < 0) return false;
    if (p < parts - 1) {
      if (v > 255) return false;
      value += v * 256 ** (3 - p);
    } else {
      if (v >= 256 ** (5 - parts)) return false;
      value += v;
    }
    st = k + 1;
  }
  for (let k = 0; k < 5; k++) words[k] = 0;
  words[5] = 0xffff;
  words[6] = Math.floor(value / 65536);
  words[7] = value % 65536;
  return true;
}

/** WHATWG's IPv6 parser on `s[a..b)` (no brackets): fills `words`. Step for step the spec's algorithm. */
export function parseV6(s: string, a: number, b: number): boolean {
  const w = words;
  for (let k = 0; k < 8; k++) w[k] = 0;
  const c = (i: number): number => (i < b ? s.charCodeAt(i) : -1);
  let piece = 0;
  let compress = -1;
  let p = a;
  if (c(p) === 0x3a) {
    if (c(p + 1) !== 0x3a) return false;
    p += 2;
    piece++;
    compress = piece;
  }
  while (c(p) !== -1) {
    if (piece === 8) return false;
    if (c(p) === 0x3a) {
      if (compress !== -1) return false;
      p++;
      piece++;
      compress = piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && hexVal(c(p)) >= 0) {
      value = value * 16 + hexVal(c(p));
      p++;
      length++;
    }
    if (c(p) === 0x2e) {
      if (length === 0) return false;
      p -= length;
      if (piece > 6) return false;
      let seen = 0;
      while (c(p) !== -1) {
        let v4 = -1;
        if (seen > 0) {
          if (c(p) === 0x2e && seen < 4) p++;
          else return false;
        }
        if (!isDigit(c(p))) return false;
        while (isDigit(c(p))) {
          const d = c(p) - 0x30;
          if (v4 === -1) v4 = d;
          else if (v4 === 0) return false;
          else v4 = v4 * 10 + d;
          if (v4 > 255) return false;
          p++;
        }
        w[piece] = w[piece]! * 0x100 + v4;
        seen++;
        if (seen === 2 || seen === 4) piece++;
      }
      if (seen !== 4) return false;
      break;
    } else if (c(p) === 0x3a) {
      p++;
      if (c(p) === -1) return false;
    } else if (c(p) !== -1) return false;
    w[piece] = value;
    piece++;
  }
  if (compress !== -1) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const t = w[piece]!;
      w[piece] = w[compress + swaps - 1]!;
      w[compress + swaps - 1] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) return false;
  return true;
}

/** `words` as an IPv6 address the way WHATWG serialises it: lower-case hex, the first longest run of 2+ zero words as `::`. */
export function serialiseV6(): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j > i ? j : i + 1;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    out += words[i]!.toString(16);
    if (i !== 7) out += ":";
  }
  return out;
}

/** `words[6..8)` as a dotted quad. */
function serialiseV4(): string {
  return `${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`;
}

/**
 * UTS #46 mapping of the characters pol accepts in a host: ASCII (lower-cased),
 * fullwidth forms U+FF01–U+FF5E (to ASCII), ideographic full stops U+3002,
 * U+FF0E, U+FF61 (to `.`). Anything else non-ASCII gives -1: the full IDNA
 * tables are not in pol, so such hosts are refused ("write the punycode form").
 */
function mapUnit(u: number): number {
  if (u < 0x80) return asciiLower(u);
  if (u === 0x3002 || u === 0xff61) return 0x2e;
  if (u >= 0xff01 && u <= 0xff5e) return asciiLower(u - 0xfee0);
  return -1;
}

const isHostChar = (u: number): boolean => (u >= 0x61 && u <= 0x7a) || isDigit(u) || u === 0x2d || u === 0x2e || u === 0x5f;

/**
 * Code points a punycode label may decode to for pol to accept it: ones UTS #46
 * calls valid, written left to right, no combining marks, stable under NFC, so
 * WHATWG accepts the label exactly as written. Lower-case Latin-1, Greek and
 * Cyrillic letters, kana, CJK ideographs of Unicode 1.1, Hangul syllables.
 */
function idnCodePoint(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d;
  return (
    (c >= 0xdf && c <= 0xff && c !== 0xf7) ||
    (c >= 0x3ac && c <= 0x3ce) ||
    (c >= 0x430 && c <= 0x45f) ||
    (c >= 0x3041 && c <= 0x3096) ||
    (c >= 0x30a1 && c <= 0x30fa) ||
    c === 0x30fc ||
    (c >= 0x4e00 && c <= 0x9fa5) ||
    (c >= 0xac00 && c <= 0xd7a3)
  );
}

/** Decoded code points of the punycode label being checked (a label is at most 63 long). */
const decoded: number[] = [];

function punyDigit(u: number): number {
  if (u >= 0x61 && u <= 0x7a) return u - 0x61;
  if (isDigit(u)) return u - 0x30 + 26;
  return -1;
}

function adapt(delta: number, points: number, first: boolean): number {
  delta = first ? Math.floor(delta / 700) : Math.floor(delta / 2);
  delta += Math.floor(delta / points);
  let k = 0;
  while (delta > 455) {
    delta = Math.floor(delta / 35);
    k += 36;
  }
  return k + Math.floor((36 * delta) / (delta + 38));
}

const MAXINT = 0x7fffffff;

/**
 * Whether the `xn--` label `s[a..b)` (lower-case ASCII) decodes (RFC 3492) to
 * a label of idnCodePoint()s with at least one non-ASCII, not itself starting
 * with `xn--`, in at most 63 characters.
 */
function punycodeOk(s: string, a: number, b: number): boolean {
  if (b - a > 63) return false;
  const st = a + 4;
  let d = b - 1;
  while (d >= st && s.charCodeAt(d) !== 0x2d) d--;
  decoded.length = 0;
  let p = st;
  if (d > st) {
    for (let k = st; k < d; k++) decoded.push(s.charCodeAt(k));
    p = d + 1;
  }
  let n = 128;
  let i = 0;
  let bias = 72;
  while (p < b) {
    const old = i;
    let w = 1;
    for (let k = 36; ; k += 36) {
      if (p >= b) return false;
      const digit = punyDigit(s.charCodeAt(p++));
      if (digit < 0 || digit > Math.floor((MAXINT - i) / w)) return false;
      i += digit * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      if (w > Math.floor(MAXINT / (36 - t))) return false;
      w *= 36 - t;
    }
    const count = decoded.length + 1;
    bias = adapt(i - old, count, old === 0);
    if (Math.floor(i / count) > MAXINT - n) return false;
    n += Math.floor(i / count);
    i %= count;
    if (n < 0x80 || decoded.length >= 63) return false;
    decoded.splice(i, 0, n);
    i++;
  }
  let wide = false;
  for (const c of decoded) {
    if (!idnCodePoint(c)) return false;
    if (c >= 0x80) wide = true;
  }
  const xn = decoded.length >= 4 && decoded[0] === 0x78 && decoded[1] === 0x6e && decoded[2] === 0x2d && decoded[3] === 0x2d;
  return wide && !xn;
}

/**
 * The canonical text of the host `s[a..b)` (not bracketed), WHATWG's way, or
 * null (see lastRefusal): mapped and lower-cased (mapUnit), then an IPv4
 * address in any form as a dotted quad, or a domain of `a-z 0-9 - _` labels
 * (punycode labels checked). Sets lastKind() and, for IPv4, `words`.
 */
export function hostText(s: string, a: number, b: number): string | null {
  let m = "";
  for (let i = a; i < b; i++) {
    const u = mapUnit(s.charCodeAt(i));
    if (u < 0) return refuse(REFUSAL.IDN);
    if (!isHostChar(u)) return refuse(u === 0x25 ? REFUSAL.PERCENT : u === 0x3a || u === 0x5b || u === 0x5d ? REFUSAL.IPV6 : REFUSAL.HOST_CHARS);
    m += String.fromCharCode(u);
  }
  if (m.length === 0) return refuse(REFUSAL.NO_HOST);
  if (endsInNumber(m)) {
    if (!parseV4(m)) return refuse(REFUSAL.IPV4);
    kind = KIND_V4;
    return serialiseV4();
  }
  if (m.charCodeAt(m.length - 1) === 0x2e) return refuse(REFUSAL.TRAILING_DOT);
  for (let st = 0; st <= m.length; ) {
    let e = st;
    while (e < m.length && m.charCodeAt(e) !== 0x2e) e++;
    if (e === st) return refuse(REFUSAL.HOST_CHARS);
    if (e - st >= 4 && m.startsWith("xn--", st) && !punycodeOk(m, st, e)) return refuse(REFUSAL.IDN);
    st = e + 1;
  }
  kind = KIND_DOMAIN;
  return m;
}

/**
 * Parses an address the way in_cidr() and is_ip() read one: `[v6]`, bare
 * IPv6 (any `:`), else hostText(). Returns KIND_V4/KIND_V6 (with `words`),
 * KIND_DOMAIN, or 0 (see lastRefusal).
 */
export function parseAddress(s: string): number {
  const n = s.length;
  if (n > 0 && s.charCodeAt(0) === 0x5b) {
    if (n < 2 || s.charCodeAt(n - 1) !== 0x5d || !parseV6(s, 1, n - 1)) return refuse(REFUSAL.IPV6) ?? 0;
    return KIND_V6;
  }
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) === 0x3a) return parseV6(s, 0, n) ? KIND_V6 : (refuse(REFUSAL.IPV6) ?? 0);
  }
  return hostText(s, 0, n) === null ? 0 : kind;
}
