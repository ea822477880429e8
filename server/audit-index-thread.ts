// The console's questions about the audit chain, asked of the index thread (audit-index-worker.mjs
// running audit-index-service.ts): the runs and agents seen, a run's timeline, an agent's
// history, the latest records, and an export streamed in chunks. The pages (console/*.ts) call
// these; the main thread only sends the question and renders the answer, so a page on a large
// log never holds up a decision. One per server, built by app.ts from the chain's source.

import type { AgentSummary, AuditRow, RunSummary, Timeline } from "./audit-read.js";
import type { ExportCursor, IndexAnswer, IndexQuery } from "./audit-index-service.js";
import { HelperThread, moduleUrl } from "./helper-thread.js";
import type { VerifyTarget } from "./verify-thread.js";

export class AuditIndexThread {
  private readonly thread: HelperThread<{ q: IndexQuery }, { answer: IndexAnswer }>;

  constructor(target: VerifyTarget) {
    this.thread = new HelperThread(new URL("./audit-index-worker.mjs", import.meta.url), "audit index", { module: moduleUrl("./audit-index-service"), target });
  }

  private async ask<K extends string>(q: IndexQuery, key: K): Promise<Extract<IndexAnswer, Record<K, unknown>>> {
    const { answer } = await this.thread.request({ q });
    if (!(key in answer)) throw new Error(`the audit index answered a ${q.kind} question without ${key}`);
    return answer as Extract<IndexAnswer, Record<K, unknown>>;
  }

  /** Runs seen in the log, most recent activity first, at most `limit`. */
  async recentRuns(limit = 100): Promise<RunSummary[]> {
    return (await this.ask({ kind: "runs", limit }, "runs")).runs;
  }

  /** The last `limit` of a run's decisions, outcomes and approval resolutions, in chain order, and how many it has in all. */
  async runTimeline(run: string, limit = 1000): Promise<Timeline> {
    const { steps, total } = await this.ask({ kind: "timeline", run, limit }, "steps");
    return { rows: steps, total };
  }

  /** Agents seen in decisions, most recent first. */
  async seenAgents(limit = 200): Promise<AgentSummary[]> {
    return (await this.ask({ kind: "agents", limit }, "agents")).agents;
  }

  /** An agent's trust history (audit-read.ts agentHistory), latest last. */
  async agentHistory(agent: string, limit = 200): Promise<AuditRow[]> {
    return (await this.ask({ kind: "history", agent, limit }, "rows")).rows;
  }

  /** The last `n` records (at most 50). */
  async latestRows(n = 50): Promise<AuditRow[]> {
    return (await this.ask({ kind: "latest", n }, "rows")).rows;
  }

  /** Records with from ≤ time < to (ms since the epoch), as stored lines or CSV rows, chunk by chunk. */
  async *exportRange(from: number, to: number, format: "jsonl" | "csv"): AsyncGenerator<string> {
    let after: ExportCursor | undefined;
    do {
      const a = await this.ask({ kind: "export", from, to, format, ...(after ? { after } : {}) }, "chunk");
      if (a.chunk !== "") yield a.chunk;
      after = a.next;
    } while (after);
  }

  /** Starts the thread now (see HelperThread.warm). */
  warm(): void {
    this.thread.warm();
  }

  stop(): void {
    this.thread.stop();
  }
}
