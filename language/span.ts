// Source positions shared by every stage: the lexer creates them, the AST
// carries them, diagnostics and decisions report them back to the user.

/** A half-open range [start, end) of UTF-16 offsets in one file, with 1-based line/column of both ends. */
export interface Span {
  file: string;
  start: number;
  end: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export const NO_SPAN: Span = { file: "<none>", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };

/** The smallest span covering both `a` and `b` (which must be in the same file). */
export function join(a: Span, b: Span): Span {
  const first = a.start <= b.start ? a : b;
  const last = a.end >= b.end ? a : b;
  return { file: a.file, start: first.start, end: last.end, line: first.line, col: first.col, endLine: last.endLine, endCol: last.endCol };
}

export function assertNever(x: never, what = "value"): never {
  throw new Error(`internal error: unexpected ${what}: ${JSON.stringify(x)}`);
}
