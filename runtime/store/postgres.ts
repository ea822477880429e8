// The PostgreSQL StateStore: the approval queue of a fleet (and limits, trust, pauses and anchors,
// so one server can hold everything), shared by every process that opens the same database and
// schema. Built by openPostgresStore from a postgres:// URL; consumed through the StateStore
// interfaces by the Engine (via open.ts), the CLI and the conformance and fleet tests.
//
// Exactness across processes: approvals are single use by a conditional UPDATE ... RETURNING (the
// row changes only if it is still in the state rules.ts decided from); limits, the pending cap,
// trust and anchors decide inside a transaction holding an advisory lock (limits, cap) or a row
// lock (trust, anchors), with the same rules.ts and window.ts code the embedded stores run.

import type pg from "pg";
import { serverClock, type SyncedClock } from "./clock.js";
import { PgConn, PgFeed, connectPostgres, lockKey } from "./postgres-conn.js";
import type { PgOptions } from "./server-options.js";
import {
  ChangeHub, adjustOnceTrust, adjustTrust, anchorAdvances, anchorOf, checkAnchor, checkAnchorName, checkClaim, checkFilter, checkInitialTrust,
  checkResumeTarget, consumeApproval, newApproval, newPause, nothingToResume, pauseId, pauseSeq, pendingCap,
  resolveApproval, restoreTrust, setTrust, toApproval, tooManyPending, unknownAgent, type StoredApproval,
} from "./rules.js";
import {
  StoreError,
  type Anchor, type AnchorStore, type Approval, type ApprovalChange, type ApprovalFilter, type ApprovalListener,
  type ApprovalRequest, type ApprovalResolution, type ApprovalStatus, type ApprovalStore, type ConsumeResult,
  type CreateOptions, type LimitCharge, type LimitResult, type LimitStore, type Pause, type PauseRequest, type PauseStore,
  type RunAddition, type RunBounds, type RunRecord, type RunResult, type RunStore,
  type StateStore, type StoreOptions, type TrustRecord, type TrustStore,
} from "./types.js";
import { checkRecord, checkRunId, emptyRun, nextRun } from "./runs.js";
import {
  SWEEP_INTERVAL_MS, checkAmount, checkBatch, checkCharges, checkKey, checkTime, checkWindow, windowStart, windowTotal,
  type WindowEvent,
} from "./window.js";

export type PostgresStoreOptions = StoreOptions & PgOptions;

class PgLimits implements LimitStore {
  private lastSweep = -Infinity;
  private readonly lock: number;

  constructor(private readonly conn: PgConn) {
    this.lock = lockKey(conn.schema, "limits");
  }

  consume(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.conn.run(async () => {
      checkCharges(charges, now);
      if (charges.length === 0) return { ok: true };
      const sweep = now - this.lastSweep >= SWEEP_INTERVAL_MS;
      if (sweep) this.lastSweep = now;
      return this.conn.tx(async (c) => {
        const keys = [...new Set(charges.map((ch) => ch.key))].sort();
        // One lock per bucket, taken in key order so two batches never wait on each other in a cycle.
        await c.query("SELECT pg_advisory_xact_lock($1, hashtext(k)) FROM unnest($2::text[]) AS k", [this.lock, keys]);
        if (sweep) await c.query("DELETE FROM limit_events WHERE expires_at <= $1", [now]);
        await c.query(
          "DELETE FROM limit_events e USING unnest($1::text[], $2::float8[]) AS w(key, start) WHERE e.key = w.key AND e.at <= w.start",
          [charges.map((ch) => ch.key), charges.map((ch) => windowStart(ch.windowMs, now))],
        );
        const events = await this.events(c, keys);
        const denied = checkBatch(charges, now, (key, windowMs) => inWindow(events.get(key), windowMs, now));
        if (denied) return denied;
        await c.query(
          "INSERT INTO limit_events (key, at, amount, expires_at) SELECT k, $2, a, $2 + w FROM unnest($1::text[], $3::float8[], $4::float8[]) WITH ORDINALITY AS t(k, a, w, i) ORDER BY i",
          [charges.map((ch) => ch.key), now, charges.map((ch) => ch.amount), charges.map((ch) => ch.windowMs)],
        );
        return { ok: true } as const;
      });
    });
  }

  peek(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.conn.run(async () => {
      checkCharges(charges, now);
      const events = await this.events(this.conn.pool, [...new Set(charges.map((ch) => ch.key))]);
      return checkBatch(charges, now, (key, windowMs) => inWindow(events.get(key), windowMs, now)) ?? { ok: true };
    });
  }

