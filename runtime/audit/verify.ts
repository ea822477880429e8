// `pol audit verify`: walks a JSONL audit chain across its rotated files and reports the first
// break, classified (edited, missing, reordered, truncated, forged, malformed). Reads what
// jsonl.ts wrote; its result is printed by the CLI through formatVerifyResult.

import { statSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { canonicalJson } from "./canonical.mjs";
import {
  AuditError, GENESIS_HASH, HEX64, loadKey, macEquals, recordHash, recordLine, recordMac, type KeyOptions,
} from "./chain.js";
import { chainFiles, exists, headPath, readHead, resolveLogPath, type HeadState } from "./files.js";
import { RECOVERY_EVENT, type DamagedFile } from "./jsonl.js";
import { RECENT_HASHES, digestOf, markOf, readMarked, resumeIndex, type FileMark, type ReadFile, type VerifyCheckpoint } from "./verify-resume.js";

export type { VerifyCheckpoint } from "./verify-resume.js";

export type BreakKind = "edited" | "missing" | "reordered" | "truncated" | "forged" | "malformed";

export interface VerifyBreak {
  /** The file holding the break (a chain file, or the head file). */
  file: string;
  /** 1-based line in `file`; for a removed tail, the line after the last one. */
  line: number;
  /** The seq that belongs at this position (absent for head-file breaks). */
  seq?: number;
  kind: BreakKind;
  /** One lowercase line naming the records involved. */
  message: string;
}

/** A crash the writer recovered from: its authenticated recovery record and what it names. */
export interface RecoveryNote { file: string; line: number; seq: number; damaged: DamagedFile[] }

export type VerifyResult =
  | {
    ok: true; count: number; files: string[]; lastHash: string; recovered: RecoveryNote[];
    /** Where a later verification of this chain can resume (`from`); JSONL chains only. */
    checkpoint?: VerifyCheckpoint;
    /** Of `count`, the records the `from` checkpoint vouched for, which were not walked again; absent when verified in full. */
    resumed?: number;
  }
  | { ok: false; /** records verified before the break */ count: number; files: string[]; error: VerifyBreak };

export interface VerifyOptions extends KeyOptions {
  /**
   * The chain head anchored outside the log (the Engine advances one in its state store, see
   * anchor.ts): a log that ends before it, or holds another record at its seq, was cut back or
   * rewritten by someone who could also rewrite the head file.
   */
  anchor?: { seq: number; hash: string };
  /**
   * An earlier intact result's checkpoint: verify only what was written since, once the files it
   * covered are shown unchanged (verify-resume.ts); otherwise, or if it is not this chain's, in full.
   */
  from?: VerifyCheckpoint;
}

/**
 * Verifies the chain at `pathOrDir` (a log path, or a directory holding exactly one chain) with
 * its key (chain.ts loadKey: the options, else `$POL_AUDIT_KEY`, else `<log>.key`). Throws
 * AuditError only when there is nothing to verify or no key; every defect in the log itself is
 * a `{ ok: false }` result.
 */
export async function verifyAudit(pathOrDir: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const path = resolveLogPath(pathOrDir);
  const files = chainFiles(path);
  if (files.length === 0 && !exists(headPath(path))) throw new AuditError("invalid", `no audit log at ${path}`);
  const key = loadKey(path, opts, false);
  const head = readHead(path, key);
  const start = opts.from ? await resumeIndex(files, opts.from, statMark, readFileMarked) : null;
  const walker = new ChainWalker(path, key, files, head, opts.anchor, start === null ? undefined : opts.from);
  const error = await walker.run(start ?? 0);
  if (walker.needFull) return verifyAudit(pathOrDir, { ...opts, from: undefined });
  if (error) return { ok: false, count: walker.count, files, error };
  const resumed = start === null ? {} : { resumed: opts.from!.count };
  return { ok: true, count: walker.count, files, lastHash: walker.prevHash, recovered: walker.recovered, checkpoint: walker.checkpoint(), ...resumed };
}

function statMark(path: string): FileMark | null {
  try {
    return markOf(path, statSync(path));
  } catch {
    return null;
  }
}

async function readFileMarked(path: string): Promise<ReadFile> {
  const h = await open(path, "r");
  try {
    return await readMarked(h, path);
  } finally {
    await h.close();
  }
}

interface Split { lines: string[]; partialBytes: number }

function splitLines(buf: Buffer, from = 0): Split {
  const lines: string[] = [];
  let start = from;
  for (let nl = buf.indexOf(0x0a, from); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    lines.push(buf.toString("utf8", start, nl));
    start = nl + 1;
  }
  return { lines, partialBytes: buf.length - start };
}

interface Pending { file: string; line: number; bytes: number }

export type Rec = Record<string, unknown> & { seq: number; prev: string; hash: string; mac: string };

class ChainWalker {
  count = 0;
  prevHash = GENESIS_HASH;
  recovered: RecoveryNote[] = [];
  private pendingDamage: Pending[] = [];
  private headHash: string | undefined;
  private anchorHash: string | undefined;
  private end = { file: "", line: 1 };
  /** Set when the checkpoint resumed from turns out not to hold: the caller verifies in full. */
  needFull = false;
  /** The latest records' seq and hash, kept for the checkpoint (head files and anchors name one of them). */
  private recent: [number, string][];
  /** Records taken as verified from the checkpoint, not walked now. */
  private readonly resumedCount: number;
  private readonly marks: FileMark[] = [];
  private lastFile: { ino: number; buf: Buffer; bytes: number; lines: number } | null = null;

  constructor(
    private readonly path: string,
    private readonly key: Uint8Array,
    private readonly files: string[],
    private readonly head: HeadState,
    private readonly anchor?: { seq: number; hash: string },
    private readonly resume?: VerifyCheckpoint,
  ) {
    this.end.file = files[files.length - 1] ?? path;
    this.count = resume?.count ?? 0;
    this.resumedCount = this.count;
    this.prevHash = resume?.prevHash ?? GENESIS_HASH;
    this.recovered = resume ? [...resume.recovered] : [];
    this.recent = resume ? [...resume.recent] : [];
  }

  /** Where a later verification can resume; meaningful after run() found the chain intact. */
  checkpoint(): VerifyCheckpoint {
    const kept = this.resume?.sealed ?? [];
    const last = this.lastFile;
    return {
      sealed: [...kept, ...this.marks.slice(0, -1)],
      last: last && { ino: last.ino, bytes: last.bytes, lines: last.lines, digest: digestOf(last.buf, last.bytes) },
      count: this.count,
      prevHash: this.prevHash,
      recent: this.recent.slice(-RECENT_HASHES),
      recovered: [...this.recovered],
    };
  }

  /** The hash of an already verified record: walked now, or among the checkpoint's recent ones. */
  private hashAt(seq: number, walked: string | undefined): string | undefined {
    if (walked !== undefined || seq > this.resumedCount) return walked;
    const found = this.recent.find(([s]) => s === seq)?.[1];
    if (found === undefined) this.needFull = true;
    return found;
  }

  private get expected(): number {
    return this.count + 1;
  }

  /** Walks the files from `startFi` (past the checkpoint's when resuming). */
  async run(startFi = 0): Promise<VerifyBreak | null> {
    for (let fi = startFi; fi < this.files.length; fi++) {
      const file = this.files[fi]!;
      const { buf, mark } = await readFileMarked(file);
      let from = 0;
      let lineBase = 0;
      const resumed = fi === startFi ? this.resume?.last : undefined;
      if (resumed) {
        if (mark.ino !== resumed.ino || buf.length < resumed.bytes || digestOf(buf, resumed.bytes) !== resumed.digest) {
          this.needFull = true;
          return null;
        }
        from = resumed.bytes;
        lineBase = resumed.lines;
      }
      const { lines, partialBytes } = splitLines(buf, from);
      for (let li = 0; li < lines.length; li++) {
        const error = await this.step(file, lineBase + li + 1, lines[li]!, () => this.expectedAhead(fi, lines, li));
        if (error) return error;
      }
      this.marks.push(mark);
      this.lastFile = { ino: mark.ino, buf, bytes: buf.length - partialBytes, lines: lineBase + lines.length };
      this.end = { file, line: lineBase + lines.length + 1 };
      if (partialBytes === 0) continue;
      if (fi === this.files.length - 1) {
        return this.brk(file, lineBase + lines.length + 1, "truncated", `the log ends in a partial record; ${this.lastIntact()}`);
      }
      // Only acceptable when the writer's recovery record comes next (see FORMAT.md).
      this.pendingDamage.push({ file, line: lineBase + lines.length + 1, bytes: partialBytes });
    }
    const damage = this.pendingDamage[0];
    if (damage) {
      return this.brk(damage.file, damage.line, "truncated", `a write was cut short here and never recovered; ${this.lastIntact()}`);
    }
    return this.checkHead() ?? this.checkAnchor();
  }

  /** The anchor outside the log: the chain must reach it, with the very record it names. */
  private checkAnchor(): VerifyBreak | null {
    const a = this.anchor;
    if (a === undefined || a.seq === 0) return null;
    const { file, line } = this.end;
    if (a.seq > this.count) {
      const gone = a.seq === this.count + 1 ? `record ${a.seq} was removed` : `records ${this.count + 1} to ${a.seq} were removed`;
      return this.brk(file, line, "truncated", `the log ends after record ${this.count} but the anchor outside it says record ${a.seq} was durable: ${gone} (the head file was rewritten too)`);
    }
    if (this.hashAt(a.seq, this.anchorHash) !== a.hash) return this.brk(file, line, "forged", `record ${a.seq} is not the record anchored outside the log: the chain was rewritten from there on`, a.seq);
    return null;
  }

  /** A break at a chain position (`seq` defaults to the one expected there; null for the head file). */
  private brk(file: string, line: number, kind: BreakKind, message: string, seq: number | null = this.expected): VerifyBreak {
    return seq === null ? { file, line, kind, message } : { file, line, seq, kind, message };
  }

  private lastIntact(): string {
    return this.count > 0 ? `the last intact record is ${this.count}` : "no record is intact";
  }

  /** Checks one line as the next record; returns the break it shows, or null and advances. */
  private async step(file: string, line: number, text: string, ahead: () => Promise<boolean>): Promise<VerifyBreak | null> {
    const rec = parseRecord(text);
    if (typeof rec === "string") return this.brk(file, line, "malformed", `line ${line} ${rec}`);
    let hash: string;
    try {
      hash = recordHash(rec);
    } catch {
      return this.brk(file, line, "malformed", `line ${line} holds a value no audit writer produces`);
    }
    const { seq } = rec;
    const exp = this.expected;
    if (hash !== rec.hash) {
      const which = seq === exp ? `record ${seq}` : `the record at line ${line} (seq ${seq} where ${exp} belongs)`;
      return this.brk(file, line, "edited", `${which} was edited: its hash does not match its contents`);
    }
    // After a cut-short write only the writer's recovery record may follow (its authenticity is
    // checked below like any record's); anything else means the cut was never recovered.
    const damage = this.pendingDamage[0];
    if (damage && !acknowledges(rec, this.pendingDamage)) {
      return this.brk(damage.file, damage.line, "truncated", `a write was cut short here and never recovered; ${this.lastIntact()}`);
    }
    if (seq < exp) {
      const twice = seq === exp - 1 && rec.hash === this.prevHash;
      return this.brk(file, line, "reordered", twice ? `record ${seq} appears twice` : `record ${seq} appears after record ${exp - 1}: records are out of order`);
    }
    if (seq > exp) {
      if (await ahead()) return this.brk(file, line, "reordered", `record ${seq} appears where record ${exp} belongs: records are out of order`);
      const range = seq - 1 === exp ? `record ${exp} is missing` : `records ${exp} to ${seq - 1} are missing`;
      const jump = exp === 1 ? `the chain starts at record ${seq}` : `the chain jumps from record ${exp - 1} to ${seq}`;
      return this.brk(file, line, "missing", `${range}: ${jump}`);
    }
    if (!macEquals(rec.mac, recordMac(this.key, rec.hash))) {
      return this.brk(file, line, "forged", `record ${seq} is forged: its mac does not match, so it was written or rehashed without the key`);
    }
    if (rec.prev !== this.prevHash) {
      const after = seq === 1 ? "start the chain" : `follow record ${seq - 1}`;
      return this.brk(file, line, "forged", `record ${seq} does not ${after}: its prev hash belongs to another chain`);
    }
    // Last: a line whose parsed record checks out but whose text is not the writer's (a duplicated
    // key shows one value to JSON.parse and another to grep) is not intact either.
    if (!isCanonical(text, rec)) {
      return this.brk(file, line, "malformed", `line ${line} is not written the way the log writes records (a duplicated key or re-encoded json), so what it holds cannot be trusted`);
    }
    if (damage) {
      this.recovered.push({ file, line, seq, damaged: this.pendingDamage.map((d) => ({ file: basename(d.file), bytes: d.bytes })) });
      this.pendingDamage = [];
    }
    this.count = seq;
    this.prevHash = hash;
    this.recent.push([seq, hash]);
    if (this.recent.length >= 2 * RECENT_HASHES) this.recent.splice(0, this.recent.length - RECENT_HASHES);
    if (this.head.state === "ok" && this.head.seq === seq) this.headHash = hash;
    if (this.anchor?.seq === seq) this.anchorHash = hash;
    return null;
  }

  /** Whether the expected seq occurs later in the chain: tells a reordering from a deletion. */
  private async expectedAhead(fi: number, lines: string[], li: number): Promise<boolean> {
    const want = this.expected;
    for (let j = li + 1; j < lines.length; j++) if (seqOf(lines[j]!) === want) return true;
    for (let f = fi + 1; f < this.files.length; f++) {
      for (const l of splitLines(await readFile(this.files[f]!)).lines) if (seqOf(l) === want) return true;
    }
    return false;
  }

  /** The head file holds the last durable record: fewer records than it names is truncation. */
  private checkHead(): VerifyBreak | null {
    const hp = headPath(this.path);
    const { file, line } = this.end;
    switch (this.head.state) {
      case "absent":
        // Every log pol writes gets its first record (and head file) at once, so an empty one
        // without a head file is what wiping a log leaves: nothing here shows it was never used.
        if (this.count === 0) return this.brk(file, line, "truncated", `the log holds no records and its head file ${basename(hp)} is missing: a wiped log looks exactly like this (compare with the anchor in the state store: --store)`);
        return this.brk(file, line, "truncated", `the head file ${basename(hp)} is missing, so removed trailing records cannot be ruled out after record ${this.count}`);
      case "malformed":
        return this.brk(hp, 1, "malformed", `the head file ${this.head.reason}`, null);
      case "forged":
        return this.brk(hp, 1, "forged", "the head file does not match the key: it was rewritten without the key", null);
      case "ok": {
        const { seq, hash } = this.head;
        if (seq > this.count) {
          const gone = seq === this.count + 1 ? `record ${seq} was removed` : `records ${this.count + 1} to ${seq} were removed`;
          return this.brk(file, line, "truncated", `the log ends after record ${this.count} but its head file says record ${seq} was written: ${gone}`);
        }
        const seen = seq === 0 ? GENESIS_HASH : this.hashAt(seq, this.headHash);
        if (seen !== hash) return this.brk(hp, 1, "forged", `the head file names a record ${seq} that this chain does not hold`, null);
        return null;
      }
    }
  }
}

/** The record on a line, or why the line is not one (also used by the PostgreSQL verifier, postgres-verify.ts). */
export function parseRecord(text: string): Rec | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "is not valid json";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "is not a json object";
  const r = v as Record<string, unknown>;
  const hex = (x: unknown): boolean => typeof x === "string" && HEX64.test(x);
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1 || !hex(r.prev) || !hex(r.hash) || typeof r.mac !== "string") {
    return "is not an audit record: it lacks a valid seq, prev, hash or mac";
  }
  return r as Rec;
}

