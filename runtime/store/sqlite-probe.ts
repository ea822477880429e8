// The change probe of a SQLite store file: `PRAGMA data_version` on a private connection that never
// writes. Opened by the SQLite store's openProbe (sqlite.ts); consumed by the Engine's StateCache.
//
// SQLite changes the value whenever another connection commits to the file, which includes the
// engine's own store connection, so a pause written by any process is seen on the next decision.

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
