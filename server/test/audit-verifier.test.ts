// pol serve's background audit check (server/audit-read.ts AuditVerifier): it verifies on its own
// thread (verify-thread.ts, verify-worker.mjs, loading the verifier from these sources), resumes
// from the last intact check, and still reports an edit to a record verified before, or to a
// rotated file. Real logs written by JsonlAuditLog.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chainFiles } from "../../runtime/audit/files.js";
import { JsonlAuditLog } from "../../runtime/audit/jsonl.js";
import { decision, KEY_HEX, tempDir } from "../../runtime/audit/test/helpers.js";
import { AuditVerifier } from "../audit-verifier.js";
import { VerifyThread } from "../verify-thread.js";

const verifiers: AuditVerifier[] = [];
afterEach(() => {
  for (const v of verifiers.splice(0)) v.stop();
});

async function append(path: string, from: number, to: number, rotateBytes?: number): Promise<void> {
  const log = await JsonlAuditLog.open(path, { keyFile: `${path}.key`, batchMs: 0, ...(rotateBytes ? { rotateBytes } : {}) });
  for (let i = from; i <= to; i++) log.append(decision(i));
  await log.close();
}

function setUp(): { path: string; verifier: AuditVerifier } {
  const path = join(tempDir(), "audit.jsonl");
  writeFileSync(`${path}.key`, KEY_HEX);
  const verifier = new AuditVerifier({ kind: "jsonl", path }, async () => {});
  verifiers.push(verifier);
  return { path, verifier };
}

/** Flips one hex digit of a record's mac: same length, so only the bytes change. */
function editRecord(file: string, line: number): void {
  const lines = readFileSync(file, "utf8").split("\n");
  lines[line - 1] = lines[line - 1]!.replace(/"mac":"(.)/, (_m, c: string) => `"mac":"${c === "0" ? "1" : "0"}`);
  writeFileSync(file, lines.join("\n"));
}

describe("the audit verifier of pol serve", () => {
  it("resumes from the last intact check and still sees an earlier record edited", async () => {
    const { path, verifier } = setUp();
    await append(path, 1, 40);
    expect(await verifier.check()).toMatchObject({ ok: true, count: 40, text: "audit chain intact: 40 records in 1 file" });
    await append(path, 41, 55);
    expect(await verifier.check()).toMatchObject({ ok: true, count: 55 });
    editRecord(path, 12);
    const broken = await verifier.check();
    expect(broken).toMatchObject({ ok: false, count: 11 });
    expect(broken.text).toBe("audit chain broken at audit.jsonl:12 (record 12): record 12 is forged: its mac does not match, so it was written or rehashed without the key");
  });

  it("sees an edit to a rotated file it verified before", async () => {
    const { path, verifier } = setUp();
    await append(path, 1, 30, 2000);
    const first = await verifier.check();
    expect(first).toMatchObject({ ok: true, count: 30 });
    await append(path, 31, 45, 2000);
    expect(await verifier.check()).toMatchObject({ ok: true, count: 45 });
    const rotated = chainFiles(path)[0]!;
    editRecord(rotated, 2);
    expect(await verifier.check()).toMatchObject({ ok: false, count: 1 });
  });

  it("reports a stopped thread as a failed check, and starts a new thread for the next", async () => {
    const { path } = setUp();
    await append(path, 1, 5);
    const thread = new VerifyThread();
    const pending = thread.verify({ kind: "jsonl", path }, undefined);
    thread.stop();
    await expect(pending).rejects.toThrow("the audit verifier was stopped");
    const again = await thread.verify({ kind: "jsonl", path }, undefined);
    expect(again).toMatchObject({ result: { ok: true, count: 5 }, text: "audit chain intact: 5 records in 1 file" });
    thread.stop();
  });
});
