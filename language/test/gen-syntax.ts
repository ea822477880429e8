// fast-check generators of random syntactically valid policies: ASTs over every
// statement and expression form (not necessarily well-typed), meaning-keeping
// re-layouts of their text (line breaks, comments, blanks and aligned columns),
// and token-level mutations. Used by the formatter's property tests and the
// parser fuzz tests, which print these ASTs with format().

import type { IToken } from "chevrotain";
import { tokenMatcher } from "../chevrotain.js";
import fc from "fast-check";
import type * as A from "../ast.js";
import * as T from "../lexer.js";
import { HISTORY_FNS } from "../grammar.js";
import { NO_SPAN } from "../span.js";

const S = NO_SPAN;

// ------------------------------------------------------------------ words

/** Every keyword of the lexer, read from its token patterns so the lists cannot drift. */
export const KEYWORDS: readonly string[] = T.allTokens.map((t) => t.PATTERN).filter((p): p is RegExp => p instanceof RegExp && /^[a-z]+$/.test(p.source)).map((p) => p.source);
const lexesAs = (word: string, cat: typeof T.Name): boolean => tokenMatcher(T.polLexer.tokenize(word).tokens[0]!, cat);
/** Keywords that can still name things (`tool`, `limit`, `calls`, `number`...). */
export const NAME_KEYWORDS = KEYWORDS.filter((k) => lexesAs(k, T.Name));
/** Keywords that are operators (`and`, `in`, `if`...): only after a `.` or as a field name. */
export const OP_KEYWORDS = KEYWORDS.filter((k) => !lexesAs(k, T.Name));
const STATEMENT_KEYWORDS = T.STATEMENT_KEYWORDS.map((t) => (t.PATTERN as RegExp).source);

const plainIdent = fc.oneof(
  fc.constantFrom("a", "b", "x", "args", "agent", "run", "env", "ctx", "amount", "to", "_", "hour", "second"),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,7}$/).filter((w) => !KEYWORDS.includes(w)),
);
/** A `Name` token: an identifier or a keyword that names things. */
export const nameArb = fc.oneof({ weight: 4, arbitrary: plainIdent }, { weight: 1, arbitrary: fc.constantFrom(...NAME_KEYWORDS) });
/** Any word: also valid after `.` and as a field name. */
export const wordArb = fc.oneof({ weight: 4, arbitrary: nameArb }, { weight: 1, arbitrary: fc.constantFrom(...OP_KEYWORDS) });
/**
 * A rule or limit label. Soft keywords (`calls`, `number`...) are left out:
 * parse.ts only starts a new statement at an identifier or statement-keyword
 * label, so `calls: allow x` after another statement fails to parse.
 */
const labelArb = fc.oneof({ weight: 4, arbitrary: plainIdent }, { weight: 1, arbitrary: fc.constantFrom(...STATEMENT_KEYWORDS) });

// ---------------------------------------------------------------- literals

/** Characters that stress escaping: quotes, backslashes, controls, separators, astral and lone surrogates, `#`. */
const stringChar = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('"', "\\", "#", "\n", "\t", "\r", "\0", "\u0001", "\u007f", "\u0085", "\u00a0", "\u2028", "\ufeff", "é", "😀", "\ud800", "*") },
);
export const stringArb = fc.string({ unit: stringChar, maxLength: 10 });

export const numberArb = fc.oneof(
  fc.nat(1000),
  fc.constantFrom(0, 0.1, 0.5, 1e21, 1.5e-7, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2),
  fc.double({ min: 0, max: 1e300, noNaN: true, noDefaultInfinity: true }).map(Math.abs),
);

