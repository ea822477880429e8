// What the Redis and PostgreSQL connections share: running an operation under the store's error
// conventions. Used by redis-conn.ts and postgres-conn.ts; each supplies its own translation of
// driver errors into StoreErrors.

import { StoreError } from "./types.js";

export interface ServerConn {
  closed: boolean;
  /** The driver's error as a StoreError (`unavailable` when the server is away). */
  translate(e: unknown): StoreError;
}

/** Runs fn with the store's error conventions: a closed store refuses, every failure is a StoreError. */
export async function guarded<T>(conn: ServerConn, fn: () => Promise<T>): Promise<T> {
  if (conn.closed) throw new StoreError("closed", "store is closed");
  try {
    return await fn();
  } catch (e) {
    // A client that is offline fails at once, as a microtask: a caller deciding in a tight loop
    // would then never let the event loop reach the socket and reconnect. One turn of the loop
    // per failure lets it.
    await new Promise((r) => setImmediate(r));
    throw conn.translate(e);
  }
}

/** One lowercase line from a driver error. */
export function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split("\n")[0] ?? "").replace(/\.$/, "").toLowerCase() || String((e as { code?: string })?.code ?? "unknown error").toLowerCase();
}
