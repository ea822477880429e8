// The verifier on hand-made defects: each kind of break is named with its file, line and records,
// across rotated files and in the head file; plus directory arguments and the CLI line. Tests
// runtime/audit/verify.ts.

import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical.mjs";
import { sha256Hex } from "../chain.js";
import { chainFiles, headPath } from "../files.js";
import { JsonlAuditLog } from "../jsonl.js";
import { formatVerifyResult, verifyAudit, type VerifyResult } from "../verify.js";
import { SETTLE_MS } from "../verify-resume.js";
import { decision, fileLines, KEY, parsed, tempDir } from "./helpers.js";

async function makeLog(n: number, rotateBytes?: number): Promise<string> {
  const path = join(tempDir(), "audit.jsonl");
  const log = await JsonlAuditLog.open(path, { key: KEY, rotateBytes, batchMs: 0 });
  for (let i = 1; i <= n; i++) log.append(decision(i));
  await log.close();
  return path;
}

function rewrite(path: string, edit: (lines: string[]) => string[]): void {
  writeFileSync(path, edit(fileLines(path)).map((l) => `${l}\n`).join(""));
}

async function broken(path: string): Promise<Extract<VerifyResult, { ok: false }>> {
  const r = await verifyAudit(path, { key: KEY });
  if (r.ok) throw new Error(`expected a break, got ${formatVerifyResult(r)}`);
  return r;
}

