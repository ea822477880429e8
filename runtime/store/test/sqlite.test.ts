// SQLite-only behaviour the conformance suite cannot see: persistence across reopen, the schema
// version table and migrations, durable commits synced off the event loop (sqlite-wal-sync.ts),
// lock and open errors, and exactness across connections and processes
// (via fixtures/consumer.ts). Exercises openSqliteStore from sqlite.ts on temporary files.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SCHEMA_VERSION, openSqliteStore } from "../index.js";
import { HOUR, T0, charge, expectStoreError, request } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pol-sqlite-"));
let files = 0;
const freshFile = () => join(dir, `store-${files++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");

describe("sqlite store persistence", () => {
  it("keeps approvals, pauses, trust and limit usage across close and reopen", async () => {
    const file = freshFile();
    const first = await openSqliteStore(file);
    await first.approvals.create(request("pending-1", { runId: "run-7" }));
    await first.approvals.create(request("approved-1", { callHash: "h" }));
    await first.approvals.resolve("approved-1", { approve: true, by: "ana", note: "ok" }, T0 + 1);
    await first.approvals.create(request("used-1", { callHash: "h2" }));
    await first.approvals.resolve("used-1", { approve: true, by: "ana" }, T0 + 1);
    await first.approvals.consume("used-1", "h2", T0 + 2);
    const pause = await first.pauses.pause({ pattern: "stripe.*", toolClass: "write", reason: "incident", by: "oncall" }, T0);
    await first.trust.adjust("bot", -100, T0);
    await first.trust.adjust("careful-bot", -12.5, T0);
    await first.limits.consume([charge("spend", 700, 1000)], T0);
    await first.close();

    const second = await openSqliteStore(file);
    expect(await second.approvals.get("pending-1", T0 + 3)).toEqual({ ...request("pending-1", { runId: "run-7" }), status: "pending" });
    expect(await second.approvals.findApproved("h", T0 + 3)).toMatchObject({ id: "approved-1", note: "ok", resolvedBy: "ana" });
    expect(await second.approvals.consume("used-1", "h2", T0 + 3)).toMatchObject({ ok: false, reason: "consumed" });
    expect((await second.approvals.list({ status: "pending" }, T0 + 3)).map((a) => a.id)).toEqual(["pending-1"]);
    expect(await second.pauses.list()).toEqual([pause]);
    expect(await second.trust.get("bot")).toEqual({ agentId: "bot", score: 0, revoked: true, updatedAt: T0 });
    expect(await second.trust.get("careful-bot")).toMatchObject({ score: 87.5, revoked: false });
    expect(await second.limits.consume([charge("spend", 301, 1000)], T0 + 4)).toMatchObject({ ok: false, used: 700, resetAt: T0 + HOUR });
    expect(await second.limits.consume([charge("spend", 300, 1000)], T0 + 4)).toEqual({ ok: true });
    await second.close();
  });
});

describe("sqlite store schema", () => {
  it("records the schema version, uses WAL, and reopens an up-to-date file without changes", async () => {
    const file = freshFile();
    await (await openSqliteStore(file)).close();
    await (await openSqliteStore(file)).close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT version FROM pol_schema").all()).toEqual([{ version: SCHEMA_VERSION }]);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("answers findApproved and the pending cap from indexes, not scans of the approvals", async () => {
    const file = freshFile();
    await (await openSqliteStore(file)).close();
    const db = new Database(file, { readonly: true });
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
    expect(plan("SELECT * FROM approvals WHERE call_hash = 'h' AND state = 'approved' AND expires_at > 0 ORDER BY created_at, seq LIMIT 1")).toMatch(/USING INDEX approvals_by_hash/);
    expect(plan("SELECT count(*) FROM approvals WHERE agent_id = 'a' AND state = 'pending' AND expires_at > 0")).toMatch(/USING (COVERING )?INDEX approvals_pending_by_agent/);
    db.close();
  });

  it("migrates a schema 5 file (approvals carry their requester, trust takes claims), keeping the rows it had", async () => {
    const file = freshFile();
    const old = await openSqliteStore(file);
    await old.approvals.create(request("before"));
    await old.close();
    // Back to how schema 5 left the file (5 -> 6 added the column, 6 -> 7 the claims table).
    const db = new Database(file);
    db.exec("ALTER TABLE approvals DROP COLUMN requested_by; DROP TABLE trust_claims; UPDATE pol_schema SET version = 5");
    db.close();
    const s = await openSqliteStore(file);
    try {
      expect(await s.approvals.get("before", T0)).toMatchObject({ id: "before", status: "pending" });
      expect("requestedBy" in (await s.approvals.get("before", T0))!).toBe(false);
      await s.approvals.create(request("after", { requestedBy: "svc" }));
      expect(await s.approvals.get("after", T0)).toMatchObject({ requestedBy: "svc" });
      expect(await s.trust.adjustOnce!("bot", -1, "dec-1", T0 + 1, T0)).toMatchObject({ score: 99 });
    } finally {
      await s.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT version FROM pol_schema").all()).toEqual([{ version: SCHEMA_VERSION }]);
    check.close();
  });

  it("refuses a file written by a newer schema", async () => {
    const file = freshFile();
    await (await openSqliteStore(file)).close();
    const db = new Database(file);
    db.prepare("UPDATE pol_schema SET version = ?").run(SCHEMA_VERSION + 1);
    db.close();
    await expectStoreError(openSqliteStore(file), "io", `store schema version ${SCHEMA_VERSION + 1} is newer`);
  });

  it("reports unopenable paths and non-database files as io errors", async () => {
    await expectStoreError(openSqliteStore(join(dir, "no-such-dir", "x.db")), "io", "cannot open store");
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not a database, just text long enough to fill a header page ".repeat(20));
    await expectStoreError(openSqliteStore(junk), "io", "cannot open store");
    await expectStoreError(openSqliteStore(""), "invalid", "store path");
  });
});

describe("sqlite store durable commits", () => {
  // The handle's prototype is node:fs/promises' FileHandle, which the module does not export.
  const fileHandleProto = async () => {
    const h = await open(join(dir, "probe"), "w");
    await h.close();
    return Object.getPrototypeOf(h) as { sync(): Promise<void> };
  };

  it("syncs the -wal file from the thread pool for approval changes and anchors, and for nothing else", async () => {
    const file = freshFile();
    const store = await openSqliteStore(file);
    const synced: string[] = [];
    const proto = await fileHandleProto();
    const realSync = proto.sync;
    const spy = vi.spyOn(proto, "sync").mockImplementation(function (this: { fd: number }) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
      return realSync.call(this);
    });
    try {
      await store.limits.consume([charge("spend", 5, 100)], T0);
      await store.trust.adjust("bot", -1, T0);
      await store.pauses.pause({ pattern: "x.*", reason: "r" }, T0);
      expect(synced).toEqual([]);
      await store.approvals.create(request("a-1", { callHash: "h" }));
      await store.approvals.resolve("a-1", { approve: true, by: "ana" }, T0 + 1);
      await store.approvals.consume("a-1", "h", T0 + 2);
      await store.anchors.advance("log", { seq: 1, hash: "ab".repeat(32), at: T0 });
      expect(synced).toEqual(Array(4).fill(`${realpathSync(file)}-wal`));
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });

  it("syncs the WAL beside the file a symlinked store path points to, where SQLite keeps it", async () => {
    const target = freshFile();
    const link = `${freshFile()}.link`;
    symlinkSync(target, link);
    const store = await openSqliteStore(link);
    await store.approvals.create(request("a-3"));
    expect(existsSync(`${target}-wal`)).toBe(true);
    expect(existsSync(`${link}-wal`)).toBe(false);
    await store.close();
  });

  it("rejects a durable change whose sync fails with an io error saying it was committed", async () => {
    const file = freshFile();
    const store = await openSqliteStore(file);
    // SQLite keeps writing to the -wal it has open; the store's own open of it by name fails.
    rmSync(`${file}-wal`);
    await expectStoreError(store.approvals.create(request("a-2")), "io", "the change was committed but could not be synced to disk");
    expect((await store.approvals.get("a-2", T0))?.status).toBe("pending");
    await store.close();
  });
});

describe("sqlite store locking", () => {
  it("reports a busy error when another connection holds the write lock past the timeout", async () => {
    const file = freshFile();
    const store = await openSqliteStore(file, { busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    await expectStoreError(store.limits.consume([charge("k", 1, 5)], T0), "busy", "store is busy");
    other.exec("ROLLBACK");
    other.close();
    expect(await store.limits.consume([charge("k", 1, 5)], T0)).toEqual({ ok: true });
    await store.close();
  });

  it("stays exact across two connections to the same file", async () => {
    const file = freshFile();
    const [a, b] = [await openSqliteStore(file), await openSqliteStore(file)];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).limits.consume([charge("k", 1, 15)], T0)));
    expect(results.filter((r) => r.ok)).toHaveLength(15);
    expect(await a.limits.usage("k", HOUR, T0)).toBe(15);
    await a.approvals.create(request("x"));
    expect((await b.approvals.resolve("x", { approve: true, by: "ana" }, T0 + 1)).status).toBe("approved");
    expect(await a.approvals.consume("x", "hash-x", T0 + 2)).toMatchObject({ ok: true });
    expect(await b.approvals.consume("x", "hash-x", T0 + 2)).toMatchObject({ ok: false, reason: "consumed" });
    await Promise.all([a.close(), b.close()]);
  });

  it("its probe ignores the store's own charges but sees pauses and trust through it and any other connection's commit", async () => {
    const file = freshFile();
    const [a, b] = [await openSqliteStore(file), await openSqliteStore(file)];
    const probe = a.openProbe!()!;
    let token = probe.token();
    const changed = () => {
      const t = probe.token();
      const moved = t !== token;
      token = t;
      return moved;
    };
    await a.limits.consume([charge("k", 1, 15)], T0);
    await a.approvals.create(request("x"));
    expect(changed()).toBe(false);
    await a.pauses.pause({ pattern: "refund", reason: "r" }, T0);
    expect(changed()).toBe(true);
    await a.trust.adjust("bot", -5, T0);
    expect(changed()).toBe(true);
    await b.limits.consume([charge("k", 1, 15)], T0);
    expect(changed()).toBe(true);
    expect(changed()).toBe(false);
    probe.close();
    await Promise.all([a.close(), b.close()]);
  });

  it("sweeps the running totals of the keys whose events expired, and only those", async () => {
    const file = freshFile();
    const store = await openSqliteStore(file);
    await store.limits.consume([charge("old", 1, 15)], T0);
    await store.limits.consume([charge("kept", 1, 15, 10 * HOUR)], T0);
    await store.limits.consume([charge("new", 1, 15)], T0 + 2 * HOUR);
    const db = new Database(file, { readonly: true });
    expect((db.prepare("SELECT key FROM limit_totals ORDER BY key").all() as { key: string }[]).map((r) => r.key)).toEqual(["kept", "new"]);
    db.close();
    await store.close();
  });

  it("stays exact across two processes consuming the same limit", async () => {
    const file = freshFile();
    // No schema yet: both children create and migrate the file at once, which must also be safe.
    const children = [startConsumer(file), startConsumer(file)];
    await Promise.all(children.map((c) => c.ready));
    const startAt = Date.now() + 200;
    for (const c of children) c.go(startAt);
    const granted = await Promise.all(children.map((c) => c.done));
    expect(granted[0] + granted[1]).toBe(50);
    const store = await openSqliteStore(file);
    expect(await store.limits.usage("shared|agent=bot", HOUR, T0)).toBe(50);
    await store.close();
  });
});

interface Consumer {
  ready: Promise<void>;
  go: (startAt: number) => void;
  done: Promise<number>;
}

/** Spawns fixtures/consumer.ts: it announces "ready", waits for a start time, then prints {"ok": n}. */
function startConsumer(file: string): Consumer {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures", "consumer.ts"), file, "100", "50"], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let announce: () => void = () => {};
  const ready = new Promise<void>((res) => (announce = res));
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("ready\n")) announce();
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((res, rej) => {
    child.on("error", rej);
    child.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !last.startsWith("{")) rej(new Error(`consumer exited ${code}: ${err || out}`));
      else res((JSON.parse(last) as { ok: number }).ok);
    });
  });
  // A child that dies before announcing must fail the test, not hang it.
  return { ready: Promise.race([ready, done.then(() => undefined)]), go: (startAt) => child.stdin.end(`${startAt}\n`), done };
}
