// The console's index of the audit chain: built record by record as the chain grows (fed by the
// index thread, audit-index-worker.mjs, from audit-tail.ts), it keeps what the pages show (the
// runs and agents seen with their counts, where each run's steps and each agent's history are,
// the latest records, and the time span of each block of records for export) as positions to
// read again, never the records themselves. Plain data and no I/O; tested, through
// audit-index-service.ts, against the linear readers of audit-read.ts, which define each view.
//
// Bounded: a page that needs what was dropped (a run, or an agent's history, pushed out by newer
// ones, or more of a run than the latest steps it keeps) says so with `scan`, and the thread reads
// the chain for it, as every page did before the index.

import { randomBytes } from "node:crypto";
import { fingerprint } from "./allow-memory.js";
import { countAgentDecision, countRunStep, inHistory, type AgentSummary, type AuditRow, type RunSummary } from "./audit-read.js";

/**
 * How much the index keeps; at the defaults ~40 MB at most (2 million positions, 10,000 runs and
 * agents with their summaries, the approve decisions' ids), plus 2 bytes for each run or agent
 * it ever let go (Dropped). Tests shrink them.
 */
export interface IndexLimits {
  /** Runs kept, most recently active first. */
  runs: number;
  /** A run's latest steps kept (between this and twice this); a page asking for more of a longer run reads the chain. */
  steps: number;
  /** Steps kept over all runs (8 bytes each); the least recently active runs go first. */
  positions: number;
  /** Agents whose counts and history are kept. */
  agents: number;
  /** History entries kept per agent (the console shows the latest 200). */
  history: number;
  /** Latest records kept (the audit page shows 50). */
  latest: number;
  /** Approve decisions remembered with their run, for approval records written without one (logs before 2026-12). */
  approvalRuns: number;
  /** Records per export block, at first; blocks are merged pairwise when there are more than `blocks`. */
  block: number;
  blocks: number;
}

export const DEFAULT_LIMITS: IndexLimits = {
  runs: 10_000, steps: 5_000, positions: 2_000_000, agents: 10_000, history: 200, latest: 50, approvalRuns: 100_000, block: 1024, blocks: 50_000,
};

/**
 * `partial`: made after this run was dropped, so it had steps before it (its counts are then a
 * lower bound, and its timeline is read from the chain). `approvals`: approval id → the decision
 * that asked for it (the first that names it; repeats of a waiting call name it again), the only
 * decision an approval record resolves.
 */
interface RunEntry {
  summary: RunSummary;
  /** The latest steps' positions; `total` counts them all (more than kept once the earliest were let go). */
  steps: number[];
  total: number;
  /** null once a run has asked for more approvals than MAX_RUN_APPROVALS: its page reads the chain. */
  approvals: Map<string, string> | null;
  partial: boolean;
}

/** Approvals remembered per run (a run asking for more is read from the chain). */
const MAX_RUN_APPROVALS = 10_000;
interface History { pos: number[]; partial: boolean }
interface Block { from: number; to: number; minT: number; maxT: number; count: number }

/**
 * The ids of runs or agents dropped from the index, in a scalable Bloom filter: never a false
 * "no", so a run seen again after it was dropped is always known to be partial; a false "yes"
 * (under 1% at any size) only means its page reads the chain. Each layer holds twice the keys of
 * the one before at 2 bytes a key, so memory grows with what was dropped (20 MB for 10 million
 * runs), never its error rate. The seeds are drawn per process, so ids cannot be chosen to collide.
 */
export class Dropped {
  private readonly layers: { bits: Uint32Array; mask: number; keys: number; capacity: number }[] = [];

  /** Keys added (a key added twice counts twice). */
  get keys(): number {
    return this.layers.reduce((n, l) => n + l.keys, 0);
  }
  private readonly seeds = new Int32Array(randomBytes(8).buffer);