  usage(key: string, windowMs: number, now: number): Promise<number> {
    return this.conn.run(async () => {
      checkKey(key);
      checkWindow(windowMs, key);
      checkTime(now);
      return windowTotal(inWindow((await this.events(this.conn.pool, [key])).get(key), windowMs, now));
    });
  }

  seed(key: string, amount: number, at: number): Promise<void> {
    return this.conn.run(async () => {
      checkKey(key);
      checkAmount(amount, key);
      checkTime(at);
      await this.conn.query("INSERT INTO limit_events (key, at, amount) VALUES ($1, $2, $3)", [key, at, amount]);
    });
  }

  /** Every event of the keys, per key, in (at, insertion) order. */
  private async events(c: pg.Pool | pg.PoolClient, keys: string[]): Promise<Map<string, WindowEvent[]>> {
    const r = await c.query<{ key: string; at: number; amount: number }>("SELECT key, at, amount FROM limit_events WHERE key = ANY($1) ORDER BY key, at, seq", [keys]);
    const out = new Map<string, WindowEvent[]>();
    for (const row of r.rows) {
      let list = out.get(row.key);
      if (!list) out.set(row.key, (list = []));
      list.push({ at: row.at, amount: row.amount });
    }
    return out;
  }
}

/** A fresh array of the events inside the window ending at now (checkBatch may insert into it). */
function inWindow(events: WindowEvent[] | undefined, windowMs: number, now: number): WindowEvent[] {
  const start = windowStart(windowMs, now);
  return (events ?? []).filter((e) => e.at > start);
}

interface ApprovalRow {
  id: string; call_hash: string; tool: string; agent_id: string; run_id: string | null; groups: string[]; reasons: string[];
  call_json: string; decision_id: string; created_at: number; expires_at: number; policy_hash: string | null; rule: string | null;
  requested_by: string | null; state: StoredApproval["state"]; resolved_by: string | null; resolved_at: number | null; note: string | null; consumed_at: number | null;
  change_seq: string;
}

function fromRow(r: ApprovalRow): StoredApproval {
  const a: StoredApproval = {
    id: r.id, callHash: r.call_hash, tool: r.tool, agentId: r.agent_id, groups: r.groups, reasons: r.reasons, callJson: r.call_json,
    decisionId: r.decision_id, createdAt: r.created_at, expiresAt: r.expires_at, state: r.state,
  };
  if (r.run_id !== null) a.runId = r.run_id;
  if (r.policy_hash !== null) a.policyHash = r.policy_hash;
  if (r.rule !== null) a.rule = r.rule;
  if (r.requested_by !== null) a.requestedBy = r.requested_by;
  if (r.resolved_by !== null) a.resolvedBy = r.resolved_by;
  if (r.resolved_at !== null) a.resolvedAt = r.resolved_at;
  if (r.note !== null) a.note = r.note;
  if (r.consumed_at !== null) a.consumedAt = r.consumed_at;
  return a;
}

/** SQL for each computed status; must agree with rules.ts statusOf (expired iff now >= expiresAt). */
const STATUS_SQL: Record<ApprovalStatus, string> = {
  pending: "state = 'pending' AND expires_at > $1",
  approved: "state = 'approved' AND expires_at > $1",
  expired: "state IN ('pending', 'approved') AND expires_at <= $1",
  rejected: "state = 'rejected' AND $1::float8 IS NOT NULL",
  consumed: "state = 'consumed' AND $1::float8 IS NOT NULL",
};

/** The state a stored transition came from: the UPDATE applies only if the row is still in it. */
const FROM_STATE: Record<StoredApproval["state"], StoredApproval["state"]> = { pending: "pending", approved: "pending", rejected: "pending", consumed: "approved" };

class PgApprovals implements ApprovalStore {
  private readonly hub = new ChangeHub();
  private readonly capLock: number;

  constructor(private readonly conn: PgConn, feed: PgFeed) {
    this.capLock = lockKey(conn.schema, "approvals");
    feed.onMessage((m) => {
      if (m.kind === "approval") void this.relay(m.type, m.id, m.at);
    });
    feed.onResync((after) => this.resync(after));
  }

