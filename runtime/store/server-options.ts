// The options of the server back-ends' connections, as plain types: the public declarations of
// the Redis and PostgreSQL stores and audit sink import them from here, so a TypeScript consumer
// type-checks pol without the `redis`, `pg` or Node type packages (scripts/check-package.mjs).
// Read by redis-conn.ts and postgres-conn.ts, which open the connections.

export interface RedisConnOptions {
  /** Key prefix holding a hash tag; default `pol:{default}:`. */
  prefix?: string;
  /** How long opening waits for the server before failing; default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface PgOptions {
  /** The schema holding pol's tables (created if missing); default `pol`. Also `?schema=` in the url. */
  schema?: string;
  /** Connections in the pool; default 8. */
  poolSize?: number;
  /** How long opening (and each new connection) waits for the server; default 5000 ms. */
  connectTimeoutMs?: number;
}
