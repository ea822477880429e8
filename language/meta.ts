// What a decision needs to know about a policy besides its logic: rules,
// limits, defaults, redactions and schemas, as plain JSON-able data. Built
// from a checked policy (interpreter, compiler) or read back from a module's
// manifest (runtime), so both engines assemble decisions with the same code.

import type { Effect, LimitKey, Target, ToolClass } from "./ast.js";
import type { Decision, LimitUse, RuleRef } from "./call.js";
import { EFFECT_RANK, type CheckedPolicy } from "./checked.js";
import { NO_SPAN, type Span } from "./span.js";
import { anyTargetMatches } from "./targets.js";
import type { FieldType } from "./types.js";
import type { Input } from "./validate.js";

export type MetaTarget = Omit<Target, "span">;

export interface RuleMeta {
  id: string;
  effect: Effect;
  targets: MetaTarget[];
  approvers: string[];
  because?: string;
  readsArgs: boolean;
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
  span: Span;
}

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
}

const stripSpan = (t: Target): MetaTarget => ({ text: t.text, quoted: t.quoted, glob: t.glob });
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
      span: l.decl.span,
    })),
    defaultRule: { effect: p.defaultEffect, span: p.defaultDecl?.span ?? NO_SPAN },
    defaultsFor: p.defaultsFor.map((d) => ({ effect: d.effect, targets: d.targets!.map(stripSpan), span: d.span })),
    redact: p.redact,
  };
}

/** The fallback when no rule matches: the most restrictive `default ... for` covering the tool, else the policy default. */
export function defaultFor(meta: PolicyMeta, tool: string): RuleRef {
  let best: RuleRef | undefined;
  for (const d of meta.defaultsFor) {
    if (!anyTargetMatches(d.targets as Target[], tool)) continue;
    if (!best || EFFECT_RANK[d.effect] > EFFECT_RANK[best.effect]) {
      best = { id: `default for ${d.targets!.map((t) => t.text).join(", ")}`, kind: "default", effect: d.effect, span: d.span };
    }
  }
  return best ?? { id: "default", kind: "default", effect: meta.defaultRule.effect, span: meta.defaultRule.span };
}

/** A rule reading `args` cannot be evaluated for a tool without a schema: it applies if it restricts (fail closed). */
export const isBlind = (r: { readsArgs: boolean }, input: { declared: boolean }) => r.readsArgs && !input.declared;

function limitKey(l: LimitMeta, input: Input): string {
  const parts = l.keys.map((k) => {
    if (k.kind !== "path") return k.kind === "agent" ? `agent=${input.agent.id}` : k.kind === "run" ? `run=${input.run.id}` : `tool=${input.tool}`;
    let cur: unknown = { args: input.args, agent: input.agent, env: input.env, tool: input.tool, run: input.run, ctx: input.ctx };
    for (const f of k.path) cur = typeof cur === "object" && cur !== null && Object.prototype.hasOwnProperty.call(cur, f) ? (cur as Record<string, unknown>)[f] : undefined;
    return `${k.path.join(".")}=${String(cur)}`;
  });
  return [l.id, ...parts].join("|");
}

export function denyWith(meta: PolicyMeta, decidedBy: "schema" | "error", reason: string): Decision {
  return { effect: "deny", decidedBy, rules: [], matched: [], reasons: [reason], approvers: [], limits: [], redact: meta.redact };
}

/**
 * Builds the decision from what an engine computed: the indices of matched
 * rules (ascending) and, per limit index, the summed amount (call limits use 1).
 */
export function assemble(meta: PolicyMeta, input: Input, matched: readonly number[], amount: (limit: number) => number): Decision {
  const limits: LimitUse[] = [];
  for (const [i, l] of meta.limits.entries()) {
    if (!anyTargetMatches(l.targets as Target[], input.tool)) continue;
    if (isBlind(l, input)) return denyWith(meta, "error", `limit \`${l.id}\` cannot measure \`${input.tool}\`, which has no declared schema`);
    limits.push({ id: l.id, kind: l.kind, amount: l.kind === "calls" ? 1 : amount(i), max: l.max, windowSeconds: l.windowSeconds, key: limitKey(l, input), span: l.span });
  }
  if (matched.length === 0) {
    const d = defaultFor(meta, input.tool);
    const reason = `no rule matched \`${input.tool}\`; ${d.id === "default" ? `the policy default is ${d.effect}` : `\`${d.id}\` is ${d.effect}`}`;
    return { effect: d.effect, decidedBy: "default", rules: [d], matched: [], reasons: [reason], approvers: [], limits, redact: meta.redact };
  }
  const rules = matched.map((i) => meta.rules[i]!);
  const effect = rules.reduce<Effect>((e, r) => (EFFECT_RANK[r.effect] > EFFECT_RANK[e] ? r.effect : e), "allow");
  const deciding = rules.filter((r) => r.effect === effect);
  const reasons = deciding.map((r) =>
    isBlind(r, input)
      ? `rule \`${r.id}\` cannot check the arguments of \`${input.tool}\` (no declared schema), so it applies`
      : r.because ?? `${effect === "approve" ? "approval required" : effect === "deny" ? "denied" : "allowed"} by rule \`${r.id}\``,
  );
  return {
    effect,
    decidedBy: "rule",
    rules: deciding.map((r) => ({ id: r.id, kind: "rule", effect: r.effect, span: r.span })),
    matched: rules.map((r) => r.id),
    reasons,
    approvers: effect === "approve" ? [...new Set(deciding.flatMap((r) => r.approvers))] : [],
    limits,
    redact: meta.redact,
  };
}
