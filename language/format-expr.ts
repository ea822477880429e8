// Canonical text of the formatter's leaves: expressions (minimal parentheses
// from the grammar's precedence), literals, tool names, types and windows.
// Fed AST nodes by format.ts and format-block.ts; knows nothing of comments.

import { tokenMatcher } from "./chevrotain.js";
import type * as A from "./ast.js";
import * as T from "./lexer.js";
import { assertNever } from "./span.js";

/**
 * Binding strength of each level of grammar.ts, loosest first. `not` and the
 * quantifiers share a level: both are alternatives of `notExpr`.
 */
const P_OR = 1;
const P_AND = 2;
const P_NOT = 3;
const P_CMP = 4;
const P_ADD = 5;
const P_MUL = 6;
const P_NEG = 7;
const P_PRIMARY = 8;

interface Printed {
  text: string;
  prec: number;
  /**
   * The text ends in an unparenthesised quantifier, whose body would swallow
   * anything printed after it (`any x in l: a` followed by ` or b`).
   */
  open: boolean;
}

const primary = (text: string): Printed => ({ text, prec: P_PRIMARY, open: false });

/** Parenthesises `p` if it binds looser than `min`, or if it is open and something follows it. */
function operand(p: Printed, min: number, followed = false): string {
  return p.prec < min || (followed && p.open) ? `(${p.text})` : p.text;
}

export function printExpr(e: A.Expr): string {
  return print(e).text;
}

function print(e: A.Expr): Printed {
  switch (e.kind) {
    case "number":
      return printNumber(e.value);
    case "string":
      return primary(quote(e.value));
    case "bool":
      return primary(e.value ? "true" : "false");
    case "list":
      return primary(`[${e.items.map(printExpr).join(", ")}]`);
    case "record":
      return primary(e.fields.length === 0 ? "{}" : `{ ${e.fields.map((f) => `${f.name}: ${printExpr(f.value)}`).join(", ")} }`);
    case "map":
      return primary(e.entries.length === 0 ? "{}" : `{ ${e.entries.map((x) => `${typeof x.key === "number" ? printNumber(x.key).text : quote(x.key)}: ${printExpr(x.value)}`).join(", ")} }`);
    case "history":
      return primary(`${e.fn}(${printTargets(e.targets)})`);
    case "path":
      return primary(printPath(e));
    case "has":
      return primary(`has ${printPath(e.path)}`);
    case "call":
      return primary(`${e.fn}(${e.args.map(printExpr).join(", ")})`);
    case "unary":
      return printUnary(e);
    case "binary":
      return printBinary(e);
    case "matches":
      return { text: `${operand(print(e.subject), P_ADD)} matches ${quote(e.pattern)}`, prec: P_CMP, open: false };
    case "regex":
      return { text: `${operand(print(e.subject), P_ADD)} =~ /${e.source}/${e.flags}`, prec: P_CMP, open: false };
    case "quant": {
      // The list is an `additive`; the body is a whole `expr` and runs to the end.
      const body = print(e.body);
      return { text: `${e.quantifier} ${e.variable} in ${operand(print(e.list), P_ADD)}: ${body.text}`, prec: P_NOT, open: true };
    }
    default:
      return assertNever(e, "expression");
  }
}

/** Number literals from the parser are finite and non-negative; a negative one prints as unary minus. */
function printNumber(value: number): Printed {
  if (!Number.isFinite(value)) throw new Error(`internal error: cannot print non-finite number ${value}`);
  // String() gives the shortest text that reads back as the same double, and
  // always matches the lexer's NumberLit (`1e+21`, `5e-324`, `0.1`).
  if (value < 0 || Object.is(value, -0)) return { text: `-${String(-value)}`, prec: P_NEG, open: false };
  return primary(String(value));
}

function printUnary(e: A.UnaryExpr): Printed {
  if (e.op === "not") {
    const inner = print(e.operand);
    return { text: `not ${operand(inner, P_NOT)}`, prec: P_NOT, open: inner.prec >= P_NOT && inner.open };
  }
  const text = operand(print(e.operand), P_NEG);
  // `- -x` rather than `--x`, which reads like a decrement.
  return { text: text.startsWith("-") ? `- ${text}` : `-${text}`, prec: P_NEG, open: false };
}

