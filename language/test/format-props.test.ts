// Property tests of the formatter over random policies from gen-syntax.ts:
// printing then parsing gives the same AST, formatting is idempotent, and
// comments, line breaks, blank lines, stray blanks and aligned columns anywhere
// never change the meaning or get lost; aligned keyword columns are kept.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as A from "../ast.js";
import { Sink } from "../diagnostics.js";
import { format, formatSource } from "../format.js";
import { parse } from "../parse.js";
import { alignColumns, gapsArb, mutate, mutationsArb, normalize, pad, padsArb, policyArb, relayout } from "./gen-syntax.js";

const RUNS = 600;

/** Parses text the test expects to be valid, with the diagnostics in the failure message otherwise. */
function parseValid(text: string): A.Policy {
  const sink = new Sink();
  const policy = parse(text, "gen.pol", sink);
  if (sink.hasErrors()) throw new Error(`unexpected syntax errors: ${sink.items.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join("; ")}\n${text}`);
  return policy;
}

const commentTexts = (p: A.Policy): string[] => p.comments.map((c) => c.text.trimEnd()).sort();

describe("format properties", () => {
  it("parse(format(ast)) equals ast, ignoring spans, line-derived ids and comments", () => {
    fc.assert(
      fc.property(policyArb, (ast) => {
        expect(normalize(parseValid(format(ast, "")))).toEqual(normalize(ast));
      }),
      { numRuns: RUNS },
    );
  });

  it("is idempotent, and formats the same with or without the source text", () => {
    fc.assert(
      fc.property(policyArb, (ast) => {
        const text = format(ast, "");
        expect(format(parseValid(text), text)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps meaning and every comment when line breaks, blank lines and comments are added anywhere", () => {
    fc.assert(
      fc.property(policyArb, gapsArb, (ast, gaps) => {
        const { text, comments } = relayout(format(ast, ""), gaps);
        const once = format(parseValid(text), text);
        const reparsed = parseValid(once);
        expect(normalize(reparsed)).toEqual(normalize(ast));
        expect(commentTexts(reparsed)).toEqual([...comments].sort());
        expect(format(reparsed, once)).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps meaning and every comment when the golden fixtures (which have comments of their own) are re-laid out", () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), "fmt");
    const fixtures = readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8"));
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), gapsArb, (source, gaps) => {
        const original = parseValid(source);
        const { text, comments } = relayout(source, gaps);
        const once = format(parseValid(text), text);
        const reparsed = parseValid(once);
        expect(normalize(reparsed)).toEqual(normalize(original));
        expect(commentTexts(reparsed)).toEqual([...commentTexts(original), ...comments].sort());
        expect(format(reparsed, once)).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });

  it("finds every policy under examples/ already formatted (the DESIGN.md sketch included), as `pol fmt --check examples` does", () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".pol"));
    expect(files).toContain(join("support_agent", "support_agent.pol"));
    for (const f of files) {
      const text = readFileSync(join(root, f), "utf8");
      expect(formatSource(text, f), f).toEqual({ ok: true, text, changed: false });
    }
  });

  it("keeps meaning, comments and idempotence when blanks are padded anywhere and columns aligned", () => {
    fc.assert(
      fc.property(policyArb, gapsArb, padsArb, fc.nat(24), fc.nat(80), (ast, gaps, pads, keywordColumn, commentColumn) => {
        const { text: laid, comments } = relayout(format(ast, ""), gaps);
        const text = alignColumns(pad(laid, pads), keywordColumn, commentColumn);
        const once = format(parseValid(text), text);
        const reparsed = parseValid(once);
        expect(normalize(reparsed)).toEqual(normalize(ast));
        expect(commentTexts(reparsed)).toEqual([...comments].sort());
        expect(format(reparsed, once)).toBe(once);
        // Padding changes only the width of blanks between things, never the lines or what is on them.
        const collapse = (t: string): string => t.replace(/ +/g, " ");
        expect(collapse(once)).toBe(collapse(format(parseValid(laid), laid)));
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps a keyword column that consecutive rules share, and drops one no other rule shares", () => {
    // Past every keyword cell (the longest label is 8 characters): every rule, `default` and `limit` is padded to it.
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 18, max: 30 }), (ast, column) => {
        const text = alignColumns(format(ast, ""), column, 0);
        const out = format(parseValid(text), text).split("\n");
        // Each first line of a rule, `default` or `limit`: its family, and the column of the text after its keyword.
        const heads = out.map((line) => {
          const m = /^((?:\S+: )?(?:allow|deny|approve|limit)|default) +/.exec(line);
          return m ? { family: m[1]!.endsWith("limit") ? "limit" : "effect", keyword: m[1]!.length, at: m[0].length } : undefined;
        });
        heads.forEach((h, i) => {
          if (!h) return;
          // A neighbour: the nearest first line before or after, past this statement's indented continuation lines.
          const near = (step: number): boolean => {
            for (let j = i + step; j >= 0 && j < out.length; j += step) {
              if (heads[j]) return heads[j]!.family === h.family;
              if (!out[j]!.startsWith(" ")) return false;
            }
            return false;
          };
          expect(h.at, out.join("\n")).toBe(near(-1) || near(1) ? column : h.keyword + 1);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps meaning, comments and idempotence on mutated policies that still parse", () => {
    // fast-check fails the test if too few mutations stay valid (maxSkipsPerRun).
    fc.assert(
      fc.property(policyArb, gapsArb, mutationsArb, (ast, gaps, mutations) => {
        const text = mutate(relayout(format(ast, ""), gaps).text, mutations);
        const sink = new Sink();
        const policy = parse(text, "m.pol", sink);
        fc.pre(!sink.hasErrors());
        const once = format(policy, text);
        const reparsed = parseValid(once);
        expect(normalize(reparsed)).toEqual(normalize(policy));
        expect(commentTexts(reparsed)).toEqual(commentTexts(policy));
        expect(format(reparsed, once)).toBe(once);
      }),
      { numRuns: RUNS, maxSkipsPerRun: 100 },
    );
  });
});
