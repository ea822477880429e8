// fast-check generators shared by the stdlib differential tests: plain text in
// several alphabets plus near-miss emails, URLs, IP addresses and CIDRs, and
// PII shapes (SSNs, Luhn-valid and -invalid cards, phones, API keys).

import fc from "fast-check";

/** Printable ASCII and a few control characters. */
export const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 });
/** Any code points, astral included, never a lone surrogate. */
export const unicode = fc.string({ unit: "binary", maxLength: 30 });
/** Raw code units: lone surrogates included (inputs never have them, but builtins must agree anyway). */
export const units = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 });
/** Characters where case mapping is interesting: Latin-1, Greek, Cyrillic, Deseret, specials. */
const caseChars = [..."aAzZßẞİıſKkσςΣǅǆǄµÿŸéÉ ΐ𐐀𐐨ǰﬀ"];
export const casey = fc.string({ unit: fc.constantFrom(...caseChars), maxLength: 20 });
/** Mostly-ASCII text with some Unicode mixed in. */
export const text = fc.oneof(ascii, unicode, units, casey);

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const alnum = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."abcXYZ0189"), minLength: min, maxLength: max });

// --- emails -----------------------------------------------------------------

const localChars = "abcXYZ019.!#$%&'*+/=?^_`{|}~-";
const local = fc.oneof(
  fc.string({ unit: fc.constantFrom(...localChars), minLength: 0, maxLength: 8 }),
  fc.constantFrom("a", "john.doe", ".a", "a.", "a..b", "x".repeat(64), "x".repeat(65), "o'neil", "\u00e9"),
);
const label = fc.oneof(
  alnum(1, 6),
  fc.constantFrom("-a", "a-", "a-b", "x".repeat(63), "x".repeat(64), "", "é"),
);
const tld = fc.oneof(fc.constantFrom("com", "io", "c", "c0m", "COM", "x-y", ""), alnum(1, 4));
const domainText = fc
  .tuple(fc.array(label, { maxLength: 3 }), tld, pick("", ".", "-", ".."))
  .map(([ls, t, tail]) => [...ls, t].join(".") + tail);
const letters = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."abcXYZ"), minLength: min, maxLength: max });
const goodEmail = fc
  .tuple(fc.array(alnum(1, 5), { minLength: 1, maxLength: 3 }), fc.array(alnum(1, 5), { minLength: 1, maxLength: 3 }), letters(2, 4))
  .map(([ls, ds, t]) => `${ls.join(".")}@${ds.join(".")}.${t}`);
/** Replaces one character of `s` (a near miss of a valid value). */
const mutate = (s: fc.Arbitrary<string>) =>
  fc.tuple(s, fc.nat(), fc.constantFrom(".", "-", "@", "", "é", "1", "..", " ")).map(([v, i, c]) => {
    const k = i % (v.length + 1);
    return v.slice(0, k) + c + v.slice(k + 1);
  });
export const email = fc.oneof(
  goodEmail,
  mutate(goodEmail),
  fc.tuple(local, pick("@", "@", "@@", ""), domainText).map(([l, at, d]) => l + at + d),
);
/** An email-ish token inside surrounding text, for has_pii. */
export const emailInText = fc
  .tuple(pick("", "mail ", "<", "(", ".", "a.", "x@"), email, pick("", ">", ")", ".", " ok", "-", "_x", "@b.co"))
  .map(([a, e, b]) => a + e + b);

// --- URLs ---------------------------------------------------------------------

const scheme = pick("", "http://", "HTTPS://", "ftp://", "ws://", "sc://", "file://", "file:///", "mailto:", "a+b.c-d://", "//", "1http://", "http:/", "http:", "http:\\\\", "localhost:", "x:", " http://");
const userinfo = pick("", "user@", "u:p@", "a@b@", "@", "a\\@", "u%40@", "ü@", "a b@");
const hostPart = fc.oneof(
  fc.constantFrom(
    "Example.COM", "example.com.", "localhost", "[::1]", "[2001:DB8::1]", "[::ffff:127.0.0.1]", "[::1", "[1::2::3]", "1.2.3.4", "", "a..", "ex_ample",
    "0x7f.1", "2130706433", "0177.0.0.1", "127.1", "1.2.3.4.5", "0x100000000", "08", "１２７．０．０．１", "127。0。0。1", "ＥＸＡＭＰＬＥ", "bücher",
    "xn--bcher-kva", "xn--abc", "%65vil.com", "a;b", "a\tb", "ⓖ", "a\u200bb",
  ),
  domainText,
);
const port = pick("", ":8080", ":", ":x", ":99999", ":80:90", ":0080");
const rest = pick("", "/", "/path?q=1", "?q", "#frag", "\\x", "/a@b", ":80/x", "#@evil.com", "?@evil.com", "/ x\t");
/** URL-shaped text: schemes, user info, hosts in every WHATWG form and near misses, ports, rests. */
export const url = fc
  .tuple(scheme, userinfo, hostPart, port, rest)
  .map(([a, b, c, d, e]) => a + b + c + d + e);