describe("single file", () => {
  it("names an edited record", async () => {
    const path = await makeLog(60);
    rewrite(path, (ls) => ls.map((l, i) => (i === 41 ? l.replace('"amount":42', '"amount":4200') : l)));
    const r = await broken(path);
    expect(r).toMatchObject({ count: 41, error: { kind: "edited", line: 42, seq: 42, file: path } });
    expect(formatVerifyResult(r)).toBe("audit chain broken at audit.jsonl:42 (record 42): record 42 was edited: its hash does not match its contents");
  });

  it("names an edited seq by its line", async () => {
    const path = await makeLog(5);
    rewrite(path, (ls) => ls.map((l, i) => (i === 2 ? l.replace('"seq":3', '"seq":30') : l)));
    expect((await broken(path)).error.message).toBe("the record at line 3 (seq 30 where 3 belongs) was edited: its hash does not match its contents");
  });

  it("names the missing range", async () => {
    const path = await makeLog(10);
    rewrite(path, (ls) => [...ls.slice(0, 3), ...ls.slice(6)]);
    const r = await broken(path);
    expect(r).toMatchObject({ count: 3, error: { kind: "missing", line: 4, seq: 4 } });
    expect(r.error.message).toBe("records 4 to 6 are missing: the chain jumps from record 3 to 7");
  });

  it("tells a swap from a deletion", async () => {
    const path = await makeLog(10);
    rewrite(path, (ls) => ls.map((l, i) => (i === 2 ? ls[7]! : i === 7 ? ls[2]! : l)));
    const r = await broken(path);
    expect(r).toMatchObject({ count: 2, error: { kind: "reordered", line: 3, seq: 3 } });
    expect(r.error.message).toBe("record 8 appears where record 3 belongs: records are out of order");
  });

  it("reports a record moved back, and a duplicate", async () => {
    const moved = await makeLog(6);
    rewrite(moved, (ls) => [...ls.slice(0, 4), ls[1]!, ...ls.slice(4)]);
    expect((await broken(moved)).error).toMatchObject({ kind: "reordered", line: 5, message: "record 2 appears after record 4: records are out of order" });
    const dup = await makeLog(6);
    rewrite(dup, (ls) => [...ls.slice(0, 4), ls[3]!, ...ls.slice(4)]);
    expect((await broken(dup)).error).toMatchObject({ kind: "reordered", line: 5, message: "record 4 appears twice" });
  });

  it("detects a record rehashed without the key", async () => {
    const path = await makeLog(4);
    rewrite(path, (ls) => {
      const rec = parsed(ls[3]!);
      rec.effect = "deny";
      const { hash: _h, mac, ...body } = rec;
      return [...ls.slice(0, 3), JSON.stringify({ ...body, hash: sha256Hex(canonicalJson(body)), mac })];
    });
    const r = await broken(path);
    expect(r).toMatchObject({ count: 3, error: { kind: "forged", line: 4, seq: 4 } });
    expect(r.error.message).toBe("record 4 is forged: its mac does not match, so it was written or rehashed without the key");
  });

  it("detects a genuine record spliced in from another chain with the same key", async () => {
    const a = await makeLog(3);
    const b = join(tempDir(), "other.jsonl");
    const log = await JsonlAuditLog.open(b, { key: KEY });
    log.append(decision(100));
    log.append(decision(200));
    await log.close();
    rewrite(a, (ls) => [ls[0]!, fileLines(b)[1]!, ls[2]!]);
    expect((await broken(a)).error).toMatchObject({ kind: "forged", line: 2, message: "record 2 does not follow record 1: its prev hash belongs to another chain" });
  });

  it("calls an unparseable line in the middle malformed", async () => {
    const path = await makeLog(5);
    rewrite(path, (ls) => ls.map((l, i) => (i === 1 ? "not json" : i === 2 ? '{"seq":3}' : l)));
    expect((await broken(path)).error).toMatchObject({ kind: "malformed", line: 2, seq: 2, message: "line 2 is not valid json" });
    rewrite(path, (ls) => ls.map((l, i) => (i === 1 ? '{"seq":2}' : l)));
    expect((await broken(path)).error.message).toBe("line 2 is not an audit record: it lacks a valid seq, prev, hash or mac");
  });

  it("names the last intact record when the tail was cut mid-line or at a line boundary", async () => {
    const path = await makeLog(8);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.length - 30));
    expect(await broken(path)).toMatchObject({ count: 7, error: { kind: "truncated", line: 8, message: "the log ends in a partial record; the last intact record is 7" } });
    rewrite(path, (ls) => ls.slice(0, 5));
    const r = await broken(path);
    expect(r).toMatchObject({ count: 5, error: { kind: "truncated", line: 6, seq: 6 } });
    expect(r.error.message).toBe("the log ends after record 5 but its head file says record 8 was written: records 6 to 8 were removed");
  });

  it("reports a log cut inside its first record", async () => {
    const path = await makeLog(2);
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 10));
    expect((await broken(path)).error.message).toBe("the log ends in a partial record; no record is intact");
  });

  it("detects a forged record appended after a clean close", async () => {
    const path = await makeLog(3);
    const last = parsed(fileLines(path)[2]!);
    const body = { ...decision(4), seq: 4, prev: last.hash };
    const hash = sha256Hex(canonicalJson(body));
    const mac = createHmac("sha256", "guess").update(hash).digest("hex");
    writeFileSync(path, `${readFileSync(path, "utf8")}${JSON.stringify({ ...body, hash, mac })}\n`);
    expect(await broken(path)).toMatchObject({ count: 3, error: { kind: "forged", line: 4, seq: 4 } });
  });
});

describe("non-canonical lines", () => {
  it("refuses a duplicated key that shows JSON.parse one value and a text search another", async () => {
    const path = await makeLog(3);
    // JSON.parse keeps the last `amount` (the real one, so the hash still matches); grep sees 999999.
    rewrite(path, (ls) => ls.map((l, i) => (i === 1 ? l.replace('{"args":{', '{"args":{"amount":999999},"args":{') : l)));
    expect(fileLines(path)[1]).toContain('"amount":999999');
    expect(JSON.parse(fileLines(path)[1]!).args.amount).toBe(2);
    const r = await broken(path);
    expect(r).toMatchObject({ count: 1, error: { kind: "malformed", line: 2, seq: 2 } });
    expect(r.error.message).toBe("line 2 is not written the way the log writes records (a duplicated key or re-encoded json), so what it holds cannot be trusted");
  });

  it("refuses a record re-encoded with other whitespace or key order", async () => {
    const path = await makeLog(3);
    rewrite(path, (ls) => ls.map((l, i) => (i === 2 ? JSON.stringify(JSON.parse(l), null, 0).replace('"seq":3', '"seq": 3') : l)));
    expect(await broken(path)).toMatchObject({ count: 2, error: { kind: "malformed", line: 3 } });
  });
});

