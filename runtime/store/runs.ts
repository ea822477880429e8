// Rules every run store applies, so the four back-ends record runs alike: argument checks, and the
// next state of a run given its current one (bounds, set and sum semantics). memory.ts, sqlite-runs.ts,
// redis.ts and postgres.ts read a run, call nextRun, and write what it returns atomically.

import { StoreError, type RunAddition, type RunBounds, type RunCall, type RunRecord, type RunScalar } from "./types.js";
import { checkTime } from "./window.js";

/** The most calls one run may hold when a caller asks for more (a run's history is read on every decision). */
export const MAX_RUN_CALLS = 100_000;

export function checkRunId(runId: unknown): string {
  if (typeof runId !== "string" || runId.length === 0 || runId.length > 1024 || !runId.isWellFormed()) {
    throw new StoreError("invalid", "a run id must be a non-empty string of at most 1024 characters");
  }
  return runId;
}

export function checkBounds(b: RunBounds): void {
  if (!Number.isInteger(b.maxCalls) || b.maxCalls < 1 || b.maxCalls > MAX_RUN_CALLS) throw new StoreError("invalid", `maxCalls must be a whole number from 1 to ${MAX_RUN_CALLS}`);
  if (typeof b.ttlMs !== "number" || !Number.isFinite(b.ttlMs) || b.ttlMs <= 0) throw new StoreError("invalid", "ttlMs must be a positive number of milliseconds");
}

const isScalar = (v: unknown): v is RunScalar => typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/** Checks a record() call's arguments: a JSON-able call and well-formed additions. */
export function checkRecord(runId: string, call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): void {
  checkRunId(runId);
  checkBounds(bounds);
  checkTime(now);
  if (call !== null && (typeof call.tool !== "string" || call.tool.length === 0 || typeof call.args !== "object" || call.args === null || Array.isArray(call.args))) {
    throw new StoreError("invalid", "a recorded call needs a tool name and an args object");
  }
  for (const a of additions) {
    if (typeof a.name !== "string" || a.name.length === 0) throw new StoreError("invalid", "a run state name must be a non-empty string");
    if (a.kind === "sum" ? typeof a.value !== "number" || !Number.isFinite(a.value) : !isScalar(a.value) || !Number.isInteger(a.max) || a.max < 1) {
      throw new StoreError("invalid", `run state \`${a.name}\`: ${a.kind === "sum" ? "a sum adds finite numbers" : "a set adds numbers, strings or bools, with a max of 1 or more"}`);
    }
  }
}

export const emptyRun = (): RunRecord => ({ calls: [], state: {} });

/**
 * What recording `call` and `additions` into a run holding `count` calls and `state` makes: the
 * new state and the call to append, or why it cannot be (the Engine denies the call with that
 * reason: bounded memory, fail closed).
 */
export function nextRun(runId: string, count: number, state: RunRecord["state"], call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): { state: RunRecord["state"]; call?: RunCall } | string {
  if (call !== null && count >= bounds.maxCalls) return `run \`${runId}\` has recorded ${bounds.maxCalls} calls, the most its history keeps; start a new run`;
  const next: RunRecord["state"] = { ...state };
  for (const a of additions) {
    const was = next[a.name];
    if (a.kind === "sum") {
      const sum = (typeof was === "number" ? was : 0) + a.value;
      if (!Number.isFinite(sum)) return `run state \`${a.name}\` would not stay a finite number`;
      next[a.name] = sum;
      continue;
    }
    const list = Array.isArray(was) ? was : [];
    if (list.some((x) => x === a.value)) continue;
    if (list.length >= a.max) return `run state \`${a.name}\` already holds ${a.max} values, the most it may; start a new run`;
    next[a.name] = [...list, a.value];
  }
  return call === null ? { state: next } : { state: next, call: { tool: call.tool, args: call.args, at: now } };
}
