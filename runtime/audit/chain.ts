// The audit record format shared by every audit back-end: entry and record shapes, the AuditSink
// contract, sealing (seq, prev, hash, mac) and the secret key. Used by jsonl.ts to write, by
// verify.ts to check, and meant for a later PostgreSQL sink, which must seal records identically.

import { randomBytes, timingSafeEqual } from "node:crypto";
import { linkSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { canonicalJson, type JsonValue } from "./canonical.mjs";
import { sealChecked, sha256Hex } from "./seal.mjs";

export type AuditEntryType = "decision" | "outcome" | "error" | "admin";
export const AUDIT_ENTRY_TYPES: readonly AuditEntryType[] = ["decision", "outcome", "error", "admin"];

/** What callers append: already redacted, JSON-only. `seq`, `prev`, `hash` and `mac` are the log's. */
export interface AuditEntry {
  type: AuditEntryType;
  /** ISO 8601 time with a zone, e.g. `2025-01-31T12:00:00.000Z`. */
  time: string;
  [field: string]: JsonValue;
}

/** A sealed entry as stored: the entry plus its place in the chain. */
export interface AuditRecord extends AuditEntry {
  /** 1-based, global across rotated files. */
  seq: number;
  /** `hash` of the previous record; GENESIS_HASH for record 1. */
  prev: string;
  /** Hex SHA-256 of the canonical JSON of the record without `hash` and `mac`. */
  hash: string;
  /** Hex HMAC-SHA256(key, hash): what a forger without the key cannot recompute. */
  mac: string;
}

/**
 * An append-only, hash-chained audit log. `append` is synchronous and cheap so it can sit on the
 * decision path; durability is the sink's job (batched) until `flush` or `close` resolves.
 */
export interface AuditSink {
  /**
   * Seals and queues one entry; throws AuditError (invalid, closed, io) and never half-appends.
   * Returns the sealed record, or undefined from a sink that seals off the caller's path: the
   * JSONL log seals on its writer thread, PostgreSQL at commit, where its chain position is assigned.
   */
  append(entry: AuditEntry): AuditRecord | undefined;
  /** Resolves once every record appended so far is durable. */
  flush(): Promise<void>;
  /**
   * Resolves once every record appended so far is durable or `ms` has passed, whichever is first;
   * rejects when the log has failed. Engine.load waits on it for its start record, so a log that
   * cannot be written stops the engine from starting, and a slow disk does not hang it.
   */
  settled?(ms: number): Promise<void>;
  /** Flushes, then releases the sink; later appends throw. Idempotent. */
  close(): Promise<void>;
  /** Hash of the last appended record (GENESIS_HASH for an empty log). */
  readonly lastHash: string;
  /** Seq of the last appended record (0 for an empty log). */
  readonly seq: number;
}

export type AuditErrorCode = "invalid" | "closed" | "io" | "locked" | "key" | "damaged";

/** Every failure a user can cause: one lowercase line, with a code for the CLI's exit status. */
export class AuditError extends Error {
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AuditError";
    this.code = code;
  }
}

export const GENESIS_HASH = "0".repeat(64);
const RESERVED = ["seq", "prev", "hash", "mac"] as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
export const HEX64 = /^[0-9a-f]{64}$/;

/** Hashing, MACs and the record line live in seal.mjs, shared with the writer thread. */
export { recordLine, recordMac, sha256Hex } from "./seal.mjs";

/** The head file's MAC, domain-separated from record MACs (in layout.mjs, shared with the writer thread). */
export { headMac } from "./layout.mjs";

/** Constant-time comparison of two hex MACs (a wrong length is simply unequal). */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The hash a record must carry: over everything but `hash` and `mac`. Throws NotJsonError. */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _h, mac: _m, ...body } = record;
  return sha256Hex(canonicalJson(body));
}

/** Throws AuditError("invalid") unless the entry can be sealed as given. */
export function checkEntry(entry: AuditEntry): void {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new AuditError("invalid", "audit entry must be a plain object");
  }
  if (!AUDIT_ENTRY_TYPES.includes(entry.type)) {
    throw new AuditError("invalid", `audit entry type must be one of ${AUDIT_ENTRY_TYPES.join(", ")}, not \`${String(entry.type)}\``);
  }
  if (typeof entry.time !== "string" || !ISO_TIME.test(entry.time)) {
    throw new AuditError("invalid", `audit entry time must be an iso 8601 string with a zone, not \`${String(entry.time)}\``);
  }
  for (const k of RESERVED) {
    if (Object.prototype.hasOwnProperty.call(entry, k)) throw new AuditError("invalid", `audit entry must not set \`${k}\`: the log assigns it`);
  }
}

export interface Sealed {
  record: AuditRecord;
  /** The record as one JSONL line, newline included. */
  line: string;
}

/** Seals `entry` as record `seq` after `prev`. Pure: the caller advances its own chain state. */
export function sealEntry(entry: AuditEntry, seq: number, prev: string, key: Uint8Array): Sealed {
  checkEntry(entry);
  let sealed: ReturnType<typeof sealChecked>;
  try {
    sealed = sealChecked(entry, seq, prev, key);
  } catch (e) {
    throw new AuditError("invalid", (e as Error).message, { cause: e });
  }
  const { hash, mac, line } = sealed;
  // spread defines properties (Object.assign would set them, and an own `__proto__` key from
  // parsed JSON would then replace the record's prototype)
  return { record: { ...entry, seq, prev, hash, mac }, line };
}

// ---------------------------------------------------------------------------
// Keys. Whoever holds the key can re-seal an edited log, so it belongs outside the log's
// directory: `keyFile`, POL_AUDIT_KEY or a KeyProvider put it there (FORMAT.md, "Keys").

