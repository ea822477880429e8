// Cedar peer: benchmarks/policies/peer.pol in Cedar, pre-parsed once and asked
// through statefulIsAuthorized. Encoding: a tool is the action, the call is the
// context; allow rules are `permit`, approve and deny rules are `forbid`, so
// Cedar's Allow means exactly "pol says allow" (approve and deny map to Deny).
// Consumed by suites/peers.ts.

import { createRequire } from "node:module";
import type { Effect } from "../../language/ast.js";

// The Node build is CommonJS; it loads its .wasm synchronously on require.
const cedar = createRequire(import.meta.url)("@cedar-policy/cedar-wasm/nodejs") as typeof import("@cedar-policy/cedar-wasm/nodejs");

/**
 * peer.pol, rule for rule. `db.*` becomes `like "db.*"` (pol's `*` matches one
 * dotted segment, Cedar's any run; the benchmark calls do not tell them apart).
 * `default approve for email.send` needs no policy: no permit means Deny.
 */
export const CEDAR_POLICIES = `
@id("refund-allow")
permit (principal, action == Action::"stripe.refund", resource)
when { context.args.amount <= 50 && ["usd", "eur"].contains(context.args.currency) };

@id("refund-approve")
forbid (principal, action == Action::"stripe.refund", resource)
when { context.args.amount > 50 && context.args.amount <= 300 };

@id("refund-deny")
forbid (principal, action == Action::"stripe.refund", resource)
when { context.args.amount > 300 };

@id("delete-deny")
forbid (principal, action, resource)
when { context.tool like "delete:*" };

@id("db-deny")
forbid (principal, action, resource)
when { context.tool like "db.*" && context.env == "production" && context.agent.trust < 50 };

@id("db-allow")
permit (principal, action == Action::"db.delete", resource)
when { context.env != "production" && context.agent.roles.contains("admin") };

@id("email-allow")
permit (principal, action == Action::"email.send", resource)
when { context.agent.roles.contains("support") && context.args.to.contains("ops@acme.com") };

@id("email-deny")
forbid (principal, action == Action::"email.send", resource)
when { context.args.subject like "*password*" };
`;

const SET_ID = "pol-bench-peer";
let prepared = false;

/** Parses the policy set once into the module's cache (what "pre-parsed" means for cedar-wasm). */
export function prepareCedar(): void {
  if (prepared) return;
  const r = cedar.preparsePolicySet(SET_ID, { staticPolicies: CEDAR_POLICIES });
  if (r.type !== "success") throw new Error(`cedar rejected the policy set: ${JSON.stringify(r.errors)}`);
  prepared = true;
}

type Obj = Record<string, any>;

/** The Cedar request for a pol call: what a host would build per call (defaults filled, as pol's are). */
export function cedarRequest(call: Obj): import("@cedar-policy/cedar-wasm/nodejs").StatefulAuthorizationCall {
  const agent = call.agent ?? {};
  return {
    principal: { type: "Agent", id: agent.id ?? "" },
    action: { type: "Action", id: call.tool },
    resource: { type: "Tool", id: call.tool },
    context: { tool: call.tool, env: call.env ?? "", args: call.args ?? {}, agent: { id: agent.id ?? "", roles: agent.roles ?? [], trust: agent.trust ?? 0 } },
    preparsedPolicySetId: SET_ID,
    entities: [],
  };
}

/** Cedar's answer: true for Allow. Throws on a failure answer (a broken encoding, not a decision). */
export function cedarAllows(req: import("@cedar-policy/cedar-wasm/nodejs").StatefulAuthorizationCall): boolean {
  const a = cedar.statefulIsAuthorized(req);
  if (a.type !== "success") throw new Error(`cedar failed: ${JSON.stringify(a.errors)}`);
  return a.response.decision === "allow";
}

/** What the encoding promises: Cedar allows exactly when pol's effect is allow. */
export const cedarAgrees = (allows: boolean, pol: Effect) => allows === (pol === "allow");

export const cedarVersion = () => cedar.getCedarVersion();
