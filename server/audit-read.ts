// The console's views of the audit chain, defined by reading it whole: the slices the pages show
// (a run's timeline, an agent's history, the runs and agents seen, the latest records, a time
// range for export), read in chain order from an AuditSource (audit-source.ts: the JSONL log, or
// the PostgreSQL chain of a fleet). Linear in the chain's size, so the pages do not call these:
// the index thread answers them from server/audit-index.ts, and reads the chain with these only
// for what the index dropped; tests hold the index to these answers.

import type { AuditSource } from "./audit-source.js";

/** One audit record as stored; fields beyond these depend on `type` (runtime/audit-entries.ts). */
export interface AuditRow {
  seq: number;
  type: "decision" | "outcome" | "error" | "admin";
  time: string;
  [field: string]: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The last steps of a run's timeline, and how many it has in all. */
export interface Timeline { rows: AuditRow[]; total: number }

/**
 * A run's timeline: its decisions and outcomes, and the approval resolutions of its decisions,
 * in chain order (which is the order the Engine made them in); the last `limit` of them, with
 * the count of all (a run of a million calls must not become a million-row page).
 */
export async function runTimeline(source: AuditSource, runId: string, limit = Infinity): Promise<Timeline> {
  const out: AuditRow[] = [];
  let total = 0;
  const keep = (r: AuditRow) => {
    total++;
    out.push(r);
    if (out.length > limit) out.shift();
  };
  const decisions = new Set<string>();
  for await (const r of source.rows()) {
    if (r.run === runId && (r.type === "decision" || r.type === "error" || r.type === "outcome")) {
      keep(r);
      // approval records name the decision that asked for the approval
      if (r.type !== "outcome" && typeof r.id === "string" && typeof r.approval === "string") decisions.add(r.id);
    } else if (r.type === "admin" && typeof r.decision === "string" && decisions.has(r.decision)) {
      keep(r);
    }
  }
  return { rows: out, total };
}

/** `partial`: the index saw only the run's later records (server/audit-index.ts), so the counts are at least these. */
export interface RunSummary { run: string; agents: string[]; first: string; last: string; decisions: number; denied: number; waiting: number; partial?: boolean }

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
    countRunStep(s, r);
  }
  return [...runs.values()].reverse().slice(0, limit);
}

/** Counts a decision, error or outcome of a run into its summary (here and in the index). */
export function countRunStep(s: RunSummary, r: AuditRow): void {
  s.last = r.time;
  const agent = str(r.agent);
  if (agent && !s.agents.includes(agent) && s.agents.length < 5) s.agents.push(agent);
  if (r.type !== "outcome") {
    s.decisions++;
    if (r.effect === "deny") s.denied++;
    if (r.effect === "approve") s.waiting++;
  }
}

/** `partial` as for RunSummary. */
export interface AgentSummary { agent: string; decisions: number; denied: number; last: string; partial?: boolean }

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
    countAgentDecision(s, r);
  }
  return [...agents.values()].reverse().slice(0, limit);
}

/** Counts a decision or error into its agent's summary (here and in the index). */
export function countAgentDecision(s: AgentSummary, r: AuditRow): void {
  s.decisions++;
  if (r.effect === "deny") s.denied++;
  s.last = r.time;
}

/** An agent's trust history: outcomes that moved its score, trust reports and restores, and its denied decisions; latest last. */
export async function agentHistory(source: AuditSource, agent: string, limit = 200): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  for await (const r of source.rows()) {
    if (r.agent === agent && inHistory(r)) {
      out.push(r);
      if (out.length > limit) out.shift();
    }
  }
  return out;
}

/** Whether a record belongs in its agent's history: a trust event or approval resolution, an outcome that moved trust, a denied call. */
export function inHistory(r: AuditRow): boolean {
  const event = typeof r.event === "string" ? r.event : "";
  if (r.type === "admin") return event.startsWith("trust.") || event.startsWith("approval.");
  if (r.type === "outcome") return r.trustDelta !== undefined;
  return (r.type === "decision" || r.type === "error") && r.effect === "deny";
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