/** Regular-expression source as the lexer's RegexLit accepts it: plain characters, `\x` escapes, `[...]` classes. */
const regexPlain = fc.constantFrom("a", "b", ".", "*", "+", "?", "(", ")", "|", "^", "$", "{", "}", "]", "#", " ", "-", "é", '"');
const regexEscaped = fc.constantFrom("\\/", "\\\\", "\\d", "\\.", "\\[", "\\w", '\\"', "\\ ");
const regexClass = fc.array(fc.constantFrom("a", "/", "-", "z", "\\]", "\\\\", "[", "#", "^"), { maxLength: 4 }).map((cs) => `[${cs.join("")}]`);
export const regexArb = fc.record({
  source: fc.array(fc.oneof(regexPlain, regexEscaped, regexClass), { minLength: 1, maxLength: 6 }).map((parts) => parts.join("")),
  flags: fc.stringMatching(/^[a-zA-Z]{0,3}$/),
});

// ------------------------------------------------------------------ names

export const pathArb: fc.Arbitrary<A.PathExpr> = fc.record({ root: nameArb, segs: fc.array(wordArb, { maxLength: 3 }) }).map(({ root, segs }) => ({
  kind: "path",
  root,
  rootSpan: S,
  segments: segs.map((name) => ({ name, span: S })),
  span: S,
}));

/** A path that may read a map by key (`m[k].to`): for expressions, not limit keys or redactions. */
const lookupPathArb = (key: fc.Arbitrary<A.Expr>): fc.Arbitrary<A.PathExpr> =>
  fc.record({ root: nameArb, segs: fc.array(fc.oneof({ weight: 3, arbitrary: wordArb.map((name): A.PathSegment => ({ name, span: S })) }, key.map((index): A.PathSegment => ({ name: "", index, span: S }))), { maxLength: 3 }) })
    .map(({ root, segs }) => ({ kind: "path", root, rootSpan: S, segments: segs, span: S }));

/** A target or tool name: dotted (with `*` segments), quoted, or a class. */
export const targetArb: fc.Arbitrary<A.Target> = fc.oneof(
  fc.constantFrom<A.ToolClass>("read", "write", "destructive").map((cls): A.Target => ({ text: `class(${cls})`, quoted: false, glob: false, cls, span: S })),
  fc.record({ first: fc.oneof(nameArb, fc.constant("*")), rest: fc.array(fc.oneof(wordArb, fc.constant("*")), { maxLength: 2 }) }).map(({ first, rest }) => {
    const parts = [first, ...rest];
    return { text: parts.join("."), quoted: false, glob: parts.includes("*"), span: S };
  }),
  stringArb.map((text) => ({ text, quoted: true, glob: text.includes("*"), span: S })),
);
const targetsArb = fc.array(targetArb, { minLength: 1, maxLength: 3 });
/** A tool's own name: never a class. */
const toolNameArb = targetArb.filter((t) => !t.cls);

// ------------------------------------------------------------------ types

const fieldsOf = (type: fc.Arbitrary<A.TypeExpr>): fc.Arbitrary<A.FieldDecl[]> =>
  fc.array(
    fc.record({ name: wordArb, optional: fc.boolean(), type }).map((f) => ({ ...f, span: S, nameSpan: S })),
    { maxLength: 4 },
  );

const typeArb: fc.Arbitrary<A.TypeExpr> = fc.letrec<{ type: A.TypeExpr }>((tie) => ({
  type: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<A.TypeExpr>({ kind: "number", span: S }, { kind: "string", span: S }, { kind: "bool", span: S }),
    tie("type").map((elem): A.TypeExpr => ({ kind: "list", elem, span: S })),
    fc.record({ fields: fieldsOf(tie("type")), open: fc.boolean() }).map(({ fields, open }): A.TypeExpr => ({ kind: "record", fields, ...(open ? { open: true } : {}), span: S })),
    fc.array(stringArb, { minLength: 1, maxLength: 3 }).map((values): A.TypeExpr => ({ kind: "enum", values, span: S })),
  ),
})).type;
export const fieldsArb = fieldsOf(typeArb);

// ------------------------------------------------------------ expressions

const BINARY_OPS: A.BinaryOp[] = ["and", "or", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "in", "not in"];

