// GET /health, OPA-style: 200 when the policy is loaded and the state store and audit log
// answer, 500 naming each failing check otherwise. Each check is bounded in time, so a hung
// store makes the endpoint say so instead of hanging the orchestrator's probe. It also says
// which policy (and bundle, and signer) is live, the shadow and canary, and whether the last
// policy change was refused: a refused reload keeps the old policy serving, so, as OPA's does
// once a bundle is active, it is a warning in a 200, not a failure. The endpoint is public, so
// it names hashes, never file paths or error text: those are on the console's policy page
// (console/policy.ts), in the audit log and in the server's log.

import { statSync } from "node:fs";
import type { PolicyInfo, PolicyStatus } from "../runtime/reload.js";
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

/** A policy as the public endpoint names it. */
interface Named { name: string; hash: string; bundle?: string; signer?: string; since: string }

export interface HealthReport {
  status: 200 | 500;
  body: {
    status: "ok" | "error";
    policy: Named;
    rollout: {
      shadow?: Named & { compared: number; differed: number; dropped: number };
      canary?: Named & { percent: number };
      changes: { ok: number; failed: number; inProgress: boolean; last?: { ok: boolean; role: string; at: string; stage?: string } };
    };
    checks: Record<"policy" | "store" | "audit", Check>;
    reasons?: string[];
    warnings?: string[];
  };
}

const named = (p: PolicyInfo): Named => ({ name: p.name, hash: p.hash, ...(p.bundle ? { bundle: p.bundle } : {}), ...(p.signer ? { signer: p.signer } : {}), since: p.since });

function rolloutOf(s: PolicyStatus): HealthReport["body"]["rollout"] {
  const last = s.changes.last;
  return {
    ...(s.shadow ? { shadow: { ...named(s.shadow), compared: s.shadow.compared, differed: s.shadow.differed, dropped: s.shadow.dropped } } : {}),
    ...(s.canary ? { canary: { ...named(s.canary), percent: s.canary.percent } } : {}),
    changes: { ok: s.changes.ok, failed: s.changes.failed, inProgress: s.changes.inProgress, ...(last ? { last: { ok: last.ok, role: last.role, at: last.at, ...(last.stage ? { stage: last.stage } : {}) } } : {}) },
  };
}

/** A refused last change, in a sentence an operator can act on. */
function refusedChange(s: PolicyStatus): string[] {
  const last = s.changes.last;
  if (!last || last.ok) return [];
  return [`the last ${last.role} policy change (${last.at}) was refused at ${last.stage ?? "load"}; still serving ${s.live.hash.slice(0, 12)}: the console's policy page and the audit log say why`];
}

/**
 * A check that the file at `path` is still the one there now (same device and inode): a SQLite
 * store deleted or replaced under a running server goes on in the deleted file, which `pol pause`
 * and every other process can no longer reach, and is gone at restart.
 */
export function sameFile(path: string): () => Promise<void> {
  let was: { dev: number; ino: number } | undefined;
  try {
    const st = statSync(path);
    was = { dev: st.dev, ino: st.ino };
  } catch {
    was = undefined; // not there yet: nothing to compare with
  }
  return async () => {
    if (was === undefined) return;
    let now: { dev: number; ino: number } | undefined;
    try {
      now = statSync(path);
    } catch {
      now = undefined;
    }
    if (!now || now.dev !== was.dev || now.ino !== was.ino) {
      throw new Error("its file was deleted or replaced while the server runs; other processes (`pol pause`) no longer reach this server's state, and it is lost at restart: restart the server on the store");
    }
  };
}

export async function health(host: ServeHost, storeFile?: () => Promise<void>): Promise<HealthReport> {
  const policy = host.policy.hash ? "ok" : "policy: no policy is loaded";
  const [store, audit] = await Promise.all([check(async () => { await storeFile?.(); await host.paused(); }, "the state store"), check(() => host.flush(), "the audit log")]);
  const checks = { policy, store, audit };
  const reasons = Object.values(checks).filter((c) => c !== "ok");
  const status = host.policyStatus();
  const warnings = refusedChange(status);
  const body = { status: reasons.length === 0 ? "ok" as const : "error" as const, policy: named(status.live), rollout: rolloutOf(status), checks, ...(warnings.length ? { warnings } : {}) };
  return reasons.length === 0 ? { status: 200, body } : { status: 500, body: { ...body, reasons } };
}
