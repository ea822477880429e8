// `pol fmt`: canonical text for a parsed policy, keeping every comment. Fed a
// Policy from parse.ts (only when parsing reported no errors) plus its source
// text, which locates comments and blank lines; consumed by the CLI and tests.
//
// Layout: one statement per line, single spaces, at most one blank line kept
// between statements. Tool and context blocks go one field per line when they
// hold comments or exceed 100 columns (format-block.ts). A rule longer than
// 100 columns moves `because` to its own line (indent 8); if the rest is still
// too long, `if` moves to its own line too (indent 4); see printRule. Widths
// ignore end-of-line comments and alignment padding: columns the author
// aligned (comments, rule keywords, names) are kept by format-align.ts.

import type * as A from "./ast.js";
import { align, type Gap, gapAt, type Line, plain, type Row, spaced, text, withTrailing } from "./format-align.js";
import { MAX_WIDTH, printFieldsDecl, type BlockResult } from "./format-block.js";
import { attachComments, commentText, SourceIndex, type Stmt, type StmtComments } from "./format-comments.js";
import { checkFormatted } from "./format-verify.js";
import { printExpr, printLimitKey, printPath, printTargets, printToolName, printTypeInline, printWindow, quote, width } from "./format-expr.js";
import * as T from "./lexer.js";
import { Sink, type Diagnostic } from "./diagnostics.js";
import { parse } from "./parse.js";
import { assertNever } from "./span.js";

export { printExpr } from "./format-expr.js";

/**
 * Canonical text of `policy`. `source` is the text it was parsed from; pass
 * "" for a synthesized AST (which then must have no comments).
 */
export function format(policy: A.Policy, source: string): string {
  const index = new SourceIndex(source);
  const stmts: Stmt[] = [...(policy.header ? [{ kind: "header" as const, header: policy.header, span: policy.header.span }] : []), ...policy.items];
  const comments = [...policy.comments].sort((a, b) => a.span.start - b.span.start);
  const { perStmt, eof } = attachComments(stmts, comments, index);
  const rows: Row[] = [];
  let prevEnd: number | undefined;
  // Each chunk (a comment line or a statement) keeps one blank line before it if the source had any.
  // Lines from `continuesFrom` on continue a statement (see Row).
  const put = (start: number, end: number, lines: Line[], continuesFrom = lines.length): void => {
    if (prevEnd !== undefined && index.blankBetween(prevEnd, start)) rows.push({ ...text(""), continues: false });
    rows.push(...lines.map((l, i) => ({ ...l, continues: i >= continuesFrom })));
    prevEnd = end;
  };
  const own = (c: A.Comment): Line => text(commentText(c));
  stmts.forEach((s, i) => {
    const sc = perStmt[i]!;
    for (const c of sc.leading) put(c.span.start, c.span.end, [own(c)]);
    const printed = printStatement(s, sc, index);
    const lines = [...printed.hoisted.map(own), ...printed.lines];
    lines[lines.length - 1] = withTrailing(lines[lines.length - 1]!, printed.trailing, index);
    put(s.span.start, Math.max(sc.end, sc.trailing?.span.end ?? 0), lines, printed.hoisted.length + 1);
  });
  for (const c of eof) put(c.span.start, c.span.end, [own(c)]);
  return rows.length > 0 ? align(rows).join("\n") + "\n" : "";
}

export type FormatResult = { ok: true; text: string; changed: boolean } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Parses and formats `text`; on syntax errors returns the diagnostics and no
 * text. The result is re-parsed and compared with the original (meaning and
 * comments), so a formatter bug is reported rather than written over a policy.
 */
export function formatSource(text: string, file: string): FormatResult {
  const sink = new Sink();
  const policy = parse(text, file, sink);
  if (sink.hasErrors()) return { ok: false, diagnostics: sink.sorted() };
  const formatted = format(policy, text);
  const problem = checkFormatted(policy, formatted);
  if (problem !== undefined) {
    const d = sink.report("E0901", { ...policy.span, end: 0, endLine: 1, endCol: 1 }, `internal error in the formatter: ${problem}; the file was left unchanged`, { help: "please report this with the file that triggered it" });
    return { ok: false, diagnostics: [d] };
  }
  return { ok: true, text: formatted, changed: formatted !== text };
}

interface PrintedStmt extends BlockResult {
  /** The end-of-line comment of the statement's last line. */
  trailing?: A.Comment;
}

