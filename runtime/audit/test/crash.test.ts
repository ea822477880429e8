// Crash safety: a writer SIGKILLed mid-stream leaves a chain that verifies up to at least the
// last seq it reported durable, or is reported truncated naming the last intact record exactly;
// reopening recovers it. Tests jsonl.ts and verify.ts with fixtures/crash-writer.ts.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chainFiles } from "../files.js";
import { JsonlAuditLog } from "../jsonl.js";
import { verifyAudit } from "../verify.js";
import { decision, fileLines, KEY, KEY_HEX, tempDir } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, "fixtures", "crash-writer.ts");
const projectRoot = resolve(here, "../../..");

/** Runs the writer, kills it `delayMs` after its first durable report; returns the last seq it reported. */
async function runAndKill(path: string, batchMs: number, maxPad: number, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, path, KEY_HEX, String(batchMs), String(maxPad)], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_code, signal) => res(signal)));
  const started = Date.now();
  while (!out.includes("\n")) {
    if (child.exitCode !== null || Date.now() - started > 20_000) throw new Error(`crash writer did not start: ${err.trim()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  const reported = out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  expect(reported.length).toBeGreaterThan(0);
  return reported[reported.length - 1]!;
}

/** batchMs, largest record padding, kill delay: small and multi-megabyte batches, early and late kills. */
// Kills land between writes most of the time; with multi-megabyte batches a fair share (about one
// in six) cut a write short, exercising the truncated branch; verify.test.ts and
// jsonl.test.ts cover that branch deterministically.
const RUNS = [[0, 6000, 20], [1, 6000, 75], [5, 6000, 150], [0, 300_000, 120], [0, 1_000_000, 150], [2, 2_000_000, 250]] as const;

describe("a writer killed mid-stream", () => {
  it("leaves an intact prefix at least as long as what it reported durable", async () => {
    for (const [batchMs, maxPad, delayMs] of RUNS) {
      const path = join(tempDir(), "audit.jsonl");
      const reported = await runAndKill(path, batchMs, maxPad, delayMs);
      const result = await verifyAudit(path, { key: KEY });
      // every whole line on disk parses with the seq of its position: no record before the last is damaged
      const lines = chainFiles(path).flatMap(fileLines);
      const whole = readFileSync(path, "utf8").endsWith("\n") || readFileSync(path, "utf8") === "" ? lines : lines.slice(0, -1);
      whole.forEach((l, i) => expect((JSON.parse(l) as { seq: number }).seq).toBe(i + 1));
      if (result.ok) {
        expect(result.count).toBeGreaterThanOrEqual(reported);
        expect(result.count).toBe(whole.length);
      } else {
        expect(result.error).toMatchObject({ kind: "truncated", seq: result.count + 1, line: whole.length + 1 });
        expect(result.error.message).toBe(`the log ends in a partial record; the last intact record is ${result.count}`);
        expect(result.count).toBeGreaterThanOrEqual(reported);
        expect(result.count).toBe(whole.length);
      }
      // the next writer picks the chain up again, recording a recovery if the kill cut a write
      const log = await JsonlAuditLog.open(path, { key: KEY });
      expect(log.seq).toBe(result.ok ? result.count : result.count + 1);
      log.append(decision(result.count + 2));
      await log.close();
      const after = await verifyAudit(path, { key: KEY });
      expect(after).toMatchObject({ ok: true, count: result.count + (result.ok ? 1 : 2), recovered: result.ok ? [] : [{ seq: result.count + 1 }] });
    }
  });
});
