// The durability guarantee of FORMAT.md against real processes: a writer whose loop never yields
// to the event loop (appends, microtask-only awaits, Engine.decide on the memory store) is
// SIGKILLed, and every record it appended more than the window before the kill is on disk; a
// process that exits without close() loses nothing and is not kept alive. Tests jsonl.ts and
// the writer thread with fixtures/busy-writer.ts.

import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OPEN, wasmFile } from "../../test/helpers.js";
import { chainFiles, headPath, lockPath } from "../files.js";
import { JsonlAuditLog } from "../jsonl.js";
import { verifyAudit } from "../verify.js";
import { fileLines, KEY, KEY_HEX, tempDir } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, "fixtures", "busy-writer.ts");
const projectRoot = resolve(here, "../../..");

/** The documented window at the default batchMs (FORMAT.md, Durability), plus room for a loaded 2-core machine. */
const WINDOW_MS = 5;
const MARGIN_MS = 500;
const RUN_MS = 1500;

interface Progress { seq: number; at: number; turns: number }

interface Run { progress: Progress[]; killedAt: number | null; code: number | null; signal: NodeJS.Signals | null; stderr: string }

type Mode = "append" | "microtask" | "engine";

/** Runs the busy writer; with `killAfterMs`, SIGKILLs it that long after its first progress line. */
async function runWriter(dir: string, o: { mode: Mode; sync?: boolean; stopAfter?: number; end?: string }, killAfterMs?: number): Promise<Run> {
  const progressFile = join(dir, "progress.txt");
  const options = {
    ...o, sync: o.sync ?? false, log: join(dir, "audit.jsonl"), key: KEY_HEX, progress: progressFile,
    wasm: o.mode === "engine" ? await wasmFile(OPEN, dir) : undefined,
  };
  const child = spawn(process.execPath, ["--import", "tsx", fixture, JSON.stringify(options)], { cwd: projectRoot, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on("exit", (code, signal) => res([code, signal])));
  let killedAt: number | null = null;
  if (killAfterMs !== undefined) {
    const started = Date.now();
    while (!existsSync(progressFile) || statSync(progressFile).size === 0) {
      if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`busy writer did not start: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, killAfterMs));
    killedAt = Date.now();
    child.kill("SIGKILL");
  }
  const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code, signal] = await exited;
  clearTimeout(timeout);
  const progress = readFileSync(progressFile, "utf8").split("\n").filter(Boolean).map((l) => {
    const [seq, at, turns] = l.split(" ").map(Number);
    return { seq: seq!, at: at!, turns: turns! };
  });
  return { progress, killedAt, code, signal, stderr };
}

/** Verifies the chain a killed writer left (intact, or cut short in its last write only), then reopens it. */
async function checkAfterKill(path: string, mustHold: number): Promise<void> {
  const result = await verifyAudit(path, { key: KEY });
  const whole = chainFiles(path).flatMap(fileLines).filter((l) => l.endsWith("}"));
  if (!result.ok) {
    // SIGKILL can stop a write part-way; the partial record is the batch being written, never an older one
    expect(result.error).toMatchObject({ kind: "truncated", seq: result.count + 1 });
  }
  expect(result.count).toBeGreaterThanOrEqual(mustHold);
  expect(result.count).toBeGreaterThanOrEqual(whole.length - 1);
  const log = await JsonlAuditLog.open(path, { key: KEY });
  await log.close();
  expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true });
}

describe("a writer that never yields, SIGKILLed", () => {
  for (const mode of ["append", "microtask", "engine"] as const) {
    it(`keeps every record appended more than the window before the kill (${mode})`, async () => {
      const dir = tempDir();
      const run = await runWriter(dir, { mode }, RUN_MS);
      expect(run.signal).toBe("SIGKILL");
      // the loop never gave the event loop a turn, so no timer of the log's could have run either
      expect(run.progress.every((p) => p.turns === 0)).toBe(true);
      const old = run.progress.filter((p) => p.at <= run.killedAt! - WINDOW_MS - MARGIN_MS);
      const mustHold = old.length > 0 ? old[old.length - 1]!.seq : 0;
      // thousands of records that the timer-driven log would have held in memory and lost
      expect(mustHold).toBeGreaterThan(1000);
      await checkAfterKill(join(dir, "audit.jsonl"), mustHold);
    });
  }

  it("keeps every record a sync log returned, and the head names it", async () => {
    const dir = tempDir();
    const run = await runWriter(dir, { mode: "append", sync: true }, RUN_MS);
    expect(run.signal).toBe("SIGKILL");
    const reported = run.progress[run.progress.length - 1]!.seq;
    expect(reported).toBeGreaterThan(10);
    const path = join(dir, "audit.jsonl");
    expect((JSON.parse(readFileSync(headPath(path), "utf8")) as { seq: number }).seq).toBeGreaterThanOrEqual(reported);
    await checkAfterKill(path, reported);
  });
});

describe("a process that exits without close()", () => {
  for (const end of ["return", "exit", "throw"] as const) {
    it(`makes everything durable and is not kept alive (${end})`, async () => {
      const dir = tempDir();
      const run = await runWriter(dir, { mode: "append", stopAfter: 5000, end });
      expect([run.code, run.signal]).toEqual([end === "throw" ? 1 : 0, null]);
      const path = join(dir, "audit.jsonl");
      expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true, count: 5000 });
      expect(JSON.parse(readFileSync(headPath(path), "utf8"))).toMatchObject({ seq: 5000 });
      expect(existsSync(lockPath(path))).toBe(false);
    });
  }
});
