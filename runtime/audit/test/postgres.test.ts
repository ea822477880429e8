// The PostgreSQL audit chain against a real server: records identical to the JSONL log's, one
// chain from many writers, the database refusing edits and rollbacks by writers, the verifier
// classifying what an owner could still do, and the anchor catching a rolled-back database.
// Tests runtime/audit/postgres.ts and postgres-verify.ts; crash and restart cases are in
// runtime/store/test/faults.test.ts.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../../cli/main.js";
import { openMemoryStore, openSqliteStore } from "../../store/index.js";
import { fleetServersReady, startPostgres, type PostgresServer } from "../../store/test/servers.js";
import { JsonlAuditLog, openPostgresAudit, verifyPostgresAudit, type AuditEntry } from "../index.js";
import { auditAnchorName } from "../postgres.js";

const ready = fleetServersReady();
const server: PostgresServer | null = ready ? await startPostgres() : null;
const dir = mkdtempSync(join(tmpdir(), "pol-pgaudit-"));
afterAll(async () => {
  await server?.destroy();
  rmSync(dir, { recursive: true, force: true });
});
const KEY = "ab".repeat(32);
let schemas = 0;

const entry = (i: number): AuditEntry => ({ type: "decision", time: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(), id: `d${i}`, effect: i % 3 ? "allow" : "deny", args: { amount: i * 1.5, note: "é\u2028" } });

