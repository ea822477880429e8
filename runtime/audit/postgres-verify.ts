// `pol audit verify postgres://...`: walks a PostgreSQL audit chain (written by postgres.ts) in seq
// order and reports the first break with the JSONL verifier's kinds and result shape, checking each
// record exactly as verify.ts does (parseRecord, recordHash, the MAC, prev), then the head row and,
// when given, the anchor kept outside the database. Printed by the CLI through formatVerifyResult.

import { GENESIS_HASH, macEquals, recordHash, recordMac, type KeyOptions } from "./chain.js";
import { auditAnchorName, checkChainName, postgresAuditKey } from "./postgres.js";
import { parseRecord, type VerifyBreak, type VerifyResult } from "./verify.js";
import { connectPostgres } from "../store/postgres-conn.js";
import type { PgOptions } from "../store/server-options.js";
import type { AnchorStore } from "../store/types.js";
import { AuditError } from "./chain.js";

export interface PostgresVerifyOptions extends KeyOptions, PgOptions {
  chain?: string;
  /** The anchor store the writers advanced (their `anchor` option): catches a rolled-back database. */
  anchor?: AnchorStore;
}

const PAGE = 2000;

interface Row { seq: string; record: string }

/**
 * Verifies the chain in the database at `url`. Throws AuditError only when there is nothing to
 * verify, no key, or no server; every defect in the chain is a `{ ok: false }` result whose `file`
 * names the database, schema and chain and whose `line` is the row's position in seq order.
 */
export async function verifyPostgresAudit(url: string, opts: PostgresVerifyOptions = {}): Promise<VerifyResult> {
  const key = postgresAuditKey(opts);
  const chain = checkChainName(opts.chain ?? "main");
  let conn;
  try {
    conn = await connectPostgres(url, opts);
  } catch (e) {
    throw new AuditError("io", `cannot verify postgres audit: ${(e as Error).message}`, { cause: e });
  }
  const file = `postgres://${conn.where}#${conn.schema}.${chain}`;
  try {
    const head = (await conn.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_heads WHERE chain = $1", [chain])).rows[0];
    if (!head) throw new AuditError("invalid", `no audit chain \`${chain}\` in ${file}`);
    let count = 0;
    let prevHash = GENESIS_HASH;
    let line = 0;
    const hashes = new Map<number, string>();
    const brk = (kind: VerifyBreak["kind"], message: string, seq: number | null = count + 1): VerifyResult => ({
      ok: false, count, files: [file], error: seq === null ? { file, line: line + 1, kind, message } : { file, line: line + 1, seq, kind, message },
    });
    const anchored = opts.anchor ? await opts.anchor.get(auditAnchorName(conn.schema, chain)) : undefined;
    for (let after = 0; ; ) {
      const page = await conn.query<Row>("SELECT seq, record FROM audit_records WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3", [chain, after, PAGE]);
      for (const row of page.rows) {
        line++;
        const rec = parseRecord(row.record);
        if (typeof rec === "string") return brk("malformed", `row ${line} ${rec}`);
        let hash: string;
        try {
          hash = recordHash(rec);
        } catch {
          return brk("malformed", `row ${line} holds a value no audit writer produces`);
        }
        const exp = count + 1;
        if (hash !== rec.hash) return brk("edited", `record ${rec.seq} was edited: its hash does not match its contents`);
        if (rec.seq !== Number(row.seq)) return brk("reordered", `the row stored as record ${row.seq} holds record ${rec.seq}`);
        if (rec.seq > exp) {
          const range = rec.seq - 1 === exp ? `record ${exp} is missing` : `records ${exp} to ${rec.seq - 1} are missing`;
          return brk("missing", `${range}: the chain jumps from record ${exp - 1} to ${rec.seq}`);
        }
        if (!macEquals(rec.mac, recordMac(key, rec.hash))) return brk("forged", `record ${rec.seq} is forged: its mac does not match, so it was written or rehashed without the key`);
        if (rec.prev !== prevHash) return brk("forged", `record ${rec.seq} does not ${rec.seq === 1 ? "start the chain" : `follow record ${rec.seq - 1}`}: its prev hash belongs to another chain`);
        count = rec.seq;
        prevHash = hash;
        if (anchored && anchored.seq === count) hashes.set(count, hash);
        after = count;
      }
      if (page.rows.length < PAGE) break;
    }
    const headSeq = Number(head.seq);
    if (headSeq > count) return brk("truncated", `the chain ends after record ${count} but its head says record ${headSeq} was written`);
    if (headSeq < count || (headSeq > 0 && head.hash !== prevHash)) return brk("forged", `the head names record ${headSeq}, which is not this chain's last record ${count}`, null);
    if (anchored) {
      if (anchored.seq > count) return brk("truncated", `the chain ends after record ${count} but its anchor says record ${anchored.seq} was written: the database was rolled back`);
      const seen = anchored.seq === 0 ? GENESIS_HASH : hashes.get(anchored.seq);
      if (seen !== anchored.hash) return brk("forged", `the anchor names a record ${anchored.seq} that this chain does not hold`, null);
    }
    return { ok: true, count, files: [file], lastHash: prevHash, recovered: [] };
  } finally {
    await conn.pool.end().catch(() => undefined);
  }
}
