// What an approval is bound to: a keyed hash (HMAC-SHA256 with the engine's secret) over the
// canonical JSON (runtime/audit's encoding) of everything the decision to ask for it depended
// on. Computed by engine.ts for every approve decision; stored with the approval and compared
// when a call wants to use a grant, so a grant authorises only a call the policy would send to
// the same rule and approvers with the same inputs.
//
// Bound: the tool; the arguments as validated (declared fields only, the values the policy
// saw); the agent's id and roles; env; ctx; the run's id and every run field the policy reads;
// the deciding rules and the approver groups they demanded. An on-call grant for `deploy` with
// env "staging" once authorised the same call with env "production", which the policy sends to
// another group; with env bound it cannot. The policy hash is not bound: a grant made under an
// older policy still authorises the call when the new policy routes it to the same rules and
// groups, and never otherwise. The agent's trust score is not bound either: it is the engine's
// state, not the call's, and moves with every outcome.
//
// Keyed, because the hash is in the audit log and the store next to redacted arguments: an
// unsalted SHA-256 let a dictionary recover a redacted password in six guesses.

import { createHmac } from "node:crypto";
import { canonicalJson } from "./audit/index.js";

export interface BoundCall {
  tool: string;
  /** The arguments as validation returned them (declared fields only), or as sent for a tool without a schema. */
  args: unknown;
  agentId: string;
  roles: readonly string[];
  env: string;
  ctx: unknown;
  run: Record<string, unknown>;
  /** The rules that decided approve (or the engine's own reason, e.g. `trust minimum`). */
  rules: readonly string[];
  /** The approver groups those rules demanded; empty means any approver. */
  groups: readonly string[];
}

/** Bumped whenever what is bound changes, so an old grant never matches a new binding by accident. */
const BINDING_VERSION = 2;

const sortedSet = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

/** Hex HMAC-SHA256; throws NotJsonError when a value cannot be carried by JSON (validation denies those first). */
export function callHash(c: BoundCall, key: Uint8Array): string {
  // Keys in canonical order, so canonicalJson can let JSON.stringify write it when args, ctx and run are in order too.
  const text = canonicalJson({
    agent: { id: c.agentId, roles: sortedSet(c.roles) }, args: c.args ?? {}, ctx: c.ctx ?? {}, env: c.env,
    groups: sortedSet(c.groups), rules: sortedSet(c.rules), run: c.run, tool: c.tool, v: BINDING_VERSION,
  });
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}
