// The fleet audit sink: one hash chain in PostgreSQL that any number of writers append to, with
// records sealed exactly as the JSONL log seals them (chain.ts sealEntry, FORMAT.md). Fed entries
// by the Engine (`audit: "postgres://..."`); read back by postgres-verify.ts (`pol audit verify
// postgres://...`). Tables and their append-only triggers: runtime/store/sql/002-audit.sql.
//
// Writers share one chain: a commit takes the chain's advisory lock, reads the head, seals its
// queued entries after it, inserts them and commits, so seq and prev are assigned under the lock
// (which is why `append` returns no record: its position is not known until then).
//
// Guarantee (FORMAT.md, "PostgreSQL"): append queues in memory and a commit follows within
// batchMs. While the server is down or restarting, commits are retried with backoff and the queue
// is kept, so every decision the caller saw is written once the server is back; each entry carries
// the writer's own sequence number, so a commit whose outcome was lost with the connection is never
// written twice. What is not covered is this process dying with entries still queued (as with the
// JSONL log's batch window); when the queue reaches maxQueue, append throws and the Engine denies.

import { randomUUID } from "node:crypto";
import { canonicalJson } from "./canonical.mjs";
import { AuditError, GENESIS_HASH, checkEntry, parseKey, sealEntry, type AuditEntry, type AuditSink, type KeyOptions } from "./chain.js";
import { connectPostgres, errorText, lockKey, type PgConn } from "../store/postgres-conn.js";
import type { PgOptions } from "../store/server-options.js";
import { StoreError, type AnchorStore } from "../store/types.js";
import { readFileSync } from "node:fs";

export interface PostgresAuditOptions extends KeyOptions, PgOptions {
  /** The chain's name: several chains may share a schema. Default `main`. */
  chain?: string;
  /** How long an append may wait to share a commit with later ones; default 5 ms. */
  batchMs?: number;
  /** Entries waiting for the server before append refuses (and the Engine denies); default 10,000. */
  maxQueue?: number;
  /** How long flush() waits for an unreachable server before it rejects (entries stay queued); default 30 s. */
  flushTimeoutMs?: number;
  /**
   * Where to anchor the chain head, outside the writers' reach (FORMAT.md threat model): e.g. a
   * Redis store's anchors. Advanced at most every anchorEveryMs and on close.
   */
  anchor?: AnchorStore;
  /** Default 1000 ms. */
  anchorEveryMs?: number;
}

const MAX_BATCH = 500;

interface Queued { wseq: number; body: string }

/** The key a PostgreSQL chain needs: inline or from a key file; there is no default file to create. */
export function postgresAuditKey(opts: KeyOptions): Uint8Array {
  if (opts.key !== undefined) return parseKey(opts.key, "the key option");
  const file = opts.keyFile ?? process.env["POL_AUDIT_KEY_FILE"];
  if (!file) throw new AuditError("key", "a postgres audit chain needs its key: pass key or keyFile (or set POL_AUDIT_KEY_FILE); every writer and the verifier use the same one");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new AuditError("key", `cannot read audit key ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseKey(text, file);
}

/** The anchor of a chain: schema and chain name, so one anchor store can serve many chains. */
export function auditAnchorName(schema: string, chain: string): string {
  return `audit:${schema}.${chain}`;
}

export function checkChainName(chain: string): string {
  if (typeof chain !== "string" || !/^[A-Za-z0-9_.:-]{1,64}$/.test(chain)) throw new AuditError("invalid", `audit chain name \`${String(chain)}\` must be 1 to 64 letters, digits or _ . : -`);
  return chain;
}