  add(id: string): void {
    let top = this.layers[this.layers.length - 1];
    if (!top || top.keys >= top.capacity) {
      const capacity = 2 ** (16 + this.layers.length);
      const bits = capacity * 16; // 16 bits a key, 8 probes: ~0.06% false "yes" when full
      top = { bits: new Uint32Array(bits / 32), mask: bits - 1, keys: 0, capacity };
      this.layers.push(top);
    }
    top.keys++;
    const [a, b] = this.prints(id);
    for (let j = 0; j < 8; j++) {
      const bit = ((a + j * b) >>> 0) & top.mask;
      top.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  has(id: string): boolean {
    if (this.layers.length === 0) return false;
    const [a, b] = this.prints(id);
    return this.layers.some((l) => {
      for (let j = 0; j < 8; j++) {
        const bit = ((a + j * b) >>> 0) & l.mask;
        if ((l.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      }
      return true;
    });
  }

  private prints(id: string): [number, number] {
    return [fingerprint(id, this.seeds[0]!) >>> 0, (fingerprint(id, this.seeds[1]!) | 1) >>> 0];
  }
}

/**
 * A bounded map that forgets its oldest entries half at a time: two Maps, the older dropped whole
 * when the newer fills. Deleting a Map's first entry one at a time leaves V8 a hole to skip on
 * every later `keys().next()`, which made indexing 25 times slower once full.
 */
class TwoGenerations<K, V> {
  private old = new Map<K, V>();
  private young = new Map<K, V>();

  get(key: K): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  /** Sets `key`; keeps between `max`/2 and `max` entries. */
  set(key: K, v: V, max: number): void {
    this.young.set(key, v);
    if (this.young.size >= Math.max(1, Math.floor(max / 2))) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const isStep = (r: AuditRow) => r.type === "decision" || r.type === "error" || r.type === "outcome";

/** A Map in order of last use, holding at most `max`: the least recently used goes, and is remembered as dropped. */
export class Recent<V> {
  private readonly map = new Map<string, V>();
  readonly gone = new Dropped();

  constructor(private readonly max: number, private readonly onDrop: (v: V) => void = () => {}) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Whether `key` was let go at some point (a new entry for it starts partial). */
  dropped(key: string): boolean {
    return this.gone.has(key);
  }

  /** Makes `key` the most recently used, letting the least recently used go when a new key would exceed `max`. */
  use(key: string, v: V): void {
    if (!this.map.delete(key) && this.map.size >= this.max) this.dropOldest();
    this.map.set(key, v);
  }

  dropOldest(): void {
    const oldest = this.map.entries().next().value;
    if (!oldest) return;
    this.map.delete(oldest[0]);
    // Once per key: runs taking turns past the limit are dropped again and again.
    if (!this.gone.has(oldest[0])) this.gone.add(oldest[0]);
    this.onDrop(oldest[1]);
  }

  get size(): number {
    return this.map.size;
  }

  /** Most recently used first. */
  newestFirst(limit: number): V[] {
    return [...this.map.values()].reverse().slice(0, limit);
  }
}

export class AuditIndex {
  private readonly runs: Recent<RunEntry>;
  /** Steps kept over all runs. */
  private positions = 0;
  private readonly agents: Recent<AgentSummary>;
  private readonly histories: Recent<History>;
  /** Decision id → run, of decisions that asked for an approval, for approval records written without `run`. */
  private readonly approvalRuns = new TwoGenerations<string, string>();
  private readonly latest: number[] = [];
  private readonly blocks: Block[] = [];
  /** Records indexed so far. */
  count = 0;
  /** The position of the last record indexed (-1 before any). */
  lastPos = -1;
  private readonly limits: IndexLimits;

  constructor(limits: Partial<IndexLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.runs = new Recent(this.limits.runs, (e) => (this.positions -= e.steps.length));
    this.agents = new Recent(this.limits.agents);
    this.histories = new Recent(this.limits.agents);
  }

  /** Indexes one record at `pos` (positions grow in chain order). */
  add(r: AuditRow, pos: number): void {
    this.count++;
    this.lastPos = pos;
    this.block(r, pos);
    this.latest.push(pos);
    if (this.latest.length > this.limits.latest) this.latest.shift();
    const run = str(r.run);
    if (isStep(r)) {
      if (run) this.runStep(r, run, pos);
      if (r.type !== "outcome") this.agentDecision(r);
    } else if (r.type === "admin" && typeof r.decision === "string") {
      // An approval's resolution: in its run's timeline (by its own `run`, or for older logs the
      // run of the decision it resolves, as audit-read.ts runTimeline places it).
      // The decision's own run first: a record's `run` may be cut to 256 characters where the
      // approval's is not (engine.ts auditText).
      const owner = this.approvalRuns.get(r.decision) ?? run;
      const e = owner === undefined ? undefined : this.runs.get(owner);
      if (e?.approvals && typeof r.approval === "string" && e.approvals.get(r.approval) === r.decision) this.push(e, pos);
    }
    const agent = str(r.agent);
    if (agent !== undefined && inHistory(r)) this.historyEntry(agent, pos);
  }

  private runStep(r: AuditRow, run: string, pos: number): void {
    let e = this.runs.get(run);
    if (!e) {
      const partial = this.runs.dropped(run);
      const summary: RunSummary = { run, agents: [], first: r.time, last: r.time, decisions: 0, denied: 0, waiting: 0 };
      if (partial) summary.partial = true;
      e = { summary, steps: [], total: 0, approvals: new Map(), partial };
    }
    this.runs.use(run, e);
    countRunStep(e.summary, r);
    if (r.type !== "outcome" && typeof r.id === "string" && typeof r.approval === "string" && e.approvals && !e.approvals.has(r.approval)) {
      e.approvals.set(r.approval, r.id);
      if (e.approvals.size > MAX_RUN_APPROVALS) e.approvals = null;
      this.approvalRuns.set(r.id, run, this.limits.approvalRuns);
    }
    this.push(e, pos);
  }

  private push(e: RunEntry, pos: number): void {
    e.total++;
    e.steps.push(pos);
    this.positions++;
    if (e.steps.length >= 2 * this.limits.steps) {
      // A long run keeps its latest steps: the earliest go in one cut (amortised, not a shift a step).
      const cut = e.steps.length - this.limits.steps;
      e.steps.splice(0, cut);
      this.positions -= cut;
    }
    // Over the limit, the least recently active runs go (not this one: it was just used).
    while (this.positions > this.limits.positions && this.runs.size > 1) this.runs.dropOldest();
  }

  private agentDecision(r: AuditRow): void {
    const agent = str(r.agent);
    if (!agent) return;
    let s = this.agents.get(agent);
    if (!s) {
      s = { agent, decisions: 0, denied: 0, last: r.time };
      if (this.agents.dropped(agent)) s.partial = true;
    }
    this.agents.use(agent, s);
    countAgentDecision(s, r);
  }

  private historyEntry(agent: string, pos: number): void {
    const h = this.histories.get(agent) ?? { pos: [], partial: this.histories.dropped(agent) };
    this.histories.use(agent, h);
    h.pos.push(pos);
    if (h.pos.length > this.limits.history) h.pos.shift();
  }

  private block(r: AuditRow, pos: number): void {
    const t = Date.parse(r.time);
    const last = this.blocks[this.blocks.length - 1];
    if (last && last.count < this.limits.block * this.blockScale) {
      last.to = pos;
      last.count++;
      if (t < last.minT) last.minT = t;
      if (t > last.maxT) last.maxT = t;
      return;
    }
    this.blocks.push({ from: pos, to: pos, minT: t, maxT: t, count: 1 });
    if (this.blocks.length > this.limits.blocks) this.mergeBlocks();
  }

  private blockScale = 1;

  /** Halves the number of blocks by merging neighbours (a time the record could not parse is NaN: it keeps both bounds unknown). */
  private mergeBlocks(): void {
    const merged: Block[] = [];
    for (let i = 0; i < this.blocks.length; i += 2) {
      const a = this.blocks[i]!;
      const b = this.blocks[i + 1];
      merged.push(b ? { from: a.from, to: b.to, minT: Math.min(a.minT, b.minT), maxT: Math.max(a.maxT, b.maxT), count: a.count + b.count } : a);
    }
    this.blocks.length = 0;
    this.blocks.push(...merged);
    this.blockScale *= 2;
  }

  // ---------------------------------------------------------------------------------------------
  // What the pages ask

  /** Runs, most recently active first (as audit-read.ts recentRuns). */
  recentRuns(limit: number): RunSummary[] {
    return this.runs.newestFirst(limit).map((e) => ({ ...e.summary, agents: [...e.summary.agents] }));
  }

  /** The positions of a run's last `limit` steps in chain order and its count of steps, or "scan" when the index cannot say. */
  runSteps(run: string, limit: number): { at: number[]; total: number } | "scan" {
    const e = this.runs.get(run);
    if (!e) return this.runs.dropped(run) ? "scan" : { at: [], total: 0 };
    if (e.partial || e.approvals === null || (limit > e.steps.length && e.total > e.steps.length)) return "scan";
    return { at: limit > 0 ? e.steps.slice(-limit) : [], total: e.total };
  }

  /** Agents seen in decisions, most recent first (as audit-read.ts seenAgents). */
  seenAgents(limit: number): AgentSummary[] {
    return this.agents.newestFirst(limit).map((s) => ({ ...s }));
  }

  /** Positions of an agent's latest history entries, oldest first; "scan" when they were dropped. */
  agentHistory(agent: string, limit: number): number[] | "scan" {
    const h = this.histories.get(agent);
    if (!h) return this.histories.dropped(agent) ? "scan" : [];
    // A history begun after others were dropped is whole only once it holds what is asked for,
    // and a full one may have had more than it keeps.
    if (h.partial && h.pos.length < Math.min(limit, this.limits.history)) return "scan";
    if (limit > this.limits.history && h.pos.length >= this.limits.history) return "scan";
    return h.pos.slice(-limit);
  }

  /** Positions of the latest `n` records (at most limits.latest), oldest first. */
  latestRows(n: number): number[] {
    return this.latest.slice(-n);
  }

  /** The [from, to] position ranges of the blocks that may hold records with from ≤ time < to, in chain order. */
  spans(from: number, to: number): { from: number; to: number }[] {
    const out: { from: number; to: number }[] = [];
    for (const b of this.blocks) {
      // A block with a time that does not parse has NaN bounds: read it, it may hold anything.
      if (Number.isNaN(b.minT) || Number.isNaN(b.maxT) || (b.maxT >= from && b.minT < to)) out.push({ from: b.from, to: b.to });
    }
    return out;
  }
}
