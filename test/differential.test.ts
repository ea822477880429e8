// Differential tests: the compiled wasm must return exactly the reference
// interpreter's Decision on random well-typed policies and random calls
// (generators in test/gen/), plus the reproducers of every bug this found.
// Fixed seed by default; POL_SEED=n varies it. `npm run soak` runs a million pairs.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopCompiler } from "../compiler/asc.js";
import { lower } from "../compiler/lower.js";
import type { Effect } from "../language/ast.js";
import { evaluate } from "../language/interpret.js";
import { checkSource, compare, generate, prepare, report, seedFromEnv, OPTION_SETS, type Case, type Mismatch, type Rejected } from "./gen/harness.js";
import type { PolicySpec } from "./gen/policy.js";
import { shrink } from "./gen/shrink.js";

const SEED = seedFromEnv();
/** One optimised batch (the production setting) and unoptimised ones (ten times faster to compile). */
const BATCHES = [
  { policies: 60, calls: 60, optimize: true, options: OPTION_SETS[0]! },
  { policies: 80, calls: 60, optimize: false, options: OPTION_SETS[1]! },
  { policies: 80, calls: 60, optimize: false, options: OPTION_SETS[0]! },
];

let batches: { cases: Case[]; rejected: Rejected[] }[] = [];

beforeAll(() => {
  batches = BATCHES.map((b, i) => generate(SEED, b.policies, b.calls, 1_000_003 * i));
});
afterAll(() => stopCompiler());

