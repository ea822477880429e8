// The in-process StateStore: plain maps, nothing persisted. Used by `pol test`, unit tests and
// single-process embedding; built by openMemoryStore and consumed through the StateStore interfaces.
//
// Atomicity comes from JavaScript itself: every method body runs to completion without an await
// between reading and writing state, so concurrent promises observe each operation whole.

import {
  ChangeHub,
  adjustTrust,
  checkFilter,
  checkInitialTrust,
  checkResumeTarget,
  consumeApproval,
  matchesFilter,
  newApproval,
  newPause,
  nothingToResume,
  pauseId,
  pauseSeq,
  resolveApproval,
  restoreTrust,
  setTrust,
  statusOf,
  toApproval,
  unknownAgent,
  type StoredApproval,
} from "./rules.js";
import {
  StoreError,
  type Approval,
  type ApprovalFilter,
  type ApprovalListener,
  type ApprovalRequest,
  type ApprovalResolution,
  type ApprovalStore,
  type ConsumeResult,
  type LimitCharge,
  type LimitResult,
  type LimitStore,
  type Pause,
  type PauseRequest,
  type PauseStore,
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
  private readonly hub = new ChangeHub();

  constructor(private readonly life: Lifecycle) {}

  async create(req: ApprovalRequest): Promise<Approval> {
    this.life.check();
    const stored = newApproval(req);
    if (this.byId.has(stored.id)) throw new StoreError("conflict", `approval \`${stored.id}\` already exists`);
    this.byId.set(stored.id, stored);
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

  async list(filter: ApprovalFilter, now: number): Promise<Approval[]> {
    this.life.check();
    checkFilter(filter);
    checkTime(now);
    return this.sorted()
      .filter((a) => matchesFilter(a, filter, now))
      .map((a) => toApproval(a, now));
  }

  async resolve(id: string, resolution: ApprovalResolution, now: number): Promise<Approval> {
    this.life.check();
    const next = resolveApproval(this.byId.get(id), id, resolution, now);
    this.byId.set(id, next);
    const out = toApproval(next, now);
    this.hub.emit("resolved", out);
    return out;
  }

  async consume(id: string, callHash: string, now: number): Promise<ConsumeResult> {
    this.life.check();
    const result = consumeApproval(this.byId.get(id), id, callHash, now);
    if (!result.ok) return result;
    this.byId.set(id, result.stored);
    const out = toApproval(result.stored, now);
    this.hub.emit("consumed", out);
    return { ok: true, approval: out };
  }

  async findApproved(callHash: string, now: number): Promise<Approval | undefined> {
    this.life.check();
    checkTime(now);
    const found = this.sorted().find((a) => a.callHash === callHash && statusOf(a, now) === "approved");
    return found && toApproval(found, now);
  }

  onChange(listener: ApprovalListener): () => void {
    return this.hub.on(listener);
  }

  /** Oldest first: by createdAt, then creation order (Array.prototype.sort is stable). */
  private sorted(): StoredApproval[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt - b.createdAt);
  }
}

class MemoryTrust implements TrustStore {
  private readonly byAgent = new Map<string, TrustRecord>();

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

/** A fresh, empty in-memory store. */
export async function openMemoryStore(options: StoreOptions = {}): Promise<StateStore> {
  const initial = checkInitialTrust(options.initialTrust);
  const life = new Lifecycle();
  return {
    limits: new MemoryLimits(life),
    approvals: new MemoryApprovals(life),
    trust: new MemoryTrust(life, initial),
    pauses: new MemoryPauses(life),
    async close() {
      life.closed = true;
    },
  };
}
