// The in-process StateStore: plain maps, nothing persisted. Used by `pol test`, unit tests and
// single-process embedding; built by openMemoryStore and consumed through the StateStore interfaces.
//
// Atomicity comes from JavaScript itself: every method body runs to completion without an await
// between reading and writing state, so concurrent promises observe each operation whole.

import {
  ChangeHub,
  adjustOnceTrust,
  adjustTrust,
  anchorAdvances,
  anchorOf,
  checkAnchor,
  checkAnchorName,
  checkClaim,
  checkFilter,
  checkInitialTrust,
  checkResumeTarget,
  consumeApproval,
  matchesFilter,
  newApproval,
  newPause,
  nothingToResume,
  pauseId,
  pendingCap,
  pauseSeq,
  resolveApproval,
  restoreTrust,
  setTrust,
  statusOf,
  toApproval,
  tooManyPending,
  unknownAgent,
  type StoredApproval,
} from "./rules.js";
import {
  StoreError,
  type Anchor,
  type AnchorStore,
  type Approval,
  type ApprovalFilter,
  type ApprovalListener,
  type ApprovalRequest,
  type ApprovalResolution,
  type ApprovalStatus,
  type ApprovalStore,
  type ConsumeResult,
  type CreateOptions,
  type LimitCharge,
  type LimitResult,
  type LimitStore,
  type Pause,
  type PauseRequest,
  type PauseStore,
  type RunAddition,
  type RunBounds,
  type RunRecord,
  type RunResult,
  type RunStore,
  type StateStore,
  type StoreOptions,
  type TrustRecord,
  type TrustStore,
} from "./types.js";
import {
  SWEEP_INTERVAL_MS,
  checkAmount,
  checkBatch,
  checkCharges,
  clearlyFits,
  checkKey,
  checkTime,
  checkWindow,
  insertSorted,
  windowStart,
  windowTotal,
  type WindowEvent,
} from "./window.js";
import { checkRecord, checkRunId, emptyRun, nextRun } from "./runs.js";

interface MemEvent extends WindowEvent {
  /** at + window, or Infinity for seeded events, which only per-key pruning removes. */
  expiresAt: number;
}

/** Shared by the four stores so close() shuts them all. */
class Lifecycle {
  closed = false;

  check(): void {
    if (this.closed) throw new StoreError("closed", "store is closed");
  }
}

class MemoryLimits implements LimitStore {
  /** Per key, sorted by (at, insertion). */
  private readonly buckets = new Map<string, MemEvent[]>();
  /** Per key, the sum of its events: a pre-check so most charges skip folding the window. */
  private readonly totals = new Map<string, number>();
  private lastSweep = -Infinity;

  constructor(private readonly life: Lifecycle) {}

  async consume(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    this.life.check();
    checkCharges(charges, now);
    this.sweep(now);
    for (const c of charges) this.prune(c.key, windowStart(c.windowMs, now));
    if (!clearlyFits(charges, (key) => this.totals.get(key) ?? 0)) {
      const denied = checkBatch(charges, now, (key, windowMs) => this.inWindow(key, windowMs, now));
      if (denied) return denied;
    }
    for (const c of charges) this.add(c.key, { at: now, amount: c.amount, expiresAt: now + c.windowMs });
    return { ok: true };
  }

  async peek(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    this.life.check();
    checkCharges(charges, now);
    return checkBatch(charges, now, (key, windowMs) => this.inWindow(key, windowMs, now)) ?? { ok: true };
  }

  async usage(key: string, windowMs: number, now: number): Promise<number> {
    this.life.check();
    checkKey(key);
    checkWindow(windowMs, key);
    checkTime(now);
    return windowTotal(this.inWindow(key, windowMs, now));
  }

  async seed(key: string, amount: number, at: number): Promise<void> {
    this.life.check();
    checkKey(key);
    checkAmount(amount, key);
    checkTime(at);
    this.add(key, { at, amount, expiresAt: Infinity });
  }

  private add(key: string, e: MemEvent): void {
    insertSorted(this.bucket(key), e);
    this.totals.set(key, (this.totals.get(key) ?? 0) + e.amount);
  }

