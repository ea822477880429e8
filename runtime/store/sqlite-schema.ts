// The SQLite file's schema and the connection set-up: pragmas, a version table and forward-only
// migrations. Fed a path by openSqliteStore (sqlite.ts), which consumes the opened database.
//
// Invariants: migrations only ever append; each runs once, in order, inside one BEGIN IMMEDIATE
// transaction together with the version bump, so processes opening the same file at the same
// time apply each step exactly once and a crash mid-migration leaves the previous version intact.

import type Database from "better-sqlite3";
import { StoreError } from "./types.js";

/** Index i migrates the schema from version i to i + 1. Never edit a shipped entry; append. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE limit_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order breaks ties between equal times
    key        TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    amount     REAL    NOT NULL,
    expires_at INTEGER                              -- at + window; NULL for seeded events (pruned per key only)
  );
  CREATE INDEX limit_events_by_key ON limit_events (key, at, seq);
  CREATE INDEX limit_events_by_expiry ON limit_events (expires_at);

  CREATE TABLE approvals (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    call_hash    TEXT    NOT NULL,
    tool         TEXT    NOT NULL,
    agent_id     TEXT    NOT NULL,
    run_id       TEXT,
    groups_json  TEXT    NOT NULL,
    reasons_json TEXT    NOT NULL,
    call_json    TEXT    NOT NULL,
    decision_id  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'consumed')),
    resolved_by  TEXT,
    resolved_at  INTEGER,
    note         TEXT,
    consumed_at  INTEGER
  );
  CREATE INDEX approvals_by_state ON approvals (state, created_at, seq);
  CREATE INDEX approvals_by_hash ON approvals (call_hash, state, created_at, seq);

  CREATE TABLE trust (
    agent_id   TEXT    PRIMARY KEY,
    score      REAL    NOT NULL CHECK (score >= 0 AND score <= 100),
    revoked    INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE pauses (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids (pause-N) are never reused
    pattern    TEXT,
    tool_class TEXT CHECK (tool_class IN ('read', 'write', 'destructive')),
    reason     TEXT    NOT NULL,
    paused_by  TEXT,
    created_at INTEGER NOT NULL
  );
  `,
  // 1 -> 2: a running total per limit key, kept by triggers, so a charge reads one row instead of
  // summing every event in its window (a busy bucket holds thousands). The total is a fast
  // pre-check only: a charge near its limit still folds the events exactly (SqliteLimits).
  `
  CREATE TABLE limit_totals (key TEXT PRIMARY KEY, total REAL NOT NULL) WITHOUT ROWID;
  INSERT INTO limit_totals (key, total) SELECT key, SUM(amount) FROM limit_events GROUP BY key;
  CREATE TRIGGER limit_events_added AFTER INSERT ON limit_events BEGIN
    INSERT INTO limit_totals (key, total) VALUES (NEW.key, NEW.amount)
      ON CONFLICT (key) DO UPDATE SET total = total + excluded.total;
  END;
  -- An emptied bucket restarts at exactly 0, so rounding from adding and subtracting never accumulates.
  CREATE TRIGGER limit_events_removed AFTER DELETE ON limit_events BEGIN
    UPDATE limit_totals
      SET total = CASE WHEN EXISTS (SELECT 1 FROM limit_events WHERE key = OLD.key) THEN total - OLD.amount ELSE 0 END
      WHERE key = OLD.key;
  END;
  `,
  // 2 -> 3: approvals remember the policy and rule that asked for them; a per-agent pending index
  // for the pending cap; audit-chain anchors (types.ts AnchorStore).
  `
  ALTER TABLE approvals ADD COLUMN policy_hash TEXT;
  ALTER TABLE approvals ADD COLUMN rule TEXT;
  CREATE INDEX approvals_pending_by_agent ON approvals (agent_id, expires_at) WHERE state = 'pending';
  CREATE TABLE anchors (
    name TEXT    PRIMARY KEY,
    seq  INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT    NOT NULL,
    at   REAL    NOT NULL
  );
  `,
  // 3 -> 4: runs (types.ts RunStore): each run's state and call count, and its calls in order.
  `
  CREATE TABLE runs (
    run_id     TEXT    PRIMARY KEY,
    calls      INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    expires_at REAL    NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX runs_by_expiry ON runs (expires_at);
  CREATE TABLE run_calls (
    run_id TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    at     REAL    NOT NULL,
    tool   TEXT    NOT NULL,
    args   TEXT    NOT NULL,
    PRIMARY KEY (run_id, n)
  ) WITHOUT ROWID;
  `,
  // 4 -> 5: approvals by creation alone, for list({ newest }) (the console's latest resolutions
  // read from the newest end instead of sorting every approval the file holds).
  `
  CREATE INDEX approvals_by_creation ON approvals (created_at, seq);
  `,
  // 5 -> 6: who sent the call an approval waits on (types.ts ApprovalRequest.requestedBy), so
  // every process sharing the file refuses them as its approver.
  `
  ALTER TABLE approvals ADD COLUMN requested_by TEXT;
  `,
  // 6 -> 7: trust changes counted once per claim (types.ts TrustStore.adjustOnce: an outcome's
  // decision), claimed in the same transaction as the change.
  `
  CREATE TABLE trust_claims (claim TEXT PRIMARY KEY, until REAL NOT NULL) WITHOUT ROWID;
  CREATE INDEX trust_claims_by_until ON trust_claims (until);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteOptions {
  /** How long a write waits for another connection's lock before failing with a `busy` error. */
  busyTimeoutMs?: number;
  /**
   * "normal" (default): commits are durable against a process crash; approval changes are
   * still synced to disk. "full": every commit, limit charges included, survives power loss
   * (costs an fsync, about 4 ms here, on every limited decision).
   */
  synchronous?: "normal" | "full";
}

