// What a decision needs to know about a policy besides its logic: rules,
// limits, defaults, redactions and schemas, as plain JSON-able data. Built
// from a checked policy (interpreter, compiler) or read back from a module's
// manifest (runtime), so both engines assemble decisions with the same code.

import type { Effect, LimitKey, ToolClass } from "./ast.js";
import type { Decision, LimitUse, RuleRef, StateUpdate } from "./call.js";
import { EFFECT_RANK, type CheckedPolicy, type Site } from "./checked.js";
import { NO_SPAN, type Span } from "./span.js";
import { anyTargetMatches, type TargetLike } from "./targets.js";
import type { FieldType, Type } from "./types.js";
import type { Input } from "./validate.js";

export type MetaTarget = TargetLike;

export interface RuleMeta {
  id: string;
  effect: Effect;
  targets: MetaTarget[];
  approvers: string[];
  because?: string;
  readsArgs: boolean;
  /** The history queries the condition reads (what an approver is shown from the run); absent when none. */
  queries?: number[];
  span: Span;
}

export type MetaLimitKey = { kind: "agent" | "run" | "tool" } | { kind: "path"; path: string[] };

export interface LimitMeta {
  id: string;
  kind: "calls" | "sum";
  max: number;
  windowSeconds: number;
  keys: MetaLimitKey[];
  targets: MetaTarget[];
  readsArgs: boolean;
  /** `if COND`: the engine says per call whether the limit applies. */
  conditional?: boolean;
  /** `else approve [by ...]`: over the limit, the call goes to these groups (empty: any approver). */
  escalate?: { approvers: string[] };
  span: Span;
}

/** A history query: the targets whose earlier calls `seen`/`count`/`calls` read. */
export interface QueryMeta { key: string; targets: MetaTarget[] }

/** Declared run state: a number, or a list (a set) of at most `max` scalars. */
export interface StateMeta { name: string; type: Type; max: number }

/** `on TARGETS add EXPR to STATE [if COND]`. */
export interface UpdateMeta { id: string; state: string; targets: MetaTarget[]; readsArgs: boolean; span: Span }

export interface DefaultMeta { effect: Effect; targets?: MetaTarget[]; span: Span }

export interface ToolMeta { name: string; args: FieldType[]; toolClass: ToolClass }

export interface PolicyMeta {
  name: string;
  description?: string;
  file: string;
  tools: Map<string, ToolMeta>;
  context: FieldType[];
  rules: RuleMeta[];
  limits: LimitMeta[];
  defaultRule: DefaultMeta;
  defaultsFor: DefaultMeta[];
  redact: string[];
  /** Calls of builtins that can fail, by site number: what a decision says when one does. */
  sites: Site[];
  queries: QueryMeta[];
  state: StateMeta[];
  updates: UpdateMeta[];
  /** Whether the policy reads the host's clock: calls must carry `time`. */
  readsClock: boolean;
}

const stripSpan = (t: TargetLike): MetaTarget => ({ text: t.text, quoted: t.quoted, glob: t.glob, ...(t.cls ? { cls: t.cls } : {}) });
const keyMeta = (k: LimitKey): MetaLimitKey => (k.kind === "path" ? { kind: "path", path: [k.path.root, ...k.path.segments.map((s) => s.name)] } : { kind: k.kind });

