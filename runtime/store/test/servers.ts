// Real Redis and PostgreSQL servers for the fleet tests, started by the tests themselves on free
// loopback ports in temporary directories (never a mock). Consumed by redis.test.ts,
// postgres.test.ts, fleet.test.ts, faults.test.ts, the audit tests, examples/fleet and the benchmarks.
//
// Availability: without the server binaries the fleet suites are skipped with one printed line per
// test run; with POL_REQUIRE_SERVERS=1 (CI, after .ci/servers.sh) a missing binary is a failure.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Engines sharing approvals on a server need one engine secret (runtime/secret.ts): every engine
// these tests start, in this process or a child (which inherits the environment), shares this one.
process.env["POL_SECRET"] ??= "5ec7e75ec7e75ec7e75ec7e75ec7e75e";

const PG_DIRS = ["/usr/lib/postgresql"];

function which(bin: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The directory holding initdb and pg_ctl: on PATH, else Debian's versioned directory (newest). */
function pgBin(): string | null {
  const onPath = which("pg_ctl");
  if (onPath && which("initdb")) return onPath.replace(/\/pg_ctl$/, "");
  for (const root of PG_DIRS) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(root, v, "bin", "pg_ctl"))) return join(root, v, "bin");
  }
  return null;
}

export interface ServerAvailability {
  redis: string | null;
  postgres: string | null;
  /** Why the fleet suites cannot run here, or null when both servers can be started. */
  missing: string | null;
}

export function serverAvailability(): ServerAvailability {
  const redis = which("redis-server");
  const postgres = pgBin();
  const gone = [redis ? "" : "redis-server", postgres ? "" : "postgresql (initdb, pg_ctl)"].filter(Boolean);
  return { redis, postgres, missing: gone.length ? `${gone.join(" and ")} not installed` : null };
}

/**
 * Whether the fleet suites run. Prints the skip line once per vitest run (a marker keyed by the
 * runner's pid keeps the other test files quiet); throws when POL_REQUIRE_SERVERS=1.
 */
export function fleetServersReady(): boolean {
  const { missing } = serverAvailability();
  if (!missing) return true;
  if (process.env["POL_REQUIRE_SERVERS"] === "1") {
    throw new Error(`POL_REQUIRE_SERVERS=1 but ${missing}: run .ci/servers.sh`);
  }
  const marker = join(tmpdir(), `pol-fleet-skip-${process.ppid}`);
  if (!existsSync(marker)) {
    writeFileSync(marker, "");
    process.stderr.write(`fleet suites skipped: ${missing} (run .ci/servers.sh, or set POL_REQUIRE_SERVERS=1 to fail instead)\n`);
  }
  return false;
}

/** A free TCP port on loopback (closed again before return; the server binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} did not come up within ${ms} ms`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.connect(port, "127.0.0.1");
  });
}

export interface RedisServer {
  port: number;
  /** The server's pid while it runs. */
  pid(): number | null;
  url: string;
  dir: string;
  start(): Promise<void>;
  /** Graceful: the append-only file is flushed first. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that accepts bytes and answers nothing. */
  freeze(): void;
  thaw(): void;
  destroy(): Promise<void>;
}

/**
 * A redis-server on a free port with an append-only file, which a graceful stop() flushes, so a
 * restart loses nothing. Writes are not fsynced one by one (appendfsync no): the tests restart
 * the server gracefully, and a power loss is not what they simulate.
 */
export async function startRedis(): Promise<RedisServer> {
  const bin = serverAvailability().redis;
  if (!bin) throw new Error("redis-server is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "pol-redis-"));
  const pidFile = join(dir, "redis.pid");
  const pid = (): number | null => {
    try {
      return Number(readFileSync(pidFile, "utf8").trim()) || null;
    } catch {
      return null;
    }
  };
  const server: RedisServer = {
    port,
    pid,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      execFileSync(bin, [
        "--daemonize", "yes", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--pidfile", pidFile,
        "--logfile", join(dir, "redis.log"), "--appendonly", "yes", "--appendfsync", "no", "--save", "",
      ]);
      await until(`redis-server on port ${port}`, () => portOpen(port));
    },
    async stop() {
      const p = pid();
      if (p === null) return;
      try {
        process.kill(p, "SIGCONT");
        process.kill(p, "SIGTERM");
      } catch {
        return;
      }
      // redis removes its pid file on exit (a zombie may linger for kill(pid, 0) in a container).
      await until(`redis-server ${p} to exit`, () => !existsSync(pidFile));
    },
    freeze() {
      const p = pid();
      if (p !== null) process.kill(p, "SIGSTOP");
    },
    thaw() {
      const p = pid();
      if (p !== null) process.kill(p, "SIGCONT");
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export interface PostgresServer {
  port: number;
  /** Connection URL for the superuser `pol` over TCP (trust authentication on loopback). */
  url: string;
  dir: string;
  start(): Promise<void>;
  /** `fast` finishes nothing in flight (clients are cut off); `immediate` is a crash. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * Runs sql on its own connection as the database owner, in `schema`: the owner can switch the
 * audit chain's append-only triggers off (runtime/audit/FORMAT.md's threat model), which tests of
 * tampering and of a restored database need.
 */
export async function asOwner(server: PostgresServer, schema: string, sql: string): Promise<import("pg").QueryResult> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: server.url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs a PostgreSQL tool, as the `postgres` user when this process is root (initdb refuses root). */
function pgRun(bin: string, tool: string, args: string[]): void {
  const path = join(bin, tool);
  const asRoot = process.getuid?.() === 0;
  const r = asRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", path, ...args], { encoding: "utf8" })
    : spawnSync(path, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-3).join(" / ")}`);
}

/** A fresh cluster (initdb) on a free port; the data directory is removed by destroy(). */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = serverAvailability().postgres;
  if (!bin) throw new Error("postgresql is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "pol-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  pgRun(bin, "initdb", ["-D", data, "-U", "pol", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on`;
  const server: PostgresServer = {
    port,
    url: `postgres://pol@127.0.0.1:${port}/postgres`,
    dir,
    async start() {
      pgRun(bin, "pg_ctl", ["start", "-w", "-D", data, "-l", join(dir, "pg.log"), "-o", opts]);
      await until(`postgres on port ${port}`, () => portOpen(port));
    },
    async stop(mode = "fast") {
      pgRun(bin, "pg_ctl", ["stop", "-w", "-D", data, "-m", mode]);
    },
    async destroy() {
      try {
        await server.stop("immediate");
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
