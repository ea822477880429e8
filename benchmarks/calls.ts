// The benchmark calls: representative calls for examples/support_agent (suite 1)
// and for benchmarks/policies/peer.pol (suite 2, every peer gets the same ones).
// Amounts are integers so Cedar (Long only) sees the same values. Consumed by suites/.

import type { Effect } from "../language/ast.js";

export interface BenchCall {
  name: string;
  call: Record<string, unknown>;
}

const agent = { id: "support-bot", roles: ["support"], trust: 90 };
const run = { id: "run-42", calls: 3 };

/** Calls for examples/support_agent/support_agent.pol: every rule shape the example has. */
export const SUPPORT_CALLS: BenchCall[] = [
  { name: "refund $20 (allow)", call: { tool: "stripe.refund", args: { amount: 20, currency: "usd", customer: "cus_1" }, agent, env: "production", run } },
  { name: "refund $120 (approve)", call: { tool: "stripe.refund", args: { amount: 120, currency: "usd", customer: "cus_1", reason: "damaged" }, agent, env: "production", run } },
  { name: "refund $500 (deny)", call: { tool: "stripe.refund", args: { amount: 500, currency: "usd", customer: "cus_2" }, agent, env: "production", run } },
  { name: "email internal (allow)", call: { tool: "email.send", args: { to: ["ops@acme.com", "lead@acme.io"], subject: "Ticket 4411", body: "Customer asked for a refund." }, agent, env: "production", run } },
  { name: "email external (approve)", call: { tool: "email.send", args: { to: ["someone@example.org"], subject: "Your ticket", body: "We are on it." }, agent, env: "production", run } },
  { name: "db.delete low trust (deny)", call: { tool: "db.delete", args: { table: "users", id: "u_9" }, agent: { id: "intern-bot", roles: [], trust: 30 }, env: "production", run } },
  { name: "delete:user pattern (deny)", call: { tool: "delete:user", args: { id: "u_9" }, agent, env: "production", run } },
  { name: "unknown tool (default deny)", call: { tool: "search.web", args: { q: "refund policy" }, agent, env: "production", run } },
];

/** Calls for peer.pol, with the effect each must get (checked against pol before timing). */
export const PEER_CALLS: (BenchCall & { want: Effect })[] = [
  { name: "refund $20 (allow)", want: "allow", call: { tool: "stripe.refund", args: { amount: 20, currency: "usd", customer: "cus_1" }, agent, env: "production", run } },
  { name: "refund $120 (approve)", want: "approve", call: { tool: "stripe.refund", args: { amount: 120, currency: "usd", customer: "cus_1", reason: "damaged" }, agent, env: "production", run } },
  { name: "refund $500 (deny)", want: "deny", call: { tool: "stripe.refund", args: { amount: 500, currency: "usd", customer: "cus_2" }, agent, env: "production", run } },
  { name: "email to ops (allow)", want: "allow", call: { tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Customer asked for a refund." }, agent, env: "production", run } },
  { name: "email password (deny)", want: "deny", call: { tool: "email.send", args: { to: ["ops@acme.com"], subject: "your password reset", body: "..." }, agent, env: "production", run } },
  { name: "email external (approve)", want: "approve", call: { tool: "email.send", args: { to: ["someone@example.org"], subject: "Your ticket", body: "We are on it." }, agent, env: "production", run } },
  { name: "db.delete low trust (deny)", want: "deny", call: { tool: "db.delete", args: { table: "users", id: "u_9" }, agent: { id: "intern-bot", roles: [], trust: 30 }, env: "production", run } },
  { name: "db.delete staging admin (allow)", want: "allow", call: { tool: "db.delete", args: { table: "users", id: "u_9" }, agent: { id: "ops-bot", roles: ["admin"], trust: 95 }, env: "staging", run } },
  { name: "delete:user pattern (deny)", want: "deny", call: { tool: "delete:user", args: { id: "u_9" }, agent, env: "production", run } },
  { name: "unknown tool (default deny)", want: "deny", call: { tool: "search.web", args: { q: "refund policy" }, agent, env: "production", run } },
];
