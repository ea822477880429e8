// Property tests of the formatter over random policies from gen-syntax.ts:
// printing then parsing gives the same AST, formatting is idempotent, and
// comments, line breaks and blank lines anywhere never change the meaning or
// get lost.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as A from "../ast.js";
import { Sink } from "../diagnostics.js";
import { format, formatSource } from "../format.js";
import { parse } from "../parse.js";
import { gapsArb, mutate, mutationsArb, normalize, policyArb, relayout } from "./gen-syntax.js";

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

  it("formats every policy under examples/ safely, and the result is a fixed point", () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".pol"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = formatSource(readFileSync(join(root, f), "utf8"), f);
      if (!r.ok) throw new Error(`${f}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
      expect(formatSource(r.text, f)).toEqual({ ok: true, text: r.text, changed: false });
    }
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