/** Runs sql as the database owner (the tests' superuser), bypassing nothing the triggers guard unless told. */
async function asOwner(schema: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: server!.url, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe.runIf(ready)("postgres audit chain", () => {
  it("writes exactly the records the JSONL log writes for the same entries and key", async () => {
    const schema = `a${schemas++}`;
    const log = await openPostgresAudit(server!.url, { key: KEY, schema });
    const jsonl = await JsonlAuditLog.open(join(dir, "same.jsonl"), { key: KEY });
    for (let i = 1; i <= 20; i++) {
      expect(log.append(entry(i))).toBeUndefined();
      jsonl.append(entry(i));
    }
    await log.close();
    await jsonl.close();
    const c = new pg.Client({ connectionString: server!.url });
    await c.connect();
    const rows = (await c.query<{ record: string }>(`SELECT record FROM ${schema}.audit_records ORDER BY seq`)).rows;
    await c.end();
    expect(rows.map((r) => `${r.record}\n`).join("")).toBe(readFileSync(join(dir, "same.jsonl"), "utf8"));
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema })).toMatchObject({ ok: true, count: 20 });
  });

  it("keeps one verified chain when many writers append at once", async () => {
    const schema = `a${schemas++}`;
    const writers = await Promise.all(Array.from({ length: 6 }, () => openPostgresAudit(server!.url, { key: KEY, schema, batchMs: 1 })));
    for (let round = 0; round < 50; round++) {
      writers.forEach((w, k) => w.append({ ...entry(round), writer: k }));
      if (round % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(writers.map((w) => w.close()));
    const v = await verifyPostgresAudit(server!.url, { key: KEY, schema });
    expect(v).toMatchObject({ ok: true, count: 300 });
  });

  it("refuses edits, deletions and head rewinds from any writer", async () => {
    const schema = `a${schemas++}`;
    const log = await openPostgresAudit(server!.url, { key: KEY, schema });
    for (let i = 1; i <= 5; i++) log.append(entry(i));
    await log.close();
    await expect(asOwner(schema, "UPDATE audit_records SET record = record || ' ' WHERE seq = 2")).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(asOwner(schema, "DELETE FROM audit_records WHERE seq = 5")).rejects.toThrow(/append-only: DELETE refused/);
    await expect(asOwner(schema, "TRUNCATE audit_records")).rejects.toThrow(/append-only/);
    await expect(asOwner(schema, "UPDATE audit_heads SET seq = 3")).rejects.toThrow(/moves only by appending/);
    await expect(asOwner(schema, `INSERT INTO audit_records VALUES ('main', 9, '${"0".repeat(64)}', 'x', '{}', 'me', 1)`)).rejects.toThrow(/does not follow the chain's last record/);
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema })).toMatchObject({ ok: true, count: 5 });
  });

  it("reports what an owner who disables the triggers does: edits, removed records, forged heads", async () => {
    const schema = `a${schemas++}`;
    const log = await openPostgresAudit(server!.url, { key: KEY, schema });
    for (let i = 1; i <= 6; i++) log.append(entry(i));
    await log.close();
    const owner = (sql: string) => asOwner(schema, `SET session_replication_role = replica; ${sql}`);
    await owner("UPDATE audit_records SET record = replace(record, '\"id\":\"d3\"', '\"id\":\"dX\"') WHERE seq = 3");
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema })).toMatchObject({ ok: false, count: 2, error: { kind: "edited", seq: 3 } });
    await owner("UPDATE audit_records SET record = replace(record, '\"id\":\"dX\"', '\"id\":\"d3\"') WHERE seq = 3; DELETE FROM audit_records WHERE seq = 4");
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema })).toMatchObject({ ok: false, count: 3, error: { kind: "missing", message: expect.stringContaining("record 4 is missing") } });
    await owner("DELETE FROM audit_records WHERE seq >= 5");
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema })).toMatchObject({ ok: false, count: 3, error: { kind: "truncated" } });
    await expect(verifyPostgresAudit(server!.url, { key: "cd".repeat(32), schema })).resolves.toMatchObject({ ok: false, error: { kind: "forged", seq: 1 } });
  });

  it("catches a database rolled back to an earlier state with the anchor kept elsewhere", async () => {
    const schema = `a${schemas++}`;
    const anchors = (await openMemoryStore()).anchors;
    const log = await openPostgresAudit(server!.url, { key: KEY, schema, anchor: anchors });
    for (let i = 1; i <= 8; i++) log.append(entry(i));
    await log.close();
    expect(await anchors.get(auditAnchorName(schema, "main"))).toMatchObject({ seq: 8 });
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema, anchor: anchors })).toMatchObject({ ok: true, count: 8 });
    // An owner restores an older backup: records 7 and 8 gone, head consistent with what is left.
    await asOwner(schema, "SET session_replication_role = replica; DELETE FROM audit_records WHERE seq > 6; UPDATE audit_heads SET seq = 6, hash = (SELECT hash FROM audit_records WHERE seq = 6)");
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema })).toMatchObject({ ok: true, count: 6 });
    expect(await verifyPostgresAudit(server!.url, { key: KEY, schema, anchor: anchors })).toMatchObject({
      ok: false, count: 6, error: { kind: "truncated", message: expect.stringContaining("anchor says record 8 was written") },
    });
  });

  it("is verified from the command line, against an anchor kept in another store", async () => {
    const schema = `a${schemas++}`;
    const keyFile = join(dir, `${schema}.key`);
    writeFileSync(keyFile, `${KEY}\n`);
    const anchorFile = join(dir, `${schema}-anchors.db`);
    const anchors = await openSqliteStore(anchorFile);
    const log = await openPostgresAudit(server!.url, { keyFile, schema, anchor: anchors.anchors });
    for (let i = 1; i <= 4; i++) log.append(entry(i));
    await log.close();
    await anchors.close();
    const url = `${server!.url}?schema=${schema}`;
    const pol = async (argv: string[]) => {
      let out = "";
      const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (out += t), stdin: async () => "", colorOut: false, colorErr: false });
      return { code, out };
    };
    const { port } = new URL(server!.url);
    expect(await pol(["audit", "verify", url, "--key-file", keyFile, "--anchor", anchorFile])).toEqual({ code: 0, out: `audit chain intact: 4 records in postgres://127.0.0.1:${port}/postgres#${schema}.main\n` });
    await asOwner(schema, "SET session_replication_role = replica; DELETE FROM audit_records WHERE seq = 4; UPDATE audit_heads SET seq = 3, hash = (SELECT hash FROM audit_records WHERE seq = 3)");
    expect(await pol(["audit", "verify", url, "--key-file", keyFile])).toMatchObject({ code: 0 });
    const rolled = await pol(["audit", "verify", url, "--key-file", keyFile, "--anchor", anchorFile]);
    expect(rolled.code).toBe(1);
    expect(rolled.out).toBe(`audit chain broken at row 4 of postgres://127.0.0.1:${port}/postgres#${schema}.main (record 4): the chain ends after record 3 but its anchor says record 4 was written: the database was rolled back\n`);
    expect(await pol(["audit", "verify", url])).toMatchObject({ code: 2, out: expect.stringContaining("needs its key") });
  });

  it("refuses to open without a key, and refuses entries the chain cannot carry", async () => {
    await expect(openPostgresAudit(server!.url, {})).rejects.toThrow(/needs its key/);
    const log = await openPostgresAudit(server!.url, { key: KEY, schema: `a${schemas++}` });
    expect(() => log.append({ type: "decision", time: "yesterday" } as AuditEntry)).toThrow(/iso 8601/);
    expect(() => log.append({ type: "decision", time: new Date().toISOString(), n: Number.NaN } as unknown as AuditEntry)).toThrow();
    await log.close();
    expect(() => log.append(entry(1))).toThrow(/closed/);
  });
});
