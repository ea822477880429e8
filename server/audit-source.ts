// Where pol serve's console reads the audit chain from: the JSONL log the Engine writes (its
// files in chain order) or, for a fleet of servers, the PostgreSQL chain they all append to
// (runtime/audit/postgres.ts). Each source yields the records as stored, in chain order, and names
// what its verifier checks (verify-thread.ts). Built by serve.ts from `--audit`; consumed by the
// views of audit-read.ts and by the AuditVerifier.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { chainFiles } from "../runtime/audit/files.js";
import type { AuditRow } from "./audit-read.js";
import type { VerifyTarget } from "./verify-thread.js";

export interface AuditSource {
  /** Every parsable record in chain order; rows that are not JSON records are skipped (verification reports them). */
  rows(): AsyncIterable<AuditRow>;
  /** What the background verifier checks. */
  readonly target: VerifyTarget;
  /** Releases what rows() holds open between reads (a database pool); the JSONL source holds nothing. */
  close(): Promise<void>;
}

const isRow = (r: unknown): r is AuditRow => typeof r === "object" && r !== null && typeof (r as AuditRow).seq === "number" && typeof (r as AuditRow).time === "string";

/** A stored line as a record, or null when it is not one (verification reports those). */
export function parseRow(text: string): AuditRow | null {
  try {
    const r: unknown = JSON.parse(text);
    return isRow(r) ? r : null;
  } catch {
    return null;
  }
}

/** The JSONL log at `path` (rotated files first), verified with `keyFile` or the log's default key. */
export function jsonlSource(path: string, keyFile?: string): AuditSource {
  return {
    target: { kind: "jsonl", path, ...(keyFile !== undefined ? { keyFile } : {}) },
    async *rows() {
      for (const file of chainFiles(path)) {
        for await (const line of createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity })) {
          const r = line === "" ? null : parseRow(line);
          if (r) yield r;
        }
      }
    },
    close: async () => {},
  };
}

/** Rows read per query: a page of sealed records is ~1 MB, and a view reads the chain page by page. */
const PAGE = 2000;

export interface PostgresSourceOptions {
  /** The chain's name (PostgresAuditOptions.chain); default `main`. */
  chain?: string;
  /** The chain's key file (else $POL_AUDIT_KEY_FILE), for the verifier. */
  keyFile?: string;
  /** The state store the writers anchor the chain head in, as a spec (`redis://…`, a SQLite path), for the verifier. */
  anchor?: string;
}

/** The chain `chain` in the database at `url`, read over a pool of its own (opened on first read). */
export function postgresSource(url: string, o: PostgresSourceOptions = {}): AuditSource {
  const chain = o.chain ?? "main";
  let conn: Promise<import("../runtime/store/postgres-conn.js").PgConn> | undefined;
  const connect = () => (conn ??= import("../runtime/store/postgres-conn.js").then((m) => m.connectPostgres(url, {})).catch((e: unknown) => {
    conn = undefined; // the next view tries again
    throw e;
  }));
  return {
    target: { kind: "postgres", url, chain, ...(o.keyFile !== undefined ? { keyFile: o.keyFile } : {}), ...(o.anchor !== undefined ? { anchor: o.anchor } : {}) },
    async *rows() {
      const c = await connect();
      for (let after = 0; ; ) {
        const page = await c.query<{ seq: string; record: string }>("SELECT seq, record FROM audit_records WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3", [chain, after, PAGE]);
        for (const row of page.rows) {
          after = Number(row.seq);
          const r = parseRow(row.record);
          if (r) yield r;
        }
        if (page.rows.length < PAGE) return;
      }
    },
    async close() {
      const c = conn;
      conn = undefined;
      await (await c?.catch(() => undefined))?.pool.end().catch(() => undefined);
    },
  };
}
