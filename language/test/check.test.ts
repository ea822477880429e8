// Unit tests of the type checker: one line per typing rule or diagnostic,
// through the helpers in util.ts (the real parser and checker).

import { describe, expect, it } from "vitest";
import { expectClean, expectError, expectType } from "./util.js";

describe("expression types", () => {
  it.each([
    ["args.amount + 1", "number"],
    ["args.amount * 2 - 3", "number"],
    ["-args.amount", "number"],
    ["args.amount <= 50", "bool"],
    ["args.currency == \"usd\"", "bool"],
    ["args.to", "list<string>"],
    ["[1, 2, 3]", "list<number>"],
    ["[]", "list<never>"],
    ["internal", "list<string>"],
    ["lower(args.currency)", "string"],
    ["len(args.to)", "number"],
    ["len(args.currency)", "number"],
    ["domain(args.customer.id)", "string"],
    ["args.currency in internal", "bool"],
    ["args.currency not in [\"usd\", \"eur\"]", "bool"],
    ["all r in args.to: domain(r) in internal", "bool"],
    ["any i in args.items: i.qty > 3", "bool"],
    ["args.currency matches \"u*\"", "bool"],
    ["args.currency =~ /^u[a-z]+$/", "bool"],
    ["has args.reason and args.reason != \"\"", "bool"],
    ["not has args.reason or args.reason == \"x\"", "bool"],
    ["agent.trust >= 50 and \"admin\" in agent.roles", "bool"],
    ["env == \"production\" and tool == \"t\" and run.calls < 10", "bool"],
    ["ctx.region == \"eu\"", "bool"],
    ["has ctx.tier and ctx.tier > 2", "bool"],
    ["min(args.amount, 3) + max(1, 2) + abs(-1) + floor(1.5)", "number"],
    ["has_pii(args.currency) or is_email(args.customer.id) or in_cidr(args.currency, \"10.0.0.0/8\")", "bool"],
    ["is_url(args.currency) and is_ip(host(args.currency))", "bool"],
  ])("%s : %s", (expr, type) => expectType(expr, type));
});

