// Where each comment of a file belongs, for the formatter: before a statement,
// at the end of its last line, inside it, or at the end of the file. Fed the
// parsed Policy and its source text by format.ts; also gives format-block.ts
// and the rule layout the token positions they need (braces, clause keywords),
// and format-align.ts where the author put things (columns, padding).

import type { TokenType } from "chevrotain";
import type * as A from "./ast.js";
import { width } from "./format-expr.js";
import * as T from "./lexer.js";
import type { Span } from "./span.js";

export interface Tok { type: TokenType; start: number; end: number; line: number; endLine: number }

/** The non-comment tokens of the source, with lookups by offset. */
export class SourceIndex {
  readonly tokens: Tok[];

  constructor(readonly source: string) {
    this.tokens = T.polLexer.tokenize(source).tokens.map((t) => ({
      type: t.tokenType,
      start: t.startOffset,
      end: (t.endOffset ?? t.startOffset) + 1,
      line: t.startLine ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1,
    }));
  }

  /** Index of the last token ending at or before `offset`, or -1. */
  before(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Index of the first token starting at or after `offset` (tokens.length if none). */
  after(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A comment trails code when a token ends on the line it starts on. */
  isEndOfLine(c: A.Comment): boolean {
    const p = this.before(c.span.start);
    return p >= 0 && this.tokens[p]!.endLine === c.span.line;
  }

  /**
   * Where the token or comment at `offset` stands when it follows the previous
   * token on the same line: its column (0-based, in code points) and whether
   * the author padded it (two or more blanks before it). Undefined otherwise.
   */
  placement(offset: number): { column: number; padded: boolean } | undefined {
    const p = this.before(offset);
    if (p < 0) return undefined;
    const blanks = this.source.slice(this.tokens[p]!.end, offset);
    if (/[^ \t\f\v\u00a0\ufeff]/.test(blanks)) return undefined;
    const lineStart = Math.max(this.source.lastIndexOf("\n", offset - 1), this.source.lastIndexOf("\r", offset - 1)) + 1;
    return { column: width(this.source.slice(lineStart, offset)), padded: blanks.length >= 2 };
  }

  /** Whether the text between two offsets holds an empty line (only whitespace between two line breaks). */
  blankBetween(from: number, to: number): boolean {
    return from < to && /(?:\r\n?|\n)[^\S\r\n]*(?:\r\n?|\n)/.test(this.source.slice(from, to));
  }
}

/** A header or an item: one top-level statement. */
export type Stmt = { kind: "header"; header: A.PolicyHeader; span: Span } | A.Item;

export interface StmtComments {
  /** Own-line comments between the previous statement and this one. */
  leading: A.Comment[];
  /** Comments between the statement's first and last token. */
  inner: A.Comment[];
  /** The comment after the statement's last token, on that token's line. */
  trailing?: A.Comment;
  /** Offset just past the statement's last token (spans can stop short of a closing parenthesis). */
  end: number;
}

export interface Attached {
  perStmt: StmtComments[];
  /** Own-line comments after the last statement. */
  eof: A.Comment[];
}

/**
 * Assigns every comment to one statement (or the end of the file). A
 * statement's extent runs from its span's start to the last token before the
 * next statement, because spans of parenthesised expressions exclude the `)`.
 */
export function attachComments(stmts: Stmt[], comments: A.Comment[], index: SourceIndex): Attached {
  const toks = index.tokens;
  const firstTok = stmts.map((s) => index.after(s.span.start));
  const lastTok = stmts.map((s, i) => (i + 1 < stmts.length ? firstTok[i + 1]! : toks.length) - 1);
  const perStmt: StmtComments[] = stmts.map((s, i) => ({ leading: [], inner: [], end: lastTok[i]! >= firstTok[i]! ? toks[lastTok[i]!]!.end : s.span.end }));
  const eof: A.Comment[] = [];
  // The statement owning token `t`: the last one whose first token is at or before it (-1 if none).
  const owner = (t: number): number => {
    let lo = 0;
    let hi = stmts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (firstTok[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  for (const c of comments) {
    const p = index.before(c.span.start);
    const n = index.after(c.span.end);
    const sp = p >= 0 ? owner(p) : -1;
    const sn = n < toks.length ? owner(n) : stmts.length;
    if (sp >= 0 && sp === sn) perStmt[sp]!.inner.push(c);
    else if (sp >= 0 && toks[p]!.endLine === c.span.line && perStmt[sp]!.trailing === undefined) perStmt[sp]!.trailing = c;
    else if (sn < stmts.length && sn >= 0) perStmt[sn]!.leading.push(c);
    else eof.push(c);
  }
  return { perStmt, eof };
}

/** A comment's text without trailing blanks (the lexer keeps them). */
export function commentText(c: A.Comment): string {
  return c.text.replace(/\s+$/, "");
}