function printStatement(s: Stmt, sc: StmtComments, index: SourceIndex): PrintedStmt {
  const simple = (line: Line): PrintedStmt => ({ lines: [line], hoisted: sc.inner, trailing: sc.trailing });
  // Offset of the first token at or after `offset`: the text after a gap.
  const tokenAfter = (offset: number): number | undefined => index.tokens[index.after(offset)]?.start;
  switch (s.kind) {
    case "header":
      return simple(text(`policy ${s.header.name}${s.header.description !== undefined ? ` ${quote(s.header.description)}` : ""}`));
    case "import":
      return simple(text(`import ${quote(s.path)}`));
    case "default": {
      // The effect is the token after `default`.
      const effect = index.tokens[index.after(s.span.start) + 1]?.start;
      return simple(spaced(text("default"), gapAt(index, "keyword", "effect", effect), text(`${s.effect}${s.targets ? ` for ${printTargets(s.targets)}` : ""}`)));
    }
    case "tool": {
      const gap = (open: number): Gap => gapAt(index, "subject", "tool", open >= 0 ? open : undefined);
      const block = printFieldsDecl(`tool ${printToolName({ text: s.name, quoted: s.quoted })}`, gap, s.toolClass ? ` ${s.toolClass}` : "", s.fields, s.nameSpan.end, sc.inner, index);
      return { ...block, trailing: sc.trailing };
    }
    case "context":
      return { ...printFieldsDecl("context", undefined, "", s.fields, s.span.start, sc.inner, index), trailing: sc.trailing };
    case "let": {
      const name = text(`let ${s.name}`);
      const gap = gapAt(index, "subject", "let", tokenAfter(s.nameSpan.end));
      const line = `let ${s.name} = ${printExpr(s.value)}`;
      // A long list (an allowlist of domains or contacts), map or record gets one item per line, with a trailing comma.
      const items = longItems(s.value);
      if (line.length <= 100 || items === undefined) return simple(spaced(name, gap, text(`= ${printExpr(s.value)}`)));
      const [open, close] = s.value.kind === "list" ? ["[", "]"] : ["{", "}"];
      return { lines: [spaced(name, gap, text(`= ${open}`)), ...items.map((x) => text(`  ${x},`)), text(close)], hoisted: sc.inner, trailing: sc.trailing };
    }
    case "redact":
      return simple(text(`redact ${s.paths.map(printPath).join(", ")}`));
    case "limit":
      return simple(limitLine(s, gapAt(index, "keyword", "limit", s.targets[0]?.span.start), gapAt(index, "subject", "limit", tokenAfter(s.targets.at(-1)!.span.end))));
    case "state":
      return simple(text(`state ${s.name}: ${printTypeInline(s.type)}${s.max !== undefined ? ` max ${String(s.max)}` : ""}`));
    case "update":
      return simple(text(`on ${printTargets(s.targets)} add ${printExpr(s.value)} to ${s.state}${s.condition ? ` if ${printExpr(s.condition)}` : ""}`));
    case "rule":
      return printRule(s, sc, index);
    default:
      return assertNever(s, "statement");
  }
}

/** The items of a list, map or record value with two or more, as printed one per line; undefined otherwise. */
function longItems(v: A.Expr): string[] | undefined {
  const items = v.kind === "list" ? v.items.map(printExpr)
    : v.kind === "map" ? v.entries.map((x) => printExpr({ ...v, entries: [x] }).slice(2, -2))
    : v.kind === "record" ? v.fields.map((f) => printExpr({ ...v, fields: [f] }).slice(2, -2))
    : [];
  return items.length >= 2 ? items : undefined;
}

const labelPrefix = (label: string | undefined): string => (label !== undefined ? `${label}: ` : "");

function limitLine(l: A.LimitDecl, keyword: Gap, subject: Gap): Line {
  const measure = l.measure.kind === "calls" ? `${String(l.max)} calls` : `sum ${printExpr(l.measure.expr)} ${String(l.max)}`;
  const keys = l.keys.map((k) => ` per ${printLimitKey(k)}`).join("");
  const cond = l.condition ? ` if ${printExpr(l.condition)}` : "";
  const escalate = l.escalate ? ` else approve${l.escalate.approvers.length ? ` by ${l.escalate.approvers.map(quote).join(", ")}` : ""}` : "";
  const head = spaced(text(`${labelPrefix(l.label)}limit`), keyword, text(printTargets(l.targets)));
  return spaced(head, subject, text(`${measure} per ${printWindow(l.window)}${keys}${cond}${escalate}`));
}

// ------------------------------------------------------------------ rules

type Slot = "head" | "if" | "because";

