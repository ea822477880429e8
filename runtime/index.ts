// The public runtime API (`pol/runtime`): the Engine and its types, PolicyDenied, the policy
// loader, rollout (reload, shadow, canary, signed bundles), and the store and audit packages
// services may plug in or inspect. Consumed by embedding services, the CLI and the examples.

export { Engine } from "./engine.js";
export {
  EngineError, systemClock,
  type AuditOption, type Clock, type DecidedBy, type DecideOptions, type EngineDecision, type EngineErrorCode, type EngineHooks, type EngineOptions,
  type OutcomeOptions, type OutcomeRecord, type OutcomeReport, type OutcomeStatus, type PauseTarget, type StateProbe, type TrustLevel, type TrustOptions, type TrustOutcome, type TrustStatus,
} from "./engine-types.js";
export { CALL_IDS_MAX, CALL_ID_GRACE_MS, type CallIdOptions } from "./decide-for.js";
export { PolicyDenied, type CallContext, type GuardInfo, type GuardOptions, type Guarded } from "./guard.js";
export type { EngineApprovals, ResolveOptions } from "./approvals.js";
export { callHash, type BoundCall } from "./callhash.js";
export { pauseCovers, pauseFor } from "./pauses.js";
export { SqliteProbe } from "./state-cache.js";
export { loadPolicy, PolicyLoadError, WasmPolicy, type LoadOptions } from "./loader.js";
export { ReloadError, type CanaryOption, type ChangeRecord, type PolicyInfo, type PolicyStatus, type ReloadStage, type RolloutOptions } from "./reload.js";
export type { PolicySource } from "./policy-source.js";
export type { ShadowCounters, ShadowSide } from "./shadow.js";
export { BundleError, type BundleErrorCode, type VerifyKey } from "../bundle/format.js";
export type { Call, Decision, LimitUse } from "../language/call.js";
export {
  openMemoryStore, openSqliteStore, openStore, openRedisStore, openPostgresStore, withDeadline, StoreError,
  type AnchorStore, type StoreSpec, type StoreParts, type RedisStoreOptions, type PostgresStoreOptions,
  type Approval, type ApprovalChange, type ApprovalFilter, type ApprovalListener, type ApprovalStatus, type Pause, type StateStore, type ToolClass, type TrustRecord,
} from "./store/index.js";
export {
  canonicalJson, JsonlAuditLog, verifyAudit, formatVerifyResult, openPostgresAudit, verifyPostgresAudit,
  type AuditSink, type PostgresAuditOptions, type VerifyResult,
} from "./audit/index.js";
