// Lowering of what a policy computes for the run beyond its rules: the
// conditions of `limit ... if` and the values of `on ... add ... to ...`
// updates, and which tool branches compute them. Called by lower.ts once the
// rules are lowered; emit.ts writes their results to the output block.

import type { Target, ToolClass } from "../language/ast.js";
import type { CheckedPolicy } from "../language/checked.js";
import { targetMatches } from "../language/targets.js";
import type { Expr } from "../language/ast.js";
import type { IR, Program, Scalar, ToolPlan, UpdateCode } from "./ir.js";

/**
 * Fills each plan's `limitConds` and `updates` (for the unknown-tool plan, those whose targets
 * reach tools without an id) and returns the lowered conditions and updates. A limit or update
 * that reads `args` is not computed for a tool without a schema: the assembler denies such calls.
 */
export function planRun(
  policy: CheckedPolicy,
  lowerTop: (e: Expr, tools: string[]) => IR,
  plans: ToolPlan[],
  classOf: (tool: string) => ToolClass | undefined,
  reachesUnknown: (ts: readonly Target[]) => boolean,
): Pick<Program, "limitConds" | "updates"> {
  const limitConds = policy.limits.map((l) => (l.decl.condition ? lowerTop(l.decl.condition, l.tools) : undefined));
  const updates: UpdateCode[] = policy.updates.map((u) => {
    const st = policy.state[u.state]!.type;
    const t: Scalar = st.kind === "list" ? (st.elem.kind as Scalar) : "number";
    return { value: lowerTop(u.decl.value, u.tools), t, ...(u.decl.condition ? { cond: lowerTop(u.decl.condition, u.tools) } : {}) };
  });
  for (const plan of plans) {
    const covers = (x: { decl: { targets: Target[] }; readsArgs: boolean }) =>
      !(x.readsArgs && !plan.declared) && (plan.id === 0 ? reachesUnknown(x.decl.targets) : x.decl.targets.some((t) => targetMatches(t, plan.name, classOf(plan.name))));
    plan.limitConds = policy.limits.filter((l) => l.decl.condition && covers(l)).map((l) => l.index);
    plan.updates = policy.updates.filter(covers).map((u) => u.index);
  }
  return { limitConds, updates };
}
