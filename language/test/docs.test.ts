// The `pol` blocks of docs/language.md are whole policies: each checks with no error, so the
// reference's examples of every construct stay true as the language changes.
// Reads docs/language.md; the checker is language/load.ts.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnostics } from "./util.js";

const DOC = readFileSync(join(import.meta.dirname, "..", "..", "docs", "language.md"), "utf8");
const blocks = [...DOC.matchAll(/```pol\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("docs/language.md", () => {
  it("has a checked example for each construct the issue added", () => {
    for (const construct of ["seen(", "state ", "on ", "urls(", "emails(", '"r" | "rw"', "...", "orders[", "else approve", "limit pay 2 calls per day per agent if", "class(write)", "today()"]) {
      expect(blocks.some((b) => b.includes(construct)), construct).toBe(true);
    }
  });
  it.each(blocks.map((b, i) => [i + 1, b]))("example %i checks with no error", (_i, block) => {
    const errors = diagnostics(block as string, "doc.pol").filter((d) => d.severity === "error");
    expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });
});
