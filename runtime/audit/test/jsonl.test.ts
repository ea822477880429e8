// The JSONL sink: sealing and chaining, keys, resume after reopen, rotation, batching, sync mode,
// crash recovery and the writer lock. Tests runtime/audit/jsonl.ts (with files.ts and chain.ts).

import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical.mjs";
import { AuditError, GENESIS_HASH, recordMac, sha256Hex, type AuditEntry } from "../chain.js";
import { chainFiles, headPath, lockPath } from "../files.js";
import { JsonlAuditLog, RECOVERY_EVENT } from "../jsonl.js";
import { formatVerifyResult, verifyAudit } from "../verify.js";
import { chainLines, decision, fileLines, KEY, KEY_HEX, parsed, tempDir } from "./helpers.js";

const path0 = (log: JsonlAuditLog) => log.path;

async function writeLog(path: string, n: number, opts: Parameters<typeof JsonlAuditLog.open>[1] = {}): Promise<void> {
  const log = await JsonlAuditLog.open(path, { key: KEY, ...opts });
  for (let i = 1; i <= n; i++) log.append(decision(i));
  await log.close();
}

describe("sealing and chaining", () => {
  it("assigns seq, links prev and seals hash and mac (on the writer thread)", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    expect([log.seq, log.lastHash]).toEqual([0, GENESIS_HASH]);
    expect(log.append(decision(1))).toBeUndefined();
    log.append(decision(2, { reasons: ["ok"], latencyUs: 12.5 }));
    expect(log.seq).toBe(2);
    const last = log.lastHash;
    expect(log.durableHead()).toEqual({ seq: 2, hash: last });
    await log.close();
    const lines = fileLines(path).map(parsed);
    const [r1, r2] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect([r1.seq, r2.seq, r1.prev, r2.prev, r2.hash]).toEqual([1, 2, GENESIS_HASH, r1.hash, last]);
    expect(r2).toMatchObject({ ...decision(2, { reasons: ["ok"], latencyUs: 12.5 }) });
    for (const rec of lines) {
      const { hash, mac, ...body } = rec;
      expect(hash).toBe(sha256Hex(canonicalJson(body)));
      expect(mac).toBe(recordMac(KEY, hash as string));
    }
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 2, lastHash: r2.hash, files: [path] });
  });

  it("refuses entries it cannot seal without consuming a seq", async () => {
    const log = await JsonlAuditLog.open(join(tempDir(), "audit.jsonl"), { key: KEY });
    const bad: Array<[unknown, string]> = [
      [{ ...decision(1), seq: 9 }, "audit entry must not set `seq`: the log assigns it"],
      [{ ...decision(1), mac: "x" }, "must not set `mac`"],
      [{ ...decision(1), type: "chat" }, "audit entry type must be one of decision, outcome, error, admin, not `chat`"],
      [{ ...decision(1), time: "yesterday" }, "audit entry time must be an iso 8601 string"],
      [{ ...decision(1), latencyUs: Number.NaN }, "audit entry field `latencyUs` is NaN"],
      [{ ...decision(1), args: { at: new Date() } }, "`args.at` is a Date"],
    ];
    for (const [entry, message] of bad) {
      expect(() => log.append(entry as never)).toThrow(message);
      expect(() => log.append(entry as never)).toThrow(AuditError);
    }
    log.append(decision(1));
    expect(log.seq).toBe(1);
    await log.close();
    expect(fileLines(path0(log)).map(parsed).map((r) => r.seq)).toEqual([1]);
  });

  it("keeps a __proto__ field from parsed input as data", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    const entry = { ...decision(1), ...(JSON.parse('{"__proto__":{"effect":"deny"}}') as object) } as AuditEntry;
    log.append(entry);
    await log.close();
    const rec = parsed(fileLines(path)[0]!);
    expect(Object.getPrototypeOf(rec)).toBe(Object.prototype);
    expect(Object.keys(rec)).toContain("__proto__");
    expect(fileLines(path)[0]).toContain('"__proto__":{"effect":"deny"}');
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 1 });
  });

  it("rejects appends after close, and close is idempotent", async () => {
    const log = await JsonlAuditLog.open(join(tempDir(), "audit.jsonl"), { key: KEY });
    log.append(decision(1));
    await Promise.all([log.close(), log.close()]);
    await log.close();
    expect(() => log.append(decision(2))).toThrow(/^audit log .* is closed$/);
  });
});

