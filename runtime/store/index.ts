// The state-store package: interfaces, StoreError, the back-ends (memory and SQLite embedded; Redis
// and PostgreSQL for fleets, loaded on first use), openStore for specs, the deadline wrapper and
// the limit-window helpers. Consumed by the Engine, the CLI and `pol test` (import from
// "./store/index.js", never from the files behind it).

export * from "./types.js";
export { openMemoryStore } from "./memory.js";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export { SCHEMA_VERSION } from "./sqlite-schema.js";
export {
  approvalsHome, sameSource, prepareFileStores, withoutCredentials, openStore, openRedisStore, openPostgresStore, isPostgresUrl, isRedisUrl, isServerUrl, STORE_PARTS,
  type OpenStoreOptions, type OpenedStore, type StorePart, type StoreParts, type StoreSource, type StoreSpec,
} from "./open.js";
export type { RedisStoreOptions, RedisStateStore } from "./redis.js";
export type { PostgresStoreOptions, PostgresStateStore } from "./postgres.js";
export { DEFAULT_TIMEOUT_MS, withDeadline } from "./deadline.js";
export type { SyncedClock } from "./clock.js";
export { SWEEP_INTERVAL_MS, checkCharge, limitCharge, windowTotal, type WindowEvent } from "./window.js";
export { DEFAULT_INITIAL_TRUST } from "./rules.js";