/** Random concatenations of URL pieces: finds what the structured generator does not think of. */
export const urlNoise = fc
  .array(
    pick(
      "http://", "HTTPS://", "ws:", "sc://", "file://", "http:", "//", "/", "\\", "@", ":", "[", "]", "::", "1", "0x", "0", "255", "256", ".", "..", "a", "A",
      "xn--", "%", "%41", "?", "#", " ", "\t", "ｘ", "１", "。", "－", "ß", "é", "_", "-", "4294967295", "0177", "ffff", "::ffff:", "1.2.3.4", "example.com",
      "EXAMPLE", "xn--zca", "xn--bcher-kva", "localhost", "80", "65536", "!",
    ),
    { maxLength: 10 },
  )
  .chain((xs) => pick("", "http://", "sc://", "https://u:p@").map((p) => p + xs.join("")));

// --- IP addresses and CIDRs ---------------------------------------------------

const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom("256", "01", "00", "999", "", "1a"));
export const ipv4Valid = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const ipv4Any = fc.oneof(
  ipv4Valid,
  fc.array(octet, { minLength: 3, maxLength: 5 }).map((o) => o.join(".")),
);
const hexGroup = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16)),
  fc.constantFrom("0", "FFFF", "00000", "g", "", "12345"),
);
export const ipv6Valid = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).chain((ws) =>
  fc.tuple(fc.nat(8), fc.nat(8), fc.boolean()).map(([a, b, upperCase]) => {
    const hex = ws.map((w) => w.toString(16));
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    // Compress groups [lo, hi) into `::` when that removes at least one group.
    const text = hi > lo ? `${hex.slice(0, lo).join(":")}::${hex.slice(hi).join(":")}` : hex.join(":");
    return upperCase ? text.toUpperCase() : text;
  }),
);
const ipv6Any = fc.oneof(
  ipv6Valid,
  fc.tuple(fc.array(hexGroup, { maxLength: 9 }), pick("", "::", ":"), pick("", "1.2.3.4", "%eth0", ":")).map(
    ([gs, mid, tail]) => gs.slice(0, 3).join(":") + mid + gs.slice(3).join(":") + tail,
  ),
  ipv4Valid.map((v) => `::ffff:${v}`),
  fc.constantFrom("::", "::1", "1::", ":::", "1:::2", "::ffff:1.2.3", "[::1]", "1:2:3:4:5:6:7:8:9", "1::2::3"),
);
export const ip = fc.oneof(ipv4Any, ipv6Any);
/** One 32-bit address in a part radix WHATWG accepts: decimal, `0x` hex or `0` octal. */
const radixPart = (v: number) =>
  pick(10, 16, 8).map((r) => (r === 16 ? `0x${v.toString(16)}` : r === 8 ? `0${v.toString(8)}` : String(v)));
/** IPv4 addresses in every WHATWG form: 1 to 4 parts in mixed radixes, a trailing dot, fullwidth digits, ideographic dots. */
export const ipv4Forms = fc
  .tuple(fc.nat(0xffffffff), fc.integer({ min: 1, max: 4 }), fc.boolean(), pick("", "", "fullwidth", "ideographic"))
  .chain(([v, parts, dot, style]) => {
    const bytes = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    const lead = bytes.slice(0, parts - 1);
    const last = bytes.slice(parts - 1).reduce((a, b) => a * 256 + b, 0);
    return fc.tuple(...[...lead, last].map(radixPart)).map((xs) => {
      let t = xs.join(".") + (dot ? "." : "");
      if (style === "fullwidth") t = t.replace(/[0-9a-z.]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
      if (style === "ideographic") t = t.replace(/\./g, "\u3002");
      return t;
    });
  });
const prefix = fc.oneof(fc.integer({ min: 0, max: 129 }).map(String), fc.constantFrom("", "01", "-1", "x", "1000"));
export const cidr = fc.oneof(
  ip,
  fc.tuple(ip, prefix).map(([a, p]) => `${a}/${p}`),
  fc.tuple(ip, prefix).map(([a, p]) => `${a}/${p}/1`),
);

// --- PII shapes ---------------------------------------------------------------

/** Appends the digit that makes `body` pass (ok) or fail (!ok) the Luhn check. */
export function luhnComplete(body: string, ok: boolean): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return body + String((check + (ok ? 0 : 1 + (sum % 9))) % 10);
}

