// Casbin peer (the most used Node authorisation library), ABAC model: benchmarks/policies/peer.pol
// as casbin policy lines whose first field is a condition over the request (`eval(p.rule)`), the
// tool matched with keyMatch. Encoded as the Cedar peer is: allow rules are `allow`, approve and
// deny rules are `deny`, deny overrides, so casbin's true means exactly "pol says allow". Asked
// through enforceSync with the request a host builds per call (defaults filled, as pol's are).
// Consumed by suites/peers.ts, which checks agreement before timing.

import { createRequire } from "node:module";
import type { Effect } from "../../language/ast.js";

type Enforcer = { enforceSync(...r: unknown[]): boolean; addFunction(name: string, fn: (...a: never[]) => unknown): Promise<void> };
const casbin = createRequire(import.meta.url)("casbin") as {
  newModelFromString(text: string): unknown;
  newEnforcer(model: unknown, adapter: unknown): Promise<Enforcer>;
  StringAdapter: new (text: string) => unknown;
};

export const CASBIN_MODEL = `
[request_definition]
r = call, tool

[policy_definition]
p = rule, target, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = keyMatch(r.tool, p.target) && eval(p.rule)
`;

/** peer.pol, rule for rule (quoted: a rule may hold commas). `default approve for email.send` needs no line: no allow means false. */
export const CASBIN_POLICY = [
  `p, "r.call.args.amount <= 50 && (r.call.args.currency == 'usd' || r.call.args.currency == 'eur')", stripe.refund, allow`,
  `p, "r.call.args.amount > 50 && r.call.args.amount <= 300", stripe.refund, deny`,
  `p, "r.call.args.amount > 300", stripe.refund, deny`,
  `p, "true", delete:*, deny`,
  `p, "r.call.env == 'production' && r.call.agent.trust < 50", db.*, deny`,
  `p, "r.call.env != 'production' && includes(r.call.agent.roles, 'admin')", db.delete, allow`,
  `p, "includes(r.call.agent.roles, 'support') && includes(r.call.args.to, 'ops@acme.com')", email.send, allow`,
  `p, "regexMatch(r.call.args.subject, 'password')", email.send, deny`,
].join("\n");

let enforcer: Enforcer | undefined;

export async function prepareCasbin(): Promise<void> {
  if (enforcer) return;
  const e = await casbin.newEnforcer(casbin.newModelFromString(CASBIN_MODEL), new casbin.StringAdapter(CASBIN_POLICY));
  await e.addFunction("includes", ((xs: unknown, x: unknown) => Array.isArray(xs) && xs.includes(x)) as never);
  enforcer = e;
}

type Obj = Record<string, any>;

/** The request for a pol call, defaults filled as pol's are. */
export function casbinRequest(call: Obj): [Obj, string] {
  const agent = call.agent ?? {};
  return [{ tool: call.tool, env: call.env ?? "", args: call.args ?? {}, agent: { id: agent.id ?? "", roles: agent.roles ?? [], trust: agent.trust ?? 0 } }, call.tool];
}

/** Casbin's answer: true means allow. */
export function casbinAllows(req: [Obj, string]): boolean {
  return enforcer!.enforceSync(req[0], req[1]);
}

export const casbinAgrees = (allows: boolean, pol: Effect) => allows === (pol === "allow");

export const casbinVersion = (): string => (createRequire(import.meta.url)("casbin/package.json") as { version: string }).version;