const leafArb: fc.Arbitrary<A.Expr> = fc.oneof(
  numberArb.map((value): A.Expr => ({ kind: "number", value, span: S })),
  stringArb.map((value): A.Expr => ({ kind: "string", value, span: S })),
  fc.boolean().map((value): A.Expr => ({ kind: "bool", value, span: S })),
  { weight: 3, arbitrary: pathArb },
  pathArb.map((path): A.Expr => ({ kind: "has", path, span: S })),
  fc.record({ fn: fc.constantFrom<A.HistoryExpr["fn"]>("seen", "count", "calls"), targets: targetsArb }).map((h): A.Expr => ({ kind: "history", ...h, fnSpan: S, span: S })),
);

/** Map keys: numbers (negative ones too) or strings, one kind per map. */
const mapEntriesArb = (value: fc.Arbitrary<A.Expr>): fc.Arbitrary<A.MapLit["entries"]> =>
  fc.oneof(
    fc.array(fc.record({ key: fc.oneof(numberArb, numberArb.map((n) => -n)), value }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.record({ key: stringArb, value }), { minLength: 1, maxLength: 3 }),
  ).map((es) => es.map((x) => ({ ...x, keySpan: S })));

/** Random expressions over every form, nested up to `fc.letrec`'s depth control. */
export const exprArb: fc.Arbitrary<A.Expr> = fc.letrec<{ expr: A.Expr }>((tie) => {
  const sub = tie("expr");
  return {
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leafArb,
      fc.record({ op: fc.constantFrom(...BINARY_OPS), left: sub, right: sub }).map((b): A.Expr => ({ kind: "binary", ...b, opSpan: S, span: S })),
      fc.record({ op: fc.constantFrom<A.UnaryOp>("not", "-"), operand: sub }).map((u): A.Expr => ({ kind: "unary", ...u, span: S })),
      fc.array(sub, { maxLength: 3 }).map((items): A.Expr => ({ kind: "list", items, span: S })),
      fc.array(fc.record({ name: wordArb, value: sub }), { maxLength: 3 }).map((fs): A.Expr => ({ kind: "record", fields: fs.map((f) => ({ ...f, nameSpan: S })), span: S })),
      mapEntriesArb(sub).map((entries): A.Expr => ({ kind: "map", entries, span: S })),
      lookupPathArb(sub),
      fc.record({ fn: nameArb.filter((n) => !HISTORY_FNS.has(n)), args: fc.array(sub, { maxLength: 3 }) }).map((c): A.Expr => ({ kind: "call", ...c, fnSpan: S, span: S })),
      fc.record({ subject: sub, pattern: stringArb }).map((m): A.Expr => ({ kind: "matches", ...m, patternSpan: S, span: S })),
      fc.record({ subject: sub, re: regexArb }).map(({ subject, re }): A.Expr => ({ kind: "regex", subject, ...re, patternSpan: S, span: S })),
      fc.record({ quantifier: fc.constantFrom<"any" | "all">("any", "all"), variable: nameArb, list: sub, body: sub }).map((q): A.Expr => ({ kind: "quant", ...q, variableSpan: S, span: S })),
    ),
  };
}).expr;

// ------------------------------------------------------------- statements

const effectArb = fc.constantFrom<A.Effect>("allow", "deny", "approve");
const optional = <V>(arb: fc.Arbitrary<V>): fc.Arbitrary<V | undefined> => fc.option(arb, { nil: undefined });

/** Spreads `{ [key]: value }` only when value is defined, as the parser builds nodes. */
const opt = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

const ruleArb: fc.Arbitrary<A.RuleDecl> = fc
  .record({ label: optional(labelArb), effect: effectArb, targets: targetsArb, approvers: fc.array(stringArb, { maxLength: 2 }), condition: optional(exprArb), because: optional(stringArb) })
  .map((r) => ({ kind: "rule", id: r.label ?? "gen", effect: r.effect, targets: r.targets, approvers: r.approvers, ...opt("label", r.label), ...opt("condition", r.condition), ...opt("because", r.because), span: S }));

const UNIT_SECONDS: Record<A.WindowUnit, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };
const windowArb: fc.Arbitrary<A.LimitWindow> = fc
  .record({ count: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 1_000_000 })), unit: fc.constantFrom<A.WindowUnit>("second", "minute", "hour", "day") })
  .map(({ count, unit }) => ({ count, unit, seconds: count * UNIT_SECONDS[unit], span: S }));

