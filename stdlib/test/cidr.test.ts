// Tests for in_cidr() and is_ip() in both engines: every written form of an
// address (WHATWG IPv4 forms, IPv6 bracketed or not, IPv4-mapped IPv6), the
// failure value on what does not parse, range membership against node:net's
// BlockList, address reading against Node's WHATWG URL host parser.

import fc from "fast-check";
import { BlockList } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { in_cidr, is_ip, validCidr } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";
import { cidr, ip, ipv4Forms, ipv4Valid, ipv6Valid, text } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

/** in_cidr in both engines, which must agree. */
function both(a: string, b: string): boolean | null {
  const r = in_cidr(a, b);
  expect(wasm.in_cidr(a, b), `wasm in_cidr(${JSON.stringify(a)}, ${JSON.stringify(b)})`).toBe(r);
  return r;
}

describe("in_cidr examples", () => {
  it.each<[string, string, boolean | null]>([
    ["10.1.2.3", "10.0.0.0/8", true],
    ["11.1.2.3", "10.0.0.0/8", false],
    ["192.168.1.7", "192.168.1.7", true],
    ["192.168.1.7", "192.168.1.8", false],
    ["1.2.3.4", "0.0.0.0/0", true],
    ["10.9.9.9", "10.1.2.3/8", true], // host bits in the range are ignored
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
    ["1::2:3:4:5:6:7", "1:0:2::/48", true],
    ["::1", "::1/128", true],
    ["[::1]", "::1/128", true],
    // loopback in every written form
    ["127.0.0.1", "127.0.0.0/8", true],
    ["127.1", "127.0.0.0/8", true],
    ["0x7f.1", "127.0.0.0/8", true],
    ["0x7f000001", "127.0.0.0/8", true],
    ["2130706433", "127.0.0.0/8", true],
    ["0177.0.0.1", "127.0.0.0/8", true],
    ["017700000001", "127.0.0.0/8", true],
    ["127.0.0.1.", "127.0.0.0/8", true],
    ["１２７．０．０．１", "127.0.0.0/8", true],
    ["127。0。0。1", "127.0.0.0/8", true],
    ["::ffff:127.0.0.1", "127.0.0.0/8", true],
    ["[::ffff:7f00:1]", "127.0.0.0/8", true],
    ["::ffff:7f00:1", "::ffff:127.0.0.0/104", true],
    ["127.0.0.1", "::ffff:0:0/96", true], // IPv4 and IPv4-mapped IPv6 are one address
    ["::7f00:1", "127.0.0.0/8", false], // IPv4-compatible is another address
    // metadata, link-local, this network
    ["169.254.169.254", "169.254.0.0/16", true],
    ["0xa9fea9fe", "169.254.169.254", true],
    ["[fd00:ec2::254]", "fd00:ec2::254/128", true],
    ["fe80::1", "fe80::/10", true],
    ["0", "0.0.0.0/8", true],
    ["0.0.0.0", "0.0.0.0/8", true],
    ["::", "::/128", true],
    // names are not addresses: false; nothing here resolves them
    ["localhost", "127.0.0.0/8", false],
    ["metadata.google.internal", "169.254.0.0/16", false],
    ["EXAMPLE.com", "0.0.0.0/0", false],
    // what does not parse fails
    ["fe80::1%eth0", "fe80::/10", null],
    [" 10.1.2.3", "10.0.0.0/8", null],
    ["1.2.3.4.5", "0.0.0.0/0", null],
    ["256.1.1.1", "0.0.0.0/0", null],
    ["1:2:3:4:5:6:7:8:9", "::/0", null],
    ["[::1", "::/0", null],
    ["10.0.0.1:80", "10.0.0.0/8", null],
    ["http://10.0.0.1/", "10.0.0.0/8", null],
    ["example.com.", "10.0.0.0/8", null],
    ["bücher.de", "10.0.0.0/8", null],
    ["", "10.0.0.0/8", null],
    // a range that does not parse fails, even for a name
    ["10.1.2.3", "10.0.0.0/08", null],
    ["10.1.2.3", "10.0.0.0/33", null],
    ["10.1.2.3", "10.0.0.0/", null],
    ["10.1.2.3", "010.0.0.0/8", null],
    ["10.1.2.3", "10.1/8", null],
    ["example.com", "nonsense", null],
  ])("in_cidr(%j, %j) = %j", (a, b, want) => {
    expect(both(a, b)).toBe(want);
  });
});