describe("a log deleted under its writer", () => {
  it("fails, so appends are refused (and the Engine denies), instead of writing into a file nobody can read", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    log.append(decision(1));
    await log.flush();
    unlinkSync(path);
    log.append(decision(2));
    await expect(log.flush()).rejects.toThrow(`audit log ${path} was deleted while it was being written; records written to it since are gone: restore it from a copy, or start on a new log`);
    expect(() => log.append(decision(3))).toThrow(/was deleted while it was being written/);
    await log.close().catch(() => undefined);
  });
});

describe("keys", () => {
  it("creates <path>.key with mode 0600 and reuses it on reopen", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 2, { key: undefined });
    const keyText = readFileSync(`${path}.key`, "utf8");
    expect(keyText).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(`${path}.key`).mode & 0o777).toBe(0o600);
    await writeLog(path, 2, { key: undefined });
    expect(readFileSync(`${path}.key`, "utf8")).toBe(keyText);
    expect(await verifyAudit(path)).toMatchObject({ ok: true, count: 4 });
    expect(await verifyAudit(path, { key: keyText.trim() })).toMatchObject({ ok: true, count: 4 });
    const other = await verifyAudit(path, { key: KEY });
    expect(other).toMatchObject({ ok: false, count: 0, error: { kind: "forged", seq: 1, line: 1 } });
  });

  it("takes a key as hex text, a buffer or a key file", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "secret.key");
    writeFileSync(keyFile, KEY_HEX);
    await writeLog(join(dir, "a.jsonl"), 1, { key: undefined, keyFile });
    expect(existsSync(join(dir, "a.jsonl.key"))).toBe(false);
    expect(await verifyAudit(join(dir, "a.jsonl"), { key: KEY_HEX })).toMatchObject({ ok: true });
    expect(await verifyAudit(join(dir, "a.jsonl"), { keyFile })).toMatchObject({ ok: true });
  });

  it("rejects short, non-hex and absent keys with one line", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await expect(JsonlAuditLog.open(path, { key: "abcd" })).rejects.toThrow("audit key in the key option is too short: need at least 16 bytes");
    await expect(JsonlAuditLog.open(path, { key: "zz".repeat(32) })).rejects.toThrow("audit key in the key option must be hex");
    await writeLog(path, 1);
    await expect(verifyAudit(path)).rejects.toThrow(`no audit key: ${path}.key does not exist; pass the key the log was written with`);
  });
});

describe("resume and rotation", () => {
  it("continues the chain after reopening", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 5);
    const log = await JsonlAuditLog.open(path, { key: KEY });
    expect(log.seq).toBe(5);
    log.append(decision(6));
    await log.close();
    expect(parsed(fileLines(path)[5]!).prev).toBe(parsed(fileLines(path)[4]!).hash);
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 6 });
  });

  it("rotates into numbered files and keeps one chain across them", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    await writeLog(path, 40, { rotateBytes: 1500, batchMs: 0 });
    const rotated = readdirSync(dir).filter((n) => /^audit\.\d{6}\.jsonl$/.test(n)).sort();
    expect(rotated.length).toBeGreaterThanOrEqual(4);
    expect(rotated[0]).toBe("audit.000001.jsonl");
    for (const name of rotated) expect(statSync(join(dir, name)).size).toBeGreaterThan(1500);
    for (const name of rotated) expect(statSync(join(dir, name)).size).toBeLessThan(1500 + 400);
    expect(chainLines(path).map((l) => parsed(l).seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await writeLog(path, 40, { rotateBytes: 1500, sync: true });
    const result = await verifyAudit(path, { key: KEY });
    expect(result).toMatchObject({ ok: true, count: 80 });
    expect(result.files).toEqual(chainFiles(path));
    expect(result.files.length).toBeGreaterThan(rotated.length + 3);
    expect(formatVerifyResult(result)).toBe(`audit chain intact: 80 records in ${result.files.length} files`);
  });

  it("puts every record in its own file with a one-byte limit", async () => {
    const path = join(tempDir(), "log");
    await writeLog(path, 5, { rotateBytes: 1 });
    const files = chainFiles(path).map((f) => basename(f));
    expect(files).toEqual(["log.000001.jsonl", "log.000002.jsonl", "log.000003.jsonl", "log.000004.jsonl", "log.000005.jsonl", "log"]);
    expect(readFileSync(path, "utf8")).toBe("");
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 5 });
  });

  it("resumes from the newest rotated file when the current one is missing", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 3, { rotateBytes: 1 });
    unlinkSync(path); // a crash between rotation's rename and the new file's creation
    await writeLog(path, 2, { rotateBytes: 1 });
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 5 });
  });
});

