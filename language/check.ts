// Step three of the front end: the type checker. Fed the parsed main policy
// and its imports; reports into a Sink and returns the annotated tree with the
// tables the interpreter and compiler need (checked.ts).

import type * as A from "./ast.js";
import { guardedCondition, maskedCalls } from "./check-bottom.js";
import { ExprChecker, type Scope } from "./check-expr.js";
import { DEFAULT_REDACT, type CheckedLimit, type CheckedPolicy, type CheckedRule, type CheckedTool, type Site } from "./checked.js";
import type { Sink } from "./diagnostics.js";
import { constValue } from "./fold.js";
import { assertNever, type Span } from "./span.js";
import { closest, didYouMean } from "./suggest.js";
import { targetMatches } from "./targets.js";
import { ERROR, NUMBER, sameType, showType, type FieldType, type Type } from "./types.js";

function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/** Converts a written type to a Type, reporting duplicate fields. */
export function toType(t: A.TypeExpr, sink: Sink): Type {
  switch (t.kind) {
    case "number":
    case "string":
    case "bool":
      return { kind: t.kind };
    case "list":
      return { kind: "list", elem: toType(t.elem, sink) };
    case "record":
      return { kind: "record", fields: toFields(t.fields, sink) };
    default:
      return assertNever(t, "type");
  }
}

function toFields(fields: A.FieldDecl[], sink: Sink, into: FieldType[] = []): FieldType[] {
  for (const f of fields) {
    if (into.some((g) => g.name === f.name)) {
      sink.report("E0220", f.nameSpan, `field \`${f.name}\` is declared twice`);
      continue;
    }
    into.push({ name: f.name, type: toType(f.type, sink), optional: f.optional });
  }
  return into;
}

class Checker {
  private readonly tools = new Map<string, CheckedTool>();
  private readonly toolSpans = new Map<string, Span>();
  private readonly lets = new Map<string, A.LetDecl>();
  private readonly letTypes = new Map<string, Type | "checking">();
  private readonly letUses = new Map<string, number>();
  private readonly context: FieldType[] = [];
  private readonly sites: Site[] = [];
  private readonly exprs: ExprChecker;

  constructor(private readonly sink: Sink) {
    this.exprs = new ExprChecker({
      sink,
      ctx: this.context,
      isLet: (n) => this.lets.has(n),
      letDecl: (n) => this.lets.get(n),
      letType: (n, use) => this.letType(n, use),
      sites: this.sites,
    });
  }

  run(main: A.Policy, imports: A.Policy[]): CheckedPolicy {
    for (const p of [...imports, main]) this.declare(p, p !== main);
    const rules: CheckedRule[] = [];
    const limits: CheckedLimit[] = [];
    const defaultsFor: A.DefaultDecl[] = [];
    let defaultDecl: A.DefaultDecl | undefined;
    const redact: string[] = [];
    const labels = new Map<string, Span>();
    for (const item of main.items) {
      if ((item.kind === "rule" || item.kind === "limit") && item.label !== undefined) {
        const prev = labels.get(item.label);
        if (prev) this.sink.report("E0303", item.span, `label \`${item.label}\` is used twice`, { related: [{ span: prev, message: "first used here" }] });
        else labels.set(item.label, item.span);
      }
      switch (item.kind) {
        case "rule": rules.push(this.rule(item, rules.length)); break;
        case "limit": limits.push(this.limit(item, limits.length)); break;
        case "default":
          if (item.targets) {
            this.checkTargets(item.targets);
            defaultsFor.push(item);
          } else if (defaultDecl) this.sink.report("E0304", item.span, "the policy has more than one `default`", { related: [{ span: defaultDecl.span, message: "first default here" }], help: "keep one; use `default EFFECT for TOOLS` for per-tool fallbacks" });
          else defaultDecl = item;
          break;
        case "redact": redact.push(...this.redact(item)); break;
        case "let": this.letType(item.name, item.span); break;
        case "import": case "tool": case "context": break;
        default: assertNever(item, "statement");
      }
    }
    // A partial (`_name.pol`) exists to be imported: its lets are used by the files importing it.
    const partial = /(^|[\\/])_[^\\/]*\.pol$/.test(main.file);
    for (const [name, decl] of this.lets) {
      if (!partial && !this.letUses.get(name) && decl.span.file === main.file) this.sink.report("W0102", decl.nameSpan, `\`${name}\` is never used`, { help: "remove it, or use it in a rule" });
    }
    return {
      name: main.header?.name ?? basename(main.file).replace(/\.pol$/, ""),
      ...(main.header?.description !== undefined ? { description: main.header.description } : {}),
      file: main.file,
      policy: main,
      imports,
      tools: this.tools,
      context: this.context,
      lets: this.lets,
      rules,
      limits,
      defaultEffect: defaultDecl?.effect ?? "deny",
      ...(defaultDecl ? { defaultDecl } : {}),
      defaultsFor,
      redact,
      sites: this.sites,
    };
  }