export class PostgresAuditLog implements AuditSink {
  private queue: Queued[] = [];
  private wseq = 0;
  private _seq = 0;
  private _hash = GENESIS_HASH;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failure: AuditError | null = null;
  private closing: Promise<void> | null = null;
  private lastAnchor = -Infinity;
  private lastError: string | null = null;
  private readonly writer = randomUUID();
  private readonly lock: number;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly conn: PgConn,
    private readonly key: Uint8Array,
    readonly chain: string,
    private readonly o: Required<Pick<PostgresAuditOptions, "batchMs" | "maxQueue" | "flushTimeoutMs" | "anchorEveryMs">> & Pick<PostgresAuditOptions, "anchor">,
  ) {
    this.lock = lockKey(conn.schema, `audit:${chain}`);
  }

  /** Connects (migrating the schema if needed) and reads the chain's head. */
  static async open(url: string, opts: PostgresAuditOptions = {}): Promise<PostgresAuditLog> {
    const key = postgresAuditKey(opts);
    const chain = checkChainName(opts.chain ?? "main");
    const num = (name: string, v: number | undefined, dflt: number, min: number): number => {
      const n = v ?? dflt;
      if (!Number.isFinite(n) || n < min) throw new AuditError("invalid", `${name} must be a number >= ${min}`);
      return n;
    };
    const o = {
      batchMs: num("batchMs", opts.batchMs, 5, 0), maxQueue: num("maxQueue", opts.maxQueue, 10_000, 1),
      flushTimeoutMs: num("flushTimeoutMs", opts.flushTimeoutMs, 30_000, 1), anchorEveryMs: num("anchorEveryMs", opts.anchorEveryMs, 1000, 0),
      anchor: opts.anchor,
    };
    let conn: PgConn;
    try {
      conn = await connectPostgres(url, opts);
    } catch (e) {
      throw new AuditError("io", `cannot open postgres audit: ${(e as Error).message}`, { cause: e });
    }
    const log = new PostgresAuditLog(conn, key, chain, o);
    try {
      await log.readHead();
    } catch (e) {
      await conn.pool.end().catch(() => undefined);
      throw new AuditError("io", `cannot open postgres audit: ${conn.translate(e).message}`, { cause: e });
    }
    return log;
  }

  /** Seq of the newest record this writer knows committed (its own or another writer's before it). */
  get seq(): number {
    return this._seq;
  }

  get lastHash(): string {
    return this._hash;
  }

  /** Entries appended but not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  append(entry: AuditEntry): undefined {
    if (this.closing) throw new AuditError("closed", `postgres audit chain \`${this.chain}\` is closed`);
    if (this.failure) throw this.failure;
    checkEntry(entry);
    let body: string;
    try {
      body = canonicalJson(entry);
    } catch (e) {
      throw new AuditError("invalid", (e as Error).message, { cause: e });
    }
    if (this.queue.length >= this.o.maxQueue) {
      throw new AuditError("io", `postgres audit at ${this.conn.where} is not taking records: ${this.queue.length} wait to be written (${this.lastError ?? "server unreachable"})`);
    }
    this.queue.push({ wseq: ++this.wseq, body });
    this.schedule(this.o.batchMs);
    return undefined;
  }

  /** Resolves once everything appended so far is committed; rejects after flushTimeoutMs without the server (entries stay queued). */
  async flush(): Promise<void> {
    const target = this.wseq;
    const deadline = Date.now() + this.o.flushTimeoutMs;
    while (this.committedThrough() < target) {
      if (this.failure) throw this.failure;
      if (Date.now() >= deadline) {
        throw new AuditError("io", `postgres audit at ${this.conn.where}: ${this.queue.length} records not yet written after ${this.o.flushTimeoutMs} ms (${this.lastError ?? "server unreachable"})`);
      }
      this.schedule(0);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(100, Math.max(1, deadline - Date.now())));
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    try {
      await this.flush();
      await this.anchorHead(true);
    } finally {
      if (this.timer) clearTimeout(this.timer);
      this.conn.closed = true;
      await this.conn.pool.end().catch(() => undefined);
    }
  }

  private committedThrough(): number {
    return this.queue.length > 0 ? this.queue[0]!.wseq - 1 : this.wseq;
  }

  private async readHead(): Promise<void> {
    const r = await this.conn.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_heads WHERE chain = $1", [this.chain]);
    if (r.rows[0]) {
      this._seq = Number(r.rows[0].seq);
      this._hash = r.rows[0].hash;
    }
  }

  private schedule(ms: number): void {
    if (this.running || (this.timer && ms > 0)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.drain().finally(() => {
        this.running = null;
        for (const w of [...this.waiters]) w();
        this.waiters.clear();
      });
    }, ms);
  }

  /** Commits batches until the queue is empty; on a server error, keeps the queue and retries with backoff. */
  private async drain(): Promise<void> {
    let backoff = 50;
    while (this.queue.length > 0 && !this.failure) {
      try {
        await this.commit(this.queue.slice(0, MAX_BATCH));
        this.lastError = null;
        backoff = 50;
        void this.anchorHead(false);
      } catch (e) {
        const err = e instanceof AuditError ? e : this.conn.translate(e);
        this.lastError = errorText(err);
        // A server that is away, busy or refusing for now is retried; only a fault of ours is final.
        if (err instanceof AuditError || (err instanceof StoreError && (err.code === "invalid" || err.code === "closed"))) {
          this.failure = err instanceof AuditError ? err : new AuditError("io", err.message, { cause: e });
          return;
        }
        for (const w of [...this.waiters]) w();
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }

  /**
   * One commit under the chain's lock: drops entries a lost COMMIT already wrote (by this writer's
   * wseq), seals the rest after the head and inserts them.
   */
  private async commit(batch: Queued[]): Promise<void> {
    const done = await this.conn.tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [this.lock]);
      const w = await c.query<{ w: string | null }>("SELECT max(wseq) AS w FROM audit_records WHERE chain = $1 AND writer = $2", [this.chain, this.writer]);
      const written = Number(w.rows[0]?.w ?? 0);
      const head = (await c.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_heads WHERE chain = $1", [this.chain])).rows[0];
      let seq = head ? Number(head.seq) : 0;
      let prev = head?.hash ?? GENESIS_HASH;
      const rows = { seq: [] as number[], prev: [] as string[], hash: [] as string[], record: [] as string[], wseq: [] as number[] };
      for (const q of batch) {
        if (q.wseq <= written) continue;
        const sealed = sealEntry(JSON.parse(q.body) as AuditEntry, ++seq, prev, this.key);
        rows.seq.push(seq);
        rows.prev.push(prev);
        rows.hash.push(sealed.record.hash);
        rows.record.push(sealed.line.slice(0, -1));
        rows.wseq.push(q.wseq);
        prev = sealed.record.hash;
      }
      if (rows.seq.length > 0) {
        await c.query(
          `INSERT INTO audit_records (chain, seq, prev, hash, record, writer, wseq)
           SELECT $1, s, p, h, r, $2, w FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) WITH ORDINALITY AS t(s, p, h, r, w, i) ORDER BY i`,
          [this.chain, this.writer, rows.seq, rows.prev, rows.hash, rows.record, rows.wseq],
        );
      }
      return { seq, hash: prev };
    });
    this.queue.splice(0, batch.length);
    this._seq = done.seq;
    this._hash = done.hash;
  }

  /** Advances the anchor to the head this writer last committed; failures are reported, never thrown. */
  private async anchorHead(force: boolean): Promise<void> {
    const anchor = this.o.anchor;
    if (!anchor || this._seq === 0) return;
    const now = Date.now();
    if (!force && now - this.lastAnchor < this.o.anchorEveryMs) return;
    this.lastAnchor = now;
    const name = this.anchorName();
    const head = { seq: this._seq, hash: this._hash, at: now };
    try {
      await anchor.advance(name, head);
    } catch (e) {
      // Another writer anchored a later head first: expected with many writers. Anything else is
      // evidence of a rolled-back or forked chain, and must be seen.
      const cur = await anchor.get(name).catch(() => undefined);
      if (cur && cur.seq > head.seq) return;
      process.emitWarning(`pol audit: cannot anchor chain \`${this.chain}\` at record ${head.seq}: ${(e as Error).message}`, "PolAuditWarning");
    }
  }

  anchorName(): string {
    return auditAnchorName(this.conn.schema, this.chain);
  }
}