/** Whether `text` is exactly the line the writer makes of `rec` (chain.ts recordLine). */
function isCanonical(text: string, rec: Rec): boolean {
  const { hash, mac, ...body } = rec;
  try {
    return `${text}\n` === recordLine(canonicalJson(body), hash, mac);
  } catch {
    return false;
  }
}

function seqOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { seq?: unknown }).seq;
  } catch {
    return undefined;
  }
}

/** Whether `rec` is the writer's recovery record naming exactly the damaged files. */
function acknowledges(rec: Rec, damage: Pending[]): boolean {
  const d = rec.damaged;
  if (rec.type !== "admin" || rec.event !== RECOVERY_EVENT || !Array.isArray(d) || d.length !== damage.length) return false;
  return damage.every((p, i) => {
    const x = d[i] as { file?: unknown; bytes?: unknown } | null;
    return typeof x === "object" && x !== null && x.file === basename(p.file) && x.bytes === p.bytes;
  });
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A chain in PostgreSQL (postgres-verify.ts names it `postgres://host:port/db#schema.chain`), not files. */
const inDatabase = (file: string): boolean => file.startsWith("postgres://");

/** One line for the CLI, which prints it and exits 0 when `result.ok`, else 1. */
export function formatVerifyResult(result: VerifyResult): string {
  if (!result.ok) {
    const e = result.error;
    const where = inDatabase(e.file) ? `row ${e.line} of ${e.file}` : `${basename(e.file)}:${e.line}`;
    return `audit chain broken at ${where}${e.seq === undefined ? "" : ` (record ${e.seq})`}: ${e.message}`;
  }
  const within = result.files.length === 1 && inDatabase(result.files[0]!) ? result.files[0] : plural(result.files.length, "file");
  let line = `audit chain intact: ${plural(result.count, "record")} in ${within}`;
  if (result.recovered.length > 0) {
    const what = result.recovered.map((r) => `${r.damaged.map((d) => d.file).join(", ")} before record ${r.seq}`);
    line += `; recovered from ${plural(result.recovered.length, "cut-short write")} (${what.join("; ")})`;
  }
  return line;
}
