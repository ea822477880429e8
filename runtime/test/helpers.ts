// Shared scaffolding for the Engine tests: compiled fixture policies (cached on disk across test
// files, keyed by the policy and the compiler's sources), a movable clock, temp directories and
// engine factories over real SQLite files and real JSONL logs. Not a test itself.

import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { compilePolicy } from "../../compiler/compile.js";
import { loadFile } from "../../language/load.js";
import { renderDiagnostics } from "../../language/render.js";
import { Engine } from "../engine.js";
import type { Clock, EngineOptions } from "../engine-types.js";
import { WasmPolicy } from "../loader.js";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const FIXTURES = join(here, "fixtures");
export const SHOP = join(FIXTURES, "shop.pol");
export const OPEN = join(FIXTURES, "open.pol");

export const T0 = Date.UTC(2025, 0, 1, 9, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export class FakeClock implements Clock {
  constructor(public t = T0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const dirs: string[] = [];

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "pol-engine-"));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sourcesDigest(): string {
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (name === "test" || name === "node_modules") continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mjs|json)$/.test(name)) h.update(p).update(readFileSync(p));
    }
  };
  for (const d of ["language", "compiler", "wasm", "stdlib"]) walk(join(ROOT, d));
  return h.digest("hex");
}

const memo = new Map<string, Promise<Uint8Array>>();

/** The compiled bytes of a fixture policy; compiled once per source and compiler version. */
export function compiled(path: string): Promise<Uint8Array> {
  let p = memo.get(path);
  if (!p) {
    p = compile(path);
    memo.set(path, p);
  }
  return p;
}

async function compile(path: string): Promise<Uint8Array> {
  const key = createHash("sha256").update(readFileSync(path)).update(sourcesDigest()).digest("hex").slice(0, 32);
  const cacheDir = join(tmpdir(), "pol-engine-test-cache");
  const file = join(cacheDir, `${key}.wasm`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch {
    // not cached yet
  }
  const l = loadFile(path);
  if (!l.checked || l.sink.hasErrors()) throw new Error(renderDiagnostics(l.sink.errors, { sources: l.sources }));
  const c = await compilePolicy(l.checked, l.sink);
  if (!c) throw new Error(renderDiagnostics(l.sink.errors, { sources: l.sources }));
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, c.wasm);
  renameSync(tmp, file);
  return c.wasm;
}

/** The fixture compiled to a `.wasm` file in `dir` (for child processes and path loading). */
export async function wasmFile(policy: string, dir: string): Promise<string> {
  const out = join(dir, `${policy === SHOP ? "shop" : "open"}.wasm`);
  writeFileSync(out, await compiled(policy));
  return out;
}

export interface Harness {
  engine: Engine;
  dir: string;
  store: string;
  audit: string;
  clock: FakeClock;
}

/** An engine over a real SQLite file and JSONL log in a temp dir, with a fake clock. */
export async function harness(opts: Partial<EngineOptions> & { policy?: string; dir?: string; clock?: FakeClock } = {}): Promise<Harness> {
  const dir = opts.dir ?? tempDir();
  const clock = opts.clock ?? new FakeClock();
  const store = join(dir, "state.db");
  const audit = join(dir, "audit.jsonl");
  const { policy = SHOP, dir: _d, ...rest } = opts;
  const p = await WasmPolicy.fromBytes(await compiled(policy), { extraArgs: rest.extraArgs ?? "deny" });
  const engine = await Engine.load(p, { store, audit, clock, approvalPollMs: 20, ...rest });
  return { engine, dir, store, audit, clock };
}

/** The records of a JSONL audit log, parsed. */
export function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const refund = (amount: number, agent = "bot", extra: Record<string, unknown> = {}) => ({
  tool: "refund",
  args: { amount, customer: "cus_1", ...extra },
  agent: { id: agent },
  run: { id: "run-1" },
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
