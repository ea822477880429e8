// Unit tests of the type checker: one line per typing rule or diagnostic,
// through the helpers in util.ts (the real parser and checker).

import { describe, expect, it } from "vitest";
import { diagnostics, expectClean, expectError, expectType } from "./util.js";

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
  it("a bare word where a string goes: E0103 with the quoted word as the fix", () => {
    const d = expectError("approve t by finance\n", { code: "E0103", underline: "finance", message: "expected string, found `finance`" });
    expect(d.help).toBe('write it as a string: "finance"');
  });
  it("brackets nested past the limit: E0109 at the bracket, not a stack overflow", () => {
    expectError(`allow t if ${"(".repeat(200)}args.amount > 1${")".repeat(200)}\n`, { code: "E0109", underline: "(", message: "brackets nested more than 64 deep" });
    expectClean(`allow t if ${"(".repeat(60)}args.amount > 1${")".repeat(60)}\n`);
  });
  it("counts only binary operators: negative numbers and list<...> types are not operators", () => {
    expectClean(`allow t if args.amount in [${Array.from({ length: 1500 }, (_, i) => -i).join(", ")}]\n`);
    const fields = Array.from({ length: 600 }, (_, i) => `f${i}?: list<string>`).join(", ");
    expect(diagnostics(`policy p\ntool wide { ${fields} } read\nallow wide\n`).filter((d) => d.code === "E0109")).toEqual([]);
  });
  it("a condition with more operators than the limit: E0109, not a stack overflow", () => {
    expectError(`allow t if ${Array.from({ length: 2000 }, (_, i) => `args.amount == ${i}`).join(" or ")}\n`, { code: "E0109", message: "more than 1000 operators in one statement" });
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
  it("a failure the condition already tests for is not masked, whatever else makes it false", () => {
    expectClean('deny t if args.urgent and (any r in args.to: not is_url(r) or host(r) == "x")\n');
    expectClean('tool m { urgent: bool, cc?: list<string> }\ndeny m if args.urgent and has args.cc and any r in args.cc: not is_email(r) or domain(r) != "acme.com"\n');
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

describe("run history, run state, maps, enums, limits, classes, dates and links (issue 17)", () => {
  it.each([
    ["seen(t)", "bool"],
    ["seen(t, \"mcp:*\", class(read))", "bool"],
    ["count(t) + 1", "number"],
    ["calls(t)", "list<{ tool: string, args: { amount: number, currency: string, reason?: string, to: list<string>, items: list<{ sku: string, qty: number, note?: string }>, customer: { id: string, email?: string }, urgent: bool } }>"],
    ["any c in calls(t): c.args.amount > args.amount and c.tool == tool", "bool"],
    ["date(args.currency) >= today()", "bool"],
    ["time(args.currency) - now()", "number"],
    ["is_date(args.currency) and is_time(args.currency)", "bool"],
    ["urls(args.currency)", "list<string>"],
    ["all u in urls(args.currency): host(u) in internal", "bool"],
    ["len(emails(args.currency)) > 1", "bool"],
  ])("%s : %s", (expr, type) => expectType(expr, type));

  it("a history query over patterns makes every argument optional", () => {
    expectError("allow t if any c in calls(t, \"x:*\"): c.args.amount > 1\n", { code: "E0206", underline: "c.args.amount" });
    expectClean("allow t if any c in calls(t, \"x:*\"): has c.args.amount and c.args.amount > 1\n");
  });
  it("history may be read in a let", () => expectClean("let read_web = seen(t)\nallow t if not read_web\n"));
  it("records and maps in lets, read by field and by key under a guard", () => {
    expectClean("let cfg = { max: 10, name: \"x\" }\nlet m = { 6: { to: \"a\" }, 7: { to: \"b\" } }\nallow t if args.amount < cfg.max and has m[args.amount] and m[args.amount].to == args.currency\n");
    expectClean("let m = { \"a\": [\"x\", \"y\"] }\nallow t if has m[args.currency] and args.customer.id in m[args.currency]\n");
    expectClean("let m = { 6: { to: \"a\" } }\nallow t if m[6].to == args.currency\n");
  });
  it("a map read by key without a guard", () => expectError("let m = { 6: { to: \"a\" } }\nallow t if m[args.amount].to == \"a\"\n", { code: "E0206", underline: "m[args.amount]", message: /may not be a key of `m`/ }));
  it("a key of the wrong type", () => expectError("let m = { 6: 1 }\nallow t if has m[args.currency]\n", { code: "E0204", underline: "args.currency" }));
  it("only a let is read by key", () => expectError("allow t if has args.to[1]\n", { code: "E0223", underline: "[1]" }));
  it("a map key that can fail", () => expectError("let m = { \"a\": 1 }\nallow t if has m[host(args.currency)]\n", { code: "E0223", underline: "host(args.currency)" }));
  it("a map value that can fail", () => expectError("let m = { \"a\": host(ctx.region) }\nallow t if has m[args.currency]\n", { code: "E0223", underline: "host(ctx.region)" }));
  it("keys of two kinds", () => expectError("let m = { 1: 2, \"a\": 3 }\nallow t if has m[1]\n", { code: "E0223", underline: "\"a\"" }));
  it("a duplicate key", () => expectError("let m = { 1: 2, 1: 3 }\nallow t if has m[1]\n", { code: "E0223", underline: "1" }));
  it("fields and keys mixed", () => expectError("let m = { a: 1, 2: 3 }\n", { code: "E0108", underline: "a" }));
  it("a map read by two keys", () => expectError("let m = { 1: { 2: 3 } }\nallow t if has m[1][2]\n", { code: "E0223", underline: "[2]" }));
  it("a string its enum cannot hold", () => expectError("tool s { p: \"r\" | \"rw\" }\nallow s if args.p == \"x\"\n", { code: "E0222", underline: "\"x\"" }));
  it("an enum compared with its values, a string or another enum", () => expectClean("tool s { p: \"r\" | \"rw\", q: string }\nallow s if args.p == \"rw\" or args.p in [\"r\"] or args.p == args.q\n"));
  it("an open record", () => expectClean("tool s { a: list<{ type: string, ... }> }\nallow s if all x in args.a: x.type == \"file\"\n"));
  it("run state: a number or a list of scalars", () => expectClean("state invited: list<string> max 20\nstate spent: number\non t add args.currency to invited\non t add args.amount to spent if args.urgent\nallow t if args.currency in state.invited and state.spent < 100\n"));
  it("an update's value may read what its condition proves present", () => expectClean("state seen: list<string>\non t add args.reason to seen if has args.reason\nallow t if \"x\" in state.seen\n"));
  it("run state of another type", () => expectError("state s: { a: number }\n", { code: "E0310", underline: "{ a: number }" }));
  it("`max` on a number", () => expectError("state s: number max 3\n", { code: "E0310", underline: "3" }));
  it("a run state declared twice", () => expectError("state s: number\nstate s: number\n", { code: "E0310", underline: "s" }));
  it("an update of unknown state", () => expectError("state invited: list<string>\non t add args.currency to invitd\n", { code: "E0311", underline: "invitd", message: "no run state `invitd` is declared" }));
  it("an update of the wrong type", () => expectError("state invited: list<string>\non t add args.amount to invited\n", { code: "E0311", underline: "args.amount" }));
  it("a conditional, escalating limit", () => expectClean("limit t 3 calls per day per run if args.amount > 100 else approve by \"finance\"\n"));
  it("a limit condition must be a bool", () => expectError("limit t 3 calls per day if args.amount\n", { code: "E0204", underline: "args.amount" }));
  it("a limit key read by key", () => expectError("let m = { 1: 2 }\nlimit t 3 calls per day per m[1]\n", { code: "E0305" }));
  it("rules by class", () => expectClean("allow class(read)\napprove class(write) if args.amount > 10\ndeny class(destructive)\n"));
  it("W0109 guards date() with is_date()", () => expect(expectError("deny t if args.urgent and date(args.currency) < today()\n", { code: "W0109" }).help).toContain("not is_date(args.currency)"));
  it("a date written in the policy cannot fail, so it is not warned about", () => expectClean("deny t if args.urgent and date(\"2024-01-01\") < today()\n"));
});

describe("red flags from deployment checklists (W0110–W0113)", () => {
  const bare = (src: string) => diagnostics(src).map((d) => `${d.code} ${d.message}`);
  it("W0110: every tool allowed without a condition", () => expectError("allow *\n", { code: "W0110", underline: "*" }, false));
  it("W0111: `default allow` with no deny rule", () => expectError("tool a { x: number } read\ndefault allow\nallow a\n", { code: "W0111", underline: "default allow" }, false));
  it("W0112: a write tool with neither a limit nor an approval path", () => {
    expectError("tool pay { amount: number } write\nallow pay\n", { code: "W0112", underline: "pay" }, false);
    expect(bare("tool pay { amount: number } write\nallow pay\nlimit pay 5 calls per hour\n")).toEqual([]);
    expect(bare("tool pay { amount: number } write\nallow pay if args.amount < 5\napprove pay if args.amount > 100\n")).toEqual([]);
    expect(bare("tool pay { amount: number } write\nallow pay if args.amount < 5\ndefault approve for pay\n")).toEqual([]);
    expect(bare("tool look { q: string } read\nallow look\n")).toEqual([]);
    // Always denied: the agent never calls it, whatever `default allow` says.
    expect(bare("tool wipe { id: string } destructive\ndefault allow\ndeny class(destructive)\n")).toEqual([]);
    expectError("tool wipe { id: string } destructive\ndefault allow\ndeny wipe if len(args.id) > 3\n", { code: "W0112", underline: "wipe" }, false);
  });
  it("W0113: a tool declared but never targeted", () => {
    expectError("tool a { x: number } read\ntool b { x: number } read\nallow a\n", { code: "W0113", underline: "b" }, false);
    expect(bare("tool a { x: number } read\ntool b { x: number } read\nallow class(read)\n")).toEqual([]);
  });
});