  /** Recomputes a key's total after events left it; an emptied bucket restarts at exactly 0. */
  private retotal(key: string, events: MemEvent[] | undefined): void {
    if (!events || events.length === 0) this.totals.delete(key);
    else this.totals.set(key, events.reduce((n, e) => n + e.amount, 0));
  }

  private bucket(key: string): MemEvent[] {
    let events = this.buckets.get(key);
    if (!events) this.buckets.set(key, (events = []));
    return events;
  }

  private inWindow(key: string, windowMs: number, now: number): WindowEvent[] {
    const start = windowStart(windowMs, now);
    return (this.buckets.get(key) ?? []).filter((e) => e.at > start).map((e) => ({ at: e.at, amount: e.amount }));
  }

  /** Drops the key's events at or before start (sorted, so a prefix). */
  private prune(key: string, start: number): void {
    const events = this.buckets.get(key);
    if (!events) return;
    const keep = events.findIndex((e) => e.at > start);
    if (keep === -1) {
      this.buckets.delete(key);
      this.totals.delete(key);
    } else if (keep > 0) {
      const gone = events.splice(0, keep);
      this.totals.set(key, (this.totals.get(key) ?? 0) - gone.reduce((n, e) => n + e.amount, 0));
    }
  }

  /** Removes expired events from every bucket, so keys never charged again (per-run keys) do not pile up. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, events] of this.buckets) {
      const live = events.filter((e) => e.expiresAt > now);
      if (live.length === 0) this.buckets.delete(key);
      else if (live.length !== events.length) this.buckets.set(key, live);
      if (live.length !== events.length) this.retotal(key, live);
    }
  }
}

class MemoryApprovals implements ApprovalStore {
  /** Insertion order is creation order, the tie-break for equal createdAt. */
  private readonly byId = new Map<string, StoredApproval>();
  /** Creation order of each id, so indexes can sort by (createdAt, creation). */
  private readonly order = new Map<string, number>();
  /** Per call hash, its approved (unconsumed) approvals oldest first: findApproved's index. */
  private readonly approvedByHash = new Map<string, StoredApproval[]>();
  /** Per agent, the ids of its pending approvals: the pending cap's index. */
  private readonly pendingByAgent = new Map<string, Set<string>>();
  private readonly hub = new ChangeHub();

  constructor(private readonly life: Lifecycle) {}

  async create(req: ApprovalRequest, options?: CreateOptions): Promise<Approval> {
    this.life.check();
    const stored = newApproval(req);
    const cap = pendingCap(options);
    if (this.byId.has(stored.id)) throw new StoreError("conflict", `approval \`${stored.id}\` already exists`);
    const pending = this.pendingByAgent.get(stored.agentId) ?? new Set<string>();
    if (cap !== undefined && this.livePending(pending, stored.createdAt) >= cap) throw tooManyPending(stored.agentId, cap);
    this.byId.set(stored.id, stored);
    this.order.set(stored.id, this.order.size);
    this.pendingByAgent.set(stored.agentId, pending.add(stored.id));
    const out = toApproval(stored, stored.createdAt);
    this.hub.emit("created", out);
    return out;
  }

  async get(id: string, now: number): Promise<Approval | undefined> {
    this.life.check();
    checkTime(now);
    const stored = this.byId.get(id);
    return stored && toApproval(stored, now);
  }

  async status(id: string, now: number): Promise<ApprovalStatus | undefined> {
    this.life.check();
    checkTime(now);
    const stored = this.byId.get(id);
    return stored && statusOf(stored, now);
  }

  async list(filter: ApprovalFilter, now: number): Promise<Approval[]> {
    this.life.check();
    checkFilter(filter);
    checkTime(now);
    const matching = this.sorted().filter((a) => matchesFilter(a, filter, now));
    return (filter.newest !== undefined ? matching.slice(-filter.newest) : matching).map((a) => toApproval(a, now));
  }

