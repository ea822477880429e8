// Red flags from deployment checklists, as warnings over a whole checked
// policy (W0110–W0113): what a reviewer of an agent's policy looks for first.
// Run by check.ts after everything else type-checks; reports into the Sink.

import type { Target } from "./ast.js";
import { EFFECT_RANK, type CheckedPolicy } from "./checked.js";
import type { Sink } from "./diagnostics.js";
import { targetMatches } from "./targets.js";

const isStar = (t: Target) => t.text === "*" && t.glob;

/** The fallback effect for a declared tool when no rule matches: the most restrictive `default ... for` covering it, else the policy's. */
function fallback(p: CheckedPolicy, tool: string, cls: Target["cls"]): "allow" | "deny" | "approve" {
  let best: "allow" | "deny" | "approve" | undefined;
  for (const d of p.defaultsFor) if (d.targets!.some((t) => targetMatches(t, tool, cls)) && (!best || EFFECT_RANK[d.effect] > EFFECT_RANK[best])) best = d.effect;
  return best ?? p.defaultEffect;
}

export function lint(p: CheckedPolicy, sink: Sink): void {
  // W0110: a rule that allows every tool whatever the call.
  for (const r of p.rules) {
    const star = r.decl.targets.find(isStar);
    if (r.decl.effect === "allow" && star && !r.decl.condition) {
      sink.report("W0110", star.span, "this rule allows every tool, whatever its arguments", { help: "name the tools the agent needs, or add a condition" });
    }
  }
  // W0111: nothing is ever denied by a rule, and whatever no rule covers is allowed.
  if (p.defaultEffect === "allow" && p.defaultDecl && !p.rules.some((r) => r.decl.effect === "deny")) {
    sink.report("W0111", p.defaultDecl.span, "`default allow` with no `deny` rule: every call no rule sends to a person is allowed", { help: "use `default deny` and allow what the agent needs, or add the `deny` rules the deployment requires" });
  }
  const mainTools = [...p.tools.values()].filter((t) => t.decl.span.file === p.file);
  const targetLists: Target[][] = [
    ...p.rules.map((r) => r.decl.targets), ...p.limits.map((l) => l.decl.targets), ...p.defaultsFor.map((d) => d.targets!),
    ...p.updates.map((u) => u.decl.targets), ...p.queries.map((q) => q.targets),
  ];
  for (const t of mainTools) {
    const covers = (ts: readonly Target[]) => ts.some((x) => targetMatches(x, t.name, t.toolClass));
    // W0113: declared, never named by a rule, limit, default, update or history query.
    if (!targetLists.some(covers)) {
      sink.report("W0113", t.decl.nameSpan, `tool \`${t.name}\` is declared but no rule, limit or default names it`, { help: `it is decided by \`default ${p.defaultEffect}\`; target it, or remove the declaration` });
      continue;
    }
    // W0112: a write or destructive tool the agent can use unbounded and unreviewed.
    if (t.toolClass === "read") continue;
    const rules = p.rules.filter((r) => covers(r.decl.targets));
    // A tool an unconditional deny covers is never called: nothing to bound.
    if (rules.some((r) => r.decl.effect === "deny" && !r.decl.condition)) continue;
    const allowed = rules.some((r) => r.decl.effect === "allow") || fallback(p, t.name, t.toolClass) === "allow";
    const approval = rules.some((r) => r.decl.effect === "approve") || fallback(p, t.name, t.toolClass) === "approve";
    const limited = p.limits.some((l) => covers(l.decl.targets));
    if (allowed && !approval && !limited) {
      sink.report("W0112", t.decl.nameSpan, `\`${t.name}\` is a ${t.toolClass} tool the agent may call with neither a limit nor an approval path`, {
        help: `bound it (\`limit ${t.name} 20 calls per hour per run\`), send some calls to a person, or declare it \`read\` if it changes nothing`,
      });
    }
  }
}
