// fast-check arbitrary of random well-typed pol policies, as source text plus
// the schemas and names the call generator needs (calls.ts). Tools, context,
// lets, rules of every effect and target shape, limits, defaults, redactions;
// expressions come from expr.ts. Consumed by test/differential.test.ts and test/soak.ts.

import fc from "fast-check";
import { MIN_INDEXED } from "../../compiler/index-rules.js";
import type { Target } from "../../language/ast.js";
import { targetMatches } from "../../language/targets.js";
import { ExprGen, flatten, numLit, strLit, type Entry, type HistoryInfo, type LetInfo, type MapInfo, type Scope } from "./expr.js";
import { BOOL, NUM, STR, f, list, polString, rec, showField, showTarget, showTy, tyEq, type Field, type TargetSpec, type ToolSpec, type Ty } from "../../policytest/gen/types.js";

export interface PolicySpec {
  /** One statement per line; `source` is them joined (rule ids are `gen.pol:LINE`). */
  lines: string[];
  source: string;
  tools: ToolSpec[];
  context: Field[];
  /** What the policy reads of the run: the call generator then adds `history`, `state` and `time`. */
  run: NonNullable<import("../../policytest/gen/calls.js").CallSpec["run"]>;
  /** Every target pattern and name the policy mentions (the call generator derives tool names from them). */
  targets: TargetSpec[];
}

export const FILE = "gen.pol";

const ITEM = rec(f("sku", STR), f("qty", NUM), f("note", STR, true), f("tags", list(STR)));
const META = rec(f("source", STR), f("level", NUM, true), f("inner", rec(f("deep", STR, true), f("n", NUM)), true));
/** The same record type with its fields in another order (the checker treats them as one type). */
const META_R = rec(f("inner", rec(f("n", NUM), f("deep", STR, true)), true), f("source", STR), f("level", NUM, true));
/** Same field name, another record type: must get slots of its own. */
const META2 = rec(f("source", NUM), f("level", NUM, true), f("tags", list(STR)));
const ITEM2 = rec(f("sku", NUM), f("qty", NUM, true));
const ITEM_R = rec(f("tags", list(STR)), f("note", STR, true), f("sku", STR), f("qty", NUM));
/** Field declarations tools draw from; one name mostly keeps one type, so rules over several tools share fields. */
/** An enum, and an open record (other fields allowed). */
const PERM: Ty = { k: "string", values: ["r", "rw"] };
const KIND: Ty = { k: "string", values: ["a", "é😀", ""] };
const ATT: Ty = { k: "record", fields: [f("type", STR), f("file_id", STR, true)], open: true };
const FIELDS: Field[] = [
  f("permission", PERM), f("permission", PERM, true), f("kind", KIND), f("attachments", list(ATT), true), f("meta", { ...META, open: true } as Ty),
  f("amount", NUM), f("amount", NUM), f("amount", NUM, true), f("amount", STR),
  f("currency", STR), f("customer", STR), f("reason", STR, true), f("to", list(STR)), f("tags", list(STR), true),
  f("scores", list(NUM)), f("flags", list(BOOL)), f("items", list(ITEM)), f("items", list(ITEM_R)), f("items", list(ITEM2)), f("groups", list(list(STR))),
  f("meta", META), f("meta", META, true), f("meta", META_R), f("meta", META_R, true), f("meta", META2), f("ok", BOOL), f("ok", BOOL, true), f("url", STR), f("ip", STR), f("email", STR, true),
  f("limit", NUM), f("read", BOOL, true), f("body", STR), f("count", NUM, true), f("constructor", STR, true), f("rows", list(rec(f("id", NUM), f("cells", list(STR), true))), true),
];
const CONTEXT: Field[] = [
  f("region", STR), f("level", NUM, true), f("zones", list(STR)), f("vip", BOOL, true), f("quota", rec(f("daily", NUM), f("note", STR, true))), f("hosts", list(STR), true),
  f("accounts", list(rec(f("id", STR), f("limit", NUM, true)))),
];