/**
 * A rule prints as up to three clause groups: the head (label, effect,
 * targets, `by`), `if COND`, and `because "..."`. Layout, first that applies:
 * 1. everything on one line, if it fits in 100 columns;
 * 2. `because` on its own line indented 8, if head and `if` then fit;
 * 3. `if` on its own line indented 4, then `because` on its own line indented 8.
 * An end-of-line comment the author wrote after a clause that is followed by
 * another clause forces the break after that clause, so the comment keeps its
 * place; other comments inside the rule move to the lines above it. The gaps
 * after the effect and after the head (when a clause follows on its line) are
 * alignment gaps.
 */
function printRule(r: A.RuleDecl, sc: StmtComments, index: SourceIndex): PrintedStmt {
  const { slots, hoisted, firstClause } = ruleSlots(r, sc.inner, index);
  const by = r.approvers.length > 0 ? ` by ${r.approvers.map(quote).join(", ")}` : "";
  const head = spaced(text(`${labelPrefix(r.label)}${r.effect}`), gapAt(index, "keyword", "effect", r.targets[0]?.span.start), text(printTargets(r.targets) + by));
  const clauses = (...cs: (string | undefined)[]): Line => {
    const rest = cs.filter((c) => c !== undefined);
    return rest.length === 0 ? head : spaced(head, gapAt(index, "subject", "rule", firstClause), text(rest.join(" ")));
  };
  const cond = r.condition ? `if ${printExpr(r.condition)}` : undefined;
  const because = r.because !== undefined ? `because ${quote(r.because)}` : undefined;
  // The last clause's comment is the statement's trailing comment (there is room for one).
  const last: Slot = because ? "because" : cond ? "if" : "head";
  let trailing = sc.trailing;
  const lastComment = slots[last];
  if (lastComment) {
    if (trailing) hoisted.push(lastComment);
    else trailing = lastComment;
    delete slots[last];
  }
  hoisted.sort((a, b) => a.span.start - b.span.start);
  const oneLine = clauses(cond, because);
  const withIf = clauses(cond);
  const breakIf = cond !== undefined && (slots.head !== undefined || width(plain(withIf)) > MAX_WIDTH);
  const breakBecause = because !== undefined && (breakIf || slots.head !== undefined || slots.if !== undefined || width(plain(oneLine)) > MAX_WIDTH);
  const lines: Line[] = [];
  if (breakIf) lines.push(withTrailing(head, slots.head, index), withTrailing(text(`    ${cond}`), slots.if, index));
  else if (breakBecause) lines.push(withTrailing(withIf, slots.head ?? slots.if, index));
  else lines.push(oneLine);
  if (breakBecause) lines.push(text(`        ${because}`));
  return { lines, hoisted, trailing };
}

const CLAUSE_SLOT = new Map<unknown, Slot>([
  [T.By, "head"],
  [T.If, "if"],
  [T.Because, "because"],
]);

/**
 * Sorts a rule's inner comments: an end-of-line comment right before a clause
 * keyword (`by`, `if`, `because`) belongs to the clause it ends, in canonical
 * clause order; anything else (own-line, or mid-expression) is hoisted.
 */
function ruleSlots(r: A.RuleDecl, inner: A.Comment[], index: SourceIndex): { slots: Partial<Record<Slot, A.Comment>>; hoisted: A.Comment[]; firstClause?: number } {
  const toks = index.tokens;
  const first = index.after(r.span.start);
  // A clause keyword after `.` is a name segment (`args.if`), and one before `:` a record literal's key (`{ because: x }`), not a clause.
  const slotAt = (i: number): Slot | undefined => (toks[i - 1]?.type === T.Dot || toks[i + 1]?.type === T.Colon ? undefined : CLAUSE_SLOT.get(toks[i]?.type));
  // The first `if` or `because`: what follows the head's alignment gap.
  let firstClause: number | undefined;
  for (let i = first; i < toks.length && toks[i]!.start < r.span.end; i++) {
    const s = slotAt(i);
    if (s === "if" || s === "because") {
      firstClause = toks[i]!.start;
      break;
    }
  }
  const slots: Partial<Record<Slot, A.Comment>> = {};
  const hoisted: A.Comment[] = [];
  for (const c of inner) {
    const next = index.after(c.span.end);
    if (!index.isEndOfLine(c) || slotAt(next) === undefined) {
      hoisted.push(c);
      continue;
    }
    let slot: Slot = "head";
    for (let i = index.before(c.span.start); i >= first; i--) {
      const s = slotAt(i);
      if (s !== undefined) {
        slot = s;
        break;
      }
    }
    if (slots[slot] === undefined) slots[slot] = c;
    else hoisted.push(c);
  }
  return { slots, hoisted, firstClause };
}
