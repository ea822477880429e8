// Tests for lower/upper: the committed case tables match a fresh generation,
// the TS mapping equals JS's per-code-point mapping for every code point, and
// the wasm build equals TS (exhaustively and on random text).

import fc from "fast-check";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { AS_PATH, buildTables, renderAs, renderTs, TS_PATH } from "../tools/gen-case-table.js";
import { lower, lowerCp, upper, upperCp } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";
import { text, units } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

/** Every code point except the surrogates, as one string. */
function allCodePoints(): string {
  const parts: string[] = [];
  for (let c = 0; c <= 0x10ffff; c += 4096) {
    const chunk: number[] = [];
    for (let d = c; d < c + 4096 && d <= 0x10ffff; d++) if (d < 0xd800 || d > 0xdfff) chunk.push(d);
    parts.push(String.fromCodePoint(...chunk));
  }
  return parts.join("");
}

describe("case tables", () => {
  it("the committed TS and AS tables are what the generator produces now", () => {
    const t = buildTables();
    expect(readFileSync(TS_PATH, "utf8")).toBe(renderTs(t));
    expect(readFileSync(AS_PATH, "utf8")).toBe(renderAs(t));
  });

  it("lowerCp/upperCp equal JS's mapping when it is one code point, else identity, for every code point", () => {
    const bad: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCodePoint(c);
      for (const [mine, js] of [
        [lowerCp(c), s.toLowerCase()],
        [upperCp(c), s.toUpperCase()],
      ] as const) {
        const want = [...js].length === 1 ? js.codePointAt(0)! : c;
        if (mine !== want && bad.length < 5) bad.push(`U+${c.toString(16)}: ${mine} != ${want}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe("lower / upper semantics", () => {
  it.each([
    ["lower", "HeLLo WORLD", "hello world"],
    ["lower", "İ", "İ"], // JS gives "i̇" (two code points): left unchanged
    ["lower", "ΣΑΣ", "σασ"], // no final-sigma context rule
    ["lower", "𐐀𐐁", "𐐨𐐩"], // astral (Deseret)
    ["lower", "ǅ", "ǆ"],
    ["upper", "straße", "STRAßE"], // ß → "SS" in JS is two code points: unchanged
    ["upper", "ŉ", "ŉ"],
    ["upper", "ǆ ı ſ", "Ǆ I S"],
    ["upper", "𐐨", "𐐀"],
    ["upper", "", ""],
  ])("%s(%j) = %j", (fn, input, want) => {
    const f = fn === "lower" ? lower : upper;
    expect(f(input)).toBe(want);
    expect(fn === "lower" ? wasm.lower(input) : wasm.upper(input)).toBe(want);
  });

  it("keeps the UTF-16 length and leaves lone surrogates alone", () => {
    expect(lower("A\ud800B\udc00")).toBe("a\ud800b\udc00");
    expect(wasm.upper("a\udbffb")).toBe("A\udbffB");
  });
});

describe("wasm lower/upper equal TS", () => {
  it("on every code point at once", () => {
    const all = allCodePoints();
    expect(wasm.lower(all) === lower(all)).toBe(true);
    expect(wasm.upper(all) === upper(all)).toBe(true);
  });

  it("on random text", () => {
    fc.assert(
      fc.property(fc.oneof(text, units), (s) => {
        expect(wasm.lower(s)).toBe(lower(s));
        expect(wasm.upper(s)).toBe(upper(s));
      }),
      RUNS,
    );
  });

  it("keeps memory flat across calls once the arena is reset", () => {
    const big = "ABC😀".repeat(40_000);
    const want = lower(big);
    wasm.lower(big);
    const size = wasm.memoryBytes();
    for (let i = 0; i < 20; i++) expect(wasm.lower(big) === want).toBe(true);
    expect(wasm.memoryBytes()).toBe(size);
  });
});
