// Who may resolve an approval: one rule for the Engine API (approvals.ts), the CLI (`pol
// approvals approve`) and the console. Type imports only, so the CLI can load it at start-up.

import type { Approval } from "./store/types.js";

/** A name as people compare names: Unicode-compatible forms folded, outer spaces and case ignored. */
const sameName = (a: string, b: string): boolean => a.normalize("NFKC").trim().toLowerCase() === b.normalize("NFKC").trim().toLowerCase();

/**
 * Why `by`, a member of `groups` (undefined: not known), may not resolve approval `a`: nobody
 * resolves their own agent's request, nor one whose call they sent (compared as names, so `Bot`
 * cannot approve `bot`), and when the resolver's groups are known one of them must be among the
 * approval's. The one rule for the Engine API, the CLI and the console.
 */
export function resolverProblem(a: Pick<Approval, "agentId" | "groups" | "requestedBy">, by: string, groups: readonly string[] | undefined): string | undefined {
  if (a.agentId !== "" && sameName(by, a.agentId)) return `\`${by}\` cannot resolve a request made by agent \`${a.agentId}\` (its own)`;
  if (a.requestedBy !== undefined && sameName(by, a.requestedBy)) return `\`${by}\` sent the call this approval waits on, and nobody approves their own request`;
  if (groups !== undefined && a.groups.length > 0 && !a.groups.some((g) => groups.includes(g))) {
    return `\`${by}\` is not in ${a.groups.length === 1 ? "approver group" : "any of the approver groups"} ${a.groups.map((g) => `\`${g}\``).join(", ")}`;
  }
  return undefined;
}

/**
 * Whether `requestedBy`, sending a call, would use a grant they resolved themselves: each sender
 * has a card of their own (approvals.ts), so a sender who approved another sender's card of the
 * same call must not get through on it (the grant is looked up by call alone).
 */
export const ownGrant = (a: Pick<Approval, "resolvedBy">, requestedBy: string | undefined): boolean =>
  requestedBy !== undefined && a.resolvedBy !== undefined && sameName(a.resolvedBy, requestedBy);

/** The `--group` part of the `pol approvals approve` command for an approval naming `groups` (the CLI refuses such an approval without it). */
export const groupFlag = (groups: readonly string[]): string => (groups.length > 0 ? ` --group ${groups.join(" ")}` : "");