describe("head file", () => {
  it("is required once the log holds records", async () => {
    const path = await makeLog(3);
    unlinkSync(headPath(path));
    expect((await broken(path)).error).toMatchObject({
      kind: "truncated", line: 4, message: "the head file audit.jsonl.head is missing, so removed trailing records cannot be ruled out after record 3",
    });
  });

  it("is required of an empty log too: emptied and stripped of its head file, a log is not intact", async () => {
    const path = await makeLog(3);
    writeFileSync(path, "");
    unlinkSync(headPath(path));
    expect((await broken(path)).error).toMatchObject({
      kind: "truncated", message: "the log holds no records and its head file audit.jsonl.head is missing: a wiped log looks exactly like this (compare with the anchor in the state store: --store)",
    });
  });

  it("cannot be rewritten without the key", async () => {
    const path = await makeLog(5);
    rewrite(path, (ls) => ls.slice(0, 3));
    const head = JSON.parse(readFileSync(headPath(path), "utf8")) as Record<string, unknown>;
    writeFileSync(headPath(path), JSON.stringify({ ...head, seq: 3, hash: parsed(fileLines(path)[2]!).hash }));
    const r = await broken(path);
    expect(r).toMatchObject({ count: 3, error: { kind: "forged", file: headPath(path), line: 1 } });
    expect(r.error.seq).toBeUndefined();
    expect(formatVerifyResult(r)).toBe("audit chain broken at audit.jsonl.head:1: the head file does not match the key: it was rewritten without the key");
    writeFileSync(headPath(path), "[]");
    expect((await broken(path)).error).toMatchObject({ kind: "malformed", message: "the head file lacks a valid seq, hash or mac" });
  });

  it("must name a record this chain holds", async () => {
    const path = await makeLog(3);
    const other = join(tempDir(), "audit.jsonl");
    const log = await JsonlAuditLog.open(other, { key: KEY });
    for (let i = 1; i <= 3; i++) log.append(decision(i, { run: "other" }));
    await log.close();
    // a genuine head from another log written with the same key
    writeFileSync(headPath(path), readFileSync(headPath(other)));
    expect((await broken(path)).error).toMatchObject({ kind: "forged", message: "the head file names a record 3 that this chain does not hold" });
  });
});

