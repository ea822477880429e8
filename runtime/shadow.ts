// Shadow evaluation: every call the live policy decided is decided again by a candidate policy,
// after the live decision has returned, and where the two policies' effects differ a `shadow.diff`
// admin record goes to the audit log. Only the live decision ever takes effect. Fed by engine.ts
// (observe, after finish); the counters surface in policyStatus(); `pol shadow report` reads the records.
//
// Off the hot path: observe() copies the call (a tool may mutate its arguments in place once the
// decision returns, and the candidate must see what the live policy saw) and queues it; one
// setImmediate drains the queue. The copy is the only shadow cost a decision pays: a plain copy
// of own enumerable keys, 2.2 µs per benchmark call (benchmarks/suites/engine.ts's five, on the
// loaded 2-core machine) where structuredClone took 8.8 µs and Object.fromEntries 6.5 µs. A full
// queue, or a call that cannot be copied (a throwing getter, more than 10,000 objects), is dropped.

import type { Effect } from "../language/ast.js";
import type { Decision } from "../language/call.js";
import type { AuditEntry } from "./audit/index.js";
import { auditArgs, auditText, entry, isoTime } from "./audit-entries.js";
import type { WasmPolicy } from "./loader.js";

/** Calls waiting for the candidate before new ones are dropped (about 50 ms of candidate work). */
const MAX_QUEUE = 10_000;
/** Objects and lists one copied call may hold: far above any real call, and a bound on cycles. */
const MAX_NODES = 10_000;

/**
 * A copy of a call's data: plain objects (own enumerable keys; `__proto__` stays a data key, as in
 * the audit copy) and lists copied, everything else shared (strings and numbers cannot change).
 * Assignment, not Object.fromEntries, which tripled the cost. Throws past MAX_NODES.
 */
function snapshot(v: unknown, budget: { left: number }): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (--budget.left < 0) throw new Error("the call is too large to copy");
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = snapshot(v[i], budget);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = snapshot((v as Record<string, unknown>)[k], budget);
    if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

export interface ShadowHost {
  /** Appends an admin entry; failures are reported, never thrown. */
  append(e: AuditEntry): void;
  auditMaxString: number;
}

/** One policy's side of a comparison. */
export interface ShadowSide { policy: string; effect: Effect; rule: string | null; approvers?: string[] }

interface Pending { candidate: WasmPolicy; decider: WasmPolicy; live: ShadowSide; input: unknown; id: string; now: number }

export interface ShadowCounters {
  /** Calls the candidate decided. */
  compared: number;
  /** Of those, calls where its effect differed from the deciding policy's (each has a shadow.diff record). */
  differed: number;
  /** Calls not compared: the queue was full, or the call could not be copied. */
  dropped: number;
}

const side = (policy: string, d: Decision): ShadowSide => ({
  policy, effect: d.effect, rule: d.rules[0]?.id ?? null, ...(d.effect === "approve" ? { approvers: [...d.approvers] } : {}),
});

const field = (o: unknown, k: string): unknown => (typeof o === "object" && o !== null ? (o as Record<string, unknown>)[k] : undefined);

export class ShadowRunner {
  readonly counters: ShadowCounters = { compared: 0, differed: 0, dropped: 0 };
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly host: ShadowHost) {}

  /** Queues a comparison of `candidate` with the decision `decider` made on `input`. Never throws. */
  observe(candidate: WasmPolicy, decider: WasmPolicy, input: unknown, live: Decision, id: string, now: number): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.counters.dropped++;
      return;
    }
    let copy: unknown;
    try {
      copy = snapshot(input, { left: MAX_NODES });
    } catch {
      this.counters.dropped++;
      return;
    }
    this.queue.push({ candidate, decider, live: side(decider.hash, live), input: copy, id, now });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Zeroes the counters for a new candidate (after comparing what the last one still had queued). */
  reset(): void {
    this.drain();
    Object.assign(this.counters, { compared: 0, differed: 0, dropped: 0 });
  }

  /** Compares everything queued, now (also before a flush or close, so no comparison is lost). */
  drain(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const x of q) this.compare(x);
  }

  private compare(x: Pending): void {
    // evaluate never throws: a trap or a bad call is a deny with a reason, compared like any other.
    const s = x.candidate.evaluate(x.input);
    this.counters.compared++;
    if (s.effect === x.live.effect) return;
    this.counters.differed++;
    const redact = [...new Set([...x.decider.meta.redact, ...x.candidate.meta.redact])];
    this.host.append(entry({
      type: "admin", time: isoTime(x.now), event: "shadow.diff", decision: x.id,
      tool: auditText(field(x.input, "tool")), agent: auditText(field(field(x.input, "agent"), "id")), run: auditText(field(field(x.input, "run"), "id")), env: auditText(field(x.input, "env")),
      args: auditArgs(field(x.input, "args"), redact, this.host.auditMaxString),
      live: x.live, shadow: side(x.candidate.hash, s),
    }));
  }
}