describe("errors", () => {
  it("unknown argument with did-you-mean", () => {
    const d = expectError("allow t if args.amont > 1\n", { code: "E0203", underline: "amont" });
    expect(d.help).toContain("`amount`");
  });
  it("unguarded optional", () => expectError("allow t if args.reason == \"x\"\n", { code: "E0206", underline: "args.reason" }));
  it("guard on the other side of `or` does not count", () => expectError("allow t if has args.reason or args.reason == \"x\"\n", { code: "E0206", underline: "args.reason" }));
  it("optional inside a quantifier element", () => expectError("allow t if any i in args.items: i.note == \"x\"\n", { code: "E0206", underline: "i.note" }));
  it("guarded optional inside a quantifier", () => expectClean("allow t if any i in args.items: has i.note and i.note == \"x\"\n"));
  it("condition must be bool", () => expectError("allow t if args.amount + 1\n", { code: "E0205", underline: "args.amount + 1" }));
  it("mismatched comparison", () => expectError("allow t if args.amount == \"5\"\n", { code: "E0204", underline: "args.amount == \"5\"" }));
  it("ordering strings", () => expectError("allow t if args.currency < \"b\"\n", { code: "E0218", underline: "<" }));
  it("string concatenation", () => expectError("allow t if args.currency + \"x\" == \"y\"\n", { code: "E0204", underline: "args.currency" }));
  it("`in` a string", () => expectError("allow t if \"a\" in args.currency\n", { code: "E0204", underline: "args.currency" }));
  it("unknown builtin", () => expect(expectError("allow t if lowr(args.currency) == \"a\"\n", { code: "E0207", underline: "lowr" }).help).toContain("`lower`"));
  it("builtin arity", () => expectError("allow t if lower(args.currency, 1) == \"a\"\n", { code: "E0208", underline: "lower(args.currency, 1)" }));
  it("builtin argument type", () => expectError("allow t if lower(args.amount) == \"a\"\n", { code: "E0204", underline: "args.amount" }));
  it("unknown name", () => expectError("allow t if arg.amount > 1\n", { code: "E0201", underline: "arg" }));
  it("unknown context field", () => expectError("allow t if ctx.regoin == \"x\"\n", { code: "E0219", underline: "regoin" }));
  it("args where no schema applies", () => expectError("deny \"delete:*\" if args.id == \"x\"\n", { code: "E0210", underline: "args" }));
  it("args in a let", () => expectError("let big = args.amount > 5\nallow t if big\n", { code: "E0210", underline: "args" }));
  it("field not shared by every target", () => expectError("tool u { amount: string }\nallow t, u if args.amount > 1\n", { code: "E0209", underline: "amount" }));
  it("shared field is fine", () => expectClean("tool u { currency: string }\nallow t, u if args.currency == \"x\"\n"));
  it("duplicate tool", () => expectError("tool t { a: number }\n", { code: "E0301", underline: "t" }));
  it("duplicate field", () => expectError("tool u { a: number, a: string }\n", { code: "E0220", underline: "a" }));
  it("by on deny", () => expectError("deny t by \"x\"\n", { code: "E0302" }));
  it("two policy defaults", () => expectError("default deny\ndefault allow\n", { code: "E0304", underline: "default allow" }));
  it("duplicate labels", () => expectError("a: allow t\na: deny t\n", { code: "E0303" }));
  it("recursive let", () => expectError("let a = b\nlet b = a\nallow t if a\n", { code: "E0217" }));
  it("shadowing quantifier variable", () => expectError("allow t if any args in args.to: args == \"x\"\n", { code: "E0213" }));
  it("bad regex", () => expectError("allow t if args.currency =~ /a(b/\n", { code: "E0214" }));
  it("backreference is not linear", () => expectError("allow t if args.currency =~ /(a)\\1/\n", { code: "E0215" }));
  it("redact outside args", () => expectError("redact agent.id\n", { code: "E0306", underline: "agent.id" }));
  it("a misspelt redact path is an error with a suggestion", () => {
    const d = expectError("redact args.curency\n", { code: "E0306", underline: "args.curency", message: "no declared tool has an argument `args.curency`" });
    expect(d.help).toBe("did you mean `args.currency`?");
  });
  it("a redact path no tool has, far from any field", () => {
    const d = expectError("redact args.zzzzzzzz\n", { code: "E0306", underline: "args.zzzzzzzz" });
    expect(d.help).toBe("declare the field in a tool's schema, or remove the path");
  });
  it("a list needs `*` to reach its elements' fields", () =>
    expectError("redact args.items.note\n", { code: "E0306", underline: "args.items.note", message: "`args.items` is a list: redact its elements' fields as `args.items.*.note`" }));
  it("redact paths into lists of records, records and their fields", () => expectClean("redact args.items.*.note, args.items.*, args.customer.email, args.customer.*, args.to.*, args.reason\n"));
  it("the common secret names may be redacted without a tool declaring them", () => expectClean("redact args.card_number, args.SSN, args.password\n"));
  it("limit key must be scalar", () => expectError("limit t 5 calls per hour per args.to\n", { code: "E0305", underline: "args.to" }));
  it("sum must be a number", () => expectError("limit t sum args.currency 5 per day\n", { code: "E0204", underline: "args.currency" }));
  it("a written CIDR range in_cidr cannot read", () => expectError('allow t if in_cidr(args.currency, "10.0.0.0/33")\n', { code: "E0221", underline: '"10.0.0.0/33"', message: "`10.0.0.0/33` is not a CIDR range" }));
  it("a CIDR range with an octal-looking part", () => expectError('allow t if in_cidr(args.currency, "010.0.0.0/8")\n', { code: "E0221", underline: '"010.0.0.0/8"' }));
  it("a CIDR range through a let", () => expectError('let net = "10.0.0.0/8/8"\nallow t if in_cidr(args.currency, net)\n', { code: "E0221", underline: '"10.0.0.0/8/8"' }));
  it("a CIDR range in a list a quantifier ranges over, reported at the item", () =>
    expectError('let nets = ["10.0.0.0/8", "fe80::/129"]\ndeny t if any n in nets: in_cidr(args.currency, n)\n', { code: "E0221", underline: '"fe80::/129"' }));
  it("a range read from the call is checked at run time", () => expectClean("allow t if in_cidr(args.currency, args.customer.id)\n"));
});