let driver: Promise<typeof Database> | undefined;

/**
 * better-sqlite3, loaded on first use rather than at import: a service on another store, or a
 * CLI command without one, never loads the native binding (about 12 ms here).
 * @internal better-sqlite3's types stay out of the published declarations (tsconfig.build.json stripInternal).
 */
export function sqliteDriver(): Promise<typeof Database> {
  return (driver ??= import("better-sqlite3").then((m) => m.default));
}

/**
 * Opens (creating if needed) and migrates the file; ":memory:" gives a private database.
 * @internal
 */
export function openDatabase(path: string, options: SqliteOptions, Driver: typeof Database): Database.Database {
  if (typeof path !== "string" || path === "") throw new StoreError("invalid", "store path must be a non-empty string");
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StoreError("invalid", "store busy timeout must be a whole number of milliseconds >= 0");
  }
  let db: Database.Database | undefined;
  try {
    db = new Driver(path, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // WAL lets readers (peek, list, get) run alongside the single writer. NORMAL makes commits
    // durable against a process crash without an fsync each (an fsync costs ~4 ms, far over the
    // policy latency budget); approval changes, where a lost commit could let a consumed approval
    // be used twice after power loss, are synced anyway (Conn.write's `durable`).
    walMode(db, busyTimeoutMs);
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    migrate(db);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError("io", `cannot open store \`${path}\`: ${describe(err)}`, { cause: err });
  }
}

/**
 * Switches the file to WAL. SQLite answers SQLITE_BUSY to a journal-mode change at once, without
 * its busy handler, while another connection opens the same new file (two processes racing to
 * create one store failed this way in CI), so the change is retried until the busy timeout.
 */
function walMode(db: Database.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/**
 * Applies the migrations the file lacks; a no-op on an up-to-date file.
 * @internal
 */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec("CREATE TABLE IF NOT EXISTS pol_schema (version INTEGER NOT NULL)");
    const row = db.prepare("SELECT version FROM pol_schema").get() as { version: number } | undefined;
    const from = row?.version ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new StoreError("io", `store schema version ${from} is newer than this pol supports (${SCHEMA_VERSION}); upgrade pol`);
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    if (row === undefined) db.prepare("INSERT INTO pol_schema (version) VALUES (?)").run(SCHEMA_VERSION);
    else if (from !== SCHEMA_VERSION) db.prepare("UPDATE pol_schema SET version = ?").run(SCHEMA_VERSION);
  }).immediate();
}

/** One lowercase line from an unknown error. */
export function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split("\n")[0] ?? "").replace(/\.$/, "").toLowerCase();
}