/** Splits `ds` into groups joined by separators drawn from `seps`. */
const grouped = (ds: string, seps: string[], sizes: number[]) => {
  let out = "";
  let i = 0;
  let k = 0;
  while (i < ds.length) {
    const n = sizes[k % sizes.length] || 4;
    out += (i > 0 ? seps[k % seps.length] : "") + ds.slice(i, i + n);
    i += n;
    k++;
  }
  return out;
};

export const card = fc
  .tuple(digits(11, 19), fc.boolean(), fc.array(pick("", " ", "-", "  ", "."), { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }))
  .map(([body, ok, seps, sizes]) => grouped(luhnComplete(body, ok), seps, sizes));
export const ssn = fc
  .tuple(digits(3, 3), digits(2, 2), digits(4, 4), pick("-", "-", " ", ""))
  .map(([a, g, s, sep]) => a + sep + g + sep + s);
export const phone = fc.oneof(
  fc.tuple(digits(1, 16), fc.array(pick("", " ", "-", "--"), { minLength: 1, maxLength: 3 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })).map(
    ([ds, seps, sizes]) => "+" + grouped(ds, seps, sizes),
  ),
  fc.tuple(digits(3, 4), digits(3, 3), digits(4, 5), pick("-", ".", " ", "")).map(([a, b, c, sep]) => a + sep + b + sep + c),
  fc.tuple(digits(3, 3), digits(3, 3), digits(4, 4), pick(" ", "")).map(([a, b, c, sp]) => `(${a})${sp}${b}-${c}`),
);
const keyBody = (chars: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
export const apiKey = fc.oneof(
  fc.tuple(pick("sk_live_", "sk_test_", "rk_live_", "sk_prod_", "pk_live_"), keyBody("aZ09_", 14, 18)).map(([p, b]) => p + b),
  fc.tuple(pick("AKIA", "AKIB", "akia"), keyBody("AZ09a", 15, 17)).map(([p, b]) => p + b),
  fc.tuple(pick("ghp_", "gho_", "ghs_", "ghx_"), keyBody("aZ09", 35, 37)).map(([p, b]) => p + b),
  fc.tuple(pick("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "xoxc-", "xox-"), keyBody("aZ09-", 8, 12)).map(([p, b]) => p + b),
  fc.tuple(pick("AIza", "AIzb"), keyBody("aZ09_-", 34, 36)).map(([p, b]) => p + b),
);
/** Variants a scanner must see through: other dashes and spaces, fullwidth digits, zero-width characters. */
const DISGUISES: Record<string, string[]> = {
  "-": ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58", "\ufe63", "\uff0d"],
  " ": ["\u00a0", "\u2002", "\u2009", "\u202f", "\u3000"],
};
/** A PII token with some characters disguised (each replaced, or followed by a zero-width character). */
export const disguised = fc.tuple(fc.oneof(card, ssn, phone), fc.array(fc.nat(), { minLength: 1, maxLength: 4 })).map(([t, picks]) => {
  const cs = [...t];
  for (const n of picks) {
    const i = n % cs.length;
    const c = cs[i]!;
    const alt = DISGUISES[c];
    if (alt) cs[i] = alt[n % alt.length]!;
    else if (c >= "0" && c <= "9") cs[i] = n % 2 ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"][n % 6];
  }
  return cs.join("");
});
const filler = fc.oneof(pick("", " ", "x", "1", "-", ".", "_", "a1 ", "\n", "é", "😀", "+", "(", "@"), alnum(0, 3));
/** Text made of PII-shaped tokens and fillers, for has_pii. */
export const piiText = fc
  .array(fc.tuple(filler, fc.oneof(card, ssn, phone, apiKey, emailInText, digits(1, 21), disguised)), { minLength: 1, maxLength: 4 })
  .chain((parts) => filler.map((end) => parts.map(([f, t]) => f + t).join("") + end));
