// The rule index plan (compiler/index-rules.ts): which tools get one, on which slot, which rules
// each constant keys and which stay linear. That the indexed modules decide as the interpreter
// does is the differential tests' job (test/differential.test.ts generates keyed rule blocks).

import { describe, expect, it } from "vitest";
import { loadText } from "../../language/load.js";
import { MIN_INDEXED, numHash, strHash } from "../index-rules.js";
import { lower } from "../lower.js";

function program(source: string) {
  const l = loadText(source, "ix.pol", () => { throw new Error("no imports"); });
  if (!l.checked) throw new Error(l.sink.items.map((d) => d.message).join("\n"));
  return lower(l.checked);
}

const HEAD = "tool t { kind: string, n: number, note?: string }\ntool u { kind: string }\n";

describe("rule indexes", () => {
  it("index a tool's rules keyed on one slot by == and in, and leave the others linear", () => {
    const n = MIN_INDEXED + 2; // even: half keyed by ==, half by in [two constants]
    const rules = Array.from({ length: n }, (_, i) => (i % 2 ? `allow t if args.kind == "k${i}" and args.n > ${i}` : `deny t if args.kind in ["k${i}", "x${i}"]`));
    const p = program(`${HEAD}${rules.join("\n")}\ndeny t if args.n > 1000\napprove t if "k1" == args.kind\nallow u if args.kind == "k1"\n`);
    const t = p.tools.find((x) => x.name === "t")!;
    expect(t.index).toBeDefined();
    expect(t.index!.t).toBe("string");
    expect(t.index!.rest).toEqual([n]);
    const byValue = new Map(t.index!.keys.map((k) => [k.value, k.rules]));
    expect(byValue.get("k1")).toEqual([1, n + 1]);
    expect(byValue.get("x4")).toEqual([4]);
    expect(byValue.size).toBe((n / 2) * 3);
    for (const k of t.index!.keys) expect(k.hash).toBe(strHash(k.value as string));
    expect(p.tools.find((x) => x.name === "u")!.index).toBeUndefined();
  });

  it(`need ${MIN_INDEXED} keyed rules, and key numbers with -0 as 0`, () => {
    const few = Array.from({ length: MIN_INDEXED - 1 }, (_, i) => `allow t if args.kind == "k${i}"`);
    expect(program(`${HEAD}${few.join("\n")}\n`).tools.find((x) => x.name === "t")!.index).toBeUndefined();
    const nums = Array.from({ length: MIN_INDEXED }, (_, i) => `allow t if args.n == ${i === 0 ? "-0" : i}`);
    const t = program(`${HEAD}${nums.join("\n")}\nallow t if args.n == 0\n`).tools.find((x) => x.name === "t")!;
    expect(t.index!.t).toBe("number");
    expect(t.index!.keys.find((k) => k.value === 0)!.rules).toEqual([0, MIN_INDEXED]);
    expect(numHash(-0)).toBe(numHash(0));
    expect(numHash(1)).not.toBe(numHash(2));
  });

  it("hash as FNV-1a over UTF-16 code units", () => {
    expect(strHash("")).toBe(0x811c9dc5);
    expect(strHash("a")).toBe(0xe40c292c);
    expect(strHash("é😀")).not.toBe(strHash("😀é"));
  });
});
