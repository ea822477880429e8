// cli/repeats.ts: the first line of a kind at once, its repeats summed up once per window while
// they go on, lines that stopped recurring forgotten, and at most MAX_KINDS remembered.

import { describe, expect, it } from "vitest";
import { RepeatFolder } from "../repeats.js";

function folder() {
  const lines: string[] = [];
  let now = 1_000_000;
  const f = new RepeatFolder((l) => void lines.push(l), 60_000, () => now);
  return { f, lines, advance: (ms: number) => void (now += ms) };
}

describe("RepeatFolder", () => {
  it("prints a line once, then sums up its repeats per window until they stop", () => {
    const { f, lines, advance } = folder();
    for (let i = 0; i < 500; i++) f.line("pol serve: audit: the disk is stalled");
    f.line("pol serve: store: timed out");
    expect(lines).toEqual(["pol serve: audit: the disk is stalled", "pol serve: store: timed out"]);
    advance(60_000);
    f.flush();
    expect(lines.slice(2)).toEqual(["pol serve: audit: the disk is stalled (499 more times in the last 60 s)"]);
    f.line("pol serve: audit: the disk is stalled");
    advance(30_000);
    f.flush();
    expect(lines.slice(3)).toEqual(["pol serve: audit: the disk is stalled (1 more time in the last 30 s)"]);
    advance(60_000);
    f.flush(); // a window without repeats: forgotten, so the next one is printed in full
    f.line("pol serve: audit: the disk is stalled");
    f.line("pol serve: store: timed out"); // forgotten at the first flush (it had no repeats)
    expect(lines.slice(4)).toEqual(["pol serve: audit: the disk is stalled", "pol serve: store: timed out"]);
  });

  it("remembers at most 100 kinds, summing up the oldest before it forgets it", () => {
    const { f, lines } = folder();
    f.line("first");
    f.line("first");
    for (let i = 0; i < 100; i++) f.line(`other ${i}`);
    expect(lines).toContain("first (1 more time in the last 1 s)");
    f.line("first");
    expect(lines[lines.length - 1]).toBe("first");
    f.flush();
  });
});
