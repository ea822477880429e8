// The PostgreSQL side of the PostgreSQL store and audit sink: the connection pool, versioned
// migrations (sql/*.sql, applied once under an advisory lock), transactions, error translation, and
// the LISTEN feed that tells every replica about approval, pause and trust changes. Built by
// openPostgresStore (postgres.ts) and the audit sink (runtime/audit/postgres.ts).

import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import type { PgOptions } from "./server-options.js";
import { errorText, guarded } from "./server-conn.js";
import { StoreError, type ChangeProbe } from "./types.js";

export { errorText };

const SQL_DIR = new URL("./sql/", import.meta.url);

/** The migrations, in order: index i takes the schema from version i to i + 1. Never edit a shipped one. */
function migrations(): string[] {
  return readdirSync(SQL_DIR).filter((f) => /^\d{3}-.*\.sql$/.test(f)).sort().map((f) => readFileSync(new URL(f, SQL_DIR), "utf8"));
}

export type { PgOptions } from "./server-options.js";

const SCHEMA = /^[a-z_][a-z0-9_]{0,40}$/;

// Connection loss and server shutdown, by SQLSTATE class 08 and 57P0x, or by socket error.
const UNAVAILABLE_CODES = /^(08|57P0)/;
const UNAVAILABLE_TEXT = /econnrefused|econnreset|epipe|etimedout|terminat|connection|timeout|shutting down|starting up|not yet accepting/i;

/** A 31-bit key for advisory locks, stable across processes: the lock namespace of one schema's `what`. */
export function lockKey(schema: string, what: string): number {
  return createHash("sha256").update(`pol:${schema}:${what}`).digest().readInt32BE(0);
}

export class PgConn {
  closed = false;
  readonly channel: string;

  /** `origin` is the pool's application_name: NOTIFY payloads carry it, so a store skips its own changes. */
  constructor(readonly pool: pg.Pool, readonly schema: string, readonly where: string, readonly config: pg.PoolConfig, readonly origin: string) {
    this.channel = `${schema}_changes`;
  }

  /** fn under the store's error conventions (server-conn.ts). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return guarded(this, fn);
  }

  translate(e: unknown): StoreError {
    if (e instanceof StoreError) return e;
    if (this.closed) return new StoreError("closed", "store is closed", { cause: e });
    const code = String((e as { code?: unknown })?.code ?? "");
    if (UNAVAILABLE_CODES.test(code) || UNAVAILABLE_TEXT.test(code) || UNAVAILABLE_TEXT.test(errorText(e))) {
      return new StoreError("unavailable", `postgres store at ${this.where} is unavailable: ${errorText(e)}`, { cause: e });
    }
    if (code === "40P01" || code === "40001") return new StoreError("busy", `postgres store is busy: ${errorText(e)}`, { cause: e });
    return new StoreError("io", `postgres store error: ${errorText(e)}`, { cause: e });
  }

  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** fn inside BEGIN ... COMMIT on one pooled connection, rolled back if it throws. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost between two statements is reported as an event on the client; unheard,
    // it would crash the process. The next statement fails with it anyway.
    const lost = (e: Error): void => void (broken = e);
    c.on("error", lost);
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      await c.query("ROLLBACK").catch((r: Error) => (broken = r));
      throw e;
    } finally {
      c.off("error", lost);
      c.release(broken);
    }
  }

  /** The server's clock_timestamp() in ms since the epoch. */
  async serverTime(): Promise<number> {
    const r = await this.pool.query<{ t: string }>("SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS t");
    return Number(r.rows[0]!.t);
  }
}

