// Step three of the front end: the type checker. Fed the parsed main policy
// and its imports; reports into a Sink and returns the annotated tree with the
// tables the interpreter and compiler need (checked.ts).

import type * as A from "./ast.js";
import { guardedCondition, maskedCalls } from "./check-bottom.js";
import { ExprChecker, facts, type Scope } from "./check-expr.js";
import { DEFAULT_REDACT, DEFAULT_STATE_MAX, STATE_MAX_LIMIT, type CheckedLimit, type CheckedPolicy, type CheckedRule, type CheckedState, type CheckedTool, type CheckedUpdate, type HistoryQuery, type Site } from "./checked.js";
import { printTargets } from "./format-expr.js";
import { lint } from "./lint.js";
import type { Sink } from "./diagnostics.js";
import { constValue } from "./fold.js";
import { assertNever, type Span } from "./span.js";
import { closest, didYouMean } from "./suggest.js";
import { targetMatches } from "./targets.js";
import { BOOL, ERROR, NUMBER, STRING, listOf, sameType, showType, type FieldType, type Type } from "./types.js";

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
      return { kind: "record", fields: toFields(t.fields, sink), ...(t.open ? { open: true } : {}) };
    case "enum":
      return { kind: "string", values: [...new Set(t.values)] };
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
  private readonly queries: HistoryQuery[] = [];
  private readonly state: CheckedState[] = [];
  private readonly stateFields: FieldType[] = [];
  private clock = false;
  private readonly exprs: ExprChecker;

  constructor(private readonly sink: Sink) {
    this.exprs = new ExprChecker({
      sink,
      ctx: this.context,
      isLet: (n) => this.lets.has(n),
      letDecl: (n) => this.lets.get(n),
      letType: (n, use) => this.letType(n, use),
      sites: this.sites,
      state: this.stateFields,
      query: (e) => this.query(e.targets),
      readsClock: () => void (this.clock = true),
    });
  }

  /**
   * The history query for `targets` (one per distinct printed target list). An entry is
   * `{ tool, args }`; `args` has the fields the covered declared tools share, all optional when
   * the targets may also match a tool without a schema (a pattern, `class(destructive)`, an
   * undeclared name), whose entries carry no checked arguments.
   */
  private query(targets: A.Target[]): { index: number; entry: Type } {
    const key = printTargets(targets);
    let index = this.queries.findIndex((q) => q.key === key);
    if (index < 0) {
      const tools = this.checkTargets(targets);
      const open = targets.some((t) => t.glob || t.cls === "destructive" || (!t.cls && !this.tools.has(t.text)));
      const shared = this.scope(tools, "").args ?? [];
      index = this.queries.push({ key, targets, args: open ? shared.map((f) => ({ ...f, optional: true })) : shared }) - 1;
    }
    const q = this.queries[index]!;
    return { index, entry: { kind: "record", fields: [{ name: "tool", type: STRING, optional: false }, { name: "args", type: { kind: "record", fields: q.args }, optional: false }] } };
  }

  run(main: A.Policy, imports: A.Policy[]): CheckedPolicy {
    for (const p of [...imports, main]) this.declare(p, p !== main);
    for (const item of main.items) if (item.kind === "state") this.declareState(item);
    const rules: CheckedRule[] = [];
    const limits: CheckedLimit[] = [];
    const updates: CheckedUpdate[] = [];
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
        case "update": updates.push(this.update(item, updates.length)); break;
        case "import": case "tool": case "context": case "state": break;
        default: assertNever(item, "statement");
      }
    }
    // A partial (`_name.pol`) exists to be imported: its lets are used by the files importing it.
    const partial = /(^|[\\/])_[^\\/]*\.pol$/.test(main.file);
    for (const [name, decl] of this.lets) {
      if (!partial && !this.letUses.get(name) && decl.span.file === main.file) this.sink.report("W0102", decl.nameSpan, `\`${name}\` is never used`, { help: "remove it, or use it in a rule" });
    }
    const checked: CheckedPolicy = {
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
      queries: this.queries,
      state: this.state,
      updates,
      readsClock: this.clock,
    };
    for (const r of rules) r.queries = queriesOf(r.decl.condition, (n) => this.lets.get(n));
    if (!partial) lint(checked, this.sink);
    return checked;
  }

  /** `state NAME: TYPE [max N]`: a number, or a list of numbers, strings or bools. */
  private declareState(d: A.StateDecl): void {
    const type = toType(d.type, this.sink);
    if (this.state.some((x) => x.name === d.name)) return void this.sink.report("E0310", d.nameSpan, `run state \`${d.name}\` is declared twice`);
    const scalar = (t: Type) => t.kind === "number" || t.kind === "string" || t.kind === "bool";
    if (type.kind !== "number" && !(type.kind === "list" && scalar(type.elem))) {
      return void this.sink.report("E0310", d.type.span, `run state is a number or a list of numbers, strings or bools, found ${showType(type)}`, { help: "a list holds each value once, in the order added; a number adds up what is added" });
    }
    if (d.max !== undefined && (type.kind !== "list" || !Number.isInteger(d.max) || d.max < 1 || d.max > STATE_MAX_LIMIT)) {
      return void this.sink.report("E0310", d.maxSpan!, type.kind !== "list" ? "`max` bounds a list; a number state holds one number" : `\`max\` must be a whole number from 1 to ${STATE_MAX_LIMIT}`);
    }
    this.state.push({ decl: d, name: d.name, type, max: d.max ?? DEFAULT_STATE_MAX });
    this.stateFields.push({ name: d.name, type, optional: false });
  }

  /** `on TARGETS add EXPR to NAME [if COND]`: the value must fit the state (an item of a list, or a number). */
  private update(u: A.UpdateDecl, index: number): CheckedUpdate {
    const tools = this.checkTargets(u.targets);
    const scope = this.scope(tools, this.whyNoArgs(u.targets));
    const state = this.state.findIndex((x) => x.name === u.state);
    // The value is computed only when the condition holds, so what the condition proves present may be read.
    if (u.condition) this.exprs.expect(u.condition, BOOL, scope, "the condition of `on`");
    const proved = u.condition ? facts(u.condition, true) : new Set<string>();
    const t = this.exprs.check(u.value, { ...scope, guarded: new Set([...scope.guarded, ...proved]) });
    if (state < 0) {
      const near = closest(u.state, this.state.map((x) => x.name));
      this.sink.report("E0311", u.stateSpan, `no run state \`${u.state}\` is declared`, { help: near ? `did you mean \`${near}\`?` : `declare it: \`state ${u.state}: list<string>\`` });
    } else {
      const st = this.state[state]!.type;
      const want = st.kind === "list" ? st.elem : NUMBER;
      if (!sameType(t, want)) this.sink.report("E0311", u.value.span, `\`${u.state}\` holds ${st.kind === "list" ? `values of type ${showType(want)}` : "a number"}, so the value added must be ${showType(want)}, found ${showType(t)}`);
    }
    return { decl: u, index, tools, readsArgs: scope.reads.args, state };
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
      } else if (imported && (item.kind === "rule" || item.kind === "limit" || item.kind === "default" || item.kind === "state" || item.kind === "update")) {
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
      if (!t.glob && !t.cls && !this.tools.has(t.text) && this.tools.size > 0) {
        const near = closest(t.text, this.tools.keys());
        this.sink.report("W0101", t.span, `no tool \`${t.text}\` is declared`, { help: near ? `did you mean \`${near}\`?` : "declare it with `tool NAME { ... }` so its arguments are checked" });
      }
    }
    for (const [name, tool] of this.tools) if (targets.some((t) => targetMatches(t, name, tool.toolClass))) covered.push(name);
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
    return { decl: r, index, tools, readsArgs: scope.reads.args, queries: [] };
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
    if (l.condition) this.exprs.expect(l.condition, BOOL, scope, "the condition of a limit");
    for (const k of l.keys) {
      if (k.kind !== "path") continue;
      const t = this.exprs.check(k.path, scope);
      // The host computes bucket keys from the call itself, so a key must name an input, not a let.
      if ((k.path.ref && k.path.ref.kind !== "input") || k.path.segments.some((x) => x.index)) this.sink.report("E0305", k.span, `a limit key must be an input path such as \`args.customer\`, found \`${k.path.root}\``);
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

/** The history queries `e` reads, through lets, ascending. */
export function queriesOf(e: A.Expr | undefined, letDecl: (name: string) => A.LetDecl | undefined): number[] {
  const out = new Set<number>();
  const seenLets = new Set<string>();
  const walk = (x: A.Expr): void => {
    switch (x.kind) {
      case "history": if (x.query !== undefined) out.add(x.query); break;
      case "list": x.items.forEach(walk); break;
      case "record": x.fields.forEach((f) => walk(f.value)); break;
      case "map": x.entries.forEach((m) => walk(m.value)); break;
      case "path": {
        x.segments.forEach((sg) => sg.index && walk(sg.index));
        const d = x.ref?.kind === "let" && !seenLets.has(x.root) ? letDecl(x.root) : undefined;
        if (d) { seenLets.add(x.root); walk(d.value); }
        break;
      }
      case "unary": walk(x.operand); break;
      case "binary": walk(x.left); walk(x.right); break;
      case "matches": case "regex": walk(x.subject); break;
      case "has": walk(x.path); break;
      case "quant": walk(x.list); walk(x.body); break;
      case "call": x.args.forEach(walk); break;
    }
  };
  if (e) walk(e);
  return [...out].sort((a, b) => a - b);
}

/** Type-checks a parsed policy (with its parsed imports). Never throws. */
export function check(main: A.Policy, sink: Sink, imports: A.Policy[] = []): CheckedPolicy {
  return new Checker(sink).run(main, imports);
}