  async create(req: ApprovalRequest, options?: CreateOptions): Promise<Approval> {
    const out = await this.conn.run(async () => {
      const a = newApproval(req);
      const cap = pendingCap(options);
      const values = [a.id, a.callHash, a.tool, a.agentId, a.runId ?? null, a.groups, a.reasons, a.callJson, a.decisionId, a.createdAt, a.expiresAt, a.policyHash ?? null, a.rule ?? null, a.requestedBy ?? null];
      const insert = `INSERT INTO approvals (id, call_hash, tool, agent_id, run_id, groups, reasons, call_json, decision_id, created_at, expires_at, policy_hash, rule, requested_by, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'pending') ON CONFLICT (id) DO NOTHING`;
      const inserted = cap === undefined
        ? (await this.conn.query(insert, values)).rowCount
        : await this.conn.tx(async (c) => {
          // Creators for one agent queue on its lock, so the count and the insert are one step.
          await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [this.capLock, a.agentId]);
          const n = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM approvals WHERE agent_id = $1 AND state = 'pending' AND expires_at > $2", [a.agentId, a.createdAt]);
          if (n.rows[0]!.n >= cap) throw tooManyPending(a.agentId, cap);
          return (await c.query(insert, values)).rowCount;
        });
      if (inserted !== 1) throw new StoreError("conflict", `approval \`${a.id}\` already exists`);
      return toApproval(a, a.createdAt);
    });
    this.hub.emit("created", out);
    return out;
  }

  get(id: string, now: number): Promise<Approval | undefined> {
    return this.conn.run(async () => {
      checkTime(now);
      const a = await this.load(id);
      return a && toApproval(a, now);
    });
  }

  list(filter: ApprovalFilter, now: number): Promise<Approval[]> {
    return this.conn.run(async () => {
      checkFilter(filter);
      checkTime(now);
      const where = [filter.status ? STATUS_SQL[filter.status] : "$1::float8 IS NOT NULL", filter.group !== undefined ? "(cardinality(groups) = 0 OR $2 = ANY(groups))" : "$2::text IS NULL"];
      if (filter.settled !== undefined) where.push(`${filter.settled ? "NOT " : ""}(${STATUS_SQL.pending})`);
      const all = `SELECT * FROM approvals WHERE ${where.join(" AND ")}`;
      // The newest n, found from the newest end (the approvals_listing index), then put back oldest first.
      const r = filter.newest !== undefined
        ? await this.conn.query<ApprovalRow>(`SELECT * FROM (${all} ORDER BY created_at DESC, seq DESC LIMIT $3) AS newest ORDER BY created_at, seq`, [now, filter.group ?? null, filter.newest])
        : await this.conn.query<ApprovalRow>(`${all} ORDER BY created_at, seq`, [now, filter.group ?? null]);
      return r.rows.map((row) => toApproval(fromRow(row), now));
    });
  }

  async resolve(id: string, resolution: ApprovalResolution, now: number): Promise<Approval> {
    const out = await this.conn.run(() => this.transition(id, (a) => ({ ok: true, stored: resolveApproval(a, id, resolution, now) }), now));
    if (!out.ok) throw new StoreError("io", "postgres store error: a resolution failed without a reason");
    this.hub.emit("resolved", out.approval);
    return out.approval;
  }

  async consume(id: string, callHash: string, now: number): Promise<ConsumeResult> {
    const result = await this.conn.run(() => this.transition(id, (a) => consumeApproval(a, id, callHash, now), now));
    if (result.ok) this.hub.emit("consumed", result.approval);
    return result;
  }

  findApproved(callHash: string, now: number): Promise<Approval | undefined> {
    return this.conn.run(async () => {
      checkTime(now);
      const r = await this.conn.query<ApprovalRow>(
        "SELECT * FROM approvals WHERE call_hash = $1 AND state = 'approved' AND expires_at > $2 ORDER BY created_at, seq LIMIT 1",
        [callHash, now],
      );
      return r.rows[0] && toApproval(fromRow(r.rows[0]), now);
    });
  }

  onChange(listener: ApprovalListener): () => void {
    return this.hub.on(listener);
  }

  /**
   * Decides with rules.ts on the row as read, then applies the result with one conditional UPDATE
   * ... RETURNING: it changes the row only if it is still in the state decided from and unexpired,
   * so of two racing consumers exactly one gets the row back; the other re-reads and fails.
   */
  private async transition(id: string, decide: (a: StoredApproval | undefined) => { ok: true; stored: StoredApproval } | Exclude<ConsumeResult, { ok: true }>, now: number): Promise<ConsumeResult> {
    for (;;) {
      const r = decide(await this.load(id));
      if (!r.ok) return r;
      const s = r.stored;
      const updated = await this.conn.query<ApprovalRow>(
        `UPDATE approvals SET state = $2, resolved_by = $3, resolved_at = $4, note = $5, consumed_at = $6
         WHERE id = $1 AND state = $7 AND expires_at > $8 AND call_hash = $9 RETURNING *`,
        [id, s.state, s.resolvedBy ?? null, s.resolvedAt ?? null, s.note ?? null, s.consumedAt ?? null, FROM_STATE[s.state], now, s.callHash],
      );
      if (updated.rows[0]) return { ok: true, approval: toApproval(fromRow(updated.rows[0]), now) };
    }
  }

  private async load(id: string): Promise<StoredApproval | undefined> {
    const r = await this.conn.query<ApprovalRow>("SELECT * FROM approvals WHERE id = $1", [id]);
    return r.rows[0] && fromRow(r.rows[0]);
  }

  /** Another process changed an approval: tell this store's listeners, as of the change. */
  private async relay(type: ApprovalChange["type"], id: string, at: number): Promise<void> {
    try {
      const a = await this.load(id);
      if (a) this.hub.emit(type, toApproval(a, at));
    } catch {
      // the server went away meanwhile; the reconnect's resync re-reads it
    }
  }

  /** After a reconnect: every approval changed since the last change seen, as changes; returns the newest change seq. */
  private async resync(after: number): Promise<number> {
    const r = await this.conn.query<ApprovalRow>("SELECT * FROM approvals WHERE change_seq > $1 ORDER BY change_seq", [after]);
    let last = after;
    for (const row of r.rows) {
      const a = fromRow(row);
      const type: ApprovalChange["type"] = a.state === "pending" ? "created" : a.state === "consumed" ? "consumed" : "resolved";
      this.hub.emit(type, toApproval(a, a.consumedAt ?? a.resolvedAt ?? a.createdAt));
      last = Math.max(last, Number(row.change_seq));
    }
    return last;
  }
}