/** Returns the audit key, as bytes or hex text, when a log is opened or verified; synchronous. */
export type KeyProvider = () => Uint8Array | string;

export interface KeyOptions {
  /** Raw key bytes, or a hex string (the same text a key file holds). */
  key?: Uint8Array | string;
  /** Called for the key when the log is opened or verified, e.g. to read it from a secrets store. */
  keyProvider?: KeyProvider;
  /** A file holding the key as hex; without one, `$POL_AUDIT_KEY`, else `<log path>.key`. */
  keyFile?: string;
}

/** The environment variable holding the audit key as hex, read when no option gives a key. */
export const AUDIT_KEY_ENV = "POL_AUDIT_KEY";
/** `code` of the process warning a writer emits when its key file sits in the log's directory. */
export const KEY_BESIDE_LOG = "POL_AUDIT_KEY_BESIDE_LOG";

const MIN_KEY_BYTES = 16;

/** Decodes a key given inline or as key-file text; throws AuditError("key") on bad input. `what` names the key in messages. */
export function parseKey(key: Uint8Array | string, source: string, what = "audit key"): Uint8Array {
  let bytes: Buffer;
  if (typeof key === "string") {
    const hex = key.trim();
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new AuditError("key", `${what} in ${source} must be hex`);
    bytes = Buffer.from(hex, "hex");
  } else {
    bytes = Buffer.from(key);
  }
  if (bytes.length < MIN_KEY_BYTES) throw new AuditError("key", `${what} in ${source} is too short: need at least ${MIN_KEY_BYTES} bytes`);
  return bytes;
}

/**
 * The key of the log at `logPath`, from the first source given: `key`, `keyProvider`, `keyFile`,
 * `$POL_AUDIT_KEY`, `<logPath>.key`. A writer (`create`) makes a missing key file and warns, once
 * per process, when the key file sits in the log's directory.
 */
export function loadKey(logPath: string, opts: KeyOptions, create: boolean, env: Record<string, string | undefined> = process.env): Uint8Array {
  if (opts.key !== undefined) return parseKey(opts.key, "the key option");
  if (opts.keyProvider !== undefined) return providedKey(opts.keyProvider);
  const fromEnv = opts.keyFile === undefined ? env[AUDIT_KEY_ENV] : undefined;
  if (fromEnv) return parseKey(fromEnv, AUDIT_KEY_ENV);
  const file = opts.keyFile ?? `${logPath}.key`;
  const key = readKeyFile(file, create);
  if (create) warnIfBesideLog(file, logPath);
  return key;
}

function providedKey(provider: KeyProvider): Uint8Array {
  if (typeof provider !== "function") throw new AuditError("key", "keyProvider must be a function returning the audit key");
  let key: unknown;
  try {
    key = provider();
  } catch (e) {
    throw new AuditError("key", `the audit key provider failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (typeof key === "string" || key instanceof Uint8Array) return parseKey(key, "the key provider");
  const what = key instanceof Promise ? "a promise (it must be synchronous)" : key === null ? "null" : typeof key;
  throw new AuditError("key", `the audit key provider must return the key as a Uint8Array or hex string, not ${what}`);
}

/**
 * Reads a key file; with `create`, a missing one is made (32 random bytes as hex, mode 0600,
 * linked into place so two openers agree on one key). Also the engine secret's file (runtime/secret.ts).
 */
export function readKeyFile(file: string, create: boolean, what = "audit key"): Uint8Array {
  try {
    return parseKey(readFileSync(file, "utf8"), file, what);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw wrapIo(e, `cannot read ${what} ${file}`);
    if (!create) throw new AuditError("key", `no ${what}: ${file} does not exist; pass the key the log was written with`);
  }
  createWhole(file, randomBytes(32).toString("hex") + "\n", 0o600, `cannot create ${what} ${file}`);
  return parseKey(readFileSync(file, "utf8"), file, what);
}

/**
 * Creates `file` holding `text` unless it exists; true when this call made it. The text is
 * written to a private name and linked into place: link() is atomic and refuses an existing
 * name, so a concurrent reader sees no file or the whole text. (An exclusive create followed by
 * a write let a second process read an empty key: CI, two engines opening one store.)
 */
export function createWhole(file: string, text: string, mode: number, failure: string): boolean {
  const draft = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(draft, text, { mode, flag: "wx" });
    linkSync(draft, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw wrapIo(e, failure);
  } finally {
    rmSync(draft, { force: true });
  }
}

let warnedBesideLog = false;

function warnIfBesideLog(keyFile: string, logPath: string): void {
  if (warnedBesideLog || realDir(keyFile) !== realDir(logPath)) return;
  warnedBesideLog = true;
  process.emitWarning(`the audit key ${keyFile} is in the same directory as the log ${logPath}, so whoever can edit the log can also re-seal it`, {
    type: "PolAuditWarning",
    code: KEY_BESIDE_LOG,
    detail: `move the key to a directory the log's readers cannot read and name it: \`--audit-key <file>\` on pol's command line; \`keyFile\`, ${AUDIT_KEY_ENV} (hex) or a \`keyProvider\` in code (runtime/audit/FORMAT.md, "Keys")`,
  });
}

/** The directory holding `file`, with symbolic links resolved where it exists. */
function realDir(file: string): string {
  const dir = dirname(resolve(file));
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Keeps AuditErrors as they are; turns anything else into a one-line AuditError("io"). */
export function wrapIo(e: unknown, what: string): AuditError {
  if (e instanceof AuditError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new AuditError("io", `${what}${code ? ` (${code})` : ""}`, { cause: e });
}
