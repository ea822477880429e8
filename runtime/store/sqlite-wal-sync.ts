// The SQLite store's durable commits, synced off the event loop. Fed by sqlite.ts's Conn, which
// commits at the connection's `synchronous = NORMAL` and then calls sync() on the file's WAL;
// consumed by the approval changes and the audit anchors (the writes that must survive power loss).
//
// Why not SQLite's own `synchronous = FULL` for those commits: SQLite then fsyncs the WAL inside
// the commit, on the thread that commits, which in pol serve is the one answering every request.
// The audit anchor commits once a second; under load at 5,000 requests/s its fsync took 0.15–1.1
// ms here and the audit log's own syncs up to 8 ms (strace), and every request arriving meanwhile
// waited. In four paired serve-cost rounds the SQLite p99 was 2.4–16 ms with the anchor against
// 2.5–3.6 ms with it switched off (benchmarks/FINDINGS.md, "pol serve over HTTP"). Here the fsync
// runs on libuv's thread pool, and the caller's promise resolves only once it has returned.
//
// Why that is as durable: a commit at NORMAL has written its frames to the WAL before it returns,
// and fsync of the WAL makes every frame written so far durable, this commit's included. If a
// checkpoint copies the frames into the database file first, SQLite syncs that file before the
// WAL can be reset (it does at NORMAL too). What differs from FULL: other connections may read
// the change before it is on disk. No caller acts on that: an approval is acted on only after the
// actor's own durable commit (a consume), whose sync covers every earlier frame, and an anchor
// read before a power loss only names a record the log had already made durable.
//
// The handle on the `-wal` file stays open until the store closes, because closing any descriptor
// of a file drops every POSIX lock the process holds on it; SQLite takes none on the WAL itself
// (its locks are on the database and `-shm` files), and the handle is closed after SQLite's own.

import { open, type FileHandle } from "node:fs/promises";
import { describe } from "./sqlite-schema.js";
import { StoreError } from "./types.js";

export class WalSync {
  private handle: Promise<FileHandle> | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  /** `walPath`: the database file's absolute path plus `-wal`. */
  constructor(private readonly walPath: string) {}

  /** Resolves once everything written to the WAL so far is on disk; rejects with an `io` StoreError. */
  sync(): Promise<void> {
    const p = this.fsync();
    this.inFlight.add(p);
    void p.catch(() => {}).finally(() => this.inFlight.delete(p));
    return p;
  }

  private async fsync(): Promise<void> {
    try {
      // "r+": the file exists (the commit just wrote to it) and must never be created or truncated
      // here; write access because some platforms refuse to flush a read-only descriptor.
      const h = await (this.handle ??= open(this.walPath, "r+"));
      await h.sync();
    } catch (err) {
      if (this.handle) void this.handle.then((h) => h.close(), () => {});
      this.handle = null; // reopened by the next durable commit
      throw new StoreError("io", `the change was committed but could not be synced to disk (${describe(err)}); it may not survive a power loss: check the disk holding \`${this.walPath}\``, { cause: err });
    }
  }

  /** After the database is closed: waits for syncs in flight, then closes the handle. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    const h = this.handle;
    this.handle = null;
    if (h) await h.then((f) => f.close(), () => {});
  }
}