function printBinary(e: A.BinaryExpr): Printed {
  const left = print(e.left);
  const right = print(e.right);
  switch (e.op) {
    case "or":
      return { text: `${operand(left, P_OR, true)} or ${operand(right, P_AND)}`, prec: P_OR, open: right.prec >= P_AND && right.open };
    case "and":
      return { text: `${operand(left, P_AND, true)} and ${operand(right, P_NOT)}`, prec: P_AND, open: right.prec >= P_NOT && right.open };
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
    case "in":
    case "not in":
      // Comparisons do not chain: both sides are `additive`.
      return { text: `${operand(left, P_ADD)} ${e.op} ${operand(right, P_ADD)}`, prec: P_CMP, open: false };
    case "+":
    case "-":
      return { text: `${operand(left, P_ADD)} ${e.op} ${operand(right, P_MUL)}`, prec: P_ADD, open: false };
    case "*":
      return { text: `${operand(left, P_MUL)} * ${operand(right, P_NEG)}`, prec: P_MUL, open: false };
    default:
      return assertNever(e.op, "binary operator");
  }
}

export function printPath(p: A.PathExpr): string {
  return p.root + p.segments.map(printSegment).join("");
}

/** `.name`, or `[key]` for a map lookup. */
export function printSegment(s: A.PathSegment): string {
  return s.index ? `[${printExpr(s.index)}]` : `.${s.name}`;
}

/**
 * A string literal with canonical escapes: `\"`, `\\`, `\n`, `\t`, and
 * `\u{hex}` for every other control or line-separating character (which would
 * otherwise be invisible, or end the line). Lone surrogates stay raw: the
 * lexer accepts them in a string but `\u{d800}` is rejected.
 */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** Whether `word` lexes as exactly one token of category `cat` (a `Name` or any word). */
function isWord(word: string, cat: typeof T.Name): boolean {
  const { tokens, errors } = T.polLexer.tokenize(word);
  return errors.length === 0 && tokens.length === 1 && tokens[0]!.image === word && tokenMatcher(tokens[0]!, cat);
}

/** Whether `text` can be written unquoted as a tool name: a `Name` or `*`, then `.`-separated words or `*`. */
export function isDottedName(text: string): boolean {
  const parts = text.split(".");
  return parts.every((part, i) => part === "*" || isWord(part, i === 0 ? T.Name : T.AnyWord));
}

/** A tool name or target: quoted iff the author quoted it, or it cannot be written bare. */
export function printToolName(t: { text: string; quoted: boolean; cls?: A.ToolClass }): string {
  if (t.cls) return `class(${t.cls})`;
  return t.quoted || !isDottedName(t.text) ? quote(t.text) : t.text;
}

export function printTargets(targets: A.Target[]): string {
  return targets.map(printToolName).join(", ");
}

/** A type on one line; records as `{ a: number, b?: string }` (`{}` when empty). */
export function printTypeInline(t: A.TypeExpr): string {
  switch (t.kind) {
    case "number":
    case "string":
    case "bool":
      return t.kind;
    case "list":
      return `list<${printTypeInline(t.elem)}>`;
    case "record":
      return printFieldsInline(t.fields, t.open);
    case "enum":
      return t.values.map(quote).join(" | ");
    default:
      return assertNever(t, "type");
  }
}

export function printFieldInline(f: A.FieldDecl): string {
  return `${f.name}${f.optional ? "?" : ""}: ${printTypeInline(f.type)}`;
}

export function printFieldsInline(fields: A.FieldDecl[], open = false): string {
  const parts = [...fields.map(printFieldInline), ...(open ? ["..."] : [])];
  return parts.length === 0 ? "{}" : `{ ${parts.join(", ")} }`;
}

/** `hour` for one unit, `5 minutes` otherwise. */
export function printWindow(w: A.LimitWindow): string {
  return w.count === 1 ? w.unit : `${String(w.count)} ${w.unit}s`;
}

export function printLimitKey(k: A.LimitKey): string {
  switch (k.kind) {
    case "agent":
    case "run":
    case "tool":
      return k.kind;
    case "path":
      return printPath(k.path);
    default:
      return assertNever(k, "limit key");
  }
}

/** Display width of a line, in code points (what an editor's column counter shows for most text). */
export function width(line: string): number {
  let n = 0;
  for (const _ of line) n++;
  return n;
}
