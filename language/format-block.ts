// Layout of field blocks (`tool NAME { ... }`, `context { ... }` and nested
// record types) for the formatter: one line when it fits and holds no
// comments, else one field per line with every comment kept beside its field.
// Called by format.ts with a statement's inner comments and the SourceIndex;
// returns lines whose comment gaps format-align.ts pads.

import type * as A from "./ast.js";
import { type Gap, type Line, plain, spaced, text, withTrailing, wrap } from "./format-align.js";
import { commentText, type SourceIndex } from "./format-comments.js";
import { printFieldsInline, printTypeInline, width } from "./format-expr.js";
import * as T from "./lexer.js";

export const MAX_WIDTH = 100;
const INDENT = "  ";

export interface BlockResult {
  lines: Line[];
  /** Comments that have no place in the layout (e.g. between `tool` and `{`): printed before the statement. */
  hoisted: A.Comment[];
}

const inside = (cs: A.Comment[], from: number, to: number): A.Comment[] => cs.filter((c) => c.span.start > from && c.span.start < to);
const outside = (cs: A.Comment[], from: number, to: number): A.Comment[] => cs.filter((c) => !(c.span.start > from && c.span.start < to));

/**
 * Prints `prefix { fields } suffix` (a tool or context declaration). `searchFrom`
 * is an offset before the block's `{` and after anything else that could hold
 * a brace; `inner` are the statement's comments between its first and last
 * token. `gap` makes the space before `{` an alignment gap (a tool's name),
 * given the offset of the `{`, which is -1 for a synthesized AST.
 */
export function printFieldsDecl(prefix: string, gap: ((open: number) => Gap) | undefined, suffix: string, fields: A.FieldDecl[], searchFrom: number, inner: A.Comment[], index: SourceIndex): BlockResult {
  // Without source text (a synthesized AST) there are no braces to find, and no comments.
  const { open, close } = findBraces(index, searchFrom) ?? { open: -1, close: -1 };
  const blockComments = inside(inner, open, close);
  const hoisted = outside(inner, open, close);
  const join = (block: Line): Line => (gap ? spaced(text(prefix), gap(open), block) : wrap(`${prefix} `, block));
  const oneLine = join(text(`${printFieldsInline(fields)}${suffix}`));
  if (blockComments.length === 0 && width(plain(oneLine)) <= MAX_WIDTH) return { lines: [oneLine], hoisted };
  const lines = blockLines(fields, open, close, "", blockComments, index);
  lines[0] = join(lines[0]!);
  lines[lines.length - 1] = wrap("", lines[lines.length - 1]!, suffix);
  return { lines, hoisted };
}

/** Offsets of the first `{` at or after `from` and of its matching `}`. */
function findBraces(index: SourceIndex, from: number): { open: number; close: number } | undefined {
  const toks = index.tokens;
  const first = index.after(from);
  let depth = 0;
  let open = -1;
  for (let i = first; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.type === T.LBrace) {
      if (depth++ === 0) open = t.start;
    } else if (t.type === T.RBrace && open >= 0 && --depth === 0) return { open, close: t.start };
  }
  return undefined;
}

interface FieldComments {
  leading: A.Comment[][];
  trailing: (A.Comment | undefined)[];
  /** Comments between a field's name and the end of its type. */
  within: A.Comment[][];
  /** End-of-line comment after the `{`. */
  open?: A.Comment;
  /** Own-line comments after the last field. */
  dangling: A.Comment[];
}

