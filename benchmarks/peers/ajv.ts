// The "hand-written JavaScript that validates" peer: benchmarks/policies/peer.pol's tool schemas
// as JSON Schemas compiled by ajv (what a Node service would write to check a call before an
// if/else), then the hand-written decision (peers/js.ts). The schemas hold what pol's codec
// checks: declared fields with their types, no undeclared `args` fields, finite numbers, the
// size limits (1,000,000 characters, 10,000 items), and the shapes of agent, run, env and ctx.
// Suite 2 (suites/peers.ts) checks it agrees with pol, on valid and invalid calls, before timing.

import { createRequire } from "node:module";
import type { Effect } from "../../language/ast.js";
import { decideByHand } from "./js.js";

type ValidateFn = (data: unknown) => boolean;
const Ajv = createRequire(import.meta.url)("ajv") as new (o: Record<string, unknown>) => { compile(schema: unknown): ValidateFn };

const str = { type: "string", maxLength: 1_000_000 };
const num = { type: "number" };
const strings = { type: "array", items: str, maxItems: 10_000 };

/** The call around a tool's args: tool name, env, agent and run as pol's inputs define them (all optional but typed). */
function callSchema(args: Record<string, unknown>): unknown {
  return {
    type: "object",
    required: ["tool"],
    properties: {
      tool: { type: "string", minLength: 1, maxLength: 1_000_000 },
      env: str,
      args,
      agent: { type: "object", properties: { id: str, roles: strings, trust: num } },
      run: { type: "object", properties: { id: str, calls: num } },
      ctx: { type: "object" },
    },
  };
}

const record = (props: Record<string, unknown>, required: string[]) => ({ type: "object", properties: props, required, additionalProperties: false });

const SCHEMAS: Record<string, unknown> = {
  "stripe.refund": callSchema(record({ amount: num, currency: str, customer: str, reason: str }, ["amount", "currency", "customer"])),
  "email.send": callSchema(record({ to: strings, subject: str, body: str }, ["to", "subject", "body"])),
  "db.delete": callSchema(record({ table: str, id: str }, ["table", "id"])),
};
const OTHER = callSchema({ type: "object" });

// allErrors off (the first failure decides), no coercion, no defaults written into the call.
const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, strict: false });
const validators = new Map(Object.entries(SCHEMAS).map(([tool, s]) => [tool, ajv.compile(s)]));
const other = ajv.compile(OTHER);

/** The effect peer.pol gives `call`: deny when the call does not fit its tool's schema, else the hand-written decision. */
export function decideWithAjv(call: Record<string, unknown>): Effect {
  const tool = call["tool"];
  const validate = (typeof tool === "string" && validators.get(tool)) || other;
  if (!validate(call)) return "deny";
  return decideByHand(call);
}

export const ajvVersion = (): string => (createRequire(import.meta.url)("ajv/package.json") as { version: string }).version;
