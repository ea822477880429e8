// Tests for trim, len, starts_with, ends_with, contains and str_eq: TS equals
// the JS string methods it is specified by, and the wasm build equals TS; also
// checks the compiled stdlib never allocates managed objects and tree-shakes.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { contains, ends_with, len, starts_with, trim } from "../ts/index.js";
import { AsStdlib, compileStdlib } from "./as-harness.js";
import { text, unicode } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

/** A haystack and a needle that is often (but not always) a piece of it; small alphabets make long needles hit. */
const pair = fc.oneof(
  fc.tuple(text, text),
  fc.tuple(text, fc.nat(), fc.nat(40)).map(([s, a, n]) => {
    const i = a % (s.length + 1);
    return [s, s.slice(i, i + n)] as [string, string];
  }),
  fc
    .tuple(fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 80 }), fc.string({ unit: fc.constantFrom("a", "b"), minLength: 6, maxLength: 20 }))
    .map(([s, p]) => [s, p] as [string, string]),
  fc.tuple(fc.string({ unit: fc.constantFrom("a", "b", "😀"), maxLength: 40 }), fc.nat(), fc.integer({ min: 9, max: 30 })).map(([s, a, n]) => {
    const i = a % (s.length + 1);
    return [s, s.slice(i, i + n)] as [string, string];
  }),
);

describe("trim", () => {
  it("strips exactly what JS String.prototype.trim strips, for every BMP code unit", () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const s = `${ch}${ch}x${ch}`;
      if (trim(s) !== s.trim()) throw new Error(`U+${c.toString(16)}`);
    }
  });

  it("examples", () => {
    expect(trim(" \t\n a b \u00a0\u3000\ufeff")).toBe("a b");
    expect(trim("\u200b x")).toBe("\u200b x"); // zero-width space is not white space
    expect(wasm.trim("\u2028 x \r")).toBe("x");
  });

  it("wasm equals TS", () => {
    const spacey = fc.string({ unit: fc.constantFrom(" ", "\t", "\u00a0", "\ufeff", "\u2000", "\u200b", "x", "😀", "\u180e"), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(text, spacey), (s) => {
        expect(wasm.trim(s)).toBe(trim(s));
      }),
      RUNS,
    );
  });
});

describe("len", () => {
  it("counts code points, and list items", () => {
    expect(len("a😀b")).toBe(3);
    expect(len("")).toBe(0);
    expect(len("\ud800\ud800\udc00")).toBe(2); // a lone high surrogate, then a pair
    expect(len(["a", "b"])).toBe(2);
    expect(wasm.len("😀😀\udc00")).toBe(3);
  });

  it("equals [...s].length in TS and wasm", () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(len(s)).toBe([...s].length);
        expect(wasm.len(s)).toBe(len(s));
      }),
      RUNS,
    );
  });
});

describe("starts_with / ends_with / contains / str_eq", () => {
  it("examples", () => {
    expect(starts_with("stripe.refund", "stripe.")).toBe(true);
    expect(ends_with("a@acme.com", "@acme.com")).toBe(true);
    expect(contains("hello", "")).toBe(true);
    expect(contains("aaaaaaaaaaaaab", "aaaaaaaaab")).toBe(true);
    expect(wasm.contains("aaaaaaaaaaaaab", "aaaaaaaaab")).toBe(true);
    expect(wasm.contains("aaaaaaaaaaaaa", "aaaaaaaaab")).toBe(false);
    expect(wasm.starts_with("ab", "abc")).toBe(false);
    expect(wasm.ends_with("", "")).toBe(true);
  });

  it("TS equals JS startsWith/endsWith/includes, wasm equals TS", () => {
    fc.assert(
      fc.property(pair, ([s, p]) => {
        expect(starts_with(s, p)).toBe(s.startsWith(p));
        expect(ends_with(s, p)).toBe(s.endsWith(p));
        expect(contains(s, p)).toBe(s.includes(p));
        expect(wasm.starts_with(s, p)).toBe(s.startsWith(p));
        expect(wasm.ends_with(s, p)).toBe(s.endsWith(p));
        expect(wasm.contains(s, p)).toBe(s.includes(p));
        expect(wasm.str_eq(s, p)).toBe(s === p);
      }),
      RUNS,
    );
  });

  it("contains stays linear on adversarial needles (10x input, < 30x time)", () => {
    // Naive search costs (n - m) * m compares here, so 10x the input would cost 100x.
    const best = (n: number) => {
      const hay = "a".repeat(n);
      const needle = "a".repeat(n / 4) + "b";
      let t = Infinity;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        expect(wasm.contains(hay, needle)).toBe(false);
        t = Math.min(t, performance.now() - t0);
      }
      return t;
    };
    best(40_000); // warm up
    expect(best(400_000) / best(40_000)).toBeLessThan(30);
  });
});

describe("compiled stdlib", () => {
  it("never allocates managed objects (no runtime allocator is linked)", () => {
    expect(wasm.text).not.toMatch(/~lib\/rt\/stub\/__(new|alloc)/);
    expect(wasm.text).not.toMatch(/~lib\/string\//);
    expect(wasm.text).toMatch(/has_pii/); // sanity: the text does carry function names
  });

  it("drops builtins a module does not call", async () => {
    const { text: wat } = await compileStdlib(
      `import { sref, sptr, std_lower } from "../as/index";\nexport function f(p: usize, n: u32): usize { return sptr(std_lower(sref(p, n))); }\n`,
    );
    expect(wat).toMatch(/as\/case/);
    expect(wat).not.toMatch(/as\/pii|as\/cidr|as\/dfa|as\/url/);
  });

  it("keeps random-string characters intact across the boundary", () => {
    fc.assert(
      fc.property(unicode, (s) => {
        expect(wasm.trim(`x${s}x`)).toBe(`x${s}x`);
      }),
      { numRuns: 200 },
    );
  });
});
