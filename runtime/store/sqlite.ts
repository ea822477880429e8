// The embedded StateStore: one SQLite file (better-sqlite3) holding limits, approvals, trust and
// pauses, shared safely by every process that opens it. Built by openSqliteStore from a path and
// options; consumed by the Engine, the CLI and the conformance tests through the StateStore interfaces.
//
// Exactness across processes: every read-decide-write runs inside one BEGIN IMMEDIATE transaction
// (better-sqlite3's `.immediate`), which takes the file's write lock before the first read, so two
// processes never decide on the same snapshot. Decisions themselves come from window.ts and rules.ts,
// the same code the memory store runs.

import type Database from "better-sqlite3";
import { realpathSync } from "node:fs";
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
  newApproval,
  newPause,
  nothingToResume,
  pauseId,
  pauseSeq,
  pendingCap,
  resolveApproval,
  restoreTrust,
  setTrust,
  toApproval,
  tooManyPending,
  unknownAgent,
  statusOf,
  type StoredApproval,
} from "./rules.js";
import { StoreProbe } from "./sqlite-probe.js";
import { SqliteRuns } from "./sqlite-runs.js";
import { describe, openDatabase, sqliteDriver, type SqliteOptions } from "./sqlite-schema.js";
import { WalSync } from "./sqlite-wal-sync.js";
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
  windowStart,
  windowTotal,
  type WindowEvent,
} from "./window.js";

export type SqliteStoreOptions = StoreOptions & SqliteOptions;

/**
 * The open database plus the error translation every public method goes through.
 * @internal exported for sqlite-runs.ts only; better-sqlite3's types stay out of the published declarations.
 */
export class Conn {
  closed = false;
  /** Pause and trust writes committed through this connection (its StoreProbe's part of the token). */
  stateWrites = 0;

  /**
   * `wal`: how durable commits reach the disk when the file is in WAL mode (sqlite-wal-sync.ts);
   * null for ":memory:" (nothing to sync) and for a file SQLite could not put in WAL mode.
   */
  constructor(readonly db: Database.Database, readonly full = false, readonly wal: WalSync | null = null) {
    this.tx = db.transaction(() => this.body!());
  }

  /** Runs fn with the store's error conventions; async so every failure is a rejection. */
  async run<T>(fn: () => T): Promise<T> {
    if (this.closed) throw new StoreError("closed", "store is closed");
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const code = String((err as { code?: unknown }).code ?? "");
      if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
        throw new StoreError("busy", "store is busy: another process held its lock past the busy timeout", { cause: err });
      }
      throw new StoreError("io", `store error: ${describe(err)}`, { cause: err });
    }
  }

  /**
   * One transaction wrapper for the connection, running whatever `body` holds: better-sqlite3's
   * db.transaction(fn) builds four wrapper functions and defines twenty properties on them, which
   * per charged decision cost more than a statement.
   */
  private body: (() => unknown) | null = null;
  private readonly tx: Database.Transaction<() => unknown>;

  private inTx<T>(fn: () => T, kind: "immediate" | "deferred"): T {
    const outer = this.body;
    this.body = fn;
    try {
      return this.tx[kind]() as T;
    } finally {
      this.body = outer;
    }
  }

  /** fn inside BEGIN IMMEDIATE ... COMMIT, rolled back if it throws. */
  write<T>(fn: () => T): T {
    return this.inTx(fn, "immediate");
  }

  /**
   * write(fn), resolving only once the commit is on disk whatever the store's default: for the
   * changes that must survive power loss. In WAL mode the fsync runs off this thread
   * (sqlite-wal-sync.ts says why that is as durable); otherwise SQLite syncs this one commit itself.
   */
  async durable<T>(fn: () => T): Promise<T> {
    // already synced on every commit, or nothing on disk to sync
    if (this.full || this.db.memory) return this.run(() => this.write(fn));
    if (this.wal === null) {
      return this.run(() => {
        this.db.pragma("synchronous = FULL");
        try {
          return this.write(fn);
        } finally {
          this.db.pragma("synchronous = NORMAL");
        }
      });
    }
    const out = await this.run(() => this.write(fn));
    await this.wal.sync();
    return out;
  }

  /** fn inside one read transaction, so multi-statement reads see a single snapshot. */
  read<T>(fn: () => T): T {
    return this.inTx(fn, "deferred");
  }
}

class SqliteLimits implements LimitStore {
  private readonly selectEvents;
  private readonly insertEvent;
  private readonly pruneKey;
  private readonly sumEvents;
  private readonly dropEmptyTotal;
  private readonly sweepAll;
  private lastSweep = -Infinity;

