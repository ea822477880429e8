// The PostgreSQL store against a real server started here (initdb in a temporary directory): the
// shared conformance suite unchanged, then what only a server shows: migrations, schemas, the
// LISTEN feed across store objects, index use by findApproved, and errors when the server is gone.

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../index.js";
import { storeConformance } from "./conformance.js";
import { T0, eventually, expectStoreError, request } from "./helpers.js";
import { fleetServersReady, startPostgres, type PostgresServer } from "./servers.js";

const ready = fleetServersReady();
const server: PostgresServer | null = ready ? await startPostgres() : null;
afterAll(() => server?.destroy());
let schemas = 0;
const fresh = () => openPostgresStore(server!.url, { schema: `t${schemas++}` });

describe.runIf(ready)("postgres store", () => {
  storeConformance("postgres", fresh);
});

/** Runs sql on the server as the tests' superuser, in `schema`. */
async function sql<R extends pg.QueryResultRow>(schema: string, text: string, values?: unknown[]): Promise<R[]> {
  const c = new pg.Client({ connectionString: server!.url, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}


describe.runIf(ready)("postgres store on its server", () => {
  it("migrates a schema once, records its version, and refuses a newer one", async () => {
    const schema = `m${schemas++}`;
    const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(server!.url, { schema })));
    await Promise.all(opened.map((s) => s.close()));
    expect(await sql(schema, "SELECT version FROM pol_schema")).toEqual([{ version: 5 }]);
    await sql(schema, "UPDATE pol_schema SET version = 6");
    await expectStoreError(openPostgresStore(server!.url, { schema }), "io", "schema version 6 is newer");
    await expectStoreError(openPostgresStore(server!.url, { schema: "Bad-Name" }), "invalid", "lowercase identifier");
  });

  it("migrates a version 3 schema (approvals carry their requester, trust takes claims), keeping the rows it had", async () => {
    const schema = `r${schemas++}`;
    const old = await openPostgresStore(server!.url, { schema });
    await old.approvals.create(request("before"));
    await old.close();
    // Back to how version 3 left the schema (004 added the column, 005 the claims table).
    await sql(schema, "ALTER TABLE approvals DROP COLUMN requested_by");
    await sql(schema, "DROP TABLE trust_claims");
    await sql(schema, "UPDATE pol_schema SET version = 3");
    const s = await openPostgresStore(server!.url, { schema });
    try {
      expect(await sql(schema, "SELECT version FROM pol_schema")).toEqual([{ version: 5 }]);
      expect(await s.approvals.get("before", T0)).toMatchObject({ id: "before", status: "pending" });
      expect(await s.trust.adjustOnce!("bot", -1, "dec-1", T0 + 1, T0)).toMatchObject({ score: 99 });
      expect("requestedBy" in (await s.approvals.get("before", T0))!).toBe(false);
      await s.approvals.create(request("after", { requestedBy: "svc" }));
      expect(await s.approvals.get("after", T0)).toMatchObject({ requestedBy: "svc" });
    } finally {
      await s.close();
    }
  });

  it("answers findApproved from its index, not a scan of the approvals", async () => {
    const schema = `i${schemas++}`;
    const s = await openPostgresStore(server!.url, { schema });
    await s.close();
    // Thousands of pending approvals, a handful approved: the planner must reach for the index.
    await sql(schema, `INSERT INTO approvals (id, call_hash, tool, agent_id, groups, reasons, call_json, decision_id, created_at, expires_at, state)
      SELECT 'p' || i, 'h' || (i % 500), 't', 'a', '{}', '{}', '{}', 'd', i, 1e15, CASE WHEN i % 1000 = 0 THEN 'approved' ELSE 'pending' END
      FROM generate_series(1, 20000) AS i; ANALYZE approvals`);
    const plan = await sql<{ "QUERY PLAN": string }>(schema, "EXPLAIN SELECT * FROM approvals WHERE call_hash = 'h0' AND state = 'approved' AND expires_at > 0 ORDER BY created_at, seq LIMIT 1");
    expect(plan.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/Index Scan using approvals_approved_by_hash/);
  });

  it("relays other processes' approval changes, and re-reads what it missed while its connection was cut", async () => {
    const schema = `n${schemas++}`;
    const [a, b] = [await openPostgresStore(server!.url, { schema }), await openPostgresStore(server!.url, { schema })];
    const seen: string[] = [];
    // A relayed change carries the approval as read when the notice arrived (it may be newer).
    b.approvals.onChange((c) => seen.push(`${c.type}:${c.approval.id}`));
    await a.approvals.create(request("x"));
    await a.approvals.resolve("x", { approve: true, by: "ana" }, T0 + 1);
    await eventually(() => seen.length === 2);
    expect(seen).toEqual(["created:x", "resolved:x"]);
    // Cut b's LISTEN connection, change an approval while it is down: b re-reads it on reconnect.
    const probe = b.openProbe!()!;
    const cut = await sql<{ t: boolean }>(schema, `SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name LIKE '%-listen' AND query = 'LISTEN ${schema}_changes'`);
    expect(cut).toEqual([{ t: true }, { t: true }]);
    await a.approvals.consume("x", "hash-x", T0 + 2);
    await eventually(() => seen.length === 3);
    expect(seen[2]).toBe("consumed:x");
    expect(typeof probe.token()).toBe("number");
    await Promise.all([a.close(), b.close()]);
  });

  it("fails with `unavailable` when the server cannot be reached", async () => {
    await expectStoreError(openPostgresStore("postgres://pol@127.0.0.1:1/postgres", { connectTimeoutMs: 500 }), "unavailable", "cannot open postgres store at 127.0.0.1:1/postgres");
  });
});
