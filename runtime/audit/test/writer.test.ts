// The writer thread behind JsonlAuditLog, seen through the log's API on real files: a full queue
// holds the caller back instead of growing, oversized records are refused, a writer failure
// reaches a caller that never yields, durability advances without the caller's event loop, and
// logs sharing the thread stay independent. Tests jsonl.ts, writer-thread.ts and writer.mjs.

import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditError } from "../chain.js";
import { chainFiles, headPath, lockPath } from "../files.js";
import { JsonlAuditLog } from "../jsonl.js";
import { verifyAudit } from "../verify.js";
import { chainLines, decision, KEY, parsed, tempDir } from "./helpers.js";

/** Spins without yielding until `done()` or `ms` pass; true if done. */
function spinUntil(done: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  while (!done()) if (Date.now() > end) return false;
  return true;
}

describe("the queue's bound", () => {
  it("holds a caller that never yields until the writer makes room, losing nothing", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, queueBytes: 64 * 1024 });
    const pad = "p".repeat(1000);
    // about 4 MB through a 64 KiB queue, without giving the event loop a turn
    for (let i = 1; i <= 4000; i++) log.append(decision(i, { pad }));
    await log.close();
    expect(chainLines(path).map((l) => parsed(l).seq)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 4000 });
  });

  it("refuses a record larger than the queue without consuming a seq", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, queueBytes: 64 * 1024 });
    expect(() => log.append(decision(1, { pad: "☃".repeat(30_000) }))).toThrow(
      /^audit record of 90\d{3} bytes does not fit the log's queue of 65536 bytes; raise queueBytes or append less$/,
    );
    expect(() => log.append(decision(1, { pad: "x".repeat(70_000) }))).toThrow(AuditError);
    log.append(decision(1, { pad: "x".repeat(60_000) }));
    expect(log.seq).toBe(1);
    await log.close();
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 1 });
  });

  it("rejects a queue size it cannot honour", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await expect(JsonlAuditLog.open(path, { key: KEY, queueBytes: 0 })).rejects.toThrow("queueBytes must be a number from 65536 to 1073741824");
    await expect(JsonlAuditLog.open(path, { key: KEY, queueBytes: 2 ** 31 })).rejects.toThrow(AuditError);
  });
});

describe("the writer runs whatever the caller's event loop does", () => {
  it("makes records durable and names them in the head while the caller spins", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    for (let i = 1; i <= 10; i++) log.append(decision(i));
    expect(spinUntil(() => log.durableSeq === 10, 20_000)).toBe(true);
    expect(chainLines(path)).toHaveLength(10);
    await log.close();
  });

  it("stops the log on a write failure and tells a caller that never yields", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    log.append(decision(1));
    await log.flush();
    mkdirSync(`${headPath(path)}.tmp`); // the next head update cannot create its temporary file
    let thrown: unknown = null;
    const end = Date.now() + 20_000;
    for (let i = 2; thrown === null && Date.now() < end; i++) {
      try {
        log.append(decision(i));
      } catch (e) {
        thrown = e;
      }
    }
    expect(thrown).toBeInstanceOf(AuditError);
    expect((thrown as AuditError).message).toBe(`cannot write audit log ${path} (EISDIR)`);
    expect(() => log.append(decision(0))).toThrow(`cannot write audit log ${path} (EISDIR)`);
    await expect(log.flush()).rejects.toThrow("EISDIR");
    expect(log.durableSeq).toBe(1);
    await expect(log.close()).rejects.toThrow("EISDIR");
    expect(existsSync(lockPath(path))).toBe(false);
  });
});

describe("failures the writer reports", () => {
  it("refuses to open when the writer cannot create the head file, releasing the lock", async () => {
    const path = join(tempDir(), "audit.jsonl");
    mkdirSync(`${headPath(path)}.tmp`);
    await expect(JsonlAuditLog.open(path, { key: KEY })).rejects.toThrow(`cannot open audit log ${path} (EISDIR)`);
    expect(existsSync(lockPath(path))).toBe(false);
    rmdirSync(`${headPath(path)}.tmp`);
    const log = await JsonlAuditLog.open(path, { key: KEY });
    log.append(decision(1));
    await log.close();
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 1 });
  });

  it("stops rather than rotate over a file that appeared under the next rotated name", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, rotateBytes: 2000 });
    writeFileSync(join(dir, "audit.000001.jsonl"), "someone else's file\n");
    for (let i = 1; i <= 20; i++) log.append(decision(i));
    await expect(log.flush()).rejects.toThrow(`cannot rotate audit log: ${join(dir, "audit.000001.jsonl")} already exists`);
    await expect(log.close()).rejects.toThrow(AuditError);
    expect(readFileSync(join(dir, "audit.000001.jsonl"), "utf8")).toBe("someone else's file\n");
  });
});

describe("the shared writer thread", () => {
  it("serves several logs at once and keeps their failures apart", async () => {
    const dir = tempDir();
    const paths = ["a", "b", "c"].map((n) => join(dir, `${n}.jsonl`));
    const logs = await Promise.all(paths.map((p) => JsonlAuditLog.open(p, { key: KEY, batchMs: 1 })));
    mkdirSync(`${headPath(paths[0]!)}.tmp`);
    for (let i = 1; i <= 200; i++) {
      for (const log of logs.slice(1)) log.append(decision(i));
      try {
        logs[0]!.append(decision(i));
      } catch {
        // stopped once its writer failed: checked below
      }
    }
    await expect(logs[0]!.flush()).rejects.toThrow("EISDIR");
    await Promise.all(logs.slice(1).map((l) => l.flush()));
    await expect(logs[0]!.close()).rejects.toThrow("EISDIR");
    await Promise.all(logs.slice(1).map((l) => l.close()));
    for (const p of paths.slice(1)) expect(await verifyAudit(p, { key: KEY })).toMatchObject({ ok: true, count: 200 });
  });

  it("keeps syncing, and serving other logs, while one log's queue never empties", async () => {
    const dir = tempDir();
    const busy = await JsonlAuditLog.open(join(dir, "busy.jsonl"), { key: KEY, batchMs: 0 });
    const quiet = await JsonlAuditLog.open(join(dir, "quiet.jsonl"), { key: KEY });
    for (let i = 1; i <= 10; i++) quiet.append(decision(i));
    let n = 0;
    const caughtUp = spinUntil(() => {
      busy.append(decision(++n));
      return quiet.durableSeq === 10 && busy.durableSeq > 100;
    }, 20_000);
    expect(caughtUp).toBe(true);
    await Promise.all([busy.close(), quiet.close()]);
    expect(await verifyAudit(join(dir, "busy.jsonl"), { key: KEY })).toMatchObject({ ok: true, count: n });
  });

  it("rotates between whole records while earlier batches are still being synced", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, batchMs: 0, rotateBytes: 20_000 });
    for (let i = 1; i <= 3000; i++) {
      log.append(decision(i));
      // let the writer take small batches, so rotations land while a sync is in flight
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await log.close();
    const result = await verifyAudit(path, { key: KEY });
    expect(result).toMatchObject({ ok: true, count: 3000 });
    expect(chainFiles(path).length).toBeGreaterThan(40);
  });
});