const DECLARED: TargetSpec[] = [
  ...["stripe.refund", "email.send", "db.query", "db.delete", "files.read", "send_email"].map((text) => ({ text, quoted: false, glob: false })),
  ...["delete:user", "mcp:github/create_issue", "mcp:fs.read", "outil:é😀", "a?b", "ns:*"].map((text) => ({ text, quoted: true, glob: text.includes("*") })),
];
/** Exact names rules may target without declaring them. */
const UNDECLARED: TargetSpec[] = [
  ...["db.drop", "shell.exec", "stripe.charge", "x"].map((text) => ({ text, quoted: false, glob: false })),
  ...["delete:repo", "mcp:slack/post", "a\\b", "😀"].map((text) => ({ text, quoted: true, glob: false })),
];
/** `class(read)`, ...: every tool of that class (a tool without a schema counts as destructive). */
const CLASSES: TargetSpec[] = (["read", "write", "destructive"] as const).map((cls) => ({ text: `class(${cls})`, quoted: false, glob: false, cls }));
const GLOBS: TargetSpec[] = [
  ...["db.*", "*", "files.*", "*.read", "stripe.*", "*.*", "mcp.*"].map((text) => ({ text, quoted: false, glob: true })),
  ...["mcp:*", "delete:*", "*", "*:*", "db.*", "*refund", "mcp:*/create_*", "a\\*", "?x*", "*é*", "a?*"].map((text) => ({ text, quoted: true, glob: true })),
];

const asTarget = (t: TargetSpec): Target => ({ ...t, span: { file: FILE, start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } });
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const opt = <T>(a: fc.Arbitrary<T>, present = 1, absent = 1) => fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: a });

const fieldsArb = (pool: Field[], max: number, min = 0) => fc.uniqueArray(pick(pool), { minLength: min, maxLength: max, selector: (x) => x.name });

const toolsArb: fc.Arbitrary<ToolSpec[]> = fc
  .uniqueArray(pick(DECLARED), { minLength: 1, maxLength: 4, selector: (t) => t.text })
  .chain((names) => fc.tuple(...names.map(() => fc.oneof({ weight: 1, arbitrary: fieldsArb(FIELDS, 2) }, { weight: 6, arbitrary: fieldsArb(FIELDS, 7, 2) }))).map((fss) => names.map((n, i) => ({ name: n.text, quoted: n.quoted, fields: fss[i]! }))));

const BASE_ENTRIES: Entry[] = [
  { path: "tool", type: STR, needs: [] },
  { path: "env", type: STR, needs: [] },
  { path: "agent.id", type: STR, needs: [] },
  { path: "agent.roles", type: list(STR), needs: [] },
  { path: "agent.trust", type: NUM, needs: [] },
  { path: "run.id", type: STR, needs: [] },
  { path: "run.calls", type: NUM, needs: [] },
];

/** The `args` fields a rule over `covered` may read: declared by all of them with one type (optional if in any). */
export function sharedArgs(covered: ToolSpec[]): Field[] {
  if (covered.length === 0) return [];
  return covered[0]!.fields.flatMap((x) => {
    const others = covered.map((t) => t.fields.find((g) => g.name === x.name));
    return others.every((g) => g && tyEq(g.type, x.type)) ? [{ ...x, optional: others.some((g) => g!.optional) }] : [];
  });
}

interface Env { tools: ToolSpec[]; context: Field[]; lets: LetInfo[]; history: HistoryInfo[]; maps: MapInfo[]; state: StateInfo[] }

/** A `state` declaration: a number, or a list of scalars of at most `max`. */
interface StateInfo { name: string; type: Ty; max: number }

/** The fields of `agent` and `run` as records, for lets that name them (`let me = agent`, read as `me.trust`). */
const AGENT_FIELDS = [f("id", STR), f("roles", list(STR)), f("trust", NUM)];
const RUN_FIELDS = [f("id", STR), f("calls", NUM)];

function scopeFor(env: Env, covered: ToolSpec[]): Scope {
  // A let naming a record is read through its required fields only: `has` cannot test a let.
  const letFields = env.lets.flatMap((l) => (l.type.k === "record" ? flatten(l.name, l.type.fields).filter((e) => e.needs.length === 0) : []));
  const state = env.state.map((x): Entry => ({ path: `state.${x.name}`, type: x.type, needs: [] }));
  const entries = [...BASE_ENTRIES, ...flatten("ctx", env.context), ...flatten("args", sharedArgs(covered)), ...letFields, ...state];
  return { entries, guarded: new Set(), lets: env.lets, nextVar: 0, history: env.history, maps: env.maps };
}

