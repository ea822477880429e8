// Tokens of the .pol language and the Chevrotain lexer. Fed by source text;
// consumed by grammar.ts (the parser) and parse.ts (statement splitting,
// comment collection for the formatter).

import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

/** Every word-like token (identifiers and all keywords): accepted after `.` and as schema field names. */
export const AnyWord = createToken({ name: "AnyWord", pattern: Lexer.NA });
/**
 * Words that can name things (identifiers and statement keywords such as
 * `tool` or `limit`), but not expression operators like `and` or `in`: these
 * start paths, tool names and labels.
 */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, categories: [AnyWord] });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Name, AnyWord] });

const kw = (word: string, cats: TokenType[] = [Name, AnyWord]): TokenType =>
  createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, categories: cats, label: `\`${word}\`` });
const op = (word: string): TokenType => kw(word, [AnyWord]);

// Statement keywords: reserved at the start of a statement, usable as names elsewhere (`args.limit`, `files.read`).
export const Policy = kw("policy");
export const Default = kw("default");
export const Tool = kw("tool");
export const Context = kw("context");
export const Let = kw("let");
export const Allow = kw("allow");
export const Deny = kw("deny");
export const Approve = kw("approve");
export const Limit = kw("limit");
export const Redact = kw("redact");
export const Import = kw("import");
export const State = kw("state");
export const On = kw("on");
// Soft keywords of particular clauses.
export const Calls = kw("calls");
export const Sum = kw("sum");
export const Per = kw("per");
export const Read = kw("read");
export const Write = kw("write");
export const Destructive = kw("destructive");
export const Add = kw("add");
export const To = kw("to");
export const Else = kw("else");
export const Class = kw("class");
export const NumberType = createToken({ name: "NumberType", pattern: /number/, longer_alt: Identifier, categories: [Name, AnyWord], label: "`number`" });
export const StringType = createToken({ name: "StringType", pattern: /string/, longer_alt: Identifier, categories: [Name, AnyWord], label: "`string`" });
export const BoolType = createToken({ name: "BoolType", pattern: /bool/, longer_alt: Identifier, categories: [Name, AnyWord], label: "`bool`" });
export const ListType = createToken({ name: "ListType", pattern: /list/, longer_alt: Identifier, categories: [Name, AnyWord], label: "`list`" });
// Operator keywords: never names of paths (they would make expressions ambiguous).
export const For = op("for");
export const By = op("by");
export const If = op("if");
export const Because = op("because");
export const And = op("and");
export const Or = op("or");
export const Not = op("not");
export const In = op("in");
export const Matches = op("matches");
export const Has = op("has");
export const Any = op("any");
export const All = op("all");
export const True = op("true");
export const False = op("false");

export const NumberLit = createToken({ name: "NumberLit", pattern: /\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+)?/, label: "number" });
export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: "string" });
/** `'text'`: not pol syntax, but common enough to report once and parse on as a string. */
export const SingleQuoted = createToken({ name: "SingleQuoted", pattern: /'(?:[^'\\\n\r]|\\.)*'/, label: "string" });
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*/, label: "unterminated string" });
/** `/.../flags`: only meaningful after `=~`; pol has no division operator, so `/` never means anything else. */
export const RegexLit = createToken({ name: "RegexLit", pattern: /\/(?:\\.|\[(?:\\.|[^\]\\\n\r])*\]|[^/\\\n\r[])+\/[A-Za-z]*/, label: "regular expression" });

export const EqEq = createToken({ name: "EqEq", pattern: /==/, label: "`==`" });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, label: "`!=`" });
export const RegexMatch = createToken({ name: "RegexMatch", pattern: /=~/, label: "`=~`" });
export const LtEq = createToken({ name: "LtEq", pattern: /<=/, label: "`<=`" });
export const GtEq = createToken({ name: "GtEq", pattern: />=/, label: "`>=`" });
export const Lt = createToken({ name: "Lt", pattern: /</, label: "`<`" });
export const Gt = createToken({ name: "Gt", pattern: />/, label: "`>`" });
export const Assign = createToken({ name: "Assign", pattern: /=/, label: "`=`" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "`+`" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "`-`" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "`*`" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "`}`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "`:`" });
/** `...` closing an open record type (other fields allowed). */
export const Ellipsis = createToken({ name: "Ellipsis", pattern: /\.\.\./, label: "`...`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`" });
/** `|` between the values of an enum type (`"r" | "rw"`). */
export const Pipe = createToken({ name: "Pipe", pattern: /\|/, label: "`|`" });
export const Question = createToken({ name: "Question", pattern: /\?/, label: "`?`" });

export const Comment = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments" });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });

/** Keywords that begin a statement when they are the first token on a line (see parse.ts). */
export const STATEMENT_KEYWORDS: readonly TokenType[] = [Policy, Default, Tool, Context, Let, Allow, Deny, Approve, Limit, Redact, Import, State, On];

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  NumberLit,
  StringLit,
  SingleQuoted,
  UnterminatedString,
  RegexLit,
  EqEq,
  NotEq,
  RegexMatch,
  LtEq,
  GtEq,
  Lt,
  Gt,
  Assign,
  Plus,
  Minus,
  Star,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Colon,
  Ellipsis,
  Dot,
  Pipe,
  Question,
  Policy, Default, Tool, Context, Let, Allow, Deny, Approve, Limit, Redact, Import, State, On,
  Calls, Sum, Per, Read, Write, Destructive, Add, To, Else, Class, NumberType, StringType, BoolType, ListType,
  For, By, If, Because, And, Or, Not, In, Matches, Has, Any, All, True, False,
  Identifier,
  AnyWord,
  Name,
];

export const polLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
