// The change probes of a SQLite store file, consumed by the Engine's StateCache. SqliteProbe:
// `PRAGMA data_version` on a private connection that never writes, so any commit to the file
// (the engine's own store connection's included) changes it. StoreProbe, what the SQLite store's
// openProbe (sqlite.ts) opens: data_version on the store's own connection, which changes on
// commits by any other connection but not on its own, plus the store's count of the pause and
// trust writes made through that connection.
//
// Why two: with the private probe, every limit charge and approval the Engine committed emptied
// its own trust and pause cache, so the next decision read both back (SQLite decide p50 ~16 µs
// against ~10 µs for the memory store here). With StoreProbe a pause or trust change written by
// any process, or through this store object by another engine, is still seen on the next decision.

import type Database from "better-sqlite3";
import type { ChangeProbe } from "./types.js";

export class SqliteProbe implements ChangeProbe {
  private readonly db: Database.Database;
  private readonly stmt: Database.Statement<[], number>;

  /**
   * `Driver` is better-sqlite3, which the store loaded on first use (sqlite-schema.ts sqliteDriver).
   * @internal better-sqlite3's types stay out of the published declarations.
   */
  constructor(path: string, Driver: typeof Database) {
    this.db = new Driver(path, { fileMustExist: true });
    this.stmt = this.db.prepare<[], number>("PRAGMA data_version").pluck();
  }

  token(): unknown {
    return this.stmt.get();
  }

  close(): void {
    this.db.close();
  }
}

/** data_version of the store's own connection, together with its pause and trust write count. */
export class StoreProbe implements ChangeProbe {
  private readonly stmt: Database.Statement<[], number>;
  private lastVersion: number | undefined;
  private lastWrites = -1;
  private token_ = 0;

  /** @internal better-sqlite3's types stay out of the published declarations. */
  constructor(db: Database.Database, private readonly writes: () => number, private readonly closed: () => boolean) {
    this.stmt = db.prepare<[], number>("PRAGMA data_version").pluck();
  }

  token(): unknown {
    if (this.closed()) return this.token_;
    const v = this.stmt.get();
    const w = this.writes();
    if (v !== this.lastVersion || w !== this.lastWrites) {
      this.lastVersion = v;
      this.lastWrites = w;
      this.token_++;
    }
    return this.token_;
  }

  /** The store's connection is the store's to close. */
  close(): void {}
}