  async resolve(id: string, resolution: ApprovalResolution, now: number): Promise<Approval> {
    this.life.check();
    const next = resolveApproval(this.byId.get(id), id, resolution, now);
    this.byId.set(id, next);
    this.pendingByAgent.get(next.agentId)?.delete(id);
    if (next.state === "approved") this.indexApproved(next);
    const out = toApproval(next, now);
    this.hub.emit("resolved", out);
    return out;
  }

  async consume(id: string, callHash: string, now: number): Promise<ConsumeResult> {
    this.life.check();
    const result = consumeApproval(this.byId.get(id), id, callHash, now);
    if (!result.ok) return result;
    this.byId.set(id, result.stored);
    this.unindexApproved(result.stored);
    const out = toApproval(result.stored, now);
    this.hub.emit("consumed", out);
    return { ok: true, approval: out };
  }

  async findApproved(callHash: string, now: number): Promise<Approval | undefined> {
    this.life.check();
    checkTime(now);
    const found = this.approvedByHash.get(callHash)?.find((a) => statusOf(a, now) === "approved");
    return found && toApproval(found, now);
  }

  onChange(listener: ApprovalListener): () => void {
    return this.hub.on(listener);
  }

  /** Pending ids of one agent unexpired at now; expired ones leave the index for good. */
  private livePending(ids: Set<string>, now: number): number {
    let n = 0;
    for (const id of ids) {
      if (statusOf(this.byId.get(id)!, now) === "pending") n++;
      else ids.delete(id);
    }
    return n;
  }

  private before(a: StoredApproval, b: StoredApproval): boolean {
    return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && this.order.get(a.id)! < this.order.get(b.id)!);
  }

  private indexApproved(a: StoredApproval): void {
    const list = this.approvedByHash.get(a.callHash) ?? [];
    let i = list.length;
    while (i > 0 && this.before(a, list[i - 1]!)) i--;
    list.splice(i, 0, a);
    this.approvedByHash.set(a.callHash, list);
  }

  private unindexApproved(a: StoredApproval): void {
    const list = this.approvedByHash.get(a.callHash);
    if (!list) return;
    const rest = list.filter((x) => x.id !== a.id);
    if (rest.length === 0) this.approvedByHash.delete(a.callHash);
    else this.approvedByHash.set(a.callHash, rest);
  }

  /** Oldest first: by createdAt, then creation order (Array.prototype.sort is stable). */
  private sorted(): StoredApproval[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt - b.createdAt);
  }
}

class MemoryAnchors implements AnchorStore {
  private readonly byName = new Map<string, Anchor>();

  constructor(private readonly life: Lifecycle) {}

  async get(name: string): Promise<Anchor | undefined> {
    this.life.check();
    checkAnchorName(name);
    const a = this.byName.get(name);
    return a && anchorOf(a);
  }

  async advance(name: string, anchor: Anchor): Promise<void> {
    this.life.check();
    checkAnchor(name, anchor);
    if (anchorAdvances(name, this.byName.get(name), anchor)) this.byName.set(name, anchorOf(anchor));
  }
}

class MemoryTrust implements TrustStore {
  private readonly byAgent = new Map<string, TrustRecord>();
  /** adjustOnce's claims: claim → kept until; expired ones are swept at most once a sweep interval. */
  private readonly claims = new Map<string, number>();
  private lastSweep = -Infinity;

  constructor(
    private readonly life: Lifecycle,
    private readonly initial: number,
  ) {}

  async get(agentId: string): Promise<TrustRecord> {
    this.life.check();
    return { ...this.current(agentId) };
  }

  async adjust(agentId: string, delta: number, now: number): Promise<TrustRecord> {
    return this.write(agentId, (r) => adjustTrust(r, delta, now));
  }

  async set(agentId: string, score: number, now: number): Promise<TrustRecord> {
    return this.write(agentId, (r) => setTrust(r, score, now));
  }

  async restore(agentId: string, score: number, now: number): Promise<TrustRecord> {
    return this.write(agentId, (r) => restoreTrust(r, score, now));
  }

