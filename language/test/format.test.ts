// Golden and unit tests of the formatter (language/format.ts): fixtures in
// fmt/*.pol against hand-reviewed fmt/*.expected.pol, expression parentheses,
// literal printing, rule layout and comments in every position.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Sink } from "../diagnostics.js";
import { format, formatSource, printExpr } from "../format.js";
import { checkFormatted } from "../format-verify.js";
import { parse, parseExpression } from "../parse.js";
import { NO_SPAN } from "../span.js";
import { normalize } from "./gen-syntax.js";

const NO = NO_SPAN;
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fmt");

/** Formats `text`, failing the test on syntax errors. */
function fmt(text: string): string {
  const r = formatSource(text, "t.pol");
  if (!r.ok) throw new Error(`syntax errors: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.text;
}

function fmtExpr(text: string): string {
  const sink = new Sink();
  const e = parseExpression(text, "e.pol", sink);
  if (!e || sink.hasErrors()) throw new Error(`cannot parse \`${text}\`: ${sink.items.map((d) => d.message).join("; ")}`);
  return printExpr(e);
}

describe("golden files", () => {
  const inputs = readdirSync(FIXTURES).filter((f) => f.endsWith(".pol") && !f.endsWith(".expected.pol"));

  it("has a fixture for the DESIGN.md sketch and every area", () => {
    expect(inputs.sort()).toEqual(["comments.pol", "design-sketch.pol", "expressions.pol", "layout.pol", "statements.pol"]);
  });

  for (const name of inputs) {
    const source = readFileSync(join(FIXTURES, name), "utf8");
    const expected = readFileSync(join(FIXTURES, name.replace(/\.pol$/, ".expected.pol")), "utf8");

    it(`${name} formats to ${name.replace(/\.pol$/, ".expected.pol")}`, () => {
      expect(fmt(source)).toBe(expected);
    });

    it(`${name}: the expected output is a fixed point and means the same`, () => {
      expect(fmt(expected)).toBe(expected);
      const a = parse(source, name, new Sink());
      const b = parse(expected, name, new Sink());
      expect(normalize(b)).toEqual(normalize(a));
      expect(b.comments.map((c) => c.text.trimEnd())).toEqual(a.comments.map((c) => c.text.trimEnd()));
    });
  }
});