describe("rotated files", () => {
  it("reports a deleted middle file as missing records", async () => {
    const path = await makeLog(30, 1200);
    const files = chainFiles(path);
    expect(files.length).toBeGreaterThan(4);
    const firstOfThird = parsed(fileLines(files[2]!)[0]!).seq as number;
    const firstOfFourth = parsed(fileLines(files[3]!)[0]!).seq as number;
    unlinkSync(files[2]!);
    const r = await broken(path);
    expect(r).toMatchObject({ count: firstOfThird - 1, error: { kind: "missing", file: files[3], line: 1, seq: firstOfThird } });
    expect(r.error.message).toBe(`records ${firstOfThird} to ${firstOfFourth - 1} are missing: the chain jumps from record ${firstOfThird - 1} to ${firstOfFourth}`);
  });

  it("reports a deleted first file as missing the first records", async () => {
    const path = await makeLog(30, 1200);
    const files = chainFiles(path);
    const n = fileLines(files[0]!).length;
    unlinkSync(files[0]!);
    expect((await broken(path)).error).toMatchObject({ kind: "missing", seq: 1, message: `records 1 to ${n} are missing: the chain starts at record ${n + 1}` });
  });

  it("reports swapped files as reordered and a deleted current file as truncated", async () => {
    const path = await makeLog(30, 1200);
    const files = chainFiles(path);
    const tmp = `${files[1]!}.tmp`;
    renameSync(files[1]!, tmp);
    renameSync(files[2]!, files[1]!);
    renameSync(tmp, files[2]!);
    expect((await broken(path)).error).toMatchObject({ kind: "reordered", file: files[1], line: 1 });
    renameSync(files[1]!, tmp);
    renameSync(files[2]!, files[1]!);
    renameSync(tmp, files[2]!);
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 30 });
    const current = files[files.length - 1]!;
    const before = fileLines(current).length;
    expect(before).toBeGreaterThan(0);
    unlinkSync(current);
    expect((await broken(path)).error).toMatchObject({ kind: "truncated", seq: 31 - before });
  });

  it("reports a partial record in a rotated file that no recovery record acknowledges", async () => {
    const path = await makeLog(30, 1200);
    const files = chainFiles(path);
    const text = readFileSync(files[1]!, "utf8");
    writeFileSync(files[1]!, text.slice(0, -5));
    const intact = fileLines(files[1]!).length - 1 + fileLines(files[0]!).length;
    expect(await broken(path)).toMatchObject({ count: intact, error: { kind: "truncated", file: files[1] } });
  });
});

describe("arguments", () => {
  it("verifies the one chain in a directory", async () => {
    const path = await makeLog(30, 1200);
    const dir = join(path, "..");
    const r = await verifyAudit(dir, { key: KEY });
    expect(r).toMatchObject({ ok: true, count: 30, files: chainFiles(path) });
    unlinkSync(path);
    unlinkSync(headPath(path));
    expect(await verifyAudit(dir, { key: KEY })).toMatchObject({ ok: false, error: { kind: "truncated" } });
  });

  it("refuses an empty directory, an ambiguous one and a missing path", async () => {
    const dir = tempDir();
    await expect(verifyAudit(dir, { key: KEY })).rejects.toThrow(`no audit log in ${dir}`);
    for (const name of ["a.jsonl", "b.jsonl"]) {
      const log = await JsonlAuditLog.open(join(dir, name), { key: KEY });
      await log.close();
    }
    await expect(verifyAudit(dir, { key: KEY })).rejects.toThrow(`${dir} holds several audit logs (a.jsonl, b.jsonl); name one`);
    mkdirSync(join(dir, "sub"));
    await expect(verifyAudit(join(dir, "sub", "none.jsonl"), { key: KEY })).rejects.toThrow("no audit log at");
  });
});

describe("resuming from a checkpoint (verify-resume.ts)", () => {
  it("trusts a settled rotated file by its identity, and sees it rewritten in place", async () => {
    const path = await makeLog(30, 900);
    const first = await verifyAudit(path, { key: KEY });
    if (!first.ok) throw new Error(formatVerifyResult(first));
    // just written: each rotated file's mark carries its digest, since its ctime proves nothing yet
    expect(first.checkpoint!.sealed.every((m) => m.digest !== undefined)).toBe(true);
    await new Promise((r) => setTimeout(r, SETTLE_MS + 100));
    const second = await verifyAudit(path, { key: KEY, from: first.checkpoint });
    expect(second).toMatchObject({ ok: true, count: 30, resumed: 30 });
    if (!second.ok) return;
    expect(second.checkpoint!.sealed.some((m) => m.digest !== undefined)).toBe(false);
    const rotated = chainFiles(path)[0]!;
    rewrite(rotated, (ls) => ls.map((l, i) => (i === 1 ? l.replace(/"mac":"(.)/, (_m, c: string) => `"mac":"${c === "0" ? "1" : "0"}`) : l)));
    const third = await verifyAudit(path, { key: KEY, from: second.checkpoint });
    expect(third).toMatchObject({ ok: false, count: 1, error: { kind: "forged", file: rotated, line: 2 } });
  });
});