  constructor(private readonly conn: Conn) {
    const db = conn.db;
    this.selectEvents = db.prepare<[string, number], WindowEvent>(
      "SELECT at, amount FROM limit_events WHERE key = ? AND at > ? ORDER BY at, seq",
    );
    this.insertEvent = db.prepare<[string, number, number, number | null]>(
      "INSERT INTO limit_events (key, at, amount, expires_at) VALUES (?, ?, ?, ?)",
    );
    this.pruneKey = db.prepare<[string, number]>("DELETE FROM limit_events WHERE key = ? AND at <= ?");
    this.sumEvents = db.prepare<[string], { total: number }>("SELECT total FROM limit_totals WHERE key = ?");
    this.dropEmptyTotal = db.prepare<[string, string]>("DELETE FROM limit_totals WHERE key = ? AND total = 0 AND NOT EXISTS (SELECT 1 FROM limit_events WHERE key = ?)");
    this.sweepAll = db.prepare<[number], string>("DELETE FROM limit_events WHERE expires_at <= ? RETURNING key").pluck();
  }

  consume(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.conn.run(() => {
      checkCharges(charges, now);
      if (charges.length === 0) return { ok: true } as const;
      return this.conn.write((): LimitResult => {
        this.sweep(now);
        for (const c of charges) this.pruneKey.run(c.key, windowStart(c.windowMs, now));
        // Fast path: SQLite sums the window in C. Only a batch near a boundary (or over it) pays for
        // loading the events and folding them exactly in JS, which also yields resetAt.
        // After pruneKey every event left for a key is inside its window: the trigger-kept total is the window's.
        if (!clearlyFits(charges, (key) => this.sumEvents.get(key)?.total ?? 0)) {
          const denied = checkBatch(charges, now, (key, windowMs) => this.inWindow(key, windowMs, now));
          if (denied) {
            // pruneKey may have emptied a key this denied batch does not charge again
            for (const c of charges) this.dropEmptyTotal.run(c.key, c.key);
            return denied;
          }
        }
        for (const c of charges) this.insertEvent.run(c.key, now, c.amount, now + c.windowMs);
        return { ok: true };
      });
    });
  }

  peek(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.conn.run(() => {
      checkCharges(charges, now);
      return this.conn.read(() => checkBatch(charges, now, (key, windowMs) => this.inWindow(key, windowMs, now)) ?? { ok: true });
    });
  }

  usage(key: string, windowMs: number, now: number): Promise<number> {
    return this.conn.run(() => {
      checkKey(key);
      checkWindow(windowMs, key);
      checkTime(now);
      return windowTotal(this.inWindow(key, windowMs, now));
    });
  }

  seed(key: string, amount: number, at: number): Promise<void> {
    return this.conn.run(() => {
      checkKey(key);
      checkAmount(amount, key);
      checkTime(at);
      this.insertEvent.run(key, at, amount, null);
    });
  }

  private inWindow(key: string, windowMs: number, now: number): WindowEvent[] {
    return this.selectEvents.all(key, windowStart(windowMs, now));
  }

  /** Removes expired events of every key at most once a minute of store time (per-run keys would pile up). */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    // Only the keys whose events just left can have become empty: a scan of every total here took
    // O(keys) on each sweep (each charged decision when the clock moves a minute between them).
    for (const key of new Set(this.sweepAll.all(now))) this.dropEmptyTotal.run(key, key);
  }
}

interface ApprovalRow {
  id: string;
  call_hash: string;
  tool: string;
  agent_id: string;
  run_id: string | null;
  groups_json: string;
  reasons_json: string;
  call_json: string;
  decision_id: string;
  created_at: number;
  expires_at: number;
  state: StoredApproval["state"];
  resolved_by: string | null;
  resolved_at: number | null;
  note: string | null;
  consumed_at: number | null;
  policy_hash: string | null;
  rule: string | null;
  requested_by: string | null;
}

