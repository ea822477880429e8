// Public surface of the audit log: the sink contract and record sealing (for any back-end), the
// JSONL sink, the verifier, redaction, and the PostgreSQL chain (loaded on first use). Imported by the Engine and the CLI (`pol audit verify`).

export { canonicalJson, NotJsonError, MAX_DEPTH, type JsonValue } from "./canonical.mjs";
export {
  AuditError, AUDIT_ENTRY_TYPES, AUDIT_KEY_ENV, GENESIS_HASH, KEY_BESIDE_LOG, checkEntry, headMac, loadKey, parseKey, readKeyFile, recordHash,
  recordMac, sealEntry,
  type AuditEntry, type AuditEntryType, type AuditErrorCode, type AuditRecord, type AuditSink, type KeyOptions, type KeyProvider, type Sealed,
} from "./chain.js";
export { headPath, lockPath, rotatedPath, resolveLogPath } from "./files.js";
export { JsonlAuditLog, RECOVERY_EVENT, type DamagedFile, type JsonlAuditOptions } from "./jsonl.js";
export { verifyAudit, formatVerifyResult, type BreakKind, type RecoveryNote, type VerifyBreak, type VerifyCheckpoint, type VerifyOptions, type VerifyResult } from "./verify.js";
export { redact, isSecretKey, DEFAULT_SECRET_KEYS, REDACTED, CYCLE, TOO_DEEP, MAX_REDACT_DEPTH } from "./redact.js";
export { isPostgresAudit, openPostgresAudit, openPostgresAuditSpec, verifyPostgresAudit, type PostgresAuditSpec } from "./fleet.js";
export type { PostgresAuditLog, PostgresAuditOptions } from "./postgres.js";
export type { PostgresVerifyOptions } from "./postgres-verify.js";