describe("batching and durability", () => {
  it("buffers appends off the hot path and writes them on flush", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, batchMs: 1000 });
    for (let i = 1; i <= 2000; i++) log.append(decision(i));
    expect(statSync(path).size).toBe(0);
    expect([log.seq, log.durableSeq]).toEqual([2000, 0]);
    await log.flush();
    expect(log.durableSeq).toBe(2000);
    expect(fileLines(path)).toHaveLength(2000);
    expect(JSON.parse(readFileSync(headPath(path), "utf8"))).toMatchObject({ seq: 2000, hash: log.lastHash });
    await log.close();
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 2000 });
  });

  it("writes batches in the background without an explicit flush", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, batchMs: 2 });
    for (let i = 1; i <= 10; i++) log.append(decision(i));
    const deadline = Date.now() + 5000;
    while (log.durableSeq < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(fileLines(path)).toHaveLength(10);
    log.append(decision(11)); // lands while idle: must be scheduled again
    while (log.durableSeq < 11 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(fileLines(path)).toHaveLength(11);
    await log.close();
  });

  it("sync mode makes each append durable before it returns", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, sync: true });
    for (let i = 1; i <= 3; i++) {
      log.append(decision(i));
      expect(fileLines(path)).toHaveLength(i);
      expect(JSON.parse(readFileSync(headPath(path), "utf8"))).toMatchObject({ seq: i, hash: parsed(fileLines(path)[i - 1]!).hash });
      expect(log.durableSeq).toBe(i);
    }
    await log.close();
  });

  it("writes the head file at creation, so an empty log verifies", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    expect(JSON.parse(readFileSync(headPath(path), "utf8"))).toMatchObject({ seq: 0, hash: GENESIS_HASH });
    await log.close();
    const result = await verifyAudit(path, { key: KEY });
    expect(formatVerifyResult(result)).toBe("audit chain intact: 0 records in 1 file");
  });
});

describe("crash recovery", () => {
  it("sets a partial last line aside and records the recovery", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    await writeLog(path, 4);
    const fragment = '{"type":"decision","ti'; // a write cut short by a crash
    appendFileSync(path, fragment);
    const before = await verifyAudit(path, { key: KEY });
    expect(before).toMatchObject({ ok: false, count: 4, error: { kind: "truncated", file: path, line: 5, seq: 5 } });
    expect(formatVerifyResult(before)).toBe("audit chain broken at audit.jsonl:5 (record 5): the log ends in a partial record; the last intact record is 4");

    const log = await JsonlAuditLog.open(path, { key: KEY });
    expect(log.recovered).toEqual([{ file: "audit.000001.jsonl", bytes: fragment.length }]);
    expect(log.seq).toBe(5);
    log.append(decision(6));
    await log.close();
    expect(readFileSync(join(dir, "audit.000001.jsonl"), "utf8").endsWith(`}\n${fragment}`)).toBe(true);
    const first = parsed(fileLines(path)[0]!);
    expect(first).toMatchObject({ seq: 5, type: "admin", event: RECOVERY_EVENT, damaged: [{ file: "audit.000001.jsonl", bytes: fragment.length }], resumedAfter: 4 });
    const after = await verifyAudit(path, { key: KEY });
    expect(after).toMatchObject({ ok: true, count: 6, recovered: [{ file: path, line: 1, seq: 5, damaged: [{ file: "audit.000001.jsonl", bytes: fragment.length }] }] });
    expect(formatVerifyResult(after)).toBe("audit chain intact: 6 records in 2 files; recovered from 1 cut-short write (audit.000001.jsonl before record 5)");
  });

  it("does not accept a recovery record that names other damage", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    await writeLog(path, 2);
    appendFileSync(path, "{partial");
    await writeLog(path, 1);
    appendFileSync(join(dir, "audit.000001.jsonl"), "more"); // the damaged file grew after recovery
    const result = await verifyAudit(path, { key: KEY });
    expect(result).toMatchObject({ ok: false, count: 2, error: { kind: "truncated", file: join(dir, "audit.000001.jsonl"), line: 3 } });
    expect(result.ok || result.error.message).toBe("a write was cut short here and never recovered; the last intact record is 2");
  });

  it("recovers a file holding nothing but a partial record", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 2, { rotateBytes: 1 });
    writeFileSync(path, '{"seq":3');
    await writeLog(path, 1, { rotateBytes: 1 });
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 4, recovered: [{ seq: 3, damaged: [{ bytes: 8 }] }] });
  });

  it("lists every damaged file when a crash also cut the recovery write short", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.jsonl");
    await writeLog(path, 3);
    appendFileSync(path, '{"seq":4,');
    renameSync(path, join(dir, "audit.000001.jsonl")); // what the first reopen did before it died
    writeFileSync(path, '{"type":"admin"'); // its recovery record, cut short
    const log = await JsonlAuditLog.open(path, { key: KEY });
    expect(log.recovered).toEqual([{ file: "audit.000001.jsonl", bytes: 9 }, { file: "audit.000002.jsonl", bytes: 15 }]);
    await log.close();
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 4, recovered: [{ seq: 4, damaged: log.recovered }] });
  });

  it("resumes after the head when whole records were removed, leaving the gap visible", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 10);
    const lines = fileLines(path);
    writeFileSync(path, lines.slice(0, 7).map((l) => `${l}\n`).join(""));
    const log = await JsonlAuditLog.open(path, { key: KEY });
    expect(log.seq).toBe(10);
    log.append(decision(11));
    await log.close();
    expect(parsed(fileLines(path).at(-1)!).prev).toBe(parsed(lines[9]!).hash);
    const result = await verifyAudit(path, { key: KEY });
    expect(result).toMatchObject({ ok: false, count: 7, error: { kind: "missing", line: 8, seq: 8 } });
    expect(formatVerifyResult(result)).toBe("audit chain broken at audit.jsonl:8 (record 8): records 8 to 10 are missing: the chain jumps from record 7 to 11");
  });

  it("refuses to open over a forged, malformed or missing head", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 3);
    const head = readFileSync(headPath(path), "utf8");
    writeFileSync(headPath(path), head.replace(/"seq":3/, '"seq":2'));
    await expect(JsonlAuditLog.open(path, { key: KEY })).rejects.toThrow(`audit head file ${headPath(path)} does not match the key; run \`pol audit verify ${path}\``);
    writeFileSync(headPath(path), "{");
    await expect(JsonlAuditLog.open(path, { key: KEY })).rejects.toThrow("is not valid json");
    unlinkSync(headPath(path));
    await expect(JsonlAuditLog.open(path, { key: KEY })).rejects.toThrow("is missing but the log holds records");
    expect(existsSync(lockPath(path))).toBe(false);
  });

  it("refuses to resume after an unreadable last record", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 2);
    appendFileSync(path, "garbage\n");
    await expect(JsonlAuditLog.open(path, { key: KEY })).rejects.toThrow(`audit log ${path} ends in an unreadable record`);
  });
});