describe("in_cidr remembers the address it read for one decision only", () => {
  it("the same ref with new text in the next decision is read again", () => {
    expect([both("10.0.0.1", "10.0.0.0/8"), both("11.0.0.1", "10.0.0.0/8"), both("11.0.0.1", "11.0.0.0/8"), both("xx.0.io", "10.0.0.0/8"), both("10.0.0.1", "10.0.0.0/8")]).toEqual([true, false, true, false, true]);
  });
});

describe("is_ip", () => {
  it.each<[string, boolean]>([
    ["10.1.2.3", true],
    ["0x7f.1", true],
    ["2130706433", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:1.2.3.4", true],
    ["１２７．０．０．１", true],
    ["example.com", false],
    ["1.2.3.4.5", false],
    ["fe80::1%eth0", false],
    ["", false],
  ])("is_ip(%j) = %j", (s, want) => {
    expect(is_ip(s)).toBe(want);
    expect(wasm.is_ip(s)).toBe(want);
  });
});

/** The host Node's WHATWG parser reads `x` as (bracketed when it holds a `:`), or null. */
function whatwgHost(x: string): string | null {
  try {
    return new URL(`http://${x.includes(":") && !x.startsWith("[") ? `[${x}]` : x}/`).hostname;
  } catch {
    return null;
  }
}

describe("in_cidr reads addresses as WHATWG hosts", () => {
  it("an address is in its own canonical range exactly when WHATWG reads it as that address", () => {
    fc.assert(
      fc.property(fc.oneof(ipv4Forms, ip, ipv6Valid, text), (x) => {
        const h = whatwgHost(x);
        const r = both(x, "0.0.0.0/0");
        if (is_ip(x)) {
          // WHATWG reads the same address: pol's range of that one address holds it.
          expect(h, x).not.toBeNull();
          const range = h!.startsWith("[") ? `${h!.slice(1, -1)}/128` : `${h}/32`;
          expect(both(x, range), `${x} in ${range}`).toBe(true);
        } else if (r !== null) {
          // A name (false for every range): WHATWG reads a name too. pol may refuse more, never less.
          expect(r).toBe(false);
          expect(h, x).not.toBeNull();
          expect(h!.startsWith("[") || /^[\d.]+$/.test(h!), x).toBe(false);
        }
        expect(wasm.is_ip(x)).toBe(is_ip(x));
      }),
      { numRuns: 10_000 },
    );
  });

  /** A range near `addr`: the address itself or another one, and a random prefix length. */
  const near = (addr: fc.Arbitrary<string>, bits: number) =>
    fc.tuple(addr, addr, fc.boolean(), fc.integer({ min: 0, max: bits })).map(([a, other, same, p]) => ({ a, range: same ? a : other, p }));

  it("agrees with BlockList on IPv4 ranges", () => {
    fc.assert(
      fc.property(near(ipv4Valid, 32), fc.nat(31), ({ a, range, p }, flip) => {
        const octets = range.split(".").map(Number);
        const v = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) ^ (1 << flip);
        const r = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
        const bl = new BlockList();
        bl.addSubnet(r, p, "ipv4");
        expect(both(a, `${r}/${p}`)).toBe(bl.check(a, "ipv4"));
        expect(both(`::ffff:${a}`, `${r}/${p}`)).toBe(bl.check(a, "ipv4"));
        expect(both(r, `${r}/${p}`)).toBe(true);
      }),
      RUNS,
    );
  });

  it("agrees with BlockList on IPv6 ranges", () => {
    fc.assert(
      fc.property(near(ipv6Valid, 128), ({ a, range, p }) => {
        const bl = new BlockList();
        bl.addSubnet(range, p, "ipv6");
        expect(both(a, `${range}/${p}`)).toBe(bl.check(a, "ipv6"));
        expect(both(`[${a}]`, `${range}/${p}`)).toBe(bl.check(a, "ipv6"));
      }),
      RUNS,
    );
  });
});

describe("wasm in_cidr equals TS", () => {
  it("on near-miss addresses and ranges", () => {
    fc.assert(
      fc.property(fc.oneof(ip, ipv4Forms, ipv4Valid, ipv6Valid, text), fc.oneof(cidr, cidr, text), (a, b) => {
        both(a, b);
        expect(validCidr(b)).toBe(in_cidr("1.2.3.4", b) !== null);
      }),
      RUNS,
    );
  });
});