const limitKeyArb: fc.Arbitrary<A.LimitKey> = fc.oneof(
  fc.constantFrom<A.LimitKey>({ kind: "agent", span: S }, { kind: "run", span: S }, { kind: "tool", span: S }),
  // A bare `agent`, `run` or `tool` path is read back as that key kind.
  pathArb.filter((p) => p.segments.length > 0 || !["agent", "run", "tool"].includes(p.root)).map((path): A.LimitKey => ({ kind: "path", path, span: S })),
);

const limitArb: fc.Arbitrary<A.LimitDecl> = fc
  .record({
    label: optional(labelArb),
    targets: targetsArb,
    measure: fc.oneof(fc.constant<A.LimitDecl["measure"]>({ kind: "calls" }), exprArb.map((expr): A.LimitDecl["measure"] => ({ kind: "sum", expr }))),
    max: numberArb,
    window: windowArb,
    keys: fc.array(limitKeyArb, { maxLength: 2 }),
    condition: optional(exprArb),
    escalate: optional(fc.array(stringArb, { maxLength: 2 })),
  })
  .map((l) => ({
    kind: "limit", id: l.label ?? "gen", ...opt("label", l.label), targets: l.targets, measure: l.measure, max: l.max, maxSpan: S, window: l.window, keys: l.keys,
    ...opt("condition", l.condition), ...opt("escalate", l.escalate && { approvers: l.escalate, span: S }), span: S,
  }));

export const itemArb: fc.Arbitrary<A.Item> = fc.oneof(
  stringArb.map((path): A.Item => ({ kind: "import", path, span: S })),
  fc.record({ effect: effectArb, targets: optional(targetsArb) }).map((d): A.Item => ({ kind: "default", effect: d.effect, ...opt("targets", d.targets), span: S })),
  fc
    .record({ name: toolNameArb, fields: fieldsArb, toolClass: optional(fc.constantFrom<A.ToolClass>("read", "write", "destructive")) })
    .map((t): A.Item => ({ kind: "tool", name: t.name.text, quoted: t.name.quoted, nameSpan: S, fields: t.fields, ...opt("toolClass", t.toolClass), span: S })),
  fieldsArb.map((fields): A.Item => ({ kind: "context", fields, span: S })),
  fc.record({ name: nameArb, value: exprArb }).map((l): A.Item => ({ kind: "let", ...l, nameSpan: S, span: S })),
  { weight: 3, arbitrary: ruleArb },
  limitArb,
  fc.array(pathArb, { minLength: 1, maxLength: 3 }).map((paths): A.Item => ({ kind: "redact", paths, span: S })),
  fc.record({ name: nameArb, type: typeArb, max: optional(numberArb) }).map((d): A.Item => ({ kind: "state", name: d.name, nameSpan: S, type: d.type, ...opt("max", d.max), ...(d.max !== undefined ? { maxSpan: S } : {}), span: S })),
  fc.record({ targets: targetsArb, value: exprArb, state: nameArb, condition: optional(exprArb) })
    .map((u): A.Item => ({ kind: "update", id: "gen", targets: u.targets, value: u.value, state: u.state, stateSpan: S, ...opt("condition", u.condition), span: S })),
);

const headerArb: fc.Arbitrary<A.PolicyHeader> = fc.record({ name: nameArb, description: optional(stringArb) }).map((h) => ({ name: h.name, ...opt("description", h.description), span: S, nameSpan: S }));

/** Runs of consecutive rules (with defaults and limits among them): the blocks whose keyword columns authors align. */
const ruleRunArb: fc.Arbitrary<A.Item[]> = fc.array(
  fc.oneof({ weight: 4, arbitrary: ruleArb }, fc.record({ effect: effectArb, targets: optional(targetsArb) }).map((d): A.Item => ({ kind: "default", effect: d.effect, ...opt("targets", d.targets), span: S })), limitArb),
  { minLength: 2, maxLength: 4 },
);

