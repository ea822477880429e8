// One replica of the example fleet: a service process embedding the Engine on the fleet's shared
// state (limits, trust and pauses in Redis; approvals and the audit chain in PostgreSQL). Started
// by fleet.ts as a child process with its settings as JSON in argv[2]; prints one JSON line per
// step. Run several and they share one refund budget, one kill switch and one approval queue.
//
//   refunds: `count` refunds of $`amount`; prints how many were allowed and why the rest were not.
//   approval: asks for a $500 refund (finance must approve), prints the approval id, waits for a
//             person to resolve it from anywhere, then retries the same call.

import { Engine } from "../../runtime/index.js";

export interface ReplicaConfig {
  name: string;
  wasm: string;
  redis: string;
  postgres: string;
  keyFile: string;
  /** The engine secret (hex), the same for every replica: approvals requested by one are found by the others. */
  secret: string;
  mode: "refunds" | "approval";
  count?: number;
  amount?: number;
}

/** The store and audit options every replica of the fleet passes to Engine.load. */
export function fleetOptions(c: Pick<ReplicaConfig, "redis" | "postgres" | "keyFile" | "secret">) {
  return {
    secret: c.secret,
    // timeoutMs: how long a decision may wait for a server before it is denied (default 50 ms).
    // Raised here because the example also runs as a test on busy shared machines.
    store: { limits: c.redis, trust: c.redis, pauses: c.redis, approvals: c.postgres, timeoutMs: 1000 },
    audit: { url: c.postgres, keyFile: c.keyFile },
  };
}

const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function refunds(engine: Engine, c: ReplicaConfig): Promise<void> {
  const tally: Record<string, number> = {};
  for (let i = 0; i < c.count!; i++) {
    const d = await engine.decide({ tool: "refund", args: { amount: c.amount!, customer: `cus_${c.name}_${i}` }, agent: { id: "support-bot" } });
    const key = d.effect === "allow" ? "allowed" : d.decidedBy;
    tally[key] = (tally[key] ?? 0) + 1;
    if (d.effect !== "allow") tally[`why: ${d.reasons[0]!.replace(/; it resets at .*/, "")}`] = 1;
  }
  say({ replica: c.name, ...tally });
}

async function approval(engine: Engine, c: ReplicaConfig): Promise<void> {
  const call = { tool: "refund", args: { amount: 500, customer: "cus_vip" }, agent: { id: "support-bot" } };
  const first = await engine.decide(call);
  say({ replica: c.name, effect: first.effect, approval: first.approval, reason: first.reasons[0] });
  const a = await engine.approvals.wait(first.approval!, 60_000);
  const again = await engine.decide(call);
  say({ replica: c.name, approval: a.status, by: a.resolvedBy, retry: again.effect, decidedBy: again.decidedBy });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const c = JSON.parse(process.argv[2]!) as ReplicaConfig;
  const engine = await Engine.load(c.wasm, fleetOptions(c));
  await (c.mode === "refunds" ? refunds(engine, c) : approval(engine, c));
  await engine.close();
}
