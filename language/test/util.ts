// One-line test helpers for the front end: the type of an expression in a
// rule over a small schema, and "this source reports CODE under TEXT".
// Used by the checker's unit tests.

import { expect } from "vitest";
import type { Diagnostic } from "../diagnostics.js";
import { loadText } from "../load.js";
import { showType } from "../types.js";

/** A schema every probe can read: numbers, strings, optionals, lists, records. */
export const PRELUDE = `tool t {
  amount: number
  currency: string
  reason?: string
  to: list<string>
  items: list<{ sku: string, qty: number, note?: string }>
  customer: { id: string, email?: string }
  urgent: bool
}
context { region: string, tier?: number }
let internal = ["acme.com", "acme.io"]
`;

/** Checks a policy source; returns its diagnostics (and fails on none when `wantErrors`). */
export function diagnostics(src: string, file = "test.pol"): Diagnostic[] {
  return loadText(src, file, () => { throw new Error("no imports in tests"); }).sink.sorted();
}

/** The type the checker gives `expr` inside a rule on tool `t` of PRELUDE. */
export function typeOf(expr: string): string {
  const l = loadText(`${PRELUDE}allow t if ${expr}\n`, "probe.pol");
  const rule = l.checked!.rules[0]!;
  const errs = l.sink.errors.filter((d) => d.code !== "E0205");
  if (errs.length) throw new Error(`\`${expr}\` has errors: ${errs.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  return showType(rule.decl.condition!.type!);
}

export function expectType(expr: string, type: string): void {
  expect(typeOf(expr), expr).toBe(type);
}

/** Expects a diagnostic with `code` whose span covers exactly `underline` in `src` (PRELUDE is prepended when `prelude`). */
export function expectError(src: string, want: { code: string; underline?: string; message?: RegExp | string }, prelude = true): Diagnostic {
  const text = prelude ? PRELUDE + src : src;
  const ds = diagnostics(text);
  const hit = ds.find((d) => d.code === want.code && (want.underline === undefined || text.slice(d.span.start, d.span.end) === want.underline));
  const seen = ds.map((d) => `${d.code} \`${text.slice(d.span.start, d.span.end)}\` ${d.message}`).join("\n  ");
  expect(hit, `expected ${want.code} under \`${want.underline}\`; got:\n  ${seen}`).toBeDefined();
  if (want.message !== undefined) expect(hit!.message).toMatch(want.message);
  return hit!;
}

/** The whole-policy red flags (language/lint.ts): about the probe policy around an expression, not the expression. */
const LINT = new Set(["W0110", "W0111", "W0112", "W0113"]);

/** Expects no diagnostics (the PRELUDE's own unused `internal` and the probe policy's red flags aside). */
export function expectClean(src: string, prelude = true): void {
  const text = prelude ? PRELUDE + src : src;
  const ds = diagnostics(text).filter((d) => !(prelude && d.code === "W0102" && d.message.includes("`internal`")) && !LINT.has(d.code));
  expect(ds.map((d) => `${d.code} ${d.message}`)).toEqual([]);
}
