// Where a JSONL chain verification can pick up again: the checkpoint an intact verification
// leaves (verify.ts puts it in its result), and the test that the files it covered still hold the
// bytes that were verified. Fed by verify.ts's walker; consumed by verifyAudit's `from` option,
// which pol serve's periodic check (server/audit-read.ts) passes back each time.
//
// Why: verifying a record costs ~30 µs (parse, canonical JSON, SHA-256, HMAC), and a chain only
// grows. pol serve re-verified the whole chain every minute, on the thread answering requests:
// 100,000 records (20 s of traffic at 5,000 decisions/s) held it for ~3 s. With a checkpoint a
// check verifies only the records written since the last one, and proves the rest unchanged
// cheaply:
// - a rotated file by its inode, size and ctime, all of which any write to it or any
//   replacement of it changes (ctime cannot be set back without setting the clock). Some file
//   systems keep ctime to a clock tick, so a write in the tick of the check could leave all three
//   alone: a file whose ctime was under SETTLE_MS old when marked is also checked by digest;
// - the current file, which changes on every append, by the SHA-256 of the bytes verified
//   before (hashing runs at hundreds of MB/s, verifying at ~25 MB/s).
// When any of that does not hold, the chain is verified in full again, which reports what broke.

import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type { RecoveryNote } from "./verify.js";

/** A file verified whole: what changes if its bytes do. */
export interface FileMark {
  path: string; ino: number; size: number; ctimeMs: number;
  /** SHA-256 of the bytes, when the ctime was too recent to rely on (see SETTLE_MS). */
  digest?: string;
}

/** How old a file's ctime must be when it is marked for the mark alone to vouch for its bytes. */
export const SETTLE_MS = 2_000;

export interface VerifyCheckpoint {
  /** Every file of the chain but the last, verified whole, oldest first. */
  sealed: FileMark[];
  /** The last file: its inode, the bytes and lines verified (whole records) and their SHA-256. Null for a chain with no file yet. */
  last: { ino: number; bytes: number; lines: number; digest: string } | null;
  /** Records verified, and the hash of the last. */
  count: number;
  prevHash: string;
  /** seq and hash of the latest records, for a head file or anchor that names one of them. */
  recent: [number, string][];
  /** The cut-short writes recovered from, as a full verification reports them. */
  recovered: RecoveryNote[];
}

/** How many of the latest hashes a checkpoint keeps: more than any head file lags the chain by. */
export const RECENT_HASHES = 4096;

/**
 * A file's bytes and the identity it had when read (fstat before the read: a later change shows).
 * @internal Node's types stay out of the published declarations (tsconfig.build.json stripInternal).
 */
export interface ReadFile { buf: Buffer; mark: FileMark }

/** What identifies a file's bytes, from its stat. @internal */
export const markOf = (path: string, st: { ino: number; size: number; ctimeMs: number }): FileMark => ({ path, ino: st.ino, size: st.size, ctimeMs: st.ctimeMs });

/** @internal */
export async function readMarked(handle: FileHandle, path: string): Promise<ReadFile> {
  const st = await handle.stat();
  const buf = await handle.readFile();
  const mark = markOf(path, st);
  if (Date.now() - st.ctimeMs < SETTLE_MS) mark.digest = digestOf(buf, buf.length);
  return { buf, mark };
}

const sameMark = (a: FileMark, b: FileMark): boolean => a.path === b.path && a.ino === b.ino && a.size === b.size && a.ctimeMs === b.ctimeMs;

/** @internal */
export const digestOf = (buf: Buffer, bytes: number): string => createHash("sha256").update(buf.subarray(0, bytes)).digest("hex");

/**
 * Where to resume in `files` (the chain's files now), or null when the checkpoint no longer
 * holds and the chain must be verified in full. `mark` reads a file's identity without its
 * bytes, `read` reads the bytes too. A sealed mark that needed its digest and matched is settled
 * in place, so the next check trusts it on its identity.
 * @internal
 */
export async function resumeIndex(
  files: readonly string[], cp: VerifyCheckpoint, mark: (path: string) => FileMark | null, read: (path: string) => Promise<ReadFile>,
): Promise<number | null> {
  const n = cp.sealed.length;
  if (files.length < n + (cp.last ? 1 : 0)) return null;
  for (let i = 0; i < n; i++) {
    const was = cp.sealed[i]!;
    const now = files[i] === was.path ? mark(files[i]!) : null;
    if (now === null || !sameMark(now, was)) return null;
    if (was.digest === undefined) continue;
    const again = await read(was.path);
    if (!sameMark(again.mark, was) || digestOf(again.buf, again.buf.length) !== was.digest) return null;
    if (again.mark.digest === undefined) delete was.digest;
  }
  if (cp.last) {
    // The last file may have been rotated since (renamed, same inode); what it held is checked by digest when read.
    const now = mark(files[n]!);
    if (now === null || now.ino !== cp.last.ino || now.size < cp.last.bytes) return null;
  }
  return n;
}
