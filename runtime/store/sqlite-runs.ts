// The SQLite store's runs (types.ts RunStore): a row per run (call count, state as JSON, expiry)
// and a row per recorded call. Built by openSqliteStore (sqlite.ts) on its connection; the next
// state comes from runs.ts, the same rules every back-end applies.

import { checkRecord, checkRunId, emptyRun, nextRun } from "./runs.js";
import type { Conn } from "./sqlite.js";
import type { RunAddition, RunBounds, RunRecord, RunResult, RunStore } from "./types.js";
import { SWEEP_INTERVAL_MS, checkTime } from "./window.js";

interface RunRow { calls: number; state: string; expires_at: number }

export class SqliteRuns implements RunStore {
  private readonly selectRun;
  private readonly selectCalls;
  private readonly upsertRun;
  private readonly insertCall;
  private readonly dropCalls;
  private readonly sweepCalls;
  private readonly sweepRuns;
  private lastSweep = -Infinity;

  /** @internal built by openSqliteStore on its connection. */
  constructor(private readonly conn: Conn) {
    const db = conn.db;
    this.selectRun = db.prepare<[string], RunRow>("SELECT calls, state, expires_at FROM runs WHERE run_id = ?");
    this.selectCalls = db.prepare<[string], { tool: string; args: string; at: number }>("SELECT tool, args, at FROM run_calls WHERE run_id = ? ORDER BY n");
    this.upsertRun = db.prepare<[string, number, string, number]>(
      "INSERT INTO runs (run_id, calls, state, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET calls = excluded.calls, state = excluded.state, expires_at = excluded.expires_at",
    );
    this.insertCall = db.prepare<[string, number, number, string, string]>("INSERT INTO run_calls (run_id, n, at, tool, args) VALUES (?, ?, ?, ?, ?)");
    this.dropCalls = db.prepare<[string]>("DELETE FROM run_calls WHERE run_id = ?");
    this.sweepCalls = db.prepare<[number]>("DELETE FROM run_calls WHERE run_id IN (SELECT run_id FROM runs WHERE expires_at <= ?)");
    this.sweepRuns = db.prepare<[number]>("DELETE FROM runs WHERE expires_at <= ?");
  }

  get(runId: string, now: number): Promise<RunRecord> {
    return this.conn.run(() => {
      checkRunId(runId);
      checkTime(now);
      return this.conn.read(() => {
        const row = this.selectRun.get(runId);
        if (!row || row.expires_at <= now) return emptyRun();
        const calls = this.selectCalls.all(runId).map((c) => ({ tool: c.tool, args: JSON.parse(c.args) as Record<string, unknown>, at: c.at }));
        return { calls, state: JSON.parse(row.state) as RunRecord["state"] };
      });
    });
  }

  record(runId: string, call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): Promise<RunResult> {
    return this.conn.run(() => {
      checkRecord(runId, call, additions, bounds, now);
      return this.conn.write((): RunResult => {
        this.sweep(now);
        let row = this.selectRun.get(runId);
        if (row && row.expires_at <= now) {
          this.dropCalls.run(runId);
          row = undefined;
        }
        const count = row?.calls ?? 0;
        const next = nextRun(runId, count, row ? (JSON.parse(row.state) as RunRecord["state"]) : {}, call, additions, bounds, now);
        if (typeof next === "string") return { ok: false, reason: next };
        if (next.call) this.insertCall.run(runId, count, now, next.call.tool, JSON.stringify(next.call.args));
        this.upsertRun.run(runId, count + (next.call ? 1 : 0), JSON.stringify(next.state), now + bounds.ttlMs);
        return { ok: true };
      });
    });
  }

  /** Removes expired runs at most once a sweep interval of store time. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    this.sweepCalls.run(now);
    this.sweepRuns.run(now);
  }
}