  /** First pass: tool schemas, context fields and lets, so rules may use them before their declaration. */
  private declare(p: A.Policy, imported: boolean): void {
    for (const item of p.items) {
      if (item.kind === "tool") {
        const prev = this.toolSpans.get(item.name);
        if (prev) {
          this.sink.report("E0301", item.nameSpan, `tool \`${item.name}\` is declared twice`, { related: [{ span: prev, message: "first declared here" }] });
          continue;
        }
        this.toolSpans.set(item.name, item.nameSpan);
        this.tools.set(item.name, { name: item.name, decl: item, args: toFields(item.fields, this.sink), toolClass: item.toolClass ?? "write" });
      } else if (item.kind === "context") toFields(item.fields, this.sink, this.context);
      else if (item.kind === "let") {
        if (this.lets.has(item.name)) this.sink.report("E0211", item.nameSpan, `\`${item.name}\` is declared twice`, { related: [{ span: this.lets.get(item.name)!.nameSpan, message: "first declared here" }] });
        else this.lets.set(item.name, item);
      } else if (imported && (item.kind === "rule" || item.kind === "limit" || item.kind === "default")) {
        this.sink.report("E0308", item.span, "an imported file may only declare tools, context and lets", { help: "move this statement into the policy that imports the file" });
      }
    }
  }

  private letType(name: string, use: Span): Type | undefined {
    const decl = this.lets.get(name);
    if (!decl) return undefined;
    if (use !== decl.span) this.letUses.set(name, (this.letUses.get(name) ?? 0) + 1);
    const known = this.letTypes.get(name);
    if (known === "checking") {
      this.sink.report("E0217", use, `\`${name}\` is defined in terms of itself`);
      return ERROR;
    }
    if (known) return known;
    this.letTypes.set(name, "checking");
    const scope = this.scope([], "a `let` is shared by every rule, so it cannot depend on one tool's arguments");
    const t = this.exprs.check(decl.value, scope);
    this.letTypes.set(name, t);
    return t;
  }

  /** Declared tools the targets cover; warns on exact names that are not declared. */
  private checkTargets(targets: A.Target[]): string[] {
    const covered: string[] = [];
    for (const t of targets) {
      if (!t.glob && !this.tools.has(t.text) && this.tools.size > 0) {
        const near = closest(t.text, this.tools.keys());
        this.sink.report("W0101", t.span, `no tool \`${t.text}\` is declared`, { help: near ? `did you mean \`${near}\`?` : "declare it with `tool NAME { ... }` so its arguments are checked" });
      }
    }
    for (const name of this.tools.keys()) if (targets.some((t) => targetMatches(t, name))) covered.push(name);
    return covered;
  }

  /** The scope of a rule or limit over `tools`: `args` holds the fields every one of them declares alike. */
  private scope(tools: string[], why: string): Scope {
    const base: Scope = { argsWhy: why, argsPartial: new Map(), vars: new Map(), origins: new Map(), guarded: new Set(), reads: { args: false } };
    if (tools.length === 0) return base;
    const schemas = tools.map((n) => this.tools.get(n)!.args);
    const shared: FieldType[] = [];
    for (const f of schemas[0]!) {
      const others = schemas.map((s) => s.find((g) => g.name === f.name));
      if (others.every((g) => g && sameType(g.type, f.type))) shared.push({ ...f, optional: others.some((g) => g!.optional) });
    }
    for (const [i, s] of schemas.entries()) {
      for (const f of s) {
        if (shared.some((g) => g.name === f.name) || base.argsPartial.has(f.name)) continue;
        base.argsPartial.set(f.name, tools.filter((_, j) => j !== i && !schemas[j]!.some((g) => g.name === f.name && sameType(g.type, f.type))));
      }
    }
    return { ...base, args: shared };
  }

