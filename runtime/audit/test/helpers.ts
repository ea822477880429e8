// Shared scaffolding for the audit tests: temporary directories, a fixed key, entry factories and
// raw file access. Used by every runtime/audit/test/*.test.ts; not a test itself.

import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { AuditEntry } from "../chain.js";
import { chainFiles } from "../files.js";

export const KEY_HEX = "6b".repeat(32);
export const KEY = Buffer.from(KEY_HEX, "hex");

const dirs: string[] = [];

/** A fresh directory, removed after the current test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pol-audit-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export const TIME = "2025-01-31T12:00:00.000Z";

export function decision(n: number, extra: Record<string, AuditEntry[string]> = {}): AuditEntry {
  return { type: "decision", time: TIME, decisionId: `d-${n}`, tool: "stripe.refund", effect: "allow", args: { amount: n }, ...extra };
}

/** Lines of one file, without the final newline's empty remainder. */
export function fileLines(path: string): string[] {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Every record line of the chain at `logPath`, in chain order. */
export function chainLines(logPath: string): string[] {
  return chainFiles(logPath).flatMap(fileLines);
}

export function parsed(line: string): Record<string, unknown> {
  return JSON.parse(line) as Record<string, unknown>;
}

/**
 * A FIFO at `path` whose buffer is full, standing for a disk that takes no more writes: a writer
 * opening it blocks in write(). Returns the descriptor holding it open (read and write, never
 * blocking). Used by stall.test.ts and server/test/error-log.test.ts.
 */
export function fullFifo(path: string): number {
  execFileSync("mkfifo", [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const chunk = Buffer.alloc(4096, 0x20);
  for (;;) {
    try {
      writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") return fd;
      throw e;
    }
  }
}

/** Keeps reading the FIFO empty while `during` runs, so a write blocked on it returns; then closes it. */
export async function whileDraining<T>(fd: number, during: () => Promise<T>): Promise<T> {
  const buf = Buffer.alloc(65536);
  const drain = setInterval(() => {
    try {
      while (readSync(fd, buf) > 0);
    } catch {
      // EAGAIN: empty for now
    }
  }, 5);
  try {
    return await during();
  } finally {
    clearInterval(drain);
    closeSync(fd);
  }
}