class PgTrust implements TrustStore {
  constructor(private readonly conn: PgConn, private readonly initial: number) {}

  get(agentId: string): Promise<TrustRecord> {
    return this.conn.run(async () => {
      const base = unknownAgent(agentId, this.initial);
      const r = await this.conn.query<{ score: number | null; revoked: boolean; updated_at: number | null }>("SELECT score, revoked, updated_at FROM trust WHERE agent_id = $1", [agentId]);
      const row = r.rows[0];
      return row && row.score !== null ? { agentId, score: row.score, revoked: row.revoked, updatedAt: row.updated_at } : base;
    });
  }

  adjust(agentId: string, delta: number, now: number): Promise<TrustRecord> {
    return this.write(agentId, (r) => adjustTrust(r, delta, now));
  }

  set(agentId: string, score: number, now: number): Promise<TrustRecord> {
    return this.write(agentId, (r) => setTrust(r, score, now));
  }

  restore(agentId: string, score: number, now: number): Promise<TrustRecord> {
    return this.write(agentId, (r) => restoreTrust(r, score, now));
  }

  async adjustOnce(agentId: string, delta: number, claim: string, until: number, now: number): Promise<TrustRecord | null> {
    checkClaim(claim, until, now);
    adjustTrust(unknownAgent(agentId, this.initial), delta, now); // refuses bad input before touching the server
    return this.conn.run(() => this.conn.tx(async (c) => {
      // Expired claims go first, a few at a time, skipping rows another report is deleting (no queue behind them).
      await c.query("DELETE FROM trust_claims WHERE claim IN (SELECT claim FROM trust_claims WHERE until <= $1 LIMIT 100 FOR UPDATE SKIP LOCKED)", [now]);
      if ((await c.query("INSERT INTO trust_claims (claim, until) VALUES ($1, $2) ON CONFLICT (claim) DO NOTHING", [claim, until])).rowCount !== 1) return null;
      const row = (await c.query<TrustRow>("SELECT score, revoked, updated_at FROM trust WHERE agent_id = $1 FOR UPDATE", [agentId])).rows[0];
      const cur = row && row.score !== null ? { agentId, score: row.score, revoked: row.revoked, updatedAt: row.updated_at } : unknownAgent(agentId, this.initial);
      // A score that would not move is not written: no change notice empties every server's cache.
      if (adjustOnceTrust(cur, delta, now) === null) return cur;
      return this.change(c, agentId, (r) => adjustOnceTrust(r, delta, now) ?? r);
    }));
  }