describe("expressions", () => {
  it.each([
    ["a or (b or c)", "a or (b or c)"],
    ["(a or b) or c", "a or b or c"],
    ["(a and b) or c", "a and b or c"],
    ["(a or b) and c", "(a or b) and c"],
    ["a and (b and c)", "a and (b and c)"],
    ["not (a and b)", "not (a and b)"],
    ["not (a == b)", "not a == b"],
    ["(not a) == b", "(not a) == b"],
    ["not not a", "not not a"],
    ["(a == b) != c", "(a == b) != c"],
    ["a < (b + 1)", "a < b + 1"],
    ["a - (b - c)", "a - (b - c)"],
    ["(a - b) - c", "a - b - c"],
    ["a * (b * c)", "a * (b * c)"],
    ["(a + b) * c", "(a + b) * c"],
    ["-(a * b)", "-(a * b)"],
    ["-(-a)", "- -a"],
    ["a - -b", "a - -b"],
    ["-(f(x))", "-f(x)"],
  ])("%s prints as %s", (input, expected) => {
    expect(fmtExpr(input)).toBe(expected);
  });

  it.each([
    // The body runs to the far right, so a quantifier needs parentheses only when something follows it.
    ["a and (any x in l: x)", "a and any x in l: x"],
    ["(any x in l: x) and a", "(any x in l: x) and a"],
    ["(any x in l: x) or a", "(any x in l: x) or a"],
    ["(a or all x in l: x) or b", "(a or all x in l: x) or b"],
    ["(not any x in l: x) and b", "(not any x in l: x) and b"],
    ["not (any x in l: x)", "not any x in l: x"],
    ["any x in l: (a or b)", "any x in l: a or b"],
    ["any x in (a + b): x", "any x in a + b: x"],
    ["any x in (a == b): x", "any x in (a == b): x"],
    ["any x in (any y in l: y): x", "any x in (any y in l: y): x"],
    ["(any x in l: x) == b", "(any x in l: x) == b"],
    ["[(any x in l: x), b]", "[any x in l: x, b]"],
    ["f((any x in l: x))", "f(any x in l: x)"],
  ])("quantifier %s prints as %s", (input, expected) => {
    expect(fmtExpr(input)).toBe(expected);
  });

  it.each([
    ["(a matches \"x*\") == b", "(a matches \"x*\") == b"],
    ["(a + b) matches \"?\"", "a + b matches \"?\""],
    ["a =~ /^[a-z\\/]+$/gi", "a =~ /^[a-z\\/]+$/gi"],
    ["(a =~ /x/) and b", "a =~ /x/ and b"],
    ["a not in (b)", "a not in b"],
    ["(a in b) in c", "(a in b) in c"],
    ["(has a.b) and has c", "has a.b and has c"],
    ["f( (a) , [ b , (c or d) ] )", "f(a, [b, c or d])"],
    ["args.in.and.not", "args.in.and.not"],
  ])("%s prints as %s", (input, expected) => {
    expect(fmtExpr(input)).toBe(expected);
  });

  it.each([
    ["1_000", "1000"],
    ["1.50", "1.5"],
    ["1e3", "1000"],
    ["0.1e1", "1"],
    ["000.5", "0.5"],
    ["2.5e-7", "2.5e-7"],
    ["1e21", "1e+21"],
    ["123456789012345678901234", "1.2345678901234569e+23"],
  ])("number %s prints as %s", (input, expected) => {
    expect(fmtExpr(input)).toBe(expected);
    expect(Number(expected)).toBe(Number(input.replace(/_/g, "")));
  });

  it.each([
    ['"a\\u0041\\/"', '"aA/"'],
    ['"\\r\\0"', '"\\u{d}\\u{0}"'],
    ['"tab\\tline\\n"', '"tab\\tline\\n"'],
    ['"\\u{1F600}\\"\\\\"', '"😀\\"\\\\"'],
    ['"\\u{7f}\\u{85}\\u2028\\u{feff}"', '"\\u{7f}\\u{85}\\u{2028}\\u{feff}"'],
    ['"é # not a comment"', '"é # not a comment"'],
  ])("string %s prints as %s", (input, expected) => {
    expect(fmtExpr(input)).toBe(expected);
  });

  it("prints a synthesized negative number literal as unary minus, which reads back as the same value", () => {
    const printed = printExpr({ kind: "binary", op: "*", left: { kind: "number", value: 2, span: NO }, right: { kind: "number", value: -3, span: NO }, opSpan: NO, span: NO });
    expect(printed).toBe("2 * -3");
  });
});

describe("statements", () => {
  it("quotes tool names iff they were quoted, or cannot be written bare", () => {
    expect(fmt('tool "plain" {}\nallow "plain", plain, db.*, "db.*"\n')).toBe('tool "plain" {}\nallow "plain", plain, db.*, "db.*"\n');
    const policy = parse("allow x\n", "t.pol", new Sink());
    const rule = policy.items[0]!;
    if (rule.kind !== "rule") throw new Error("expected a rule");
    rule.targets = [{ ...rule.targets[0]!, text: "delete:user" }, { ...rule.targets[0]!, text: "in.x" }, { ...rule.targets[0]!, text: "x.in" }];
    expect(format(policy, "")).toBe('allow "delete:user", "in.x", x.in\n');
  });

  it("prints windows as a unit, or a count and a plural unit", () => {
    expect(fmt("limit a 1 calls per 1 hours\nlimit a 2 calls per 1 minute\nlimit a 3 calls per 5 day\nlimit a 4 calls per 1_0 seconds\n")).toBe(
      "limit a 1 calls per hour\nlimit a 2 calls per minute\nlimit a 3 calls per 5 days\nlimit a 4 calls per 10 seconds\n",
    );
  });

  it("orders rule clauses by, if, because, and keeps labels", () => {
    expect(fmt('l: approve t because "r" if x by "g"\n')).toBe('l: approve t by "g" if x because "r"\n');
  });

  it("keeps a line at exactly 100 columns, breaks at 101", () => {
    const pad = (n: number): string => "x".repeat(n);
    const base = `allow t if a == "" because "`;
    const at100 = `${base}${pad(100 - base.length - 1)}"`;
    expect(at100.length).toBe(100);
    expect(fmt(at100)).toBe(`${at100}\n`);
    const at101 = `${base}${pad(101 - base.length - 1)}"`;
    expect(fmt(at101)).toBe(`allow t if a == ""\n        because "${pad(101 - base.length - 1)}"\n`);
  });

  it("moves `if` to its own line when the head and condition exceed 100 columns, even without `because`", () => {
    const cond = Array.from({ length: 12 }, (_, i) => `a${i} == ${i}`).join(" and ");
    expect(fmt(`deny t if ${cond}`)).toBe(`deny t\n    if ${cond}\n`);
    expect(fmt(`deny t if ${cond} because "r"`)).toBe(`deny t\n    if ${cond}\n        because "r"\n`);
  });

  it("expands a record field only when the field line would exceed 100 columns", () => {
    const long = Array.from({ length: 6 }, (_, i) => `field_number_${i}: string`).join(", ");
    expect(fmt(`tool t { a: { ${long} }, b: { c: number } }`)).toBe(
      `tool t {\n  a: {\n${Array.from({ length: 6 }, (_, i) => `    field_number_${i}: string\n`).join("")}  }\n  b: { c: number }\n}\n`,
    );
  });

  it("collapses blank lines to one and drops them at the start and end", () => {
    expect(fmt("\n\n\nallow a\n\n\n\ndeny b\n\n\n")).toBe("allow a\n\ndeny b\n");
    expect(fmt("tool t {\n  a: number\n\n\n  b: string\n# c\n}\n")).toBe("tool t {\n  a: number\n\n  b: string\n  # c\n}\n");
  });

  it("formats an empty file to nothing and handles CRLF line ends", () => {
    expect(fmt("")).toBe("");
    expect(fmt("   \n\n")).toBe("");
    expect(fmt("allow a # x\r\n\r\n\r\ndeny b\r\n")).toBe("allow a # x\n\ndeny b\n");
  });
});

