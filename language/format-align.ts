// Column alignment for the formatter: lines are built as text pieces with
// alignment gaps between them (format.ts, format-block.ts), and align() turns
// them into text, padding each block of gaps to one column as the author did.
//
// The rule, after gofmt's tabwriter "column blocks": a block is a run of
// consecutive lines that all have a gap of one kind (a blank line or a line
// without that gap ends it). Unlike gofmt, pol aligns a block only where the
// source shows the author aligned it: a padded comment (two or more blanks
// before `#`), or a padded keyword or name gap whose text starts in the same
// source column as the same gap's text on another line of the block (so a
// stray double space is not taken for a column). Then every gap in the block
// ends at one column, the rightmost such column, or further right if a line's
// text needs it (one space at least). Other blocks get single spaces. The
// result is a fixed point: an aligned block reads back as aligned at the same
// column, and layout (line breaks) never depends on padding.

import type * as A from "./ast.js";
import { commentText, type SourceIndex } from "./format-comments.js";
import { width } from "./format-expr.js";

/**
 * Where a line may be padded. Gaps sit left to right in this order on a line:
 * - keyword: after a rule's effect (with its label) or `default` (one family),
 *   or after `limit` (another: a limit's target lining up with a rule's is chance);
 * - subject: after a rule's head (before `if`/`because`), a tool's name (before
 *   `{`), a let's name (before `=`), a limit's targets (before its measure);
 * - comment: before an end-of-line comment.
 */
export type GapKind = "keyword" | "subject" | "comment";
const KINDS: readonly GapKind[] = ["keyword", "subject", "comment"];

export interface Gap {
  kind: GapKind;
  /** Keyword and subject gaps align only with gaps of the same family: rule heads with rule heads, tool names with tool names. */
  family: string;
  /** Where the text after the gap stood in the source, if on the line of the text before it (see SourceIndex.placement). */
  source?: { column: number; padded: boolean };
}

/** A line being built: `parts[i]`, then `gaps[i]`, then `parts[i + 1]`. */
export interface Line {
  parts: string[];
  gaps: Gap[];
}

/** An output line and whether it continues a statement begun on an earlier line. */
export interface Row extends Line {
  /**
   * Keyword and subject gaps are on a statement's first line only, so a
   * statement's further lines (a `because` line, a tool's fields) neither join
   * nor end those blocks; they still end comment blocks.
   */
  continues: boolean;
}

export const text = (s: string): Line => ({ parts: [s], gaps: [] });

/** `line`, then `gap`, then `line2`. */
export function spaced(line: Line, gap: Gap, line2: Line): Line {
  return { parts: [...line.parts, ...line2.parts], gaps: [...line.gaps, gap, ...line2.gaps] };
}

/** `line` with `before` prepended and `after` appended to its text. */
export function wrap(before: string, line: Line, after = ""): Line {
  const parts = [...line.parts];
  parts[0] = before + parts[0]!;
  parts[parts.length - 1] += after;
  return { parts, gaps: line.gaps };
}

/** The line's text with single spaces at every gap: what layout decisions measure. */
export function plain(line: Line): string {
  return line.parts.join(" ");
}

/** A gap of `kind` before the source text at `offset` (if any: synthesized ASTs have none). */
export function gapAt(index: SourceIndex, kind: GapKind, family: string, offset: number | undefined): Gap {
  const source = offset === undefined ? undefined : index.placement(offset);
  return source === undefined ? { kind, family } : { kind, family, source };
}

/** `line` with `c` appended as an end-of-line comment. */
export function withTrailing(line: Line, c: A.Comment | undefined, index: SourceIndex): Line {
  return c ? spaced(line, gapAt(index, "comment", "comment", c.span.start), text(commentText(c))) : line;
}

interface Cell {
  row: number;
  gap: number;
}

/** The rows as text, each block of gaps padded to one column (see the file comment). */
export function align(rows: Row[]): string[] {
  const spaces = rows.map((r) => r.gaps.map(() => 1));
  // Width of row r's text before its gap g, with the gaps before it as padded so far.
  const before = (c: Cell): number => {
    const r = rows[c.row]!;
    let w = 0;
    for (let j = 0; j <= c.gap; j++) w += width(r.parts[j]!) + (j < c.gap ? spaces[c.row]![j]! : 0);
    return w;
  };
  // Kinds left to right, so a block's widths already include the padding to its left.
  for (const kind of KINDS) {
    for (const block of blocks(rows, kind)) {
      const wants = wanted(block.map((c) => rows[c.row]!.gaps[c.gap]!), kind);
      if (wants.length === 0) continue;
      const column = Math.max(...wants, ...block.map((c) => before(c) + 1));
      for (const c of block) spaces[c.row]![c.gap] = column - before(c);
    }
  }
  return rows.map((r, i) => r.parts.reduce((out, p, j) => `${out}${" ".repeat(spaces[i]![j - 1]!)}${p}`));
}

/** The source columns that ask for alignment in one block: padded ones, and for code gaps only those another line shares. */
function wanted(gaps: Gap[], kind: GapKind): number[] {
  const uses = new Map<number, number>();
  for (const g of gaps) if (g.source) uses.set(g.source.column, (uses.get(g.source.column) ?? 0) + 1);
  return gaps.flatMap((g) => (g.source?.padded && (kind === "comment" || uses.get(g.source.column)! > 1) ? [g.source.column] : []));
}

/** Maximal runs of rows with a gap of `kind` (and one family), per the rule in the file comment. */
function blocks(rows: Row[], kind: GapKind): Cell[][] {
  const out: Cell[][] = [];
  let block: Cell[] = [];
  const end = (): void => {
    if (block.length > 0) out.push(block);
    block = [];
  };
  rows.forEach((r, row) => {
    const gap = r.gaps.findIndex((g) => g.kind === kind);
    if (gap < 0) {
      if (kind === "comment" || !r.continues) end();
      return;
    }
    const first = block[0];
    if (first && rows[first.row]!.gaps[first.gap]!.family !== r.gaps[gap]!.family) end();
    block.push({ row, gap });
  });
  end();
  return out;
}
