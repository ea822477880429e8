// The formatter's safety net: formatted text must parse back to the same
// policy with the same comments. Used by formatSource (format.ts) before it
// hands text to `pol fmt`, and by the formatter's property tests.

import type * as A from "./ast.js";
import { Sink } from "./diagnostics.js";
import { parse } from "./parse.js";

/** Positions, comments and checker annotations: what formatting may change. */
const DROPPED = new Set(["span", "nameSpan", "rootSpan", "opSpan", "patternSpan", "variableSpan", "fnSpan", "maxSpan", "keySpan", "stateSpan", "comments", "file", "type", "ref", "query"]);

/**
 * A copy of an AST without positions, comments, checker annotations, undefined
 * members, and the line-derived `id` of unlabelled rules and limits: what
 * formatting must preserve.
 */
export function meaningOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(meaningOf);
  if (node === null || typeof node !== "object") return node;
  const rec = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (v === undefined || DROPPED.has(k)) continue;
    if (k === "id" && rec["label"] === undefined && (rec["kind"] === "rule" || rec["kind"] === "limit" || rec["kind"] === "update")) continue;
    out[k] = meaningOf(v);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const commentTexts = (p: A.Policy): string[] => p.comments.map((c) => c.text.trimEnd()).sort();

/** Why `formatted` does not faithfully reprint `original`, or undefined when it does. */
export function checkFormatted(original: A.Policy, formatted: string): string | undefined {
  const sink = new Sink();
  const back = parse(formatted, original.file, sink);
  if (sink.hasErrors()) return `the formatted text does not parse: ${sink.errors[0]!.message}`;
  if (!sameValue(meaningOf(back), meaningOf(original))) return "the formatted text parses to a different policy";
  if (!sameValue(commentTexts(back), commentTexts(original))) return "the formatted text lost or changed a comment";
  return undefined;
}