/** A random policy with no comments, for `format(policy, "")`. */
export const policyArb: fc.Arbitrary<A.Policy> = fc
  .record({ header: optional(headerArb), items: fc.array(fc.oneof({ weight: 3, arbitrary: itemArb.map((i) => [i]) }, ruleRunArb), { maxLength: 6 }).map((runs) => runs.flat()) })
  .map((p) => ({ kind: "policy", file: "gen.pol", ...opt("header", p.header), items: p.items, comments: [], span: S }));

// -------------------------------------------------------------- comparing

/** ASTs compare equal after formatting when their `meaningOf` (no spans, comments, line-derived ids) is. */
export { meaningOf as normalize } from "../format-verify.js";

// ------------------------------------------------------- text rewriting

const LABELLED = [T.Allow, T.Deny, T.Approve, T.Limit];

/**
 * Whether a line may start at token `i` without parse.ts starting a new
 * statement there (mirrors its splitting rule: a statement keyword not followed
 * by `:` or `?`, or a `name: allow|deny|approve|limit` label).
 */
function canBreakBefore(toks: IToken[], i: number): boolean {
  const t = toks[i]!.tokenType;
  const next = toks[i + 1]?.tokenType;
  const keyword = T.STATEMENT_KEYWORDS.includes(t);
  if (keyword && next !== T.Colon && next !== T.Question && next !== T.Dot) return false;
  const after = toks[i + 2]?.tokenType;
  return !((t === T.Identifier || keyword) && next === T.Colon && after !== undefined && LABELLED.includes(after));
}

/** What to put before a token when re-laying out a policy. */
export interface Gap { at: number; kind: "newline" | "blank" | "eol-comment" | "own-comment" }
export const gapsArb: fc.Arbitrary<Gap[]> = fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom<Gap["kind"]>("newline", "blank", "eol-comment", "own-comment") }), { maxLength: 12 });

/**
 * Rewrites valid text without changing its meaning: line breaks, blank lines
 * and comments (`# cN`) between tokens, wherever a line may legally start.
 * Returns the text and the comments it added.
 */
export function relayout(text: string, gaps: Gap[]): { text: string; comments: string[] } {
  const toks = T.polLexer.tokenize(text).tokens;
  const inserts = new Map<number, string>();
  const comments: string[] = [];
  for (const g of gaps) {
    if (toks.length < 2) break;
    const i = 1 + (g.at % (toks.length - 1));
    if (inserts.has(i) || !canBreakBefore(toks, i)) continue;
    const c = `# c${comments.length}`;
    const indent = " ".repeat(g.at % 5);
    if (g.kind === "eol-comment" || g.kind === "own-comment") comments.push(c);
    // End-of-line comments get one to four blanks before them: a padded comment asks for a column.
    const before = " ".repeat(1 + (g.at % 4));
    inserts.set(i, g.kind === "newline" ? `\n${indent}` : g.kind === "blank" ? `\n\n${indent}` : g.kind === "eol-comment" ? `${before}${c}\n${indent}` : `\n${indent}${c}\n${indent}`);
  }
  let out = "";
  let pos = 0;
  toks.forEach((t, i) => {
    const ins = inserts.get(i);
    if (ins === undefined) return;
    out += text.slice(pos, t.startOffset).replace(/[ \t]+$/, "") + ins;
    pos = t.startOffset;
  });
  return { text: out + text.slice(pos), comments };
}

/** Extra blanks before the `at`-th token or comment of a text, where it follows another on its line. */
export interface Pad { at: number; blanks: number }
export const padsArb: fc.Arbitrary<Pad[]> = fc.array(fc.record({ at: fc.nat(), blanks: fc.integer({ min: 1, max: 6 }) }), { maxLength: 8 });

/** Tokens and comments of `text` in order, with their line and column (for padding). */
function pieces(text: string): { start: number; line: number; col: number; type: unknown }[] {
  const r = T.polLexer.tokenize(text);
  return [...r.tokens, ...(r.groups["comments"] ?? [])]
    .map((t) => ({ start: t.startOffset, line: t.startLine ?? 1, col: (t.startColumn ?? 1) - 1, type: t.tokenType }))
    .sort((a, b) => a.start - b.start);
}