function fromRow(r: ApprovalRow): StoredApproval {
  const a: StoredApproval = {
    id: r.id,
    callHash: r.call_hash,
    tool: r.tool,
    agentId: r.agent_id,
    groups: JSON.parse(r.groups_json) as string[],
    reasons: JSON.parse(r.reasons_json) as string[],
    callJson: r.call_json,
    decisionId: r.decision_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    state: r.state,
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
  pending: "state = 'pending' AND expires_at > @now",
  approved: "state = 'approved' AND expires_at > @now",
  expired: "state IN ('pending', 'approved') AND expires_at <= @now",
  rejected: "state = 'rejected'",
  consumed: "state = 'consumed'",
};

/** Must agree with rules.ts matchesFilter: the group is named, or any approver may resolve. */
const GROUP_SQL = "(groups_json = '[]' OR EXISTS (SELECT 1 FROM json_each(approvals.groups_json) WHERE value = @group))";

class SqliteApprovals implements ApprovalStore {
  private readonly hub = new ChangeHub();
  private readonly byId;
  private readonly stateOf;
  private readonly insert;
  private readonly update;
  private readonly approvedFor;
  private readonly pendingOf;
  private readonly listings = new Map<string, Database.Statement<[Record<string, unknown>], ApprovalRow>>();

  constructor(private readonly conn: Conn) {
    const db = conn.db;
    this.byId = db.prepare<[string], ApprovalRow>("SELECT * FROM approvals WHERE id = ?");
    this.stateOf = db.prepare<[string], Pick<ApprovalRow, "state" | "expires_at">>("SELECT state, expires_at FROM approvals WHERE id = ?");
    this.insert = db.prepare(
      `INSERT INTO approvals (id, call_hash, tool, agent_id, run_id, groups_json, reasons_json, call_json, decision_id, created_at, expires_at, state, policy_hash, rule, requested_by)
       VALUES (@id, @callHash, @tool, @agentId, @runId, @groups, @reasons, @callJson, @decisionId, @createdAt, @expiresAt, 'pending', @policyHash, @rule, @requestedBy)`,
    );
    this.update = db.prepare(
      `UPDATE approvals SET state = @state, resolved_by = @resolvedBy, resolved_at = @resolvedAt, note = @note, consumed_at = @consumedAt
       WHERE id = @id`,
    );
    this.approvedFor = db.prepare<[string, number], ApprovalRow>(
      "SELECT * FROM approvals WHERE call_hash = ? AND state = 'approved' AND expires_at > ? ORDER BY created_at, seq LIMIT 1",
    );
    this.pendingOf = db.prepare<[string, number], number>(
      "SELECT count(*) FROM approvals WHERE agent_id = ? AND state = 'pending' AND expires_at > ?",
    ).pluck();
  }

  async create(req: ApprovalRequest, options?: CreateOptions): Promise<Approval> {
    const a = newApproval(req);
    const cap = pendingCap(options);
    const out = await this.conn.durable(() => {
      if (this.byId.get(a.id)) throw new StoreError("conflict", `approval \`${a.id}\` already exists`);
      // Counted inside the write transaction, so concurrent creators in any process see each other.
      if (cap !== undefined && this.pendingOf.get(a.agentId, a.createdAt)! >= cap) throw tooManyPending(a.agentId, cap);
      this.insert.run({
        ...a, runId: a.runId ?? null, policyHash: a.policyHash ?? null, rule: a.rule ?? null, requestedBy: a.requestedBy ?? null,
        groups: JSON.stringify(a.groups), reasons: JSON.stringify(a.reasons),
      });
      return toApproval(a, a.createdAt);
    });
    this.hub.emit("created", out);
    return out;
  }

  get(id: string, now: number): Promise<Approval | undefined> {
    return this.conn.run(() => {
      checkTime(now);
      const row = this.byId.get(id);
      return row && toApproval(fromRow(row), now);
    });
  }

  status(id: string, now: number): Promise<ApprovalStatus | undefined> {
    return this.conn.run(() => {
      checkTime(now);
      const row = this.stateOf.get(id);
      return row && statusOf({ state: row.state, expiresAt: row.expires_at } as StoredApproval, now);
    });
  }

  list(filter: ApprovalFilter, now: number): Promise<Approval[]> {
    return this.conn.run(() => {
      checkFilter(filter);
      checkTime(now);
      const rows = this.listing(filter).all({ now, group: filter.group ?? null, newest: filter.newest ?? null });
      return rows.map((r) => toApproval(fromRow(r), now));
    });
  }

  async resolve(id: string, resolution: ApprovalResolution, now: number): Promise<Approval> {
    const out = await this.conn.durable(() => {
      const next = resolveApproval(this.load(id), id, resolution, now);
      this.save(next);
      return toApproval(next, now);
    });
    this.hub.emit("resolved", out);
    return out;
  }

  async consume(id: string, callHash: string, now: number): Promise<ConsumeResult> {
    const result = await this.conn.durable((): ConsumeResult => {
      const r = consumeApproval(this.load(id), id, callHash, now);
      if (!r.ok) return r;
      this.save(r.stored);
      return { ok: true, approval: toApproval(r.stored, now) };
    });
    if (result.ok) this.hub.emit("consumed", result.approval);
    return result;
  }

  findApproved(callHash: string, now: number): Promise<Approval | undefined> {
    return this.conn.run(() => {
      checkTime(now);
      const row = this.approvedFor.get(callHash, now);
      return row && toApproval(fromRow(row), now);
    });
  }

  onChange(listener: ApprovalListener): () => void {
    return this.hub.on(listener);
  }

  private load(id: string): StoredApproval | undefined {
    const row = this.byId.get(id);
    return row && fromRow(row);
  }

  private save(a: StoredApproval): void {
    this.update.run({
      id: a.id,
      state: a.state,
      resolvedBy: a.resolvedBy ?? null,
      resolvedAt: a.resolvedAt ?? null,
      note: a.note ?? null,
      consumedAt: a.consumedAt ?? null,
    });
  }

  /** One prepared statement per filter shape, built on first use. */
  private listing(filter: ApprovalFilter): Database.Statement<[Record<string, unknown>], ApprovalRow> {
    const shape = `${filter.status ?? ""}|${filter.group !== undefined}|${filter.newest !== undefined}|${filter.settled ?? ""}`;
    let stmt = this.listings.get(shape);
    if (!stmt) {
      const settled = filter.settled === undefined ? "1" : `${filter.settled ? "NOT " : ""}(${STATUS_SQL.pending})`;
      const where = [filter.status ? STATUS_SQL[filter.status] : "1", filter.group !== undefined ? GROUP_SQL : "1", settled];
      const all = `SELECT * FROM approvals WHERE ${where.join(" AND ")}`;
      // The newest n, found from the newest end, then put back oldest first.
      const sql = filter.newest !== undefined
        ? `SELECT * FROM (${all} ORDER BY created_at DESC, seq DESC LIMIT @newest) ORDER BY created_at, seq`
        : `${all} ORDER BY created_at, seq`;
      stmt = this.conn.db.prepare<[Record<string, unknown>], ApprovalRow>(sql);
      this.listings.set(shape, stmt);
    }
    return stmt;
  }
}

interface TrustRow {
  agent_id: string;
  score: number;
  revoked: 0 | 1;
  updated_at: number;
}

class SqliteTrust implements TrustStore {
  private readonly select;
  private readonly upsert;
  private readonly forget;
  private readonly claim;

  constructor(
    private readonly conn: Conn,
    private readonly initial: number,
  ) {
    this.select = conn.db.prepare<[string], TrustRow>("SELECT * FROM trust WHERE agent_id = ?");
    this.upsert = conn.db.prepare<[string, number, number, number]>(
      `INSERT INTO trust (agent_id, score, revoked, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET score = excluded.score, revoked = excluded.revoked, updated_at = excluded.updated_at`,
    );
    this.forget = conn.db.prepare<[number]>("DELETE FROM trust_claims WHERE until <= ?");
    this.claim = conn.db.prepare<[string, number]>("INSERT INTO trust_claims (claim, until) VALUES (?, ?) ON CONFLICT (claim) DO NOTHING");
  }

  get(agentId: string): Promise<TrustRecord> {
    return this.conn.run(() => this.current(agentId));
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

  adjustOnce(agentId: string, delta: number, claim: string, until: number, now: number): Promise<TrustRecord | null> {
    return this.conn.run(() => {
      checkClaim(claim, until, now);
      adjustTrust(unknownAgent(agentId, this.initial), delta, now); // refuses bad input before the write lock
      return this.conn.write(() => {
        // Expired claims go first (an index range, usually empty), so a claim lasts until `until` exactly.
        this.forget.run(now);
        if (this.claim.run(claim, until).changes === 0) return null;
        const cur = this.current(agentId);
        const record = adjustOnceTrust(cur, delta, now);
        if (record === null) return cur;
        this.upsert.run(agentId, record.score, record.revoked ? 1 : 0, record.updatedAt ?? 0);
        this.conn.stateWrites++;
        return record;
      });
    });
  }

  private current(agentId: string): TrustRecord {
    const base = unknownAgent(agentId, this.initial);
    const row = this.select.get(agentId);
    return row ? { agentId, score: row.score, revoked: row.revoked === 1, updatedAt: row.updated_at } : base;
  }

  /** Read, compute and write under the write lock, so concurrent adjusts from any process add up. */
  private write(agentId: string, next: (r: TrustRecord) => TrustRecord): Promise<TrustRecord> {
    return this.conn.run(() =>
      this.conn.write(() => {
        const record = next(this.current(agentId));
        this.upsert.run(agentId, record.score, record.revoked ? 1 : 0, record.updatedAt ?? 0);
        this.conn.stateWrites++;
        return record;
      }),
    );
  }
}

interface PauseRow {
  seq: number;
  pattern: string | null;
  tool_class: Pause["toolClass"] | null;
  reason: string;
  paused_by: string | null;
  created_at: number;
}

function pauseFromRow(r: PauseRow): Pause {
  const p: Pause = { id: pauseId(r.seq), reason: r.reason, createdAt: r.created_at };
  if (r.pattern !== null) p.pattern = r.pattern;
  if (r.tool_class !== null) p.toolClass = r.tool_class;
  if (r.paused_by !== null) p.by = r.paused_by;
  return p;
}

class SqlitePauses implements PauseStore {
  private readonly insert;
  private readonly bySeq;
  private readonly byPattern;
  private readonly all;
  private readonly remove;

  constructor(private readonly conn: Conn) {
    const db = conn.db;
    this.insert = db.prepare<[string | null, string | null, string, string | null, number]>(
      "INSERT INTO pauses (pattern, tool_class, reason, paused_by, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.bySeq = db.prepare<[number], PauseRow>("SELECT * FROM pauses WHERE seq = ?");
    this.byPattern = db.prepare<[string], PauseRow>("SELECT * FROM pauses WHERE pattern = ? ORDER BY seq");
    this.all = db.prepare<[], PauseRow>("SELECT * FROM pauses ORDER BY seq");
    this.remove = db.prepare<[number]>("DELETE FROM pauses WHERE seq = ?");
  }

  pause(req: PauseRequest, now: number): Promise<Pause> {
    return this.conn.run(() => {
      const f = newPause(req, now);
      const info = this.insert.run(f.pattern ?? null, f.toolClass ?? null, f.reason, f.by ?? null, f.createdAt);
      this.conn.stateWrites++;
      return { id: pauseId(Number(info.lastInsertRowid)), ...f };
    });
  }

  resume(idOrPattern: string): Promise<Pause[]> {
    return this.conn.run(() => {
      checkResumeTarget(idOrPattern);
      return this.conn.write(() => {
        // An id wins over a pattern that happens to look like one.
        const seq = pauseSeq(idOrPattern);
        const byId = seq === null ? undefined : this.bySeq.get(seq);
        const rows = byId ? [byId] : this.byPattern.all(idOrPattern);
        if (rows.length === 0) throw nothingToResume(idOrPattern);
        for (const r of rows) this.remove.run(r.seq);
        this.conn.stateWrites++;
        return rows.map(pauseFromRow);
      });
    });
  }

  list(): Promise<Pause[]> {
    return this.conn.run(() => this.all.all().map(pauseFromRow));
  }
}

class SqliteAnchors implements AnchorStore {
  private readonly select;
  private readonly upsert;

  constructor(private readonly conn: Conn) {
    this.select = conn.db.prepare<[string], Anchor>("SELECT seq, hash, at FROM anchors WHERE name = ?");
    this.upsert = conn.db.prepare<[string, number, string, number]>(
      `INSERT INTO anchors (name, seq, hash, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`,
    );
  }

  get(name: string): Promise<Anchor | undefined> {
    return this.conn.run(() => {
      checkAnchorName(name);
      const row = this.select.get(name);
      return row && anchorOf(row);
    });
  }

  advance(name: string, anchor: Anchor): Promise<void> {
    return this.conn.durable(() => {
      checkAnchor(name, anchor);
      if (anchorAdvances(name, this.select.get(name), anchor)) this.upsert.run(name, anchor.seq, anchor.hash, anchor.at);
    });
  }
}

/**
 * Opens (creating and migrating if needed) a store in one SQLite file; ":memory:" gives a private,
 * unpersisted database. Any number of processes may open the same file.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<StateStore> {
  const initial = checkInitialTrust(options.initialTrust);
  const Driver = await sqliteDriver();
  const db = openDatabase(path, options, Driver);
  // SQLite follows a symlinked database path and keeps the WAL beside the file it points to.
  const wal = !db.memory && db.pragma("journal_mode", { simple: true }) === "wal" ? new WalSync(`${realpathSync(path)}-wal`) : null;
  const conn = new Conn(db, options.synchronous === "full", wal);
  return {
    limits: new SqliteLimits(conn),
    approvals: new SqliteApprovals(conn),
    trust: new SqliteTrust(conn, initial),
    pauses: new SqlitePauses(conn),
    anchors: new SqliteAnchors(conn),
    runs: new SqliteRuns(conn),
    openProbe: () => (path === ":memory:" || conn.closed ? null : new StoreProbe(conn.db, () => conn.stateWrites, () => conn.closed)),
    async close() {
      if (conn.closed) return;
      conn.closed = true;
      conn.db.close();
      await wal?.close();
    },
  };
}