describe("W0109: a builtin's failure masked in a deny or approve rule", () => {
  it("warns where `false and ⊥` can hide it, with the guard to add", () => {
    const d = expectError("deny t if args.amount > 10 and host(args.currency) in internal\n", { code: "W0109", underline: "host(args.currency)" });
    expect(d.message).toBe("this `deny` rule does not apply when `args.currency` is not a URL pol can parse unambiguously and the rest of its condition is false");
    expect(d.help).toBe("to deny input pol cannot parse, write the condition as `not is_url(args.currency) or (args.amount > 10 and host(args.currency) in internal)`");
  });
  it("the guard it suggests silences it", () => expectClean("deny t if not is_url(args.currency) or (args.amount > 10 and host(args.currency) in internal)\n"));
  it("warns on approve rules too", () => {
    const d = expectError('approve t if args.amount > 10 and in_cidr(args.currency, "10.0.0.0/8")\n', { code: "W0109", underline: 'in_cidr(args.currency, "10.0.0.0/8")' });
    expect(d.help).toContain("`not is_ip(args.currency) or (");
  });
  it("guards in_cidr(host(u)) with is_url(u)", () => {
    const d = expectError('deny t if args.urgent and in_cidr(host(args.currency), "127.0.0.0/8")\n', { code: "W0109" });
    expect(d.help).toContain("`not is_url(args.currency) or (");
    expectClean('deny t if not is_url(args.currency) or (args.urgent and in_cidr(host(args.currency), "127.0.0.0/8"))\n');
  });
  it("guards domain(x) with is_email(x)", () => expect(expectError('deny t if args.urgent and domain(args.customer.id) == "evil.com"\n', { code: "W0109" }).help).toContain("not is_email(args.customer.id)"));
  it("a masked item inside a quantifier gets a quantified guard", () => {
    const d = expectError('deny t if all r in args.to: host(r) == "x"\n', { code: "W0109", underline: "host(r)" });
    expect(d.message).toContain("`r` (an item of `args.to`)");
    expect(d.help).toContain("`(any r in args.to: not is_url(r)) or (all r in args.to: host(r) == \"x\")`");
    expectClean('deny t if (any r in args.to: not is_url(r)) or (all r in args.to: host(r) == "x")\n');
  });
  it("inside an `any`, the guard goes into its body, where the list is guarded", () => {
    const src = 'tool m { cc?: list<string> }\ndeny m if has args.cc and any r in args.cc: domain(r) != "acme.com" and lower(r) not in ["a@b.io"]\n';
    expect(expectError(src, { code: "W0109", underline: "domain(r)" }).help).toContain('`has args.cc and (any r in args.cc: not is_email(r) or (domain(r) != "acme.com" and lower(r) not in ["a@b.io"]))`');
  });
  it.each([
    ["deny t if args.amount > 10 and host(args.currency) in internal"],
    ['approve t if args.urgent and in_cidr(host(args.currency), "127.0.0.0/8") and domain(args.customer.id) != "x.io"'],
    ['deny t if all r in args.to: host(r) == "x"'],
    ['deny t if any r in args.to: args.amount > 1 and domain(r) == "x.io"'],
    ['deny t if any i in args.items: i.qty > 1 and host(i.sku) == "x"'],
    ['approve t if has args.reason and args.amount > 3 and in_cidr(args.reason, "10.0.0.0/8")'],
  ])("the condition its help suggests checks clean: %s", (rule) => {
    const d = expectError(`${rule}\n`, { code: "W0109" });
    const fixed = /write the condition as `(.*)`$/.exec(d.help!)![1]!;
    expectClean(`${rule.replace(/ if .*$/, "")} if ${fixed}\n`);
  });
  it("a failure inside a let", () => expectError('context { url?: string }\nlet h = host(ctx.region)\ndeny t if args.urgent and h == "x"\n', { code: "W0109", underline: 'args.urgent and h == "x"' }));
  it.each([
    ["deny t if host(args.currency) in internal"],
    ['deny t if host(args.currency) == "a" or host(args.currency) == "b"'],
    ['deny t if args.amount > 10 or host(args.currency) == "x"'],
    ['deny t if not (host(args.currency) == "x")'],
    ['deny t if any n in ["10.0.0.0/8", "::1"]: in_cidr(host(args.currency), n)'],
    ['deny t if host(args.currency) == "localhost" or any n in ["127.0.0.0/8"]: in_cidr(host(args.currency), n)'],
    ['deny t if any r in args.to: domain(r) != "acme.com"'],
    ['deny t if len(host(args.currency)) > 3'],
    ["allow t if args.amount > 10 and host(args.currency) in internal"],
  ])("no warning where ⊥ reaches the top (or for allow): %s", (src) => expectClean(`${src}\n`));
});

describe("warnings", () => {
  it("unknown tool in targets", () => expectError("allow tt\n", { code: "W0101", underline: "tt" }));
  it("unused let", () => expectError("let unused = 1\n", { code: "W0102", underline: "unused" }));
  it("rule that can never match", () => expectError("allow t if false\n", { code: "W0103", underline: "false" }));
  it("constant-false through lets", () => expectError("let on = false\nallow t if on and args.amount > 1\n", { code: "W0103" }));
  it("has on a required field", () => expectError("allow t if has args.amount\n", { code: "W0107", underline: "args.amount" }));
});

describe("several errors per file", () => {
  it("reports each broken statement", () => {
    const src = "tool a { x: number }\nallow a if args.y > 1\nallow a if args.x = 2\ndeny a if args.x > \"s\"\nallow a if\n";
    const ds = expectError(src, { code: "E0203", underline: "y" }, false);
    expect(ds).toBeDefined();
    expectError(src, { code: "E0103" }, false);
    expectError(src, { code: "E0218" }, false);
  });
});