describe("write failures", () => {
  it("stop a batched log and surface on every later call", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    log.append(decision(1));
    await log.flush();
    mkdirSync(`${headPath(path)}.tmp`); // the next head update cannot create its temporary file
    log.append(decision(2));
    await expect(log.flush()).rejects.toThrow(`cannot write audit log ${path} (EISDIR)`);
    expect(() => log.append(decision(3))).toThrow(`cannot write audit log ${path} (EISDIR)`);
    expect(log.durableSeq).toBe(1);
    await expect(log.close()).rejects.toThrow(AuditError);
    expect(existsSync(lockPath(path))).toBe(false);
  });

  it("make a sync append throw without advancing the chain", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY, sync: true });
    log.append(decision(1));
    const r1 = parsed(fileLines(path)[0]!);
    mkdirSync(`${headPath(path)}.tmp`);
    expect(() => log.append(decision(2))).toThrow(`cannot write audit log ${path} (EISDIR)`);
    expect([log.seq, log.lastHash]).toEqual([1, r1.hash]);
    await expect(log.close()).rejects.toThrow("EISDIR");
  });
});

describe("writer lock", () => {
  it("allows one writer per log and replaces a dead writer's lock", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(path, { key: KEY });
    await expect(JsonlAuditLog.open(path, { key: KEY })).rejects.toThrow(`audit log ${path} is already open in process ${process.pid}`);
    await log.close();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(lockPath(path), `${dead.stdout}\n`);
    const again = await JsonlAuditLog.open(path, { key: KEY });
    expect(readFileSync(lockPath(path), "utf8")).toBe(`${process.pid}\n`);
    await again.close();
    expect(existsSync(lockPath(path))).toBe(false);
  });
});

describe("options", () => {
  it("rejects nonsensical batching and rotation settings", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await expect(JsonlAuditLog.open(path, { key: KEY, batchMs: -1 })).rejects.toThrow("batchMs must be a number >= 0");
    await expect(JsonlAuditLog.open(path, { key: KEY, rotateBytes: 0 })).rejects.toThrow("rotateBytes must be a number > 0");
  });

  it("rotates at open when the current file is already over the limit", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, 3);
    await writeLog(path, 0, { rotateBytes: 10 });
    expect(chainFiles(path).map((f) => basename(f))).toEqual(["audit.000001.jsonl", "audit.jsonl"]);
    truncateSync(path, 0);
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 3 });
  });
});
