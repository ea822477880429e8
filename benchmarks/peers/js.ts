// The floor: benchmarks/policies/peer.pol written by hand as one JavaScript
// function, with no schema validation, no reasons and no limit facts. Suite 2
// (suites/peers.ts) checks it agrees with pol on every call, then times it.

import type { Effect } from "../../language/ast.js";

type Obj = Record<string, any>;
const NONE: Obj = {};
const NOROLES: string[] = [];

/** The effect peer.pol gives `call` (deny > approve > allow; defaults as declared). */
export function decideByHand(call: Obj): Effect {
  const tool: string = call.tool;
  const args: Obj = call.args ?? NONE;
  const agent: Obj = call.agent ?? NONE;
  const roles: string[] = agent.roles ?? NOROLES;
  const trust: number = agent.trust ?? 0;
  const env: string = call.env ?? "";
  let allow = false;
  let approve = false;
  let deny = false;
  switch (tool) {
    case "stripe.refund": {
      const amount: number = args.amount;
      if (amount <= 50 && (args.currency === "usd" || args.currency === "eur")) allow = true;
      if (amount > 50 && amount <= 300) approve = true;
      if (amount > 300) deny = true;
      break;
    }
    case "email.send": {
      if (roles.includes("support") && (args.to as string[]).includes("ops@acme.com")) allow = true;
      if ((args.subject as string).includes("password")) deny = true;
      if (!allow && !deny) return "approve"; // default approve for email.send
      break;
    }
    case "db.delete": {
      if (env === "production" && trust < 50) deny = true;
      if (env !== "production" && roles.includes("admin")) allow = true;
      break;
    }
  }
  if (tool.startsWith("delete:")) deny = true;
  return deny ? "deny" : approve ? "approve" : allow ? "allow" : "deny";
}
