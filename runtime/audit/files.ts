// On-disk layout of a JSONL audit chain: file naming and ordering, the MACed head file, reading a
// file's tail without reading the file, and the single-writer lock. Used by jsonl.ts (writer)
// and verify.ts (reader); nothing here knows how records are sealed beyond the head's MAC.

import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AuditError, createWhole, HEX64, macEquals, wrapIo } from "./chain.js";
import { headMac, headPath, rotationBase } from "./layout.mjs";

// ---------------------------------------------------------------------------
// Naming: `audit.jsonl` is current; rotated files are `audit.000001.jsonl`, `audit.000002.jsonl`...
// The names and the head file's text live in layout.mjs, which the writer thread shares.

export { headPath, headText, rotatedPath } from "./layout.mjs";

export interface RotatedFile { n: number; path: string }

/** Rotated files of the chain at `logPath`, oldest first (numeric order, so N may outgrow the padding). */
export function listRotated(logPath: string): RotatedFile[] {
  const dir = dirname(logPath);
  const prefix = `${basename(rotationBase(logPath))}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw wrapIo(e, `cannot list ${dir}`);
  }
  const out: RotatedFile[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".jsonl")) continue;
    const mid = name.slice(prefix.length, -".jsonl".length);
    if (/^\d+$/.test(mid)) out.push({ n: Number(mid), path: join(dir, name) });
  }
  return out.sort((a, b) => a.n - b.n);
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Every file of the chain in order: rotated ones by N, then the current file if present. */
export function chainFiles(logPath: string): string[] {
  const files = listRotated(logPath).map((r) => r.path);
  if (exists(logPath)) files.push(logPath);
  return files;
}

const ROTATED_NAME = /\.\d+\.jsonl$/;

/**
 * The log path a user means: a file path as given, or for a directory the one chain whose files
 * live there (found by its head file or current file, else by its rotated files).
 */
export function resolveLogPath(pathOrDir: string): string {
  let isDir = false;
  try {
    isDir = statSync(pathOrDir).isDirectory();
  } catch {
    // a missing path may still name a chain whose current file was deleted; verify reports that
  }
  if (!isDir) return pathOrDir;
  const names = readdirSync(pathOrDir);
  const found = new Set<string>();
  for (const name of names) {
    if (name.endsWith(".head")) found.add(name.slice(0, -".head".length));
    else if (name.endsWith(".jsonl") && !ROTATED_NAME.test(name)) found.add(name);
  }
  if (found.size === 0) {
    for (const name of names) if (ROTATED_NAME.test(name)) found.add(name.replace(ROTATED_NAME, ".jsonl"));
  }
  const list = [...found].sort();
  if (list.length === 0) throw new AuditError("invalid", `no audit log in ${pathOrDir}`);
  if (list.length > 1) throw new AuditError("invalid", `${pathOrDir} holds several audit logs (${list.join(", ")}); name one`);
  return join(pathOrDir, list[0]!);
}

// ---------------------------------------------------------------------------
// Head file: `{"seq":N,"hash":"…","mac":"…"}`, the last record known durable. Its MAC stops an
// attacker who truncates whole records from rewriting the head to match.

export type HeadState =
  | { state: "absent" }
  | { state: "malformed"; reason: string }
  | { state: "forged" }
  | { state: "ok"; seq: number; hash: string };

export function readHead(logPath: string, key: Uint8Array): HeadState {
  let text: string;
  try {
    text = readFileSync(headPath(logPath), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { state: "absent" };
    throw wrapIo(e, `cannot read ${headPath(logPath)}`);
  }
  let head: unknown;
  try {
    head = JSON.parse(text);
  } catch {
    return { state: "malformed", reason: "is not valid json" };
  }
  const h = head as { seq?: unknown; hash?: unknown; mac?: unknown };
  if (typeof h !== "object" || h === null || !Number.isSafeInteger(h.seq) || (h.seq as number) < 0 ||
      typeof h.hash !== "string" || !HEX64.test(h.hash) || typeof h.mac !== "string") {
    return { state: "malformed", reason: "lacks a valid seq, hash or mac" };
  }
  if (!macEquals(h.mac, headMac(key, h.seq as number, h.hash))) return { state: "forged" };
  return { state: "ok", seq: h.seq as number, hash: h.hash };
}

// ---------------------------------------------------------------------------
// Tails

export interface Tail {
  /** The last newline-terminated line, without its newline; null when the file has none. */
  lastLine: string | null;
  /** Bytes after the last newline: a record whose write was cut short. */
  partialBytes: number;
  size: number;
}

/** Reads only the end of `path`, growing the window until the last whole line fits. */
export function readTail(path: string): Tail {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let window = Math.min(size, 64 * 1024);
    for (;;) {
      const buf = Buffer.alloc(window);
      const got = readSync(fd, buf, 0, window, size - window);
      const chunk = buf.subarray(0, got);
      const lastNl = chunk.lastIndexOf(0x0a);
      const partialBytes = lastNl < 0 ? window : window - lastNl - 1;
      const prevNl = lastNl < 0 ? -1 : chunk.lastIndexOf(0x0a, lastNl - 1);
      if (lastNl >= 0 && (prevNl >= 0 || window === size)) {
        return { lastLine: chunk.subarray(prevNl + 1, lastNl).toString("utf8"), partialBytes, size };
      }
      if (window === size) return { lastLine: null, partialBytes, size };
      window = Math.min(size, window * 4);
    }
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// Lock: two writers on one chain would fork it, so `<log>.lock` holds the writer's pid.

export function lockPath(logPath: string): string {
  return `${logPath}.lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock, replacing one left by a dead process; throws AuditError("locked") otherwise. */
export function acquireLock(logPath: string): void {
  const file = lockPath(logPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    // Whole or absent: a half-made lock read as an empty pid would look stale and be removed.
    if (createWhole(file, `${process.pid}\n`, 0o644, `cannot create ${file}`)) return;
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    } catch {
      continue; // released between our create and our read: try again
    }
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
      throw new AuditError("locked", `audit log ${logPath} is already open in process ${pid}`);
    }
    try {
      unlinkSync(file); // left by a process that died without closing the log
    } catch {
      // another opener removed it first; the retry settles who wins
    }
  }
  throw new AuditError("locked", `cannot take the lock ${file}`);
}

export function releaseLock(logPath: string): void {
  try {
    unlinkSync(lockPath(logPath));
  } catch {
    // already gone: nothing to release
  }
}