function poolConfig(url: string, o: PgOptions, origin: string): { config: pg.PoolConfig; schema: string; where: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError("invalid", "postgres store url is not a valid url");
  }
  const schema = o.schema ?? u.searchParams.get("schema") ?? "pol";
  if (!SCHEMA.test(schema)) throw new StoreError("invalid", `postgres schema \`${schema}\` must be a lowercase identifier (letters, digits, _)`);
  u.searchParams.delete("schema");
  const where = `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  const config: pg.PoolConfig = {
    connectionString: u.toString(),
    max: o.poolSize ?? 8,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: origin,
    options: `-c search_path=${schema}`,
  };
  return { config, schema, where };
}

/** Opens the pool and brings the schema to the current version (each migration once, whoever races). */
export async function connectPostgres(url: string, o: PgOptions): Promise<PgConn> {
  const origin = `pol-${randomUUID()}`;
  const { config, schema, where } = poolConfig(url, o, origin);
  const pool = new pg.Pool(config);
  // Idle connections dropped by a server restart: the next query opens a fresh one.
  pool.on("error", () => {});
  const conn = new PgConn(pool, schema, where, config, origin);
  try {
    await migrate(conn);
  } catch (e) {
    await pool.end().catch(() => undefined);
    const err = conn.translate(e);
    throw err.code === "unavailable" ? new StoreError("unavailable", `cannot open postgres store at ${where}: ${errorText(e)}`, { cause: e }) : err;
  }
  return conn;
}

async function migrate(conn: PgConn): Promise<void> {
  const all = migrations();
  await conn.tx(async (c) => {
    await c.query("SELECT pg_advisory_xact_lock($1)", [lockKey(conn.schema, "migrate")]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${conn.schema}`);
    await c.query("CREATE TABLE IF NOT EXISTS pol_schema (version int NOT NULL)");
    const row = (await c.query<{ version: number }>("SELECT version FROM pol_schema")).rows[0];
    const from = row?.version ?? 0;
    if (from > all.length) {
      throw new StoreError("io", `postgres store schema version ${from} is newer than this pol supports (${all.length}); upgrade pol`);
    }
    for (let v = from; v < all.length; v++) await c.query(all[v]!);
    if (row === undefined) await c.query("INSERT INTO pol_schema (version) VALUES ($1)", [all.length]);
    else if (from !== all.length) await c.query("UPDATE pol_schema SET version = $1", [all.length]);
  });
}

/** A change another process made, as the NOTIFY triggers of sql/001-state.sql announce it. */
export type PgMessage =
  | { kind: "pauses" | "trust" }
  | { kind: "approval"; type: "created" | "resolved" | "consumed"; id: string; at: number; c: number; o: string };

/** A row of `approvals` re-read after a reconnect, as a change. */
export type Resync = (afterChangeSeq: number) => Promise<number>;

/**
 * LISTEN on a dedicated connection. The token changes with every notification; while the
 * connection is down, and until it listens again, every call returns a fresh token so caches read
 * through (failing closed while the server is away). After a reconnect it LISTENs again, then asks
 * `resync` to re-read the approvals that changed meanwhile, so no waiter misses its resolution.
 */
export class PgFeed {
  private counter = 0;
  private live = false;
  private client: pg.Client | null = null;
  private stopped = false;
  private lastChange = 0;
  private retry: NodeJS.Timeout | null = null;
  private readonly handlers = new Set<(m: PgMessage) => void>();
  private resync: Resync | null = null;

  constructor(private readonly conn: PgConn) {}

  async start(): Promise<void> {
    const r = await this.conn.query<{ c: string | null }>("SELECT max(change_seq) AS c FROM approvals");
    this.lastChange = Number(r.rows[0]?.c ?? 0);
    await this.connect();
  }

  onResync(fn: Resync): void {
    this.resync = fn;
  }

  onMessage(fn: (m: PgMessage) => void): () => void {
    this.handlers.add(fn);
    return () => void this.handlers.delete(fn);
  }

  probe(): ChangeProbe {
    return { token: () => (this.live ? this.counter : {}), close: () => {} };
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.live = false;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.conn.config, application_name: `${this.conn.origin}-listen` });
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (n) => this.receive(n.payload ?? ""));
    await client.connect();
    await client.query(`LISTEN ${this.conn.channel}`);
    this.client = client;
    const missed = this.counter > 0 || this.lastChange > 0;
    if (missed && this.resync) this.lastChange = Math.max(this.lastChange, await this.resync(this.lastChange));
    this.counter++;
    this.live = true;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client && this.client !== null) return;
    this.live = false;
    this.client = null;
    void client.end().catch(() => undefined);
    this.reconnect(50);
  }

  private reconnect(ms: number): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped) return;
      this.connect().catch(() => {
        this.client?.end().catch(() => undefined);
        this.client = null;
        this.reconnect(Math.min(ms * 2, 1000));
      });
    }, ms);
    this.retry.unref();
  }

  private receive(payload: string): void {
    this.counter++;
    let m: PgMessage;
    if (payload === "pauses" || payload === "trust") m = { kind: payload };
    else {
      try {
        m = JSON.parse(payload) as PgMessage;
      } catch {
        return;
      }
      if (m.kind === "approval") {
        this.lastChange = Math.max(this.lastChange, m.c);
        if (m.o === this.conn.origin) return;
      }
    }
    for (const h of this.handlers) h(m);
  }
}