  /** Read, compute and write under the row's lock, so concurrent adjusts from any process add up. */
  private write(agentId: string, next: (r: TrustRecord) => TrustRecord): Promise<TrustRecord> {
    return this.conn.run(async () => {
      next(unknownAgent(agentId, this.initial)); // refuses bad input before touching the server
      return this.conn.tx((c) => this.change(c, agentId, next));
    });
  }

  /** The change under the trust row's lock, in transaction `c`. */
  private async change(c: pg.PoolClient, agentId: string, next: (r: TrustRecord) => TrustRecord): Promise<TrustRecord> {
    await c.query("INSERT INTO trust (agent_id) VALUES ($1) ON CONFLICT DO NOTHING", [agentId]);
    const row = (await c.query<TrustRow>("SELECT score, revoked, updated_at FROM trust WHERE agent_id = $1 FOR UPDATE", [agentId])).rows[0]!;
    const cur = row.score === null ? unknownAgent(agentId, this.initial) : { agentId, score: row.score, revoked: row.revoked, updatedAt: row.updated_at };
    const record = next(cur);
    await c.query("UPDATE trust SET score = $2, revoked = $3, updated_at = $4 WHERE agent_id = $1", [agentId, record.score, record.revoked, record.updatedAt]);
    return record;
  }
}

interface TrustRow { score: number | null; revoked: boolean; updated_at: number | null }

interface PauseRow { seq: string; pattern: string | null; tool_class: Pause["toolClass"] | null; reason: string; paused_by: string | null; created_at: number }

function pauseFromRow(r: PauseRow): Pause {
  const p: Pause = { id: pauseId(Number(r.seq)), reason: r.reason, createdAt: r.created_at };
  if (r.pattern !== null) p.pattern = r.pattern;
  if (r.tool_class !== null) p.toolClass = r.tool_class;
  if (r.paused_by !== null) p.by = r.paused_by;
  return p;
}

class PgPauses implements PauseStore {
  constructor(private readonly conn: PgConn) {}

  pause(req: PauseRequest, now: number): Promise<Pause> {
    return this.conn.run(async () => {
      const f = newPause(req, now);
      const r = await this.conn.query<{ seq: string }>(
        "INSERT INTO pauses (pattern, tool_class, reason, paused_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq",
        [f.pattern ?? null, f.toolClass ?? null, f.reason, f.by ?? null, f.createdAt],
      );
      return { id: pauseId(Number(r.rows[0]!.seq)), ...f };
    });
  }

  resume(idOrPattern: string): Promise<Pause[]> {
    return this.conn.run(async () => {
      checkResumeTarget(idOrPattern);
      // An id wins over a pattern that happens to look like one; each DELETE is atomic on its own.
      const seq = pauseSeq(idOrPattern);
      let rows = seq === null ? [] : (await this.conn.query<PauseRow>("DELETE FROM pauses WHERE seq = $1 RETURNING *", [seq])).rows;
      if (rows.length === 0) rows = (await this.conn.query<PauseRow>("DELETE FROM pauses WHERE pattern = $1 RETURNING *", [idOrPattern])).rows;
      if (rows.length === 0) throw nothingToResume(idOrPattern);
      return rows.map(pauseFromRow).sort((a, b) => pauseSeq(a.id)! - pauseSeq(b.id)!);
    });
  }

  list(): Promise<Pause[]> {
    return this.conn.run(async () => (await this.conn.query<PauseRow>("SELECT * FROM pauses ORDER BY seq")).rows.map(pauseFromRow));
  }
}

class PgAnchors implements AnchorStore {
  private readonly lock: number;

  constructor(private readonly conn: PgConn) {
    this.lock = lockKey(conn.schema, "anchors");
  }

  get(name: string): Promise<Anchor | undefined> {
    return this.conn.run(async () => {
      checkAnchorName(name);
      const row = (await this.conn.query<{ seq: string; hash: string; at: number }>("SELECT seq, hash, at FROM anchors WHERE name = $1", [name])).rows[0];
      return row && anchorOf({ seq: Number(row.seq), hash: row.hash, at: row.at });
    });
  }

  advance(name: string, anchor: Anchor): Promise<void> {
    return this.conn.run(async () => {
      checkAnchor(name, anchor);
      await this.conn.tx(async (c) => {
        await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [this.lock, name]);
        const row = (await c.query<{ seq: string; hash: string; at: number }>("SELECT seq, hash, at FROM anchors WHERE name = $1", [name])).rows[0];
        const cur = row && { seq: Number(row.seq), hash: row.hash, at: row.at };
        if (!anchorAdvances(name, cur, anchor)) return;
        await c.query(
          "INSERT INTO anchors (name, seq, hash, at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at",
          [name, anchor.seq, anchor.hash, anchor.at],
        );
      });
    });
  }
}

