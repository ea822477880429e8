// The backend `pol test` runs cases on: the compiled module behind the real
// runtime Engine, one fresh in-memory state store per case, seeded from the
// case's `state`. The audit sink keeps records in memory so `redacted`
// expectations read what the audit log would have stored.

import type { Decision } from "../language/call.js";
import { Engine } from "../runtime/engine.js";
import type { EngineDecision } from "../runtime/engine-types.js";
import { WasmPolicy } from "../runtime/loader.js";
import { additions, DEFAULT_RUN_BOUNDS, runNeeds, withRunInputs } from "../runtime/run-inputs.js";
import { openMemoryStore, type StateStore } from "../runtime/store/index.js";
import type { AuditEntry, AuditRecord, AuditSink } from "../runtime/audit/index.js";
import type { Backend, CaseRuntime } from "./run.js";
import type { StateSpec } from "./suite.js";

/** Test time: a fixed instant, one millisecond per decision, so limit windows behave the same every run. */
const EPOCH = Date.UTC(2026, 0, 1);

class MemoryAudit implements AuditSink {
  readonly records: AuditRecord[] = [];
  seq = 0;
  lastHash = "0".repeat(64);
  append(entry: AuditEntry): AuditRecord {
    const r = { ...entry, seq: ++this.seq, prev: this.lastHash, hash: String(this.seq), mac: "" } as AuditRecord;
    this.records.push(r);
    return r;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

type Obj = Record<string, unknown>;
const agentOf = (call: Obj) => (typeof call["agent"] === "object" && call["agent"] !== null ? (call["agent"] as Obj) : {});

async function seed(store: StateStore, state: StateSpec, policy: WasmPolicy, main: Obj, now: number): Promise<void> {
  for (const [agent, score] of Object.entries(state.trust)) await store.trust.set(agent, score, now);
  for (const p of state.paused) await store.pauses.pause(typeof p === "string" ? { pattern: p, reason: "paused by the test's state" } : { toolClass: p.class, reason: "paused by the test's state" }, now);
  // A limit's bucket is `id|key`; without `key`, the bucket the case's own call would charge.
  const uses = state.limits.length ? policy.evaluate(main).limits : [];
  for (const l of state.limits) {
    const key = l.key !== undefined ? `${l.limit}|${l.key}` : uses.find((u) => u.id === l.limit)?.key ?? l.limit;
    await store.limits.seed(key, l.used, now - 1);
  }
  // Run state as earlier allowed calls of the case's run would have left it.
  const updates = Object.entries(state.run ?? {}).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ state: name, value })));
  const run = (main["run"] ?? {}) as Obj;
  if (updates.length && typeof run["id"] === "string") {
    const r = await store.runs.record(run["id"], null, additions(policy.meta, updates), DEFAULT_RUN_BOUNDS, now - 1);
    if (!r.ok) throw new Error(`the case's run state cannot be set: ${r.reason}`);
  }
}

/**
 * The policy's own decision, as seen with the trust, run history, run state and clock the engine
 * passed (`input`, read before the engine recorded the call): rules and matches for expectations and coverage.
 */
function merged(policy: WasmPolicy, input: unknown, d: EngineDecision): Decision {
  const i = input as Obj;
  const p = policy.evaluate({ ...i, agent: { ...agentOf(i), trust: d.trust } });
  return { ...p, effect: d.effect, decidedBy: d.decidedBy as Decision["decidedBy"], reasons: d.reasons, approvers: d.approvers };
}

export function engineBackend(): Backend {
  return {
    async prepare(wasm) {
      const policy = await WasmPolicy.fromBytes(wasm);
      return {
        meta: policy.meta,
        async open(state): Promise<CaseRuntime> {
          let now = state.time ?? EPOCH;
          const clock = { now: () => now };
          const store = await openMemoryStore();
          const audit = new MemoryAudit();
          const engine = await Engine.load(policy, { store, audit, clock });
          let seeded = false;
          return {
            async decide(call) {
              if (!seeded) {
                seeded = true;
                await seed(store, state, policy, call, now);
              }
              // Trust written in a call is the agent's score, unless the case's state sets it.
              const agent = agentOf(call);
              if (typeof agent["id"] === "string" && typeof agent["trust"] === "number" && !(agent["id"] in state.trust)) await store.trust.set(agent["id"], agent["trust"], now);
              now += 1;
              const run = (call["run"] ?? {}) as Obj;
              const input = await withRunInputs(call, runNeeds(policy), store, typeof run["id"] === "string" ? run["id"] : "", now);
              const d = await engine.decide(call);
              const record = [...audit.records].reverse().find((r) => r["type"] === "decision" && r["id"] === d.id) ?? audit.records[audit.records.length - 1];
              return { decision: merged(policy, input, d), audit: record };
            },
            async close() {
              await engine.close();
              await store.close();
            },
          };
        },
      };
    },
  };
}