/** Assigns each comment between `{` (at `open`) and `}` to a field, the brace line, or the block's end. */
function classify(fields: A.FieldDecl[], open: number, comments: A.Comment[], index: SourceIndex): FieldComments {
  const fc: FieldComments = { leading: fields.map(() => []), trailing: fields.map(() => undefined), within: fields.map(() => []), dangling: [] };
  const nextField = (offset: number): number => fields.findIndex((f) => f.nameSpan.start >= offset);
  const putBefore = (c: A.Comment): void => {
    const next = nextField(c.span.end);
    if (next >= 0) fc.leading[next]!.push(c);
    else fc.dangling.push(c);
  };
  for (const c of comments) {
    const host = fields.findIndex((f) => c.span.start > f.nameSpan.start && c.span.start < f.span.end);
    if (host >= 0) {
      fc.within[host]!.push(c);
      continue;
    }
    if (!index.isEndOfLine(c)) {
      putBefore(c);
      continue;
    }
    const prev = index.tokens[index.before(c.span.start)]!;
    let owner = -1;
    fields.forEach((f, i) => {
      if (f.nameSpan.start <= prev.start) owner = i;
    });
    if (prev.start === open && fc.open === undefined) fc.open = c;
    else if (prev.start !== open && owner >= 0 && fc.trailing[owner] === undefined) fc.trailing[owner] = c;
    else putBefore(c);
  }
  return fc;
}

/**
 * A block over several lines: `{` with its comment, each field at `indent`
 * plus two spaces (blank lines between fields kept, at most one), and `}` at
 * `indent`. Callers prefix the first line and suffix the last.
 */
function blockLines(fields: A.FieldDecl[], open: number, close: number, indent: string, comments: A.Comment[], index: SourceIndex, more = false): Line[] {
  const fc = classify(fields, open, comments, index);
  const pad = indent + INDENT;
  const own = (c: A.Comment): Line => text(pad + commentText(c));
  const lines = [withTrailing(text("{"), fc.open, index)];
  let prevEnd = fc.open ? fc.open.span.end : open + 1;
  const put = (start: number, end: number, more: Line[]): void => {
    if (lines.length > 1 && index.blankBetween(prevEnd, start)) lines.push(text(""));
    lines.push(...more);
    prevEnd = Math.max(prevEnd, end);
  };
  fields.forEach((f, i) => {
    for (const c of fc.leading[i]!) put(c.span.start, c.span.end, [own(c)]);
    const printed = fieldLines(f, pad, fc.within[i]!, index);
    const trailing = fc.trailing[i];
    printed.lines[printed.lines.length - 1] = withTrailing(printed.lines[printed.lines.length - 1]!, trailing, index);
    put(f.nameSpan.start, trailing?.span.end ?? f.span.end, [...printed.hoisted.map(own), ...printed.lines]);
  });
  for (const c of fc.dangling) put(c.span.start, c.span.end, [own(c)]);
  // An open record's `...` closes its field list.
  if (more) lines.push(text(pad + "..."));
  lines.push(text(indent + "}"));
  return lines;
}

/** The record a type ends in (`{...}`, `list<{...}>`, ...) and how many `list<` wrap it. */
function recordOf(t: A.TypeExpr, depth = 0): { record: Extract<A.TypeExpr, { kind: "record" }>; depth: number } | undefined {
  if (t.kind === "record") return { record: t, depth };
  if (t.kind === "list") return recordOf(t.elem, depth + 1);
  return undefined;
}

/** One field at `pad`: inline when it fits and its record holds no comments, else its record is expanded. */
function fieldLines(f: A.FieldDecl, pad: string, within: A.Comment[], index: SourceIndex): BlockResult {
  const head = `${pad}${f.name}${f.optional ? "?" : ""}: `;
  const inline = head + printTypeInline(f.type);
  const rec = recordOf(f.type);
  if (!rec) return { lines: [text(inline)], hoisted: within };
  const open = rec.record.span.start;
  const close = rec.record.span.end - 1;
  const recComments = inside(within, open, close);
  const hoisted = outside(within, open, close);
  if (recComments.length === 0 && width(inline) <= MAX_WIDTH) return { lines: [text(inline)], hoisted };
  const lines = blockLines(rec.record.fields, open, close, pad, recComments, index, rec.record.open === true);
  lines[0] = wrap(head + "list<".repeat(rec.depth), lines[0]!);
  lines[lines.length - 1] = wrap("", lines[lines.length - 1]!, ">".repeat(rec.depth));
  return { lines, hoisted };
}