/** Inserts blanks at the given offsets (applied from the end, so offsets stay valid). */
function insertBlanks(text: string, at: Map<number, number>): string {
  let out = text;
  for (const [offset, n] of [...at].sort((a, b) => b[0] - a[0])) out = out.slice(0, offset) + " ".repeat(n) + out.slice(offset);
  return out;
}

/** Stray extra blanks between tokens on a line (never at a line's start): only whitespace changes. */
export function pad(text: string, pads: Pad[]): string {
  const ps = pieces(text);
  const at = new Map<number, number>();
  for (const p of pads) {
    if (ps.length < 2) break;
    const i = 1 + (p.at % (ps.length - 1));
    if (ps[i]!.line === ps[i - 1]!.line) at.set(ps[i]!.start, p.blanks);
  }
  return insertBlanks(text, at);
}

const EFFECT_KEYWORDS = [T.Allow, T.Deny, T.Approve, T.Default, T.Limit];

/**
 * Aligns columns the way an author does: on every line starting with a rule,
 * `default` or `limit` keyword (after an optional label), the next token moves
 * right to `keywordColumn`; every end-of-line comment moves right to
 * `commentColumn`. Lines already past a column keep one space.
 */
export function alignColumns(text: string, keywordColumn: number, commentColumn: number): string {
  const ps = pieces(text);
  const at = new Map<number, number>();
  const push = (i: number, column: number): void => {
    const p = ps[i]!;
    if (i > 0 && ps[i - 1]!.line === p.line && p.col < column) at.set(p.start, column - p.col);
  };
  ps.forEach((p, i) => {
    const lineStart = i === 0 || ps[i - 1]!.line !== p.line;
    if (p.type === T.Comment) push(i, commentColumn);
    if (!lineStart) return;
    const isEffect = (j: number): boolean => EFFECT_KEYWORDS.includes(ps[j]?.type as typeof T.Allow);
    // A label first (`deny: allow x` is labelled `deny`), then a bare keyword.
    const k = ps[i + 1]?.type === T.Colon && isEffect(i + 2) ? i + 2 : isEffect(i) ? i : -1;
    if (k >= 0 && ps[k + 1]?.line === p.line) push(k + 1, keywordColumn);
  });
  return insertBlanks(text, at);
}

/** Pieces of text for mutations: every keyword and operator, literals, and things the lexer rejects. */
export const TOKEN_POOL: readonly string[] = [
  ...KEYWORDS,
  ..."{ } [ ] ( ) , : . ? = == != =~ < <= > >= + - * ; ! @ ' /".split(" "),
  "x", "args.amount", "42", "1_000.5e3", "1e999", "99999999999999999999999999", '"s"', '"unterminated', '"\\q"', '"\\u{110000}"', "/re/i", "/[/", "# c", "\n", "\n\n", "\t", "\u0000", "é",
];

export interface Mutation { op: "insert" | "delete" | "replace"; at: number; piece: number }
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.record({ op: fc.constantFrom<Mutation["op"]>("insert", "delete", "replace"), at: fc.nat(), piece: fc.nat(TOKEN_POOL.length - 1) }),
  { minLength: 1, maxLength: 5 },
);

/** Applies token-level edits (insert a piece before a token, delete or replace a token), one after another. */
export function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const toks = T.polLexer.tokenize(out).tokens;
    const piece = TOKEN_POOL[m.piece]!;
    if (toks.length === 0) {
      out += ` ${piece}`;
      continue;
    }
    const t = toks[m.at % toks.length]!;
    const end = (t.endOffset ?? t.startOffset) + 1;
    if (m.op === "insert") out = `${out.slice(0, t.startOffset)}${piece} ${out.slice(t.startOffset)}`;
    else if (m.op === "delete") out = out.slice(0, t.startOffset) + out.slice(end);
    else out = out.slice(0, t.startOffset) + piece + out.slice(end);
  }
  return out;
}