/** Every form the generator is meant to produce, as a pattern over the generated sources. */
const FORMS: Record<string, RegExp> = {
  "quoted tool name": /^tool "/m, "nested record field": /args\.meta\.\w+/, "optional field": /\w\?: /, "list<record>": /list<\{/, "list<list<string>>": /list<list<string>>/,
  "list<number>": /list<number>/, "list<bool>": /list<bool>/, context: /^context \{/m, "optional ctx": /^context .*\w\?: /m, let: /^let /m, "let list": /^let \w+ = \[/m,
  allow: /^(\w+: )?allow /m, deny: /^(\w+: )?deny /m, approve: /^(\w+: )?approve /m, "several targets": /^(\w+: )?(allow|deny|approve) [^ ]+, /m,
  "dotted glob": /^(\w+: )?(allow|deny|approve) .*\b\w+\.\*/m, "quoted glob": /^(\w+: )?(allow|deny|approve) .*"[^"]*\*[^"]*"/m, "lone *": /(allow|deny|approve|for) (.*, )?\*( |,|$)/m,
  by: / by "/, because: / because "/, label: /^\w+: (allow|deny|approve|limit) /m, default: /^default \w+$/m, "default for": /^default \w+ for /m,
  "call limit": /^(\w+: )?limit .* calls per /m, "sum limit": /^(\w+: )?limit .* sum \(/m, "per path": / per (args|ctx|agent|run)\.\w+| per env/, redact: /^redact /m,
  and: / and /, or: / or /, not: /\(not /, "==": / == /, "!=": / != /, "<": / < /, "<=": / <= /, ">": / > /, ">=": / >= /, "+": / \+ /, "-": / - /, "*": / \* /, "unary -": /[(\[ ,]-[\d(a-z]/,
  in: / in \[/, "not in": / not in /, "in input list": / in (args|agent|ctx)\.\w+\)/, "in let": / in k\d\)/, "let alias": /^let k\d = (agent|run|ctx)[.\w]*$/m, matches: / matches "/, regex: / =~ \//, "regex flag i": / =~ \/.*\/i/, has: /has (args|ctx|v\d)\./,
  "not has": /not has /, any: /\(any v\d in /, all: /\(all v\d in /, "quantifier over records": /in args\.(items|rows): [^\n]*v\d\.\w+/, "nested quantifier": /\((any|all) v\d in [^\n]*\((any|all) v\d in v\d/,
  "quantifier over literal": /\((any|all) v\d in \[/, "fraction": /\d\.\d/,
  // Issue 17: run history, run state, enums and open records, maps and record lets, conditional and escalating limits, classes, dates, links.
  seen: /\bseen\(/, count: /\bcount\(/, calls: /in calls\(/, "history args": /v\d\.args\.\w+/, "class target": /class\((read|write|destructive)\)/, state: /^state \w+: /m,
  "state read": /state\.\w+/, on: /^on .* add .* to \w+/m, "on if": /^on .* to \w+ if /m, enum: /: "r" \| "rw"/, "open record": /, \.\.\. \}/, "map let": /^let m\d = \{/m, lookup: /has m\d\[/,
  "record let": /^let k\d = \{ a: /m, "record field": /\bk\d\.[ab]\b/, "limit if": /^(\w+: )?limit .* if /m, "else approve": / else approve/, urls: /\burls\(/, emails: /\bemails\(/,
  "date": /\bdate\(/, "time": /\btime\(/, "today": /today\(\)/, "now": /now\(\)/, "is_date": /is_date\(|is_time\(/, "exponent": /\de[+-]\d/, "underscore": /\d_\d/, "escape": /\\[n"\\]|\\u\{/, astral: /😀/,
  ...Object.fromEntries(["lower", "upper", "trim", "len", "starts_with", "ends_with", "contains", "domain", "host", "in_cidr", "is_email", "is_url", "is_ip", "has_pii", "abs", "floor", "min", "max"].map((b) => [b, new RegExp(`\\b${b}\\(`)])),
};

describe("differential: compiled wasm == reference interpreter", () => {
  it("every generated policy type-checks with zero errors", () => {
    const rejected = batches.flatMap((b) => b.rejected);
    expect(rejected.map((r) => `${r.spec.source}\n${r.errors.join("\n")}`)).toEqual([]);
    expect(batches.reduce((n, b) => n + b.cases.length, 0)).toBe(BATCHES.reduce((n, b) => n + b.policies, 0));
  });

  it("the generators cover every form, and calls reach every kind of decision", () => {
    const sources = batches.flatMap((b) => b.cases.map((c) => c.spec.source)).join("\n");
    expect(Object.entries(FORMS).filter(([, re]) => !re.test(sources)).map(([name]) => name)).toEqual([]);
    // Rule indexes (compiler/index-rules.ts): policies whose tools dispatch on a slot's value, on strings and on numbers.
    const indexed = batches.flatMap((b) => b.cases).flatMap((c) => lower(c.checked).tools.flatMap((t) => (t.index ? [t.index.t] : [])));
    expect(new Set(indexed)).toEqual(new Set(["string", "number"]));
    expect(indexed.length).toBeGreaterThan(20);
    const kinds = new Set<string>();
    let failed = 0;
    let calls = 0;
    for (const c of batches[0]!.cases) {
      for (const call of c.calls) {
        const d = evaluate(c.checked, call);
        calls++;
        if (d.reasons.some((r) => / is not (a URL|exactly one|an IP)/.test(r))) failed++;
        kinds.add(d.effect).add(d.decidedBy);
        if (d.limits.length) kinds.add("limits");
        if (d.reasons.some((r) => r.includes("cannot check the arguments"))) kinds.add("blind rule");
        if (d.reasons.some((r) => r.includes("unpaired surrogate"))) kinds.add("lone surrogate");
        if (d.reasons.some((r) => r.includes("undeclared field"))) kinds.add("extra field");
        // The failure value ⊥ reaching a rule's top (fail-closed), an allow it kept from matching, a sum it spoiled.
        if (d.reasons.some((r) => / is not .*, so rule `/.test(r))) kinds.add("⊥ rule");
        if (d.reasons.some((r) => r.includes("does not allow the call"))) kinds.add("⊥ allow");
        if (d.reasons.some((r) => r.includes("cannot measure the call"))) kinds.add("⊥ sum");
      }
    }
    expect([...kinds].sort()).toEqual(["allow", "approve", "blind rule", "default", "deny", "error", "extra field", "limits", "lone surrogate", "rule", "schema", "⊥ allow", "⊥ rule", "⊥ sum"]);
    console.log(`differential: ${failed} of ${calls} calls of the first batch decided on a failed builtin (⊥)`);
    expect(failed).toBeGreaterThan(calls / 50);
  });

  it("decides at least 10,000 (policy, call) pairs identically", async () => {
    let pairs = 0;
    const mismatches: Mismatch[] = [];
    for (const [i, b] of BATCHES.entries()) {
      const r = compare(await prepare(batches[i]!.cases, b.optimize, b.options));
      pairs += r.pairs;
      mismatches.push(...r.mismatches);
    }
    console.log(`differential: ${pairs} pairs, ${mismatches.length} mismatches (seed ${SEED})`);
    const reports: string[] = [];
    const seen = new Set<PolicySpec>();
    for (const m of mismatches) {
      if (seen.has(m.spec) || reports.length >= 3) continue;
      seen.add(m.spec);
      reports.push(report(await shrink(m)));
    }
    if (reports.length) console.log(reports.join("\n\n"));
    expect(pairs).toBeGreaterThanOrEqual(10_000);
    expect(mismatches.length, reports.join("\n\n")).toBe(0);
  }, 600_000); // passing takes seconds; shrinking a failure recompiles many candidates
});

/** Reproducers of bugs the differential tests found: both engines must agree and give the effect named. */
const REGRESSIONS: { name: string; source: string; calls: [unknown, Effect][] }[] = [
  {
    name: "a quantifier over a let naming an input list compiles",
    source: 'tool t { n: number }\nlet roles = agent.roles\nallow t if any r in roles: r == "admin"\n',
    calls: [[{ tool: "t", args: { n: 1 }, agent: { roles: ["x", "admin"] } }, "allow"], [{ tool: "t", args: { n: 1 } }, "deny"]],
  },
  {
    name: "a backslash in a quoted target is literal, for names the module has no id for",
    source: 'approve "a\\\\*"\n',
    calls: [[{ tool: "a\\" }, "approve"], [{ tool: "a\\.b" }, "approve"], [{ tool: "a*" }, "deny"]],
  },
  {
    name: "a blind deny/approve applies even when its condition is always false",
    source: "tool db.delete { meta?: { n: number } }\napprove * if has args.meta and false\ndeny db.delete, shell.exec if has args.meta and false\n",
    calls: [[{ tool: "other" }, "approve"], [{ tool: "shell.exec" }, "deny"], [{ tool: "db.delete", args: {} }, "deny"]],
  },
  {
    name: "a quantifier strides over list elements by their final size",
    source: 'tool send { items: list<{ sku: string, qty: number, note?: string }> }\nallow send if all i in args.items: i.qty > 0\ndeny send if any i in args.items: has i.note and i.note == "x"\n',
    calls: [[{ tool: "send", args: { items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2, note: "y" }, { sku: "c", qty: 3 }] } }, "allow"], [{ tool: "send", args: { items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 0 }] } }, "deny"]],
  },
  {
    name: "records with the same fields in another order share their slots",
    source: 'tool a { meta: { n: number, s: string } }\ntool b { meta: { s: string, n: number } }\ndeny a if args.meta.s == "x"\napprove b if args.meta.s == "ok"\n',
    calls: [[{ tool: "b", args: { meta: { s: "ok", n: 1 } } }, "approve"], [{ tool: "a", args: { meta: { s: "x", n: 1 } } }, "deny"], [{ tool: "b", args: { meta: { s: "x", n: 1 } } }, "deny"]],
  },
  {
    name: "a let naming a record input is read through its fields",
    source: "tool t { n: number }\ncontext { q: { d: number } }\nlet me = agent\nlet c = ctx\nallow t if me.trust > 5 and c.q.d > 1 and any r in me.roles: r == \"ops\"\n",
    calls: [[{ tool: "t", args: { n: 1 }, agent: { trust: 9, roles: ["ops"] }, ctx: { q: { d: 2 } } }, "allow"], [{ tool: "t", args: { n: 1 }, agent: { trust: 9, roles: ["ops"] }, ctx: { q: { d: 1 } } }, "deny"]],
  },
  {
    name: "a ⊥ sum of a limit that does not cover the tool leaves its matched rules as they were (no stale ⊥ sites)",
    source: 'tool a { u: string }\ndeny a if host(args.u) == "x"\nallow "*:*" if tool != "zz"\nlimit files.* sum len(host(agent.id)) 100 per hour\n',
    calls: [[{ tool: "a", args: { u: "bad" } }, "deny"], [{ tool: "x:y", agent: { id: "not a url" } }, "allow"], [{ tool: "files.x", agent: { id: "not a url" } }, "deny"]],
  },
];

describe("differential regressions", () => {
  it("a limit key must name an input, not a let (hosts key buckets from the call itself)", () => {
    expect(checkSource("tool t { n: number }\nlet k = env\nlimit t 5 calls per hour per k\nallow t\n").errors).toEqual(["E0305 3:30 a limit key must be an input path such as `args.customer`, found `k`"]);
  });

  it.each(OPTION_SETS.map((o, i) => [i, o] as const))("reproducers decide identically and as intended (options %i)", async (_, options) => {
    const cases = REGRESSIONS.map((r) => {
      const { checked, errors } = checkSource(r.source);
      expect(errors, r.name).toEqual([]);
      return { spec: { lines: r.source.trimEnd().split("\n"), source: r.source, tools: [], context: [], targets: [], run: { history: false, state: [], clock: false } }, checked: checked!, calls: r.calls.map(([c]) => c) };
    });
    const p = await prepare(cases, false, options);
    expect(compare(p).mismatches.map(report)).toEqual([]);
    for (const [i, r] of REGRESSIONS.entries()) {
      expect(r.calls.map(([c]) => evaluate(cases[i]!.checked, c, options).effect), r.name).toEqual(r.calls.map(([, e]) => e));
    }
  });
});