const G = new ExprGen();

/** Targets: mostly the policy's own tools, some names it does not declare, and patterns. */
const targetsArb = (env: { tools: ToolSpec[] }) => {
  const own = env.tools.map((t): TargetSpec => ({ text: t.name, quoted: t.quoted, glob: t.name.includes("*") }));
  const one = fc.oneof({ weight: 8, arbitrary: pick(own) }, { weight: 1, arbitrary: pick(DECLARED) }, { weight: 1, arbitrary: pick(UNDECLARED) }, { weight: 3, arbitrary: pick(GLOBS) }, { weight: 1, arbitrary: pick(CLASSES) });
  return fc.uniqueArray(one, { minLength: 1, maxLength: 3, selector: (t) => `${t.quoted}${t.text}` });
};
const covers = (env: Env, ts: TargetSpec[]) => env.tools.filter((t) => ts.some((x) => targetMatches(asTarget(x), t.name, t.fields.length % 2 ? "read" : "write")));

interface Stmt { text: string; targets: TargetSpec[]; label?: boolean }

/** Lets, each possibly reading earlier ones: constants, lists (also of lists), aliases of input lists, input-reading expressions. */
/** A map let: number or string keys, values records of a number and a string (`{ 1: { a: 2, b: "x" } }`). */
function mapLet(name: string): fc.Arbitrary<{ map: MapInfo; line: string }> {
  const value = fc.tuple(numLit, strLit).map(([a, b]) => `{ a: ${a}, b: ${b} }`);
  const keys = fc.oneof(fc.uniqueArray(fc.integer({ min: -3, max: 5 }), { minLength: 1, maxLength: 4 }).map((ks) => ks.map((k) => String(k))), fc.uniqueArray(pick(["a", "usd", "é😀", ""]), { minLength: 1, maxLength: 3 }).map((ks) => ks.map((k) => polString(k))));
  return keys.chain((ks) => fc.tuple(...ks.map(() => value)).map((vs) => ({
    map: { name, keys: ks, value: [f("a", NUM), f("b", STR)] },
    line: `let ${name} = { ${ks.map((k, i) => `${k}: ${vs[i]}`).join(", ")} }`,
  })));
}

function letsArb(env: Omit<Env, "lets" | "maps">): fc.Arbitrary<{ lets: LetInfo[]; lines: string[]; maps: MapInfo[] }> {
  const one = (prev: LetInfo[], i: number): fc.Arbitrary<{ info: LetInfo; line: string }> => {
    const s = scopeFor({ ...env, lets: prev, maps: [] }, []);
    const name = `k${i}`;
    const inputLists = G.readable(s, (t) => t.k === "list" && tyEq(t, list(STR)));
    const records = [
      { path: "agent", type: rec(...AGENT_FIELDS) },
      { path: "run", type: rec(...RUN_FIELDS) },
      ...(env.context.length ? [{ path: "ctx", type: rec(...env.context) }] : []),
      ...s.entries.filter((e) => e.type.k === "record" && e.needs.length === 0).map((e) => ({ path: e.path, type: e.type })),
    ];
    const forms: fc.Arbitrary<[Ty, string]>[] = [
      numLit.map((x): [Ty, string] => [NUM, x]),
      strLit.map((x): [Ty, string] => [STR, x]),
      G.bool(s, 2).map((x): [Ty, string] => [BOOL, x]),
      G.num(s, 1).map((x): [Ty, string] => [NUM, x]),
      G.str(s, 1).map((x): [Ty, string] => [STR, x]),
      G.listLit("string", s, 1, 1).map((x): [Ty, string] => [list(STR), x]),
      G.listLit("number", s, 1, 1).map((x): [Ty, string] => [list(NUM), x]),
      G.listLit("bool", s, 0, 1).map((x): [Ty, string] => [list(BOOL), x]),
      fc.array(G.listLit("string", s, 0, 1), { minLength: 1, maxLength: 3 }).map((xs): [Ty, string] => [list(list(STR)), `[${xs.join(", ")}]`]),
      ...(inputLists.length ? [pick(inputLists).map((x): [Ty, string] => [list(STR), x])] : []),
      pick(records).map((r): [Ty, string] => [r.type, r.path]),
      // A record written in the let, read by field (`k2.a`).
      fc.tuple(G.num(s, 1), G.str(s, 1)).map(([a, b]): [Ty, string] => [rec(f("a", NUM), f("b", STR)), `{ a: ${a}, b: ${b} }`]),
    ];
    return fc.oneof(...forms).map(([type, text]) => ({ info: { name, type }, line: `let ${name} = ${text}` }));
  };
  return fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1 })).chain(([n, m]) => {
    let acc: fc.Arbitrary<{ lets: LetInfo[]; lines: string[]; maps: MapInfo[] }> = fc.constant({ lets: [], lines: [], maps: [] });
    for (let i = 0; i < n; i++) acc = acc.chain((a) => one(a.lets, i).map((x) => ({ ...a, lets: [...a.lets, x.info], lines: [...a.lines, x.line] })));
    for (let j = 0; j < m; j++) acc = acc.chain((a) => mapLet(`m${j}`).map((x) => ({ ...a, maps: [...a.maps, x.map], lines: [...a.lines, x.line] })));
    return acc;
  });
}

