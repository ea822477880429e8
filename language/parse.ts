// Step one of the front end: source text to AST. Lexes the file, splits it
// into statements at statement keywords, and parses each statement on its own
// so one broken statement never hides errors in the next. Consumed by check.ts,
// the formatter and every tool that reads .pol files.

import type { IRecognitionException, IToken } from "chevrotain";
import { tokenMatcher } from "./chevrotain.js";
import type * as A from "./ast.js";
import type { Sink } from "./diagnostics.js";
import { PolGrammar } from "./grammar.js";
import * as T from "./lexer.js";
import type { Span } from "./span.js";

let shared: PolGrammar | undefined;
/** Chevrotain's self-analysis is costly, so one parser instance is reused (parsing is synchronous). */
function grammar(): PolGrammar {
  return (shared ??= new PolGrammar());
}

export function spanOfToken(file: string, tok: IToken): Span {
  return {
    file,
    start: tok.startOffset,
    end: (tok.endOffset ?? tok.startOffset) + 1,
    line: tok.startLine ?? 1,
    col: tok.startColumn ?? 1,
    endLine: tok.endLine ?? 1,
    endCol: (tok.endColumn ?? 1) + 1,
  };
}

/** Span of the whole text (for the policy node), computed without scanning twice. */
function fileSpan(file: string, text: string): Span {
  const lines = text.split("\n");
  return { file, start: 0, end: text.length, line: 1, col: 1, endLine: lines.length, endCol: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

function lex(text: string, file: string, sink: Sink): { tokens: IToken[]; comments: A.Comment[] } {
  const result = T.polLexer.tokenize(text);
  for (const err of result.errors) {
    const span: Span = { file, start: err.offset, end: err.offset + err.length, line: err.line ?? 1, col: err.column ?? 1, endLine: err.line ?? 1, endCol: (err.column ?? 1) + err.length };
    const ch = text.slice(err.offset, err.offset + err.length);
    sink.report("E0101", span, `unexpected character${ch.length > 1 ? "s" : ""} \`${ch.length > 20 ? ch.slice(0, 20) + "…" : ch}\``, {
      help: ch.startsWith("'") ? "strings use double quotes: \"...\"" : ch.startsWith("/") ? "pol has no division; `/.../` is a regular expression after `=~`" : "remove it, or put it inside a string",
    });
  }
  const tokens: IToken[] = [];
  for (const tok of result.tokens) {
    if (tok.tokenType === T.SingleQuoted) {
      sink.report("E0101", spanOfToken(file, tok), "strings use double quotes", { help: `write "${tok.image.slice(1, -1).replace(/"/g, '\\"')}"` });
      tok.image = `"${tok.image.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`;
      tok.tokenType = T.StringLit;
      tok.tokenTypeIdx = T.StringLit.tokenTypeIdx!;
    }
    if (tok.tokenType === T.UnterminatedString) {
      sink.report("E0102", spanOfToken(file, tok), "unterminated string", { help: "add the closing `\"` on the same line" });
      continue;
    }
    tokens.push(tok);
  }
  const comments = (result.groups["comments"] ?? []).map((c) => ({ text: c.image, span: spanOfToken(file, c) }));
  return { tokens, comments };
}

const OPEN = new Set([T.LBrace, T.LBracket, T.LParen]);
const CLOSE = new Set([T.RBrace, T.RBracket, T.RParen]);

/**
 * Splits tokens into statements. A statement starts at a statement keyword that
 * is the first token on its line (a rule label `name:` counts too at nesting
 * depth 0). Inside braces a keyword followed by `:` or `?` is a field name.
 */
function splitStatements(tokens: IToken[]): IToken[][] {
  const out: IToken[][] = [];
  let current: IToken[] = [];
  let depth = 0;
  /** Depth of brackets and parentheses only. */
  let nested = 0;
  let prevLine = 0;
  tokens.forEach((tok, i) => {
    const next = tokens[i + 1];
    const firstOnLine = (tok.startLine ?? 0) > prevLine;
    prevLine = tok.endLine ?? tok.startLine ?? prevLine;
    // `state.invited` at the start of a continuation line is a path, not a `state` declaration.
    const nextIsColon = next?.tokenType === T.Colon || next?.tokenType === T.Question || next?.tokenType === T.Dot;
    const isKeyword = T.STATEMENT_KEYWORDS.includes(tok.tokenType) && !nextIsColon;
    const isLabel = depth === 0 && next?.tokenType === T.Colon && tokenMatcher(tok, T.Name) && !!tokens[i + 2] && [T.Allow, T.Deny, T.Approve, T.Limit].includes(tokens[i + 2]!.tokenType);
    // Inside `[...]` or `(...)` a keyword line may be a continuation (a list item `policy.x`): it
    // starts a statement only when followed by a name, string or `*` (`allow pay`, `let x`), which
    // no expression can continue with, so an unclosed `(` does not swallow the rest of the file.
    const startsStatement = nested === 0 || (next !== undefined && (tokenMatcher(next, T.Name) || next.tokenType === T.StringLit || next.tokenType === T.Star));
    if (firstOnLine && (isKeyword || isLabel) && current.length > 0 && startsStatement) {
      out.push(current);
      current = [];
      depth = 0;
      nested = 0;
    }
    if (OPEN.has(tok.tokenType)) {
      depth++;
      if (tok.tokenType !== T.LBrace) nested++;
    } else if (CLOSE.has(tok.tokenType)) {
      depth = Math.max(0, depth - 1);
      if (tok.tokenType !== T.RBrace) nested = Math.max(0, nested - 1);
    }
    current.push(tok);
  });
  if (current.length > 0) out.push(current);
  return out;
}

function tokenDesc(tok: IToken): string {
  if (tok.tokenType.name === "EOF" || tok.image === "") return "end of statement";
  const img = tok.image.length > 24 ? tok.image.slice(0, 24) + "…" : tok.image;
  return `\`${img}\``;
}

/** Turns Chevrotain's multi-line message into one lowercase line with a short `help`. */
function describe(err: IRecognitionException): { message: string; help?: string } {
  const found = tokenDesc(err.token);
  const msg = err.message;
  if (err.token.image === "=") return { message: `unexpected \`=\``, help: "compare with `==`; `=` only binds a `let`" };
  if (err.name === "NotAllInputParsedException") {
    return { message: `unexpected ${found} after the end of the statement`, help: "a statement ends here; start the next one on a new line with a keyword such as `allow` or `tool`" };
  }
  const expected = new Set<string>();
  for (const m of msg.matchAll(/-->\s*(.+?)\s*<--/g)) if (!m[1]!.startsWith("'")) expected.add(m[1]!);
  for (const m of msg.matchAll(/\[([^\]]+)\]/g)) {
    const first = m[1]!.split(",")[0]!.trim();
    if (first) expected.add(first);
  }
  const list = [...expected].map((e) => (e.startsWith("`") ? e : e.toLowerCase())).slice(0, 8);
  // A choice among literal starters means "an expression was expected here".
  if (list.includes("number") && list.includes("string") && list.includes("`(`")) return { message: `expected an expression, found ${found}` };
  const message = list.length === 1 ? `expected ${list[0]}, found ${found}` : `unexpected ${found}`;
  // A bare word where a string goes (`approve t by finance`): the fix is its quotes.
  if (list.length === 1 && list[0] === "string" && /^[\p{L}_][\p{L}\p{N}_.-]*$/u.test(err.token.image)) return { message, help: `write it as a string: "${err.token.image}"` };
  const help = list.length > 1 ? `expected one of ${list.join(", ")}` : undefined;
  return help ? { message, help } : { message };
}

function errorSpan(file: string, err: IRecognitionException, stmt: IToken[]): Span {
  const tok = err.token;
  if (tok.tokenType.name !== "EOF" && tok.image !== "" && !Number.isNaN(tok.startOffset)) return spanOfToken(file, tok);
  const last = stmt[stmt.length - 1];
  if (!last || Number.isNaN(last.startOffset)) return { file, start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
  const s = spanOfToken(file, last);
  return { ...s, start: s.end, col: s.endCol, line: s.endLine };
}

/** Brackets open at once in one statement, and binary operators in it: past these the recursive parser, checker and compiler would run out of stack. */
export const MAX_NESTING = 64;
export const MAX_OPERATORS = 1000;
/** Operators that are always binary; `-`, `<` and `>` only count after an operand (not `-1`, not `list<string>`). */
const BINARY = new Set([T.And, T.Or, T.EqEq, T.NotEq, T.RegexMatch, T.LtEq, T.GtEq, T.Plus, T.Star, T.In, T.Matches]);
const AFTER_OPERAND = new Set([T.Minus, T.Lt, T.Gt]);
const OPERAND_END = new Set([T.Name, T.Identifier, T.NumberLit, T.StringLit, T.True, T.False, T.RParen, T.RBracket]);

/** E0109 for a statement too deep or too long to be checked safely (the recursive passes would overflow the stack); false when it is fine. */
function tooBig(stmt: IToken[], file: string, sink: Sink): boolean {
  let depth = 0;
  let operators = 0;
  let prev: IToken | undefined;
  for (const tok of stmt) {
    const binary = BINARY.has(tok.tokenType) || (AFTER_OPERAND.has(tok.tokenType) && prev !== undefined && OPERAND_END.has(prev.tokenType));
    prev = tok;
    if (OPEN.has(tok.tokenType) && ++depth > MAX_NESTING) {
      sink.report("E0109", spanOfToken(file, tok), `brackets nested more than ${MAX_NESTING} deep`, { help: "name the inner part with `let`, or split the condition into several rules" });
      return true;
    }
    if (CLOSE.has(tok.tokenType)) depth = Math.max(0, depth - 1);
    if (binary && ++operators > MAX_OPERATORS) {
      sink.report("E0109", spanOfToken(file, tok), `more than ${MAX_OPERATORS} operators in one statement`, { help: "test a value against a list with `in [...]`, or split the condition into several rules" });
      return true;
    }
  }
  return false;
}

/** Parses a whole .pol file. Never throws: every problem becomes a diagnostic in `sink`. */
export function parse(text: string, file: string, sink: Sink): A.Policy {
  const { tokens, comments } = lex(text, file, sink);
  const g = grammar();
  g.file = file;
  const items: A.Item[] = [];
  let header: A.PolicyHeader | undefined;
  splitStatements(tokens).forEach((stmt) => {
    if (tooBig(stmt, file, sink)) return;
    g.semanticErrors = [];
    g.input = stmt;
    const node = g.statement();
    for (const e of g.semanticErrors) sink.report(e.code, e.span, e.message);
    if (g.errors.length > 0) {
      const err = g.errors[0]!;
      sink.report("E0103", errorSpan(file, err, stmt), describe(err).message, describe(err).help ? { help: describe(err).help! } : {});
      return;
    }
    if (!node) return;
    if ("kind" in node) items.push(node);
    else if (header || items.length > 0) {
      sink.report("E0106", node.span, header ? "a file has only one `policy` header" : "the `policy` header must come before any other statement", { help: "move `policy ...` to the top of the file" });
    } else header = node;
  });
  return { kind: "policy", file, ...(header ? { header } : {}), items, comments, span: fileSpan(file, text) };
}

/** Parses a single expression (for tests, `pol eval --expr` and the REPL-style helpers). */
export function parseExpression(text: string, file: string, sink: Sink): A.Expr | undefined {
  const { tokens } = lex(text, file, sink);
  const g = grammar();
  g.file = file;
  g.semanticErrors = [];
  g.input = tokens;
  const e = g.expr();
  for (const s of g.semanticErrors) sink.report(s.code, s.span, s.message);
  if (g.errors.length > 0) {
    const err = g.errors[0]!;
    sink.report("E0103", errorSpan(file, err, tokens), describe(err).message);
    return undefined;
  }
  if (g.input.length > 0 && tokens.length === 0) return undefined;
  return e;
}

