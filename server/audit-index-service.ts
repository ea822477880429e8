// What the console's index thread does with each question (audit-index-worker.mjs runs this on
// its thread; audit-index-thread.ts asks from the main thread): first reads what the chain gained
// since the last question into the index (audit-index.ts, through audit-tail.ts), then answers
// from the index, reading back only the records the answer shows. What the index dropped is read
// from the whole chain with audit-read.ts, whose answers the index's must equal. A chain
// rewritten under it (a file shrank or was replaced) starts the index again.

import { randomUUID } from "node:crypto";
import { agentHistory, runTimeline, type AgentSummary, type AuditRow, type RunSummary } from "./audit-read.js";
import { AuditIndex, type IndexLimits } from "./audit-index.js";
import { jsonlSource, parseRow, postgresSource, type AuditSource } from "./audit-source.js";
import { openTail, type ChainTail } from "./audit-tail.js";
import { csvRow } from "./export.js";
import type { VerifyTarget } from "./verify-thread.js";

/**
 * Where an export stopped: the index it read (a rewritten chain, or a restarted thread, makes a
 * new one), the last record read, and the last record indexed when the export began, which is
 * where it ends: an export is of the chain as it was when asked for.
 */
export interface ExportCursor { epoch: string; pos: number; end: number }

export type IndexQuery =
  | { kind: "runs"; limit: number }
  /** The last `limit` steps of the run, and its count of steps. */
  | { kind: "timeline"; run: string; limit: number }
  | { kind: "agents"; limit: number }
  | { kind: "history"; agent: string; limit: number }
  | { kind: "latest"; n: number }
  /** Records with from ≤ time < to, as stored lines (jsonl) or CSV rows, about CHUNK characters a question. */
  | { kind: "export"; from: number; to: number; format: "jsonl" | "csv"; after?: ExportCursor };

export type IndexAnswer =
  | { runs: RunSummary[] }
  | { agents: AgentSummary[] }
  | { rows: AuditRow[] }
  | { steps: AuditRow[]; total: number }
  | { chunk: string; next?: ExportCursor };

/** Characters of export per answer: large enough that the hop per chunk is nothing, small enough to stream. */
const CHUNK = 256 * 1024;

export interface ServiceOptions extends Partial<IndexLimits> {
  /** Characters of export per answer (default 256 KiB; tests make it small). */
  chunk?: number;
}
/** Rewrites in a row before a question gives up (each one restarts the index). */
const MAX_RESETS = 3;
/**
 * After a question, the index keeps reading what is appended every FOLLOW_MS for KEEP_UP_MS, so
 * the pages of someone using the console stay quick; a console nobody opens costs nothing.
 */
const FOLLOW_MS = 10_000;
const KEEP_UP_MS = 15 * 60_000;

export class IndexService {
  private index: AuditIndex;
  private tail: ChainTail;
  private readonly source: AuditSource;
  /** Names this index: random per service, renewed when the chain is rewritten. */
  private epoch = randomUUID();
  /** Questions answered by reading the whole chain, for what the index let go. */
  scans = 0;
  /** Questions are answered one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  private readonly chunk: number;

  constructor(private readonly target: VerifyTarget, private readonly limits: ServiceOptions = {}) {
    this.index = new AuditIndex(limits);
    this.chunk = limits.chunk ?? CHUNK;
    this.tail = openTail(target);
    this.source = target.kind === "jsonl" ? jsonlSource(target.path) : postgresSource(target.url, { chain: target.chain });
  }

  private follower: NodeJS.Timeout | undefined;
  private askedAt = 0;

  answer(q: IndexQuery): Promise<IndexAnswer> {
    const next = this.queue.then(() => this.answerNow(q));
    this.queue = next.catch(() => undefined);
    this.keepUp();
    return next;
  }

  /** Follows the chain in the background for a while after each question (a failure waits for the next question). */
  private keepUp(): void {
    this.askedAt = Date.now();
    this.follower ??= setInterval(() => {
      if (Date.now() - this.askedAt > KEEP_UP_MS) {
        clearInterval(this.follower);
        this.follower = undefined;
        return;
      }
      this.queue = this.queue.then(() => this.catchUp()).catch(() => undefined);
    }, FOLLOW_MS);
    this.follower.unref();
  }

  /** Records indexed so far (tests and the thread's own checks). */
  get indexed(): number {
    return this.index.count;
  }

  private async answerNow(q: IndexQuery): Promise<IndexAnswer> {
    await this.catchUp();
    switch (q.kind) {
      case "runs":
        return { runs: this.index.recentRuns(q.limit) };
      case "agents":
        return { agents: this.index.seenAgents(q.limit) };
      case "timeline": {
        const at = this.index.runSteps(q.run, q.limit);
        if (at !== "scan") return { steps: await this.rowsAt(at.at), total: at.total };
        this.scans++;
        const t = await runTimeline(this.source, q.run, q.limit);
        return { steps: t.rows, total: t.total };
      }
      case "history": {
        const at = this.index.agentHistory(q.agent, q.limit);
        if (at === "scan") this.scans++;
        return { rows: at === "scan" ? await agentHistory(this.source, q.agent, q.limit) : await this.rowsAt(at) };
      }
      case "latest":
        return { rows: await this.rowsAt(this.index.latestRows(q.n)) };
      case "export":
        return this.exportChunk(q);
    }
  }

  private async catchUp(): Promise<void> {
    for (let resets = 0; ; resets++) {
      const index = this.index;
      const r = await this.tail.follow((row, pos) => {
        if (row) index.add(row, pos);
      });
      if (r === "ok") return;
      if (resets >= MAX_RESETS) throw new Error("the audit log keeps changing under the console's index (files replaced or shortened); run `pol audit verify`");
      await this.tail.close();
      this.tail = openTail(this.target);
      this.index = new AuditIndex(this.limits);
      this.epoch = randomUUID();
    }
  }

  private async rowsAt(positions: readonly number[]): Promise<AuditRow[]> {
    const lines = await this.tail.lines(positions);
    const out: AuditRow[] = [];
    for (const line of lines) {
      const r = line === null ? null : parseRow(line);
      if (r) out.push(r);
    }
    return out;
  }

  private async exportChunk(q: Extract<IndexQuery, { kind: "export" }>): Promise<IndexAnswer> {
    if (q.after && q.after.epoch !== this.epoch) throw new Error("the audit log was rewritten during the export (files replaced or shortened); run `pol audit verify`, then download again");
    const after = q.after?.pos ?? -1;
    const end = q.after?.end ?? this.index.lastPos;
    let chunk = "";
    let last = after;
    for (const s of this.index.spans(q.from, q.to)) {
      if (s.to <= after) continue;
      if (s.from > end) break;
      await this.tail.range(Math.max(s.from, after), Math.min(s.to, end), (line, pos) => {
        if (pos <= after) return true;
        last = pos;
        const r = parseRow(line);
        const t = r ? Date.parse(r.time) : NaN;
        if (r && t >= q.from && t < q.to) chunk += q.format === "csv" ? csvRow(r) : `${line}\n`;
        return chunk.length < this.chunk;
      });
      if (chunk.length >= this.chunk) return { chunk, next: { epoch: this.epoch, pos: last, end } };
    }
    return { chunk };
  }

  async close(): Promise<void> {
    clearInterval(this.follower);
    this.follower = undefined;
    await this.tail.close();
    await this.source.close();
  }
}