const because = fc.oneof(strLit, pick(['"refunds over $300 are never automatic"', '"needs \\"ops\\" sign-off\\n"', '"é😀 \\u{1F600}"']));

function ruleArb(env: Env): fc.Arbitrary<Stmt> {
  return fc.tuple(pick(["allow", "allow", "deny", "approve"] as const), targetsArb(env)).chain(([effect, targets]) => {
    const s = scopeFor(env, covers(env, targets));
    const by = effect === "approve" ? opt(fc.uniqueArray(pick(['"finance"', '"ops"', '"sécu 😀"']), { minLength: 1, maxLength: 2 })) : fc.constant(undefined);
    const cond = opt(fc.integer({ min: 1, max: 3 }).chain((d) => G.bool(s, d)), 6);
    return fc.tuple(by, cond, opt(because)).map(([groups, c, why]) => ({
      text: [effect, targets.map(showTarget).join(", "), groups ? `by ${groups.join(", ")}` : "", c ? `if ${c}` : "", why ? `because ${why}` : ""].filter(Boolean).join(" "),
      targets,
      label: true,
    }));
  });
}

/** Constants keyed rules share, so several rules fall in one index bucket; random literals are mixed in. */
const KEY_STRINGS = ['"k1"', '"k2"', '"k3"', '"production"', '""', '"é😀"'];
const KEY_NUMBERS = ["0", "-0", "1", "2.5", "300", "1e3"];

/**
 * A block of rules over one target list, each with a conjunct testing one input path against
 * constants (`x == c`, `c == x`, `x in [c, ...]`): enough of them (compiler/index-rules.ts
 * MIN_INDEXED) that the compiler dispatches on the path's value instead of evaluating each rule.
 */
function keyedArb(env: Env): fc.Arbitrary<Stmt[]> {
  return targetsArb(env).chain((targets) => {
    const s = scopeFor(env, covers(env, targets));
    const keys = s.entries.filter((e) => e.needs.length === 0 && (e.type.k === "string" || e.type.k === "number"));
    return fc.tuple(pick(keys), fc.integer({ min: MIN_INDEXED, max: MIN_INDEXED + 6 })).chain(([key, n]) => {
      // An enum is keyed by its own values (the checker refuses others, E0222).
      const members = key.type.k === "string" ? key.type.values : undefined;
      const lit = members ? pick(members.map((v) => polString(v))) : key.type.k === "string" ? fc.oneof(pick(KEY_STRINGS), strLit) : fc.oneof(pick(KEY_NUMBERS), numLit);
      const test = fc.oneof(
        lit.map((c) => `${key.path} == ${c}`),
        lit.map((c) => `${c} == ${key.path}`),
        fc.array(lit, { minLength: 1, maxLength: 3 }).map((cs) => `${key.path} in [${cs.join(", ")}]`),
      );
      const one = fc.tuple(pick(["allow", "allow", "deny", "approve"] as const), test, opt(fc.integer({ min: 1, max: 2 }).chain((d) => G.bool(s, d)), 2))
        .map(([effect, k, c]): Stmt => ({ text: `${effect} ${targets.map(showTarget).join(", ")} if ${k}${c ? ` and (${c})` : ""}`, targets, label: true }));
      return fc.array(one, { minLength: n, maxLength: n });
    });
  });
}

