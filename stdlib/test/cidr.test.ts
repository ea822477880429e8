// Tests for in_cidr: address validity agrees with node:net's isIP, range
// membership agrees with node:net's BlockList within one family, pinned
// examples, and the wasm build equals TS on valid and near-miss input.

import fc from "fast-check";
import { BlockList, isIP } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { in_cidr } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";
import { cidr, ip, ipv4Valid, ipv6Valid, text } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

describe("in_cidr examples", () => {
  it.each([
    ["10.1.2.3", "10.0.0.0/8", true],
    ["11.1.2.3", "10.0.0.0/8", false],
    ["192.168.1.7", "192.168.1.7", true],
    ["192.168.1.7", "192.168.1.8", false],
    ["1.2.3.4", "0.0.0.0/0", true],
    ["10.9.9.9", "10.1.2.3/8", true], // host bits in the range are ignored
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.0/120", true],
    ["::ffff:1.2.3.4", "1.2.3.0/24", false], // families never mix
    ["1.2.3.4", "::ffff:1.2.3.0/120", false],
    ["::1", "::1/128", true],
    ["fe80::1%eth0", "fe80::/10", false], // no zones
    ["010.1.2.3", "10.0.0.0/8", false], // no leading zeros
    ["10.1.2.3", "10.0.0.0/08", false],
    ["10.1.2.3", "10.0.0.0/33", false],
    ["10.1.2.3", "10.0.0.0/", false],
    [" 10.1.2.3", "10.0.0.0/8", false],
    ["1::2:3:4:5:6:7", "1:0:2::/48", true], // `::` may stand for one group
    ["1:2:3:4:5:6:7:8:9", "::/0", false],
    ["[::1]", "::/0", false],
  ])("in_cidr(%j, %j) = %j", (a, b, want) => {
    expect(in_cidr(a, b)).toBe(want);
    expect(wasm.in_cidr(a, b)).toBe(want);
  });
});

describe("in_cidr against node:net", () => {
  it("accepts exactly the addresses isIP accepts (zones aside)", () => {
    fc.assert(
      fc.property(fc.oneof(ip, text), (s) => {
        fc.pre(!s.includes("%"));
        expect(in_cidr(s, s)).toBe(isIP(s) !== 0);
      }),
      RUNS,
    );
  });

  /** A range near `addr`: the address itself or with one bit flipped, and a random prefix length. */
  const near = (addr: fc.Arbitrary<string>, bits: number) =>
    fc.tuple(addr, addr, fc.boolean(), fc.integer({ min: 0, max: bits })).map(([a, other, same, p]) => ({ a, range: same ? a : other, p }));

  it("agrees with BlockList on IPv4 ranges", () => {
    fc.assert(
      fc.property(near(ipv4Valid, 32), fc.nat(31), ({ a, range, p }, flip) => {
        const octets = range.split(".").map(Number);
        const v = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) ^ (1 << flip);
        const r = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
        const bl = new BlockList();
        bl.addSubnet(r, p, "ipv4");
        expect(in_cidr(a, `${r}/${p}`)).toBe(bl.check(a, "ipv4"));
        expect(in_cidr(r, `${r}/${p}`)).toBe(true);
      }),
      RUNS,
    );
  });

  it("agrees with BlockList on IPv6 ranges", () => {
    fc.assert(
      fc.property(near(ipv6Valid, 128), ({ a, range, p }) => {
        const bl = new BlockList();
        bl.addSubnet(range, p, "ipv6");
        expect(in_cidr(a, `${range}/${p}`)).toBe(bl.check(a, "ipv6"));
      }),
      RUNS,
    );
  });
});

describe("wasm in_cidr equals TS", () => {
  it("on near-miss addresses and ranges", () => {
    fc.assert(
      fc.property(fc.oneof(ip, ipv4Valid, ipv6Valid, text), fc.oneof(cidr, cidr, text), (a, b) => {
        expect(wasm.in_cidr(a, b)).toBe(in_cidr(a, b));
      }),
      RUNS,
    );
  });

  it("on an address and a range built from it", () => {
    fc.assert(
      fc.property(fc.oneof(ipv4Valid, ipv6Valid), fc.integer({ min: -1, max: 130 }), (a, p) => {
        const r = p < 0 ? a : `${a}/${p}`;
        expect(wasm.in_cidr(a, r)).toBe(in_cidr(a, r));
      }),
      RUNS,
    );
  });
});