  async adjustOnce(agentId: string, delta: number, claim: string, until: number, now: number): Promise<TrustRecord | null> {
    this.life.check();
    checkClaim(claim, until, now);
    const cur = this.current(agentId);
    const next = adjustOnceTrust(cur, delta, now); // validates before claiming
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) {
      this.lastSweep = now;
      for (const [c, t] of this.claims) if (t <= now) this.claims.delete(c);
    }
    const held = this.claims.get(claim);
    if (held !== undefined && held > now) return null;
    this.claims.set(claim, until);
    if (next === null) return { ...cur };
    this.byAgent.set(agentId, next);
    return { ...next };
  }

  private current(agentId: string): TrustRecord {
    return this.byAgent.get(agentId) ?? unknownAgent(agentId, this.initial);
  }

  /** Read, compute and write with no await in between: atomic against concurrent calls. */
  private async write(agentId: string, next: (r: TrustRecord) => TrustRecord): Promise<TrustRecord> {
    this.life.check();
    const record = next(this.current(agentId));
    this.byAgent.set(agentId, record);
    return { ...record };
  }
}

class MemoryPauses implements PauseStore {
  private readonly pauses: Pause[] = [];
  private seq = 0;

  constructor(private readonly life: Lifecycle) {}

  async pause(req: PauseRequest, now: number): Promise<Pause> {
    this.life.check();
    const fields = newPause(req, now);
    const pause: Pause = { id: pauseId(++this.seq), ...fields };
    this.pauses.push(pause);
    return { ...pause };
  }

  async resume(idOrPattern: string): Promise<Pause[]> {
    this.life.check();
    checkResumeTarget(idOrPattern);
    // An id wins over a pattern that happens to look like one.
    const byId = pauseSeq(idOrPattern) !== null ? this.pauses.filter((p) => p.id === idOrPattern) : [];
    const removed = byId.length > 0 ? byId : this.pauses.filter((p) => p.pattern === idOrPattern);
    if (removed.length === 0) throw nothingToResume(idOrPattern);
    for (const p of removed) this.pauses.splice(this.pauses.indexOf(p), 1);
    return removed.map((p) => ({ ...p }));
  }

  async list(): Promise<Pause[]> {
    this.life.check();
    return this.pauses.map((p) => ({ ...p }));
  }
}

class MemoryRuns implements RunStore {
  private readonly runs = new Map<string, { run: RunRecord; expiresAt: number }>();
  private lastSweep = -Infinity;

  constructor(private readonly life: Lifecycle) {}

  async get(runId: string, now: number): Promise<RunRecord> {
    this.life.check();
    checkRunId(runId);
    checkTime(now);
    const r = this.runs.get(runId);
    return r && r.expiresAt > now ? structuredClone(r.run) : emptyRun();
  }

  async record(runId: string, call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): Promise<RunResult> {
    this.life.check();
    checkRecord(runId, call, additions, bounds, now);
    this.sweep(now);
    const r = this.runs.get(runId);
    const cur = r && r.expiresAt > now ? r.run : emptyRun();
    const next = nextRun(runId, cur.calls.length, cur.state, call && structuredClone(call), additions, bounds, now);
    if (typeof next === "string") return { ok: false, reason: next };
    this.runs.set(runId, { run: { calls: next.call ? [...cur.calls, next.call] : cur.calls, state: next.state }, expiresAt: now + bounds.ttlMs });
    return { ok: true };
  }

  /** Drops expired runs at most once a sweep interval, so ended runs do not pile up. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [id, r] of this.runs) if (r.expiresAt <= now) this.runs.delete(id);
  }
}

/** A fresh, empty in-memory store. */
export async function openMemoryStore(options: StoreOptions = {}): Promise<StateStore> {
  const initial = checkInitialTrust(options.initialTrust);
  const life = new Lifecycle();
  return {
    limits: new MemoryLimits(life),
    approvals: new MemoryApprovals(life),
    trust: new MemoryTrust(life, initial),
    pauses: new MemoryPauses(life),
    anchors: new MemoryAnchors(life),
    runs: new MemoryRuns(life),
    async close() {
      life.closed = true;
    },
  };
}
