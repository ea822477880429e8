// What the Engine adds to a call for a policy that reads the run (its history, its state, the
// clock) and what it records after an allow. The policy stays pure: these are inputs the Engine
// reads from its StateStore (`runs`) and passes only when the policy's manifest says it reads
// them; whatever a caller sent in their place is replaced. Used by engine.ts and `pol test`.

import type { StateUpdate } from "../language/call.js";
import { classOf, type PolicyMeta } from "../language/meta.js";
import { anyTargetMatches } from "../language/targets.js";
import type { HistoryEntry, Input } from "../language/validate.js";
import type { WasmPolicy } from "./loader.js";
import type { RunAddition, RunBounds, StateStore } from "./store/index.js";

/** What a policy reads of the run (from its manifest). */
export interface RunNeeds {
  history: boolean;
  state: boolean;
  clock: boolean;
}

const needsOf = new WeakMap<WasmPolicy, RunNeeds>();

export function runNeeds(p: WasmPolicy): RunNeeds {
  let n = needsOf.get(p);
  if (!n) needsOf.set(p, (n = { history: p.meta.queries.length > 0, state: p.meta.state.length > 0, clock: p.meta.readsClock }));
  return n;
}

export const readsRun = (n: RunNeeds): boolean => n.history || n.state;

/** Defaults: a run keeps up to 1,000 calls and is forgotten a day after its last allowed call. */
export const DEFAULT_RUN_BOUNDS: RunBounds = { maxCalls: 1000, ttlMs: 24 * 3_600_000 };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The call with `history`, `state` and `time` set from the store and the clock, as the policy
 * reads them (anything the caller put there is replaced), or the call unchanged when it reads none.
 */
export async function withRunInputs(call: unknown, needs: RunNeeds, store: StateStore, runId: string, now: number): Promise<unknown> {
  if (!isRecord(call) || (!readsRun(needs) && !needs.clock)) return call;
  const out: Record<string, unknown> = { ...call };
  if (readsRun(needs) && runId !== "") {
    const run = await store.runs.get(runId, now);
    if (needs.history) out["history"] = run.calls.map((c): HistoryEntry => ({ tool: c.tool, args: c.args }));
    if (needs.state) out["state"] = run.state;
  }
  if (needs.clock) out["time"] = now;
  return out;
}

/** The store additions of a decision's state updates (`on ... add ... to ...`), typed by the policy's declarations. */
export function additions(meta: PolicyMeta, updates: readonly StateUpdate[] | undefined): RunAddition[] {
  return (updates ?? []).map((u) => {
    const s = meta.state.find((x) => x.name === u.state)!;
    return s.type.kind === "list" ? { name: u.state, kind: "set", value: u.value, max: s.max } : { name: u.state, kind: "sum", value: u.value as number };
  });
}

/** The entries of the run's history the deciding rules read (what made them ask), newest last, at most `max`. */
export function historyShown(meta: PolicyMeta, rules: readonly string[], input: Input, max = 20): HistoryEntry[] {
  const queries = new Set(meta.rules.filter((r) => rules.includes(r.id)).flatMap((r) => r.queries ?? []));
  if (queries.size === 0) return [];
  const targets = [...queries].flatMap((q) => meta.queries[q]!.targets);
  return input.history.filter((h) => anyTargetMatches(targets, h.tool, classOf(meta, h.tool))).slice(-max);
}