describe("comments", () => {
  it("keeps a file of only comments, with its blank lines collapsed", () => {
    expect(fmt("# a\n\n\n# b   \n")).toBe("# a\n\n# b\n");
  });

  it("keeps end-of-line comments in a tool block beside their field, the `{` and the class", () => {
    const src = "tool t { # brace\n  a: number # field a\n  b?: { c: string # c\n  } # b\n} read # class\n";
    expect(fmt(src)).toBe("tool t { # brace\n  a: number # field a\n  b?: {\n    c: string # c\n  } # b\n} read # class\n");
  });

  it("keeps comments in list-of-record fields inside the record", () => {
    expect(fmt("context {\n  xs: list<{\n    # about a\n    a: number\n  }>\n}\n")).toBe("context {\n  xs: list<{\n    # about a\n    a: number\n  }>\n}\n");
  });

  it("moves comments with no place in the layout above the statement, in source order", () => {
    expect(fmt("tool t # name\n{ a: number }\n")).toBe("# name\ntool t { a: number }\n");
    expect(fmt("tool t { a: number } # brace\nwrite # class\n")).toBe("# brace\ntool t { a: number } write # class\n");
    expect(fmt("let x = [1, # one\n  2, # two\n  3]\n")).toBe("# one\n# two\nlet x = [1, 2, 3]\n");
    expect(fmt("redact a, # first\n  b\n")).toBe("# first\nredact a, b\n");
    expect(fmt("policy p # name\n  \"desc\"\n")).toBe("# name\npolicy p \"desc\"\n");
  });

  it("keeps a comment after a rule clause at the end of that clause's line", () => {
    expect(fmt('deny t if a # why\n  because "r"\n')).toBe('deny t if a # why\n        because "r"\n');
    expect(fmt('deny t # head\n  because "r"\n')).toBe('deny t # head\n        because "r"\n');
    expect(fmt('approve t by "g" # head\n  if a\n')).toBe('approve t by "g" # head\n    if a\n');
    expect(fmt('approve t by "g" # head\n  if a because "r"\n')).toBe('approve t by "g" # head\n    if a\n        because "r"\n');
    // A clause keyword as a record literal's key or a name segment is not a clause: the comment stays on the `if` line.
    expect(fmt('deny t if f({ because: x.because }) # why\n  because "r"\n')).toBe('deny t if f({ because: x.because }) # why\n        because "r"\n');
  });

  it("follows clauses into canonical order, and merges into the trailing comment when the clause ends the rule", () => {
    // `because` moves after `if`, so its comment becomes the rule's trailing comment.
    expect(fmt('deny t because "r" # reason\n  if a\n')).toBe('deny t if a because "r" # reason\n');
    // ...unless the rule already has one: then it moves above the rule.
    expect(fmt('deny t because "r" # reason\n  if a # cond\n')).toBe('# reason\ndeny t if a because "r" # cond\n');
  });

  it("moves a comment inside an expression above the rule", () => {
    expect(fmt("deny t if a and # mid\n  b\n")).toBe("# mid\ndeny t if a and b\n");
  });

  it("keeps leading comments with their statement and blank lines between them", () => {
    expect(fmt("allow a\n# about b\n\n\n# also about b\ndeny b\n# end\n")).toBe("allow a\n# about b\n\n# also about b\ndeny b\n# end\n");
  });

  it("keeps a comment after a closing parenthesis on the statement's line", () => {
    expect(fmt("let x = (a or b) # c\nlet y = 1\n")).toBe("let x = a or b # c\nlet y = 1\n");
  });
});