/** `a` and `b` merged in a random order that keeps each one's own order (`first[i]`: take from `a` next). */
function interleave<T>(a: T[], b: T[], first: boolean[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  for (let k = 0; i < a.length || j < b.length; k++) out.push((first[k % first.length] && i < a.length) || j >= b.length ? a[i++]! : b[j++]!);
  return out;
}

const WINDOWS = ["second", "minute", "hour", "day", "10 minutes", "2 hours", "1 day", "30 seconds"];

function limitArb(env: Env): fc.Arbitrary<Stmt> {
  return targetsArb(env).chain((targets) => {
    const s = scopeFor(env, covers(env, targets));
    const inputRoot = (p: string) => ["tool", "env", "agent", "run", "ctx", "args"].includes(p.split(".")[0]!);
    const keyPaths = s.entries.filter((e) => e.needs.length === 0 && inputRoot(e.path) && (e.type.k === "number" || e.type.k === "string" || e.type.k === "bool")).map((e) => e.path);
    const keys = fc.uniqueArray(fc.oneof(pick(["agent", "run", "tool"]), pick(keyPaths)), { maxLength: 2 });
    const measure = fc.oneof(
      pick([0, 1, 5, 20, 1000]).map((n) => `${n} calls`),
      fc.tuple(G.num(s, 2), pick([0, 0.5, 100, 1000.5, 1e6])).map(([e, n]) => `sum (${e}) ${n}`),
      fc.tuple(G.fallibleNum(s), pick([0, 100])).map(([e, n]) => `sum (${e}) ${n}`),
    );
    const cond = opt(G.bool(s, 2), 1, 3);
    const escalate = opt(pick(["else approve", 'else approve by "ops"']), 1, 3);
    return fc.tuple(measure, pick(WINDOWS), keys, cond, escalate).map(([m, win, ks, c, e]) => ({
      text: `limit ${targets.map(showTarget).join(", ")} ${m} per ${win}${ks.map((k) => ` per ${k}`).join("")}${c ? ` if ${c}` : ""}${e ? ` ${e}` : ""}`,
      targets,
      label: true,
    }));
  });
}

/** `on TARGETS add VALUE to STATE [if COND]`, the value typed by the state. */
function updateArb(env: Env): fc.Arbitrary<Stmt> {
  return fc.tuple(targetsArb(env), pick(env.state)).chain(([targets, st]) => {
    const s = scopeFor(env, covers(env, targets));
    const elem = st.type.k === "list" ? st.type.elem : NUM;
    const value = G.scalar(elem.k as "number" | "string" | "bool", s, 1);
    return fc.tuple(value, opt(G.bool(s, 1), 1, 2)).map(([v, c]) => ({ text: `on ${targets.map(showTarget).join(", ")} add ${v} to ${st.name}${c ? ` if ${c}` : ""}`, targets }));
  });
}

/** Run state: a number, or a small list of scalars. */
const stateArb: fc.Arbitrary<StateInfo[]> = fc.uniqueArray(
  fc.oneof(
    fc.constant({ name: "spent", type: NUM, max: 100 }),
    fc.tuple(pick(["invited", "seen_hosts"]), pick([STR, NUM, BOOL] as Ty[]), fc.integer({ min: 1, max: 3 })).map(([name, elem, max]) => ({ name, type: list(elem), max })),
  ),
  { maxLength: 2, selector: (x) => x.name },
);

/** History queries: target lists whose earlier calls rules read, with the entry type the checker gives them. */
function historyArb(env: { tools: ToolSpec[] }): fc.Arbitrary<HistoryInfo[]> {
  return fc.array(targetsArb(env), { maxLength: 2 }).map((tss) => tss.map((ts) => {
    const declared = new Set(env.tools.map((t) => t.name));
    const open = ts.some((t) => t.glob || t.cls === "destructive" || (!t.cls && !declared.has(t.text)));
    const args = sharedArgs(covers({ ...env } as Env, ts)).map((x) => (open ? { ...x, optional: true } : x));
    return { targets: ts.map(showTarget).join(", "), elem: rec(f("tool", STR), f("args", rec(...args))) };
  }));
}

const EFFECTS = ["allow", "deny", "approve"] as const;
const defaultForArb = (env: Env): fc.Arbitrary<Stmt> => fc.tuple(pick(EFFECTS), targetsArb(env)).map(([e, ts]) => ({ text: `default ${e} for ${ts.map(showTarget).join(", ")}`, targets: ts }));

/** Labels for some rules and limits: plain names and soft keywords. */
const LABELS = ["small_refund", "read", "sum", "calls", "per", "write", "big_one", "tool", "limit"];

/** Paths `redact` accepts for these tools: their fields (`*` into lists), and a default secret name no tool declares. */
function redactable(tools: ToolSpec[]): string[] {
  const out = new Set(["args.card_number"]);
  const walk = (prefix: string, t: Ty): void => {
    if (t.k === "record") for (const f of t.fields) { out.add(`${prefix}.${f.name}`); walk(`${prefix}.${f.name}`, f.type); }
    else if (t.k === "list") walk(`${prefix}.*`, t.elem);
  };
  for (const tool of tools) for (const f of tool.fields) { out.add(`args.${f.name}`); walk(`args.${f.name}`, f.type); }
  return [...out];
}

export const policyArb: fc.Arbitrary<PolicySpec> = fc.tuple(toolsArb, fieldsArb(CONTEXT, 3)).chain(([tools, context]) =>
  fc.tuple(historyArb({ tools }), stateArb).chain(([history, state]) => letsArb({ tools, context, history, state }).chain(({ lets, lines: letLines, maps }) => {
    const env: Env = { tools, context, lets, history, maps, state };
    return fc
      .tuple(
        opt(fc.tuple(pick(["gen", "p2", "refunds"]), opt(strLit)).map(([n, d]) => `policy ${n}${d ? ` ${d}` : ""}`)),
        fc.tuple(fc.array(ruleArb(env), { minLength: 1, maxLength: 8 }), opt(keyedArb(env), 1, 2), fc.array(fc.boolean(), { minLength: 22, maxLength: 22 })).map(([rs, keyed, first]) => interleave(rs, keyed ?? [], first)),
        fc.array(limitArb(env), { maxLength: 2 }),
        opt(pick(EFFECTS).map((e) => `default ${e}`)),
        fc.array(defaultForArb(env), { maxLength: 2 }),
        opt(fc.uniqueArray(pick(redactable(tools)), { minLength: 1, maxLength: 2 }).map((ps) => `redact ${ps.join(", ")}`), 1, 2),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        fc.boolean(),
        state.length ? fc.array(updateArb(env), { maxLength: 2 }) : fc.constant([]),
      )
      .map(([header, rules, limits, dflt, defaultsFor, redact, labelled, letsLast, updates]) => {
        const free = [...LABELS];
        const labelledStmts = [...rules, ...limits].map((st, i) => (labelled[i] && free.length ? `${free.shift()}: ${st.text}` : st.text));
        const toolLines = tools.map((t) => `tool ${t.quoted ? polString(t.name) : t.name} { ${t.fields.map(showField).join(", ")} }${t.fields.length % 2 ? " read" : ""}`);
        const ctxLines = context.length ? [`context { ${context.map(showField).join(", ")} }`] : [];
        const stateLines = state.map((x) => `state ${x.name}: ${showTy(x.type)}${x.type.k === "list" ? ` max ${x.max}` : ""}`);
        const body = [...labelledStmts, ...(dflt ? [dflt] : []), ...defaultsFor.map((d) => d.text), ...(redact ? [redact] : []), ...updates.map((u) => u.text)];
        const lines = [...(header ? [header] : []), ...toolLines, ...ctxLines, ...stateLines, ...(letsLast ? [...body, ...letLines] : [...letLines, ...body])];
        const targets = [...rules, ...limits, ...defaultsFor, ...updates].flatMap((st) => st.targets);
        return { lines, source: lines.join("\n") + "\n", tools, context, targets, run: { history: history.length > 0, state, clock: true } };
      });
  })),
);

/** A spec with other statement lines (for shrinking): schemas unchanged. */
export function withLines(spec: PolicySpec, lines: string[]): PolicySpec {
  return { ...spec, lines, source: lines.join("\n") + "\n" };
}