  private whyNoArgs(targets: A.Target[]): string {
    return `${targets.map((t) => `\`${t.text}\``).join(", ")} ${targets.length === 1 ? "matches" : "match"} no declared tool`;
  }

  private rule(r: A.RuleDecl, index: number): CheckedRule {
    if (r.approvers.length > 0 && r.effect !== "approve") this.sink.report("E0302", r.span, `\`by\` names approvers, but this rule is \`${r.effect}\``, { help: "use `approve ... by \"group\"`, or drop `by`" });
    const tools = this.checkTargets(r.targets);
    const scope = this.scope(tools, this.whyNoArgs(r.targets));
    if (r.condition) {
      const t = this.exprs.check(r.condition, scope);
      if (t.kind !== "bool" && t.kind !== "error") this.sink.report("E0205", r.condition.span, `the condition of a rule must be bool, found ${showType(t)}`);
      else if (constValue(r.condition, (n) => this.lets.get(n)?.value) === false) {
        // A rule reading args still applies, fail-closed, to tools without a schema: say so rather than "never".
        const blind = scope.reads.args && r.effect !== "allow";
        this.sink.report("W0103", r.condition.span, blind ? "this rule's condition is always false: it never matches a declared tool" : "this rule can never match: its condition is always false", {
          help: blind ? "it still applies, fail-closed, to matching tools that have no declared schema; remove it or fix the condition" : "remove the rule, or fix the condition",
        });
      } else if (r.effect !== "allow") this.maskedFailures(r, r.condition);
    }
    return { decl: r, index, tools, readsArgs: scope.reads.args };
  }

  /**
   * W0109: a deny/approve rule applies fail-closed when its whole condition is
   * ⊥, but `false and ⊥` is false: warn where a builtin's failure can be masked.
   */
  private maskedFailures(r: A.RuleDecl, cond: A.Expr): void {
    const masked = maskedCalls(cond, (n) => this.lets.get(n));
    const first = masked[0];
    if (!first || first.site === undefined) return;
    const inside = first.span.file === cond.span.file && first.span.start >= cond.span.start && first.span.end <= cond.span.end;
    const guarded = guardedCondition(cond, masked, (n) => this.lets.get(n));
    const what = r.effect === "deny" ? "deny input pol cannot parse" : "send input pol cannot parse to a human";
    this.sink.report("W0109", inside ? first.span : cond.span, `this \`${r.effect}\` rule does not apply when ${this.sites[first.site]!.failure} and the rest of its condition is false`, {
      help: `to ${what}, write the condition as \`${guarded}\``,
    });
  }

  private limit(l: A.LimitDecl, index: number): CheckedLimit {
    const tools = this.checkTargets(l.targets);
    const scope = this.scope(tools, this.whyNoArgs(l.targets));
    if (!Number.isFinite(l.max) || l.max < 0) this.sink.report("E0305", l.maxSpan, "a limit must be a finite number of at least 0");
    if (l.measure.kind === "calls" && !Number.isInteger(l.max)) this.sink.report("E0305", l.maxSpan, "a call limit must be a whole number");
    if (l.measure.kind === "sum") this.exprs.expect(l.measure.expr, NUMBER, scope, "the summed expression");
    for (const k of l.keys) {
      if (k.kind !== "path") continue;
      const t = this.exprs.check(k.path, scope);
      // The host computes bucket keys from the call itself, so a key must name an input, not a let.
      if (k.path.ref && k.path.ref.kind !== "input") this.sink.report("E0305", k.span, `a limit key must be an input path such as \`args.customer\`, found \`${k.path.root}\``);
      else if (t.kind === "list" || t.kind === "record") this.sink.report("E0305", k.span, `a limit key must be a number, string or bool, found ${showType(t)}`);
    }
    if (scope.reads.args && l.targets.some((t) => t.glob)) {
      this.sink.report("W0108", l.span, "this limit reads `args`, but its pattern also covers tools with no declared schema; calls to those are denied", { help: "name the tools explicitly" });
    }
    return { decl: l, index, tools, readsArgs: scope.reads.args };
  }

  /**
   * `redact` paths: argument fields some declared tool has (`*` for every element of a list or
   * field of a record), so a misspelt path is an error instead of a secret written in clear.
   * Only the common secret names (DEFAULT_REDACT) may be named without a tool declaring them:
   * they are redacted anyway, and naming them is a harmless statement of intent.
   */
  private redact(r: A.RedactDecl): string[] {
    const out: string[] = [];
    for (const p of r.paths) {
      if (p.root !== "args" || p.segments.length === 0) {
        this.sink.report("E0306", p.span, "`redact` names argument fields such as `args.card_number`");
        continue;
      }
      const names = p.segments.map((s) => s.name);
      const text = ["args", ...names].join(".");
      const problem = this.redactProblem(names);
      const lastName = names[names.length - 1]!;
      if (problem === undefined || (problem.kind === "absent" && (DEFAULT_REDACT as readonly string[]).includes(lastName.toLowerCase()))) out.push(text);
      else if (problem.kind === "list") this.sink.report("E0306", p.span, `\`${problem.path}\` is a list: redact its elements' fields as \`${problem.path}.*${text.slice(problem.path.length)}\``);
      else {
        const suggestion = didYouMean(text, this.argPaths());
        this.sink.report("E0306", p.span, `no declared tool has an argument \`${text}\``, suggestion.help ? suggestion : { help: "declare the field in a tool's schema, or remove the path" });
      }
    }
    return out;
  }

  /** Why `args.<names>` is not a field of any declared tool (undefined when one has it). */
  private redactProblem(names: string[]): { kind: "absent" } | { kind: "list"; path: string } | undefined {
    let list: { kind: "list"; path: string } | undefined;
    for (const t of this.tools.values()) {
      const r = resolveRedact({ kind: "record", fields: t.args }, names, ["args"]);
      if (r === true) return undefined;
      if (r !== false) list ??= { kind: "list", path: r.list };
    }
    return list ?? { kind: "absent" };
  }

  /** Every `args.…` path the declared tools have, for did-you-mean. */
  private argPaths(): string[] {
    const out = new Set<string>();
    const walk = (prefix: string, t: Type): void => {
      if (t.kind === "record") for (const f of t.fields) { out.add(`${prefix}.${f.name}`); walk(`${prefix}.${f.name}`, f.type); }
      else if (t.kind === "list") walk(`${prefix}.*`, t.elem);
    };
    for (const t of this.tools.values()) walk("args", { kind: "record", fields: t.args });
    return [...out];
  }
}

/**
 * Whether `names` reach a field from type `t`: true, false, or the list a name was applied to
 * (`args.items.card` where `args.items` is a list must be written `args.items.*.card`).
 */
function resolveRedact(t: Type, names: string[], prefix: string[]): true | false | { list: string } {
  if (names.length === 0) return true;
  const [n, ...rest] = names as [string, ...string[]];
  if (t.kind === "list") return n === "*" ? resolveRedact(t.elem, rest, [...prefix, "*"]) : { list: prefix.join(".") };
  if (t.kind !== "record") return false;
  let found: true | false | { list: string } = false;
  for (const f of t.fields) {
    if (n !== "*" && f.name !== n) continue;
    const r = resolveRedact(f.type, rest, [...prefix, f.name]);
    if (r === true) return true;
    if (r !== false) found = r;
  }
  return found;
}

/** Type-checks a parsed policy (with its parsed imports). Never throws. */
export function check(main: A.Policy, sink: Sink, imports: A.Policy[] = []): CheckedPolicy {
  return new Checker(sink).run(main, imports);
}