/** Formats `text` and checks the result is a fixed point. */
function fmtStable(text: string): string {
  const once = fmt(text);
  expect(fmt(once)).toBe(once);
  return once;
}

describe("alignment", () => {
  it("keeps the DESIGN.md sketch exactly as written", () => {
    const sketch = readFileSync(join(FIXTURES, "design-sketch.pol"), "utf8");
    expect(fmt(sketch)).toBe(sketch);
    expect(readFileSync(join(FIXTURES, "..", "..", "..", "examples", "support_agent", "support_agent.pol"), "utf8")).toBe(sketch);
  });

  it("keeps the example in docs/language.md's Formatting section, and completes it from a partly aligned draft", () => {
    const doc = readFileSync(join(FIXTURES, "..", "..", "..", "docs", "language.md"), "utf8");
    const example = /## Formatting\n[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(fmt(example!)).toBe(example);
    const draft = example!.replace(/ +# keyword/, " # keyword").replace("deny    ", "deny ");
    expect(draft).not.toBe(example);
    expect(fmt(draft)).toBe(example);
  });

  it("aligns a block of end-of-line comments when the author padded one, at the rightmost column", () => {
    expect(fmtStable("allow a      # one\ndeny b # two\napprove c   # three\n")).toBe("allow a      # one\ndeny b       # two\napprove c    # three\n");
    // Longer code pushes the whole block right, one space past the longest line.
    expect(fmtStable("allow a  # one\ndeny bbbbbbbbbbbb # two\n")).toBe("allow a           # one\ndeny bbbbbbbbbbbb # two\n");
    // A lone padded comment keeps its column.
    expect(fmtStable("default deny          # fallback\n")).toBe("default deny          # fallback\n");
  });

  it("leaves comments nobody aligned one space after their code", () => {
    expect(fmtStable("allow a # one\ndeny bbbbbb # two\n")).toBe("allow a # one\ndeny bbbbbb # two\n");
  });

  it("ends a comment block at a blank line, a line without a comment and an own-line comment", () => {
    expect(fmtStable("allow a      # one\n\ndeny b # two\n")).toBe("allow a      # one\n\ndeny b # two\n");
    expect(fmtStable("allow a      # one\ndeny b\ndeny c # three\n")).toBe("allow a      # one\ndeny b\ndeny c # three\n");
    expect(fmtStable("allow a      # one\n# about c\ndeny c # three\n")).toBe("allow a      # one\n# about c\ndeny c # three\n");
  });

  it("aligns comments across a tool block's lines and the statement around it", () => {
    expect(fmtStable("tool t {       # brace\n  a: number # a\n  b: string\n} write # class\n")).toBe(
      "tool t {       # brace\n  a: number    # a\n  b: string\n} write # class\n",
    );
  });

  it("keeps a rule block's keyword column when two rules share it, and completes it for the others", () => {
    const aligned = "allow   a\napprove b\ndeny    c\n";
    expect(fmtStable(aligned)).toBe(aligned);
    expect(fmtStable("allow   a\napprove b\ndeny c\n")).toBe(aligned);
    expect(fmtStable("deny    \"delete:*\"\ndeny    db.*\n")).toBe("deny    \"delete:*\"\ndeny    db.*\n");
  });

  it("takes a stray double space for a typo, not a column", () => {
    expect(fmtStable("allow  a\ndeny b\n")).toBe("allow a\ndeny b\n");
    expect(fmtStable("allow   a\n")).toBe("allow a\n");
    expect(fmtStable("default   approve\nlimit   x 5 calls per hour\n")).toBe("default approve\nlimit x 5 calls per hour\n");
    // A column nobody else shares is not kept even inside an aligned block: the shared one wins.
    expect(fmtStable("allow   a\ndeny    b\napprove         c\n")).toBe("allow   a\ndeny    b\napprove c\n");
  });

  it("leaves rules nobody aligned with single spaces", () => {
    expect(fmtStable("allow a\napprove b\ndeny c\n")).toBe("allow a\napprove b\ndeny c\n");
  });

  it("ends a keyword block at a blank line, a comment line or another statement, but not at a rule's own continuation lines", () => {
    expect(fmtStable("allow   a\napprove b\n\ndeny c\n")).toBe("allow   a\napprove b\n\ndeny c\n");
    expect(fmtStable("allow   a\napprove b\n# c\ndeny c\n")).toBe("allow   a\napprove b\n# c\ndeny c\n");
    expect(fmtStable("allow   a\napprove b\nlet x = 1\ndeny c\n")).toBe("allow   a\napprove b\nlet x = 1\ndeny c\n");
    const long = `"${"x".repeat(90)}"`;
    expect(fmtStable(`allow   a\napprove b because ${long}\ndeny c\n`)).toBe(`allow   a\napprove b\n        because ${long}\ndeny    c\n`);
  });

  it("aligns labelled rules and `default` with rules, limits only with limits", () => {
    expect(fmtStable("big: approve a\nallow        b\n")).toBe("big: approve a\nallow        b\n");
    expect(fmtStable("allow   a\ndefault approve for b\n")).toBe("allow   a\ndefault approve for b\n");
    expect(fmtStable("deny    a\ndefault deny\n")).toBe("deny    a\ndefault deny\n");
    expect(fmtStable("approve a\nlimit   b 5 calls per hour\n")).toBe("approve a\nlimit b 5 calls per hour\n");
    const limits = "limit   a   5 calls per hour\nlimit   bbb 1 calls per day\n";
    expect(fmtStable(limits)).toBe(limits);
  });

  it("keeps the column after a rule's head, a tool's name and a let's name", () => {
    const rules = 'deny    "delete:*"     because "never"\ndeny    db.*           if env == "production"\n';
    expect(fmtStable(rules)).toBe(rules);
    const tools = "tool email.send { to: string } write\ntool db.delete  { id: string } destructive\n";
    expect(fmtStable(tools)).toBe(tools);
    const lets = "let a   = 1\nlet bbb = 2\n";
    expect(fmtStable(lets)).toBe(lets);
    expect(fmtStable("let a  = 1\nlet bbb = 2\n")).toBe("let a = 1\nlet bbb = 2\n");
  });

  it("lays out lines without their padding: an aligned rule keeps the line breaks it had unaligned", () => {
    const base = `allow t if a == "" because "`;
    const at100 = `${base}${"x".repeat(100 - base.length - 1)}"`;
    expect(fmtStable(`approve x\n${at100.replace("allow t", "allow   t")}\n`)).toBe(`approve x\n${at100.replace("allow t", "allow   t")}\n`);
  });
});

describe("formatSource", () => {
  it("reports whether the text changed", () => {
    expect(formatSource("allow a\n", "t.pol")).toEqual({ ok: true, text: "allow a\n", changed: false });
    expect(formatSource("allow   a", "t.pol")).toEqual({ ok: true, text: "allow a\n", changed: true });
  });

  it("has a safety net that catches text that does not reprint the policy", () => {
    const policy = parse("allow a if x # why\n", "t.pol", new Sink());
    expect(checkFormatted(policy, "allow a if x # why\n")).toBeUndefined();
    expect(checkFormatted(policy, "allow a if y # why\n")).toBe("the formatted text parses to a different policy");
    expect(checkFormatted(policy, "allow a if x\n")).toBe("the formatted text lost or changed a comment");
    expect(checkFormatted(policy, "allow a if\n")).toMatch(/^the formatted text does not parse: /);
  });

  it("returns the diagnostics instead of text when the policy does not parse", () => {
    const r = formatSource("allow a if\ndeny b", "t.pol");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => d.code)).toEqual(["E0103"]);
  });
});