export function metaOf(p: CheckedPolicy): PolicyMeta {
  return {
    name: p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    file: p.file,
    tools: new Map([...p.tools].map(([n, t]) => [n, { name: n, args: t.args, toolClass: t.toolClass }])),
    context: p.context,
    rules: p.rules.map((r) => ({
      id: r.decl.id,
      effect: r.decl.effect,
      targets: r.decl.targets.map(stripSpan),
      approvers: r.decl.approvers,
      ...(r.decl.because !== undefined ? { because: r.decl.because } : {}),
      readsArgs: r.readsArgs,
      ...(r.queries.length > 0 ? { queries: r.queries } : {}),
      span: r.decl.span,
    })),
    limits: p.limits.map((l) => ({
      id: l.decl.id,
      kind: l.decl.measure.kind,
      max: l.decl.max,
      windowSeconds: l.decl.window.seconds,
      keys: l.decl.keys.map(keyMeta),
      targets: l.decl.targets.map(stripSpan),
      readsArgs: l.readsArgs,
      ...(l.decl.condition ? { conditional: true } : {}),
      ...(l.decl.escalate ? { escalate: { approvers: l.decl.escalate.approvers } } : {}),
      span: l.decl.span,
    })),
    defaultRule: { effect: p.defaultEffect, span: p.defaultDecl?.span ?? NO_SPAN },
    defaultsFor: p.defaultsFor.map((d) => ({ effect: d.effect, targets: d.targets!.map(stripSpan), span: d.span })),
    redact: p.redact,
    sites: p.sites,
    queries: p.queries.map((q) => ({ key: q.key, targets: q.targets.map(stripSpan) })),
    state: p.state.map((x) => ({ name: x.name, type: x.type, max: x.max })),
    updates: p.updates.map((u) => ({ id: u.decl.id, state: u.decl.state, targets: u.decl.targets.map(stripSpan), readsArgs: u.readsArgs, span: u.decl.span })),
    readsClock: p.readsClock,
  };
}

/** The declared class of `tool` (undefined without a declaration, which class targets read as destructive). */
export const classOf = (meta: Pick<PolicyMeta, "tools">, tool: string): ToolClass | undefined => meta.tools.get(tool)?.toolClass;

/** The fallback when no rule matches: the most restrictive `default ... for` covering the tool, else the policy default. */
export function defaultFor(meta: PolicyMeta, tool: string): RuleRef {
  let best: RuleRef | undefined;
  for (const d of meta.defaultsFor) {
    if (!anyTargetMatches(d.targets!, tool, classOf(meta, tool))) continue;
    if (!best || EFFECT_RANK[d.effect] > EFFECT_RANK[best.effect]) {
      best = { id: `default for ${d.targets!.map((t) => t.text).join(", ")}`, kind: "default", effect: d.effect, span: d.span };
    }
  }
  return best ?? { id: "default", kind: "default", effect: meta.defaultRule.effect, span: meta.defaultRule.span };
}

/** A rule reading `args` cannot be evaluated for a tool without a schema: it applies if it restricts (fail closed). */
export const isBlind = (r: { readsArgs: boolean }, input: { declared: boolean }) => r.readsArgs && !input.declared;

/** What assembling a decision needs to know about the call. */
export interface CallFacts {
  tool: string;
  declared: boolean;
  agentId: string;
  runId: string;
  /** The value at an input path such as ["args", "customer"] (only paths of limit keys are asked for). */
  get(path: string[]): unknown;
}

export function factsOfInput(input: Input): CallFacts {
  return {
    tool: input.tool,
    declared: input.declared,
    agentId: input.agent.id,
    runId: input.run.id,
    get(path) {
      let cur: unknown = { args: input.args, agent: input.agent, env: input.env, tool: input.tool, run: input.run, ctx: input.ctx };
      for (const f of path) cur = typeof cur === "object" && cur !== null && Object.prototype.hasOwnProperty.call(cur, f) ? (cur as Record<string, unknown>)[f] : undefined;
      return cur;
    },
  };
}

/**
 * A bucket key part with `%`, `|` and `=` percent-encoded, so parts cannot run into each other:
 * an agent id containing `|run=x` once shared another agent's bucket. Plain ids read as before.
 */
