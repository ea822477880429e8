// The state-store package: interfaces, StoreError, the memory and SQLite back-ends, and the
// limit-window helpers. Fed by nothing outside runtime/store; consumed by the Engine, the CLI and
// `pol test` (import from "./store/index.js", never from the files behind it).

export * from "./types.js";
export { openMemoryStore } from "./memory.js";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export { SCHEMA_VERSION } from "./sqlite-schema.js";
export { SWEEP_INTERVAL_MS, checkCharge, limitCharge, windowTotal, type WindowEvent } from "./window.js";
export { DEFAULT_INITIAL_TRUST } from "./rules.js";
