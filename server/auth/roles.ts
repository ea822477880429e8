// Who may do what in `pol serve`: the one table of roles and the actions they grant, and the two
// rules beyond it (approver groups, and nobody approving their own agent's request or their own call). Consumed by
// the API and console routes through actions.ts and the auth middleware; the Engine re-checks
// groups and self-approval when it resolves, so the server can only be stricter, never looser.

import { resolverProblem } from "../../runtime/approval-rules.js";
import type { Approval } from "../../runtime/store/types.js";

export const ROLES = ["admin", "approver", "operator", "viewer", "agent"] as const;
export type Role = (typeof ROLES)[number];

/** view: every page and the audit export; approve: resolve approvals; pause: the kill switch; restore: trust; decide: the decision API; metrics: /metrics. */
export type Action = "view" | "approve" | "pause" | "restore" | "decide" | "metrics";

const GRANTS: Record<Role, readonly Action[]> = {
  viewer: ["view", "metrics"],
  approver: ["view", "approve", "metrics"],
  operator: ["view", "pause", "restore", "metrics"],
  // Services that send calls: they decide and report outcomes, and see nothing else.
  agent: ["decide"],
  admin: ["view", "approve", "pause", "restore", "decide", "metrics"],
};

const NEEDED: Record<Action, string> = {
  view: "viewing the console needs the viewer, approver, operator or admin role",
  approve: "approving needs the approver or admin role",
  pause: "pausing and resuming tools needs the operator or admin role",
  restore: "restoring an agent's trust needs the operator or admin role",
  decide: "the decision API needs the agent or admin role",
  metrics: "metrics need the viewer, approver, operator or admin role",
};

/** A person or a service, as the users file declares it. */
export interface Principal {
  name: string;
  roles: readonly Role[];
  /** Approver groups (approver role): the approvals this principal may resolve. Empty means only approvals open to any approver. */
  groups: readonly string[];
  /** Agents this principal runs: a person never approves their requests; a service (agent role) may decide only for them, when listed. */
  agents: readonly string[];
}

export function may(p: Principal, action: Action): boolean {
  return p.roles.some((r) => GRANTS[r].includes(action));
}

/** The message for a refusal: who, which roles, and which role the action needs. */
export function refusal(p: Principal, action: Action): string {
  return `\`${p.name}\` (${p.roles.join(", ") || "no role"}) may not do this: ${NEEDED[action]}`;
}

const fold = (s: string) => s.normalize("NFC").toLowerCase();

/** Whether the agent is the principal itself or one of its agents, ignoring case (`Bot` and `bot` are one agent to a person). */
export function ownsAgent(p: Principal, agentId: string): boolean {
  if (agentId === "") return false;
  const a = fold(agentId);
  return fold(p.name) === a || p.agents.some((x) => fold(x) === a);
}

/**
 * The groups the Engine checks when this principal resolves an approval: an admin resolves any
 * (undefined: no membership check), an approver those of its groups and those open to anyone.
 */
export function resolverGroups(p: Principal): string[] | undefined {
  return p.roles.includes("admin") ? undefined : [...p.groups];
}

/**
 * Why `p` may not resolve this approval, or undefined when it may: the role, the agents it runs
 * (as written in the users file), then the Engine's own rule (approval-rules.ts: not the agent,
 * not whoever sent the call, and one of the approval's groups). The console asks it to show who
 * may act; Actions.resolve asks it before the Engine asks its rule again.
 */
export function approveProblem(p: Principal, approval: Pick<Approval, "agentId" | "groups" | "requestedBy">): string | undefined {
  if (!may(p, "approve")) return refusal(p, "approve");
  if (ownsAgent(p, approval.agentId)) return `\`${p.name}\` runs agent \`${approval.agentId}\`, and nobody approves their own agent's request`;
  return resolverProblem(approval, p.name, resolverGroups(p));
}

/**
 * Why a service may not decide for this agent, or undefined when it may (no agents listed: any
 * agent). Exact ids, unlike ownsAgent: the Engine keeps limits and trust per exact id, so a
 * service scoped to `bot` that could send `Bot` would get fresh limits and full trust.
 */
export function decideProblem(p: Principal, agentId: unknown): string | undefined {
  if (!may(p, "decide")) return refusal(p, "decide");
  if (p.roles.includes("admin") || p.agents.length === 0) return undefined;
  if (typeof agentId === "string" && (agentId === p.name || p.agents.includes(agentId))) return undefined;
  return `\`${p.name}\` may decide only for its agents (${p.agents.map((a) => `\`${a}\``).join(", ")}, exactly as written), not for ${typeof agentId === "string" ? `\`${agentId}\`` : "a call without an agent id"}`;
}
