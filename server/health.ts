// GET /health, OPA-style: 200 when the policy is loaded and the state store and audit log
// answer, 500 naming each failing check otherwise. Each check is bounded in time, so a hung
// store makes the endpoint say so instead of hanging the orchestrator's probe.

import type { ServeHost } from "./host.js";

const TIMEOUT_MS = 2000;

type Check = "ok" | string;

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function check(fn: () => Promise<unknown>, what: string): Promise<Check> {
  try {
    await within(fn(), what);
    return "ok";
  } catch (e) {
    return `${what}: ${(e as Error).message}`;
  }
}

export interface HealthReport {
  status: 200 | 500;
  body: { status: "ok" | "error"; policy: { name: string; hash: string }; checks: Record<"policy" | "store" | "audit", Check>; reasons?: string[] };
}

export async function health(host: ServeHost): Promise<HealthReport> {
  const policy = host.policy.hash ? "ok" : "policy: no policy is loaded";
  const [store, audit] = await Promise.all([check(() => host.paused(), "the state store"), check(() => host.flush(), "the audit log")]);
  const checks = { policy, store, audit };
  const reasons = Object.values(checks).filter((c) => c !== "ok");
  const body = { status: reasons.length === 0 ? "ok" as const : "error" as const, policy: { name: host.policy.manifest.policy.name, hash: host.policy.hash }, checks };
  return reasons.length === 0 ? { status: 200, body } : { status: 500, body: { ...body, reasons } };
}
