// Input values the generators draw from: edge numbers and strings where engines (or two versions
// of a policy) could differ, and small random ones. Shared by the call generator (calls.ts, run by
// `pol diff`) and the test suite's expression generator (test/gen/expr.ts).

import fc from "fast-check";

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

/** Numbers where engines could differ: signed zero, fractions, huge, tiny, the 2^53 edge. */
export const EDGE_NUMBERS = [0, -0, 1, -1, 2, 3, 5, 10, 50, 100, 300, 0.1, 0.2, 0.3, 0.5, 1.5, -2.5, 123.456, 1e21, 1e300, 1e308, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 1e-7, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 32, -(2 ** 31)];
/** Strings with escapes, non-ASCII and astral characters, and shapes the builtins care about. */
export const EDGE_STRINGS = [
  "", "a", "b", "ab", "abc", "A", "ABC", "aB", " a ", "\t", "a\nb", 'q"uote', "back\\slash", "é", "É", "ß", "İ", "ı", "ǅ", "Σ", "😀", "a😀b", "𐐀", "日本",
  "prod", "production", "staging", "support", "admin", "usd", "EUR", "ann@acme.com", "Bob@ACME.io", "eve@gmail.com", "x@y", "a@b.co.",
  "a\u0000b", "https://Example.COM:8080/path?q=1", "http://[::1]:80/", "example.com/x", "mailto:x@y.z", "10.1.2.3", "10.0.0.0/8", "192.168.1.1", "fd00::1", "fd00::/8", "::1",
  "555-123-4567", "+14155552671", "123-45-6789", "4111 1111 1111 1111", "4111111111111112", "sk_live_abcdefghijklmnopqrstuvwx", "AKIAIOSFODNN7EXAMPLE",
  // What host(), domain() and in_cidr() canonicalise, and what makes them fail (⊥).
  "http://0x7f.1/", "http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://１２７。０．０．１/", "https://hooks.acme.com\\@evil.com", "http:evil.com", "http://a@b@c/",
  "http://%65vil.com", "http://bücher.de/", "https://ok.com./", "ftp://a.b:99999/", "::ffff:7f00:1", "0177.0.0.1", "127.1", "1.2.3.4.5", "[::1]", "a@b.com, c@d.com",
  "Bob <b@acme.com>", "b@acme.com\r\nBcc: x@evil.com", "x@evil.org@acme.com", "ssn 123 45 6789", "(415)555-2671", "４１１１ １１１１ １１１１ １１１１",
  // What date(), time(), urls() and emails() read, and what they refuse.
  "2024-05-15", "2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2024-05-15 10:00", "2024-05-15T10:00:00Z", "2024-05-15t23:59:59.123456789+05:30", "2024-05-15T10:00-01:00",
  "2024-13-01", "2024-05-15T24:00", "2024-05-15 10:00:60", "2024-5-15", "see www.x.com/a, then http://y.org/b?q=1.", "link: secure-systems-252.com!", "(https://a.b/c) and ftp://h",
  "notes.txt or e.g. v1.2.3", "mail ann@acme.com, x..y@b.co or a.b@c.d.", "a@b.com@c.io", "www.ok.com:8080/x#y", "http://",
];
const SMALL_ALPHABET = [..."abcAB1 .-_@:/é😀"];

export const smallString = fc.string({ unit: pick(SMALL_ALPHABET), maxLength: 6 });
export const anyString = fc.oneof(
  { weight: 4, arbitrary: pick(EDGE_STRINGS) },
  { weight: 3, arbitrary: smallString },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);
export const anyNumber = fc.oneof(
  { weight: 4, arbitrary: pick(EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);
