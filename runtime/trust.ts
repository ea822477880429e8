// Trust score semantics on top of the TrustStore: settings with defaults, the level a score
// means, the delta each reported outcome applies, and the reasons decisions give. Used by
// engine.ts (every decision reads the level; guard and report adjust the score).
//
// Scores live in [0, 100]. At 0 an agent is revoked (the store makes that sticky): every call is
// denied until an operator restores it, by default to `recovery` (80). Below `minimum` (50) an
// agent is restricted: write and destructive calls the policy allows need a human approval.

import { EngineError, type TrustOptions, type TrustOutcome, type TrustSettings, type TrustLevel, type TrustStatus } from "./engine-types.js";
import type { TrustRecord } from "./store/index.js";

const DEFAULTS: TrustSettings = { minimum: 50, recovery: 80, reward: 1, penalty: 5, rejectedPenalty: 10, deniedPenalty: 0, approvers: [], initial: 100 };

function score(name: string, v: number, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) throw new EngineError("invalid", `trust.${name} must be a number from ${lo} to ${hi}, got \`${String(v)}\``);
  return v;
}

export function trustSettings(o: TrustOptions = {}): TrustSettings {
  const s: TrustSettings = { ...DEFAULTS, ...o, approvers: [...(o.approvers ?? [])] };
  score("minimum", s.minimum, 0, 100);
  score("recovery", s.recovery, 0, 100);
  if (s.recovery <= 0) throw new EngineError("invalid", "trust.recovery must be above 0 (0 would revoke again)");
  if (s.initial <= 0) throw new EngineError("invalid", "trust.initial must be above 0");
  score("initial", s.initial, 0, 100);
  for (const k of ["reward", "penalty", "rejectedPenalty", "deniedPenalty"] as const) score(k, s[k], 0, 100);
  if (!s.approvers.every((g) => typeof g === "string" && g !== "")) throw new EngineError("invalid", "trust.approvers must be a list of group names");
  return s;
}

export function levelOf(r: TrustRecord, s: TrustSettings): TrustLevel {
  if (r.revoked) return "revoked";
  return r.score < s.minimum ? "restricted" : "trusted";
}

export function statusOf(r: TrustRecord, s: TrustSettings): TrustStatus {
  return { agentId: r.agentId, score: r.score, revoked: r.revoked, level: levelOf(r, s), updatedAt: r.updatedAt };
}

/** The signed change an outcome applies to the score. */
export function outcomeDelta(o: TrustOutcome, s: TrustSettings): number {
  if (typeof o === "object" && o !== null) {
    if (typeof o.delta !== "number" || !Number.isFinite(o.delta)) throw new EngineError("invalid", "a trust report's delta must be a finite number");
    return o.delta;
  }
  switch (o) {
    case "success": return s.reward;
    case "error": return -s.penalty;
    case "rejected": return -s.rejectedPenalty;
    case "denied": return -s.deniedPenalty;
    default: throw new EngineError("invalid", `unknown trust outcome \`${String(o)}\`; expected success, error, rejected, denied or { delta }`);
  }
}

export function revokedReason(agentId: string): string {
  return `agent \`${agentId}\` is revoked (trust 0): every call is denied until an operator restores it`;
}

export function restrictedReason(agentId: string, score: number, s: TrustSettings): string {
  return `agent \`${agentId}\` has trust ${round(score)}, below the minimum ${s.minimum} for write and destructive tools, so a human must approve`;
}

const round = (n: number) => Math.round(n * 100) / 100;
