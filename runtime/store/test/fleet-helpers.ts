// The fleet tests' set-up: both servers and the fixture policy compiled once per test file, and
// spawning and steering replicas (fixtures/fleet-worker.ts). Consumed by fleet.test.ts and faults.test.ts.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { compilePolicy } from "../../../compiler/index.js";
import { loadFile } from "../../../language/load.js";
import { fleetServersReady, startPostgres, startRedis, type PostgresServer, type RedisServer } from "./servers.js";

export interface FleetServers {
  ready: boolean;
  redis: RedisServer | null;
  postgres: PostgresServer | null;
  /** fixtures/fleet.pol compiled, for replicas and in-process engines. */
  wasm: string;
}

/** For a test file's top level: both servers and the compiled policy, torn down after the file. */
export async function useFleetServers(): Promise<FleetServers> {
  const ready = fleetServersReady();
  const dir = mkdtempSync(join(tmpdir(), "pol-fleet-"));
  const out: FleetServers = { ready, redis: null, postgres: null, wasm: "" };
  afterAll(async () => {
    await Promise.all([out.redis?.destroy(), out.postgres?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });
  if (!ready) return out;
  out.redis = await startRedis();
  out.postgres = await startPostgres();
  out.wasm = await fleetWasm(dir);
  return out;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");

/** fixtures/fleet.pol compiled to `<dir>/fleet.wasm`, so replicas start without compiling. */
export async function fleetWasm(dir: string): Promise<string> {
  const l = loadFile(join(here, "fixtures", "fleet.pol"));
  const c = l.checked && (await compilePolicy(l.checked, l.sink));
  if (!c) throw new Error("fixtures/fleet.pol does not compile");
  const out = join(dir, "fleet.wasm");
  writeFileSync(out, c.wasm);
  return out;
}

export interface Replica {
  /** Resolves when the replica printed `line` (e.g. "ready"), with every line printed so far. */
  printed(line: string | RegExp): Promise<string[]>;
  go(startAt: number): void;
  /** The replica's last line, parsed, once it exits 0. */
  done: Promise<Record<string, unknown>>;
  kill(): void;
}

export function startReplica(config: Record<string, unknown>): Replica {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures", "fleet-worker.ts"), JSON.stringify(config)], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const watchers = new Set<() => void>();
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of [...watchers]) w();
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<Record<string, unknown>>((res, rej) => {
    child.on("error", rej);
    child.on("close", (code) => {
      for (const w of [...watchers]) w();
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !last.startsWith("{")) rej(new Error(`replica exited ${code}: ${err.slice(-2000) || out}`));
      else res(JSON.parse(last) as Record<string, unknown>);
    });
  });
  done.catch(() => undefined);
  const lines = () => out.split("\n").filter(Boolean);
  return {
    printed(line) {
      const seen = () => lines().some((l) => (typeof line === "string" ? l === line : line.test(l)));
      return new Promise((res, rej) => {
        const check = (): void => {
          if (seen()) {
            watchers.delete(check);
            res(lines());
          } else if (child.exitCode !== null) {
            watchers.delete(check);
            rej(new Error(`replica exited before printing ${String(line)}: ${err.slice(-2000) || out}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
    go: (startAt) => child.stdin.end(`${startAt}\n`),
    done,
    kill: () => child.kill("SIGKILL"),
  };
}
