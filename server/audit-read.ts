// The console's read side of the audit chain: the slices the pages show (a run's timeline, an
// agent's history, the runs and agents seen, the latest records, a time range for export), read
// in chain order from an AuditSource (audit-source.ts: the JSONL log, or the PostgreSQL chain of a
// fleet), and the chain's verification status, re-checked in the background for /metrics and the
// audit page. Fed by the chain the Engine writes (`pol serve --audit`); never writes to it.
//
// Each view reads the whole chain, which is simple and exact but linear in its size (see
// docs/console.md for the measured cost).

import type { VerifyCheckpoint } from "../runtime/audit/index.js";
import type { AuditSource } from "./audit-source.js";
import { VerifyThread, type VerifyTarget } from "./verify-thread.js";

/** One audit record as stored; fields beyond these depend on `type` (runtime/audit-entries.ts). */
export interface AuditRow {
  seq: number;
  type: "decision" | "outcome" | "error" | "admin";
  time: string;
  [field: string]: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * A run's timeline: its decisions and outcomes, and the approval resolutions of its decisions,
 * in chain order (which is the order the Engine made them in).
 */
export async function runTimeline(source: AuditSource, runId: string): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  const decisions = new Set<string>();
  for await (const r of source.rows()) {
    if (r.run === runId && (r.type === "decision" || r.type === "error" || r.type === "outcome")) {
      out.push(r);
      if (r.type !== "outcome" && typeof r.id === "string") decisions.add(r.id);
    } else if (r.type === "admin" && typeof r.decision === "string" && decisions.has(r.decision)) {
      out.push(r);
    }
  }
  return out;
}

export interface RunSummary { run: string; agents: string[]; first: string; last: string; decisions: number; denied: number; waiting: number }

/** Runs seen in the log, most recent activity first, at most `limit`. */
export async function recentRuns(source: AuditSource, limit = 100): Promise<RunSummary[]> {
  const runs = new Map<string, RunSummary>();
  for await (const r of source.rows()) {
    const run = str(r.run);
    if (!run || (r.type !== "decision" && r.type !== "error" && r.type !== "outcome")) continue;
    let s = runs.get(run);
    if (s) runs.delete(run);
    else s = { run, agents: [], first: r.time, last: r.time, decisions: 0, denied: 0, waiting: 0 };
    runs.set(run, s);
    s.last = r.time;
    const agent = str(r.agent);
    if (agent && !s.agents.includes(agent) && s.agents.length < 5) s.agents.push(agent);
    if (r.type !== "outcome") {
      s.decisions++;
      if (r.effect === "deny") s.denied++;
      if (r.effect === "approve") s.waiting++;
    }
  }
  return [...runs.values()].reverse().slice(0, limit);
}

export interface AgentSummary { agent: string; decisions: number; denied: number; last: string }

/** Agents seen in decisions, most recent first. */
export async function seenAgents(source: AuditSource, limit = 200): Promise<AgentSummary[]> {
  const agents = new Map<string, AgentSummary>();
  for await (const r of source.rows()) {
    const agent = str(r.agent);
    if (!agent || (r.type !== "decision" && r.type !== "error")) continue;
    let s = agents.get(agent);
    if (s) agents.delete(agent);
    else s = { agent, decisions: 0, denied: 0, last: r.time };
    agents.set(agent, s);
    s.decisions++;
    if (r.effect === "deny") s.denied++;
    s.last = r.time;
  }
  return [...agents.values()].reverse().slice(0, limit);
}

/** An agent's trust history: outcomes that moved its score, trust reports and restores, and its denied decisions; latest last. */
export async function agentHistory(source: AuditSource, agent: string, limit = 200): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  for await (const r of source.rows()) {
    if (r.agent !== agent) continue;
    const trustEvent = r.type === "admin" && typeof r.event === "string" && r.event.startsWith("trust.");
    const moved = r.type === "outcome" && r.trustDelta !== undefined;
    const denied = (r.type === "decision" || r.type === "error") && r.effect === "deny";
    const resolved = r.type === "admin" && typeof r.event === "string" && r.event.startsWith("approval.");
    if (trustEvent || moved || denied || resolved) {
      out.push(r);
      if (out.length > limit) out.shift();
    }
  }
  return out;
}

/** The last `n` records. */
export async function latestRows(source: AuditSource, n = 50): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  for await (const r of source.rows()) {
    out.push(r);
    if (out.length > n) out.shift();
  }
  return out;
}

/** Records with `from <= time < to` (ms since the epoch), in chain order. */
export async function* rowsBetween(source: AuditSource, from: number, to: number): AsyncGenerator<AuditRow> {
  for await (const r of source.rows()) {
    const t = Date.parse(r.time);
    if (t >= from && t < to) yield r;
  }
}

export interface VerifyStatus {
  ok: boolean;
  /** Records verified before the first break (all of them when ok). */
  count: number;
  /** The verifier's one line (`pol audit verify` prints the same). */
  text: string;
  checkedAt: number;
}

/**
 * Verifies the chain now and then (and on demand), keeping the last result. A truncated last
 * record is retried once after a flush: the writer may have been mid-write, which is not damage.
 * The walking happens on a thread of its own (verify-thread.ts), and for a JSONL log each check
 * after an intact one resumes from its checkpoint: it verifies the records written since and shows
 * the files verified before unchanged (runtime/audit/verify-resume.ts). Walking the whole chain
 * each minute on the main thread held every request for 2.0–2.5 s per 100,000 records
 * (docs/console.md). A PostgreSQL chain is walked whole each time, on that thread, against the
 * anchor in the state store when there is one (its verifier has no checkpoint to resume from).
 */
export class AuditVerifier {
  private last: VerifyStatus | undefined;
  private running: Promise<VerifyStatus> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly thread = new VerifyThread();
  /** The last intact result's checkpoint; dropped on a break, so the next check walks it all again. */
  private from: VerifyCheckpoint | undefined;

  constructor(private readonly target: VerifyTarget, private readonly flush: () => Promise<void>) {}

  get status(): VerifyStatus | undefined {
    return this.last;
  }

  check(): Promise<VerifyStatus> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<VerifyStatus> {
    try {
      await this.flush().catch(() => undefined);
      let { result: r, text } = await this.thread.verify(this.target, this.from);
      if (!r.ok && r.error.kind === "truncated") {
        await this.flush().catch(() => undefined);
        ({ result: r, text } = await this.thread.verify(this.target, this.from));
      }
      this.from = r.ok ? r.checkpoint : undefined;
      this.last = { ok: r.ok, count: r.count, text, checkedAt: Date.now() };
    } catch (e) {
      this.from = undefined;
      this.last = { ok: false, count: 0, text: `the audit log could not be verified: ${(e as Error).message}`, checkedAt: Date.now() };
    }
    return this.last;
  }

  /** Re-verifies every `ms` (unref'd: it never keeps the process alive). */
  every(ms: number): void {
    this.stop();
    this.thread.warm();
    void this.check();
    this.timer = setInterval(() => void this.check(), ms);
    this.timer.unref();
  }

  /** Stops the timer and the verifier's thread (a check in flight ends as "could not be verified"). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.thread.stop();
  }
}