const keyPart = (s: string): string => (/[%|=]/.test(s) ? s.replace(/[%|=]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`) : s);

/**
 * The bucket key of limit `l` for a call: `id|agent=a|run=r|tool=t|args.x=v`, each part encoded by
 * keyPart. `mask` may replace the value of a path (the Engine hashes redacted fields with its key).
 */
export function limitKey(l: LimitMeta, c: CallFacts, mask?: (path: string, value: string) => string): string {
  let key = keyPart(l.id);
  for (const k of l.keys) {
    if (k.kind === "path") {
      const path = k.path.join(".");
      const value = String(c.get(k.path));
      key += `|${keyPart(path)}=${keyPart(mask ? mask(path, value) : value)}`;
    } else key += k.kind === "agent" ? `|agent=${keyPart(c.agentId)}` : k.kind === "run" ? `|run=${keyPart(c.runId)}` : `|tool=${keyPart(c.tool)}`;
  }
  return key;
}

export function denyWith(meta: PolicyMeta, decidedBy: "schema" | "error", reason: string): Decision {
  const d: Decision = { effect: "deny", decidedBy, rules: [], matched: [], reasons: [reason], approvers: [], limits: [], redact: meta.redact };
  if (meta.updates.length > 0) d.updates = [];
  return d;
}

/** Per tool name, what does not depend on the call's values: the limits covering it (or why one cannot measure it), and decisions by matched set. */
export interface ToolFacts {
  tool: string;
  declared: boolean;
  limits: number[];
  blindLimit?: string;
  /** Decisions by matched set: none matched, exactly rule i matched, and the rest by "i,j,...". */
  none?: Decision;
  single: (Decision | undefined)[];
  templates: Map<string, Decision>;
  /** Limit keys of the last call, reused while agent and run stay the same (keys with paths are never memoised). */
  memo?: { agentId: string; runId: string; keys: string[] };
  /** Indices of the `on` updates covering the tool; `blindUpdate` when one cannot read an undeclared tool's args. */
  updates: number[];
  blindUpdate?: string;
}

const MAX_CACHE = 10_000;

/**
 * Where an evaluation met the failure value ⊥ (a builtin that could not parse
 * its input): per matched entry k, `rule[k]` is 0 when the rule's condition
 * held and 1 + site when it was ⊥; `sum(i)` the same for sum limit i's amount.
 * Engines pass it only when some entry is non-zero.
 */
export interface Failures {
  rule: ArrayLike<number>;
  sum: (limit: number) => number;
}

/**
 * What an engine computed for the run-facing parts of a policy (only for policies that have
 * them): per conditional limit, 0 when it does not apply, 1 when it does, 2 + site when its
 * condition was ⊥ (it applies: a limit is the safe side); per update, 0 when it does not apply,
 * 1 with its value, 2 + site when its condition or value was ⊥ (the call is denied).
 */
export interface RunOutputs {
  limit?: (limit: number) => number;
  update?: (update: number) => number;
  value?: (update: number) => number | string | boolean;
}

/**
 * Builds decisions from what an engine computed: the indices of matched rules
 * (ascending) and, per limit index, the summed amount. Everything that depends
 * only on the tool and the matched set is computed once and shared: returned
 * decisions are frozen and must not be mutated.
 */
export class Assembler {
  private readonly tools = new Map<string, ToolFacts>();

  constructor(readonly meta: PolicyMeta) {}

  /** The per-tool facts (cached by name; a host may also keep the result next to its own per-tool state). */
  toolFacts(tool: string, declared: boolean): ToolFacts {
    let f = this.tools.get(tool);
    if (f) return f;
    f = { tool, declared, limits: [], single: [], templates: new Map(), updates: [] };
    const cls = classOf(this.meta, tool);
    for (const [i, l] of this.meta.limits.entries()) {
      if (!anyTargetMatches(l.targets, tool, cls)) continue;
      if (isBlind(l, { declared })) f.blindLimit ??= `limit \`${l.id}\` cannot measure \`${tool}\`, which has no declared schema`;
      f.limits.push(i);
    }
    for (const [i, u] of this.meta.updates.entries()) {
      if (!anyTargetMatches(u.targets, tool, cls)) continue;
      // An update reading the args of a tool without a schema is not computed: the call is denied instead.
      if (isBlind(u, { declared })) f.blindUpdate ??= `\`on\` at ${u.id} cannot read the arguments of \`${tool}\`, which has no declared schema, so run state \`${u.state}\` cannot be updated`;
      else f.updates.push(i);
    }
    if (this.tools.size >= MAX_CACHE) this.tools.clear();
    this.tools.set(tool, f);
    return f;
  }

  private template(tf: ToolFacts, matched: ArrayLike<number>, n: number): Decision {
    // The common shapes (no match, one match) skip building a key.
    if (n === 0) return (tf.none ??= Object.freeze(this.build(tf, [])));
    if (n === 1) return (tf.single[matched[0]!] ??= Object.freeze(this.build(tf, [matched[0]!])));
    let key = "";
    for (let i = 0; i < n; i++) key += `${matched[i]},`;
    let t = tf.templates.get(key);
    if (t) return t;
    t = Object.freeze(this.build(tf, Array.from({ length: n }, (_, i) => matched[i]!)));
    if (tf.templates.size >= MAX_CACHE) tf.templates.clear();
    tf.templates.set(key, t);
    return t;
  }

  /** `why[k]` (see Failures) is 1 + site when matched rule k applies because its condition failed. */
  private build(c: { tool: string; declared: boolean }, matched: number[], why?: number[]): Decision {
    const meta = this.meta;
    const frozen = <T>(xs: T[]) => Object.freeze(xs) as T[];
    if (matched.length === 0) {
      const d = defaultFor(meta, c.tool);
      const reason = `no rule matched \`${c.tool}\`; ${d.id === "default" ? `the policy default is ${d.effect}` : `\`${d.id}\` is ${d.effect}`}`;
      return { effect: d.effect, decidedBy: "default", rules: frozen([d]), matched: frozen([]), reasons: frozen([reason]), approvers: frozen([]), limits: frozen([]), redact: meta.redact };
    }
    const rules = matched.map((i) => meta.rules[i]!);
    const effect = rules.reduce<Effect>((e, r) => (EFFECT_RANK[r.effect] > EFFECT_RANK[e] ? r.effect : e), "allow");
    const deciding = rules.filter((r) => r.effect === effect);
    const reasons = rules.flatMap((r, k) => {
      if (r.effect !== effect) return [];
      const w = why?.[k] ?? 0;
      if (w > 0) return [`${meta.sites[w - 1]!.failure}, so rule \`${r.id}\` applies`];
      if (isBlind(r, c)) return [`rule \`${r.id}\` cannot check the arguments of \`${c.tool}\` (no declared schema), so it applies`];
      return [r.because ?? `${effect === "approve" ? "approval required" : effect === "deny" ? "denied" : "allowed"} by rule \`${r.id}\``];
    });
    return {
      effect,
      decidedBy: "rule",
      rules: frozen(deciding.map((r) => ({ id: r.id, kind: "rule", effect: r.effect, span: r.span }))),
      matched: frozen(rules.map((r) => r.id)),
      reasons: frozen(reasons),
      approvers: frozen(effect === "approve" ? [...new Set(deciding.flatMap((r) => r.approvers))] : []),
      limits: frozen([]),
      redact: meta.redact,
    };
  }

  decide(c: CallFacts, matched: ArrayLike<number>, amount: (limit: number) => number, failures?: Failures, run?: RunOutputs): Decision {
    return this.decideFor(this.toolFacts(c.tool, c.declared), () => c, matched, amount, matched.length, failures, run);
  }

  /** As decide(), for a host that keeps ToolFacts per tool; `facts` is only called when a limit needs a key. */
  decideFor(tf: ToolFacts, facts: () => CallFacts, matched: ArrayLike<number>, amount: (limit: number) => number, n = matched.length, failures?: Failures, run?: RunOutputs): Decision {
    if (tf.blindLimit) return denyWith(this.meta, "error", tf.blindLimit);
    const t = failures ? this.failed(tf, matched, n, failures) : this.template(tf, matched, n);
    if (t.decidedBy === "schema") return t;
    if (this.meta.updates.length > 0) return this.withUpdates(tf, facts, t, amount, run);
    if (tf.limits.length === 0) return t;
    const limits = this.limitUses(tf, facts, t, amount, run);
    if (!Array.isArray(limits)) return limits;
    // Field by field: spreading a frozen object takes V8's slow path (~140 ns against ~8 ns).
    return { effect: t.effect, decidedBy: t.decidedBy, rules: t.rules, matched: t.matched, reasons: t.reasons, approvers: t.approvers, limits, redact: t.redact };
  }

  /** The limits of a call (those whose condition holds), or the deny when an amount cannot be charged. */
  private limitUses(tf: ToolFacts, facts: () => CallFacts, t: Decision, amount: (limit: number) => number, run?: RunOutputs): LimitUse[] | Decision {
    if (tf.limits.length === 0) return [];
    const c = facts();
    const keys = this.keys(tf, c);
    const limits: LimitUse[] = [];
    for (let j = 0; j < tf.limits.length; j++) {
      const i = tf.limits[j]!;
      const l = this.meta.limits[i]!;
      if (l.conditional && run?.limit?.(i) === 0) continue;
      const a = l.kind === "calls" ? 1 : amount(i);
      // A sum limit charged a negative amount would give back what earlier calls used (a -$1,000
      // "refund" restoring the day's cap): the call does not fit the limit's meaning, so deny it.
      // (A call the policy denies anyway keeps the rule's own reason: nothing is charged for it.)
      if ((!(a >= 0) || a === Infinity) && t.effect !== "deny") return denyWith(this.meta, "schema", `limit \`${l.id}\` sums ${Number.isNaN(a) ? "NaN" : a} for this call: the amounts a sum limit adds up must be zero or more`);
      const use: LimitUse = { id: l.id, kind: l.kind, amount: a, max: l.max, windowSeconds: l.windowSeconds, key: keys[j]!, span: l.span };
      if (l.escalate) use.escalate = l.escalate.approvers;
      limits.push(use);
    }
    return limits;
  }

  /** A decision of a policy with `on` updates: its limits, and the values the call adds to run state (a ⊥ one denies). */
  private withUpdates(tf: ToolFacts, facts: () => CallFacts, t: Decision, amount: (limit: number) => number, run?: RunOutputs): Decision {
    if (tf.blindUpdate && t.effect !== "deny") return denyWith(this.meta, "error", tf.blindUpdate);
    const limits = this.limitUses(tf, facts, t, amount, run);
    if (!Array.isArray(limits)) return limits;
    const updates: StateUpdate[] = [];
    for (const i of tf.updates) {
      const w = run?.update?.(i) ?? 0;
      if (w === 0) continue;
      const u = this.meta.updates[i]!;
      if (w > 1) {
        if (t.effect === "deny") continue;
        return denyWith(this.meta, "schema", `${this.meta.sites[w - 2]!.failure}, so run state \`${u.state}\` cannot be updated (\`on\` at ${u.id})`);
      }
      const value = run!.value!(i);
      // Run state holds finite numbers (a NaN could never be found in a set, nor summed).
      if (typeof value === "number" && !Number.isFinite(value) && t.effect !== "deny") return denyWith(this.meta, "schema", `run state \`${u.state}\` would be given ${value} (\`on\` at ${u.id}): the numbers run state holds must be finite`);
      updates.push({ state: u.state, value });
    }
    return { effect: t.effect, decidedBy: t.decidedBy, rules: t.rules, matched: t.matched, reasons: t.reasons, approvers: t.approvers, limits, redact: t.redact, updates };
  }

  /**
   * The decision when some condition or sum was ⊥ (not cached: such calls
   * are rare). A ⊥ sum denies: the limit cannot be charged. A ⊥ deny or
   * approve applies, fail-closed; a ⊥ allow does not, and when no rule
   * decides, the reasons say which allow could not read its input.
   */
  private failed(tf: ToolFacts, matched: ArrayLike<number>, n: number, f: Failures): Decision {
    const meta = this.meta;
    for (const i of tf.limits) {
      const w = f.sum(i);
      if (w > 0) return denyWith(meta, "schema", `${meta.sites[w - 1]!.failure}, so limit \`${meta.limits[i]!.id}\` cannot measure the call`);
    }
    const kept: number[] = [];
    const why: number[] = [];
    const notes: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = matched[k]!;
      const w = f.rule[k]!;
      const r = meta.rules[i]!;
      if (w > 0 && r.effect === "allow") notes.push(`rule \`${r.id}\` does not allow the call: ${meta.sites[w - 1]!.failure}`);
      else {
        kept.push(i);
        why.push(w);
      }
    }
    const d = this.build(tf, kept, why);
    return d.decidedBy === "default" && notes.length > 0 ? { ...d, reasons: [...d.reasons, ...notes] } : d;
  }

  private keys(tf: ToolFacts, c: CallFacts): string[] {
    const m = tf.memo;
    if (m && m.agentId === c.agentId && m.runId === c.runId) return m.keys;
    const keys = tf.limits.map((i) => limitKey(this.meta.limits[i]!, c));
    const pathFree = tf.limits.every((i) => this.meta.limits[i]!.keys.every((k) => k.kind !== "path"));
    if (pathFree) tf.memo = { agentId: c.agentId, runId: c.runId, keys };
    return keys;
  }
}