class PgRuns implements RunStore {
  private lastSweep = -Infinity;

  constructor(private readonly conn: PgConn) {}

  get(runId: string, now: number): Promise<RunRecord> {
    return this.conn.run(async () => {
      checkRunId(runId);
      checkTime(now);
      return this.conn.tx(async (c) => {
        const row = (await c.query<{ state: RunRecord["state"] }>("SELECT state FROM runs WHERE run_id = $1 AND expires_at > $2", [runId, now])).rows[0];
        if (!row) return emptyRun();
        const calls = (await c.query<{ tool: string; args: Record<string, unknown>; at: number }>("SELECT tool, args, at FROM run_calls WHERE run_id = $1 ORDER BY n", [runId])).rows;
        return { calls: calls.map((x) => ({ tool: x.tool, args: x.args, at: x.at })), state: row.state };
      });
    });
  }

  record(runId: string, call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): Promise<RunResult> {
    return this.conn.run(async () => {
      checkRecord(runId, call, additions, bounds, now);
      if (now - this.lastSweep >= SWEEP_INTERVAL_MS) {
        this.lastSweep = now;
        await this.conn.query("WITH gone AS (DELETE FROM runs WHERE expires_at <= $1 RETURNING run_id) DELETE FROM run_calls WHERE run_id IN (SELECT run_id FROM gone)", [now]);
      }
      return this.conn.tx(async (c): Promise<RunResult> => {
        // The row exists before it is locked, so two first writers of a run also take turns.
        await c.query("INSERT INTO runs (run_id, calls, state, expires_at) VALUES ($1, 0, '{}', $2) ON CONFLICT (run_id) DO NOTHING", [runId, now]);
        const row = (await c.query<{ calls: number; state: RunRecord["state"]; expires_at: number }>("SELECT calls, state, expires_at FROM runs WHERE run_id = $1 FOR UPDATE", [runId])).rows[0]!;
        const expired = row.expires_at <= now;
        if (expired) await c.query("DELETE FROM run_calls WHERE run_id = $1", [runId]);
        const count = expired ? 0 : row.calls;
        const next = nextRun(runId, count, expired ? {} : row.state, call, additions, bounds, now);
        if (typeof next === "string") return { ok: false, reason: next };
        if (next.call) await c.query("INSERT INTO run_calls (run_id, n, at, tool, args) VALUES ($1, $2, $3, $4, $5)", [runId, count, now, next.call.tool, JSON.stringify(next.call.args)]);
        await c.query("UPDATE runs SET calls = $2, state = $3, expires_at = $4 WHERE run_id = $1", [runId, count + (next.call ? 1 : 0), JSON.stringify(next.state), now + bounds.ttlMs]);
        return { ok: true };
      });
    });
  }
}

export interface PostgresStateStore extends StateStore {
  /** A clock following the server's clock_timestamp() (see clock.ts), for engines of a fleet. */
  serverClock(): Promise<SyncedClock>;
}

/**
 * Opens a store in the PostgreSQL database at `url` (`?schema=` or the schema option names the
 * schema, default `pol`), creating and migrating it if needed. Fails with an `unavailable`
 * StoreError when the server does not answer within connectTimeoutMs.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStateStore> {
  const initial = checkInitialTrust(options.initialTrust);
  const conn = await connectPostgres(url, options);
  const feed = new PgFeed(conn);
  const approvals = new PgApprovals(conn, feed);
  try {
    await feed.start();
  } catch (e) {
    await feed.close();
    await conn.pool.end().catch(() => undefined);
    throw conn.translate(e);
  }
  const clocks: SyncedClock[] = [];
  return {
    limits: new PgLimits(conn),
    approvals,
    trust: new PgTrust(conn, initial),
    pauses: new PgPauses(conn),
    anchors: new PgAnchors(conn),
    runs: new PgRuns(conn),
    openProbe: () => feed.probe(),
    async serverClock() {
      const c = await conn.run(() => serverClock(() => conn.serverTime()));
      clocks.push(c);
      return c;
    },
    async close() {
      if (conn.closed) return;
      conn.closed = true;
      for (const c of clocks) c.stop();
      await feed.close();
      await conn.pool.end().catch(() => undefined);
    },
  };
}
