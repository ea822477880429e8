// The decision path's view of pauses and trust scores: cached in memory, re-read only when the
// store may have changed. Fed by the StateStore and a StateProbe; consumed by engine.ts on every
// decision and invalidated by its own admin writes.
//
// Freshness: with a probe (each store's own: a file's data_version for SQLite, pub/sub for Redis,
// LISTEN for PostgreSQL), the cache is dropped whenever the probe's token changes, which for SQLite
// is any commit by any other connection, in this process or another, and for the servers any pause
// or trust write anywhere, as its notification arrives (milliseconds after the write returns; a
// decision that starts before it uses what was read before). So a pause takes effect on the very
// next decision on the machine (SQLite) and on the next after its notification in a fleet. The probe
// token is read before the store, so a change racing a reload is seen again on the next check.
// Without a probe, entries live for `ttlMs` (0: no caching, every decision reads the store).

import type { StateProbe } from "./engine-types.js";
import { sqliteDriver } from "./store/sqlite-schema.js";
import type { Pause, StateStore, TrustRecord } from "./store/index.js";

export { SqliteProbe } from "./store/sqlite-probe.js";

const MAX_AGENTS = 10_000;

export class StateCache {
  private token: unknown = undefined;
  private loadedAt = -Infinity;
  /** Bumped on every invalidation; a load started in an older generation is not cached. */
  private generation = 0;
  private pauseList: Pause[] | null = null;
  private readonly trusts = new Map<string, TrustRecord>();

  constructor(
    private readonly store: StateStore,
    private readonly probe: StateProbe | null,
    private readonly ttlMs: number,
  ) {}

  /** Drops what the store may have changed since it was read. Cheap: one probe read. */
  check(): void {
    if (this.probe) {
      const t = this.probe.token();
      if (t !== this.token) {
        this.token = t;
        this.invalidate();
      }
    } else if (performance.now() - this.loadedAt >= this.ttlMs) {
      this.invalidate();
    }
  }

  invalidate(): void {
    this.generation++;
    this.pauseList = null;
    this.trusts.clear();
    this.loadedAt = performance.now();
  }

  async pauses(): Promise<readonly Pause[]> {
    if (this.pauseList) return this.pauseList;
    const gen = this.generation;
    const list = await this.store.pauses.list();
    if (gen === this.generation) this.pauseList = list;
    return list;
  }

  async trust(agentId: string): Promise<TrustRecord> {
    const hit = this.trusts.get(agentId);
    if (hit) return hit;
    const gen = this.generation;
    const r = await this.store.trust.get(agentId);
    if (gen === this.generation) this.remember(r);
    return r;
  }

  /** Records a score this engine just wrote, so the next decision need not read it back. */
  remember(r: TrustRecord): void {
    if (this.trusts.size >= MAX_AGENTS) this.trusts.clear();
    this.trusts.set(r.agentId, r);
  }

  close(): void {
    this.probe?.close();
  }
}
