// Turns a store spec into an open StateStore: ":memory:", a SQLite file path, a redis:// or
// postgres:// URL, a StateStore the caller opened, or an object naming a source per part
// (`{ limits: "redis://...", approvals: "postgres://...", ... }`). Consumed by Engine.load and the
// CLI's `--store`; the server back-ends are loaded only when a spec names them.
//
// Server back-ends are wrapped in the store deadline (deadline.ts, default 50 ms), so a server that
// is down or slow turns a decision into a deny instead of a wait; the embedded ones cannot hang on
// a server (SQLite's own busy timeout bounds it) and are left unwrapped, which keeps them at their
// microsecond cost.

import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { SyncedClock } from "./clock.js";
import { DEFAULT_TIMEOUT_MS, checkTimeout, withDeadline } from "./deadline.js";
import { openMemoryStore } from "./memory.js";
import type { PostgresStoreOptions } from "./postgres.js";
import type { RedisStoreOptions } from "./redis.js";
import { openSqliteStore } from "./sqlite.js";
import { StoreError, type ChangeProbe, type StateStore } from "./types.js";
import { makeDir } from "../make-dir.js";

/** One back-end: a path, ":memory:", a server URL, or a store the caller opened and keeps. */
export type StoreSource = string | StateStore;

export const STORE_PARTS = ["limits", "approvals", "trust", "pauses", "anchors", "runs"] as const;
export type StorePart = (typeof STORE_PARTS)[number];

/** A source per part; parts not named use `default`. */
export type StoreParts = { [P in StorePart]?: StoreSource } & {
  default?: StoreSource;
  /** The deadline for every server operation; default 50 ms. */
  timeoutMs?: number;
};

export type StoreSpec = StoreSource | StoreParts;

export interface OpenStoreOptions {
  /** The score of an agent a store has never seen. */
  initialTrust?: number;
  /** The deadline for server operations when the spec does not give one; default 50 ms. */
  timeoutMs?: number;
  /** Also return a clock following the server holding the limits (clock.ts). */
  serverClock?: boolean;
  redis?: RedisStoreOptions;
  postgres?: PostgresStoreOptions;
}

export interface OpenedStore {
  store: StateStore;
  /** Whether closing is the opener's job (false for a store passed in). */
  owned: boolean;
  /** The SQLite file, when the whole store is one (the Engine puts the default audit log beside it). */
  path: string | null;
  /** Tells caches when pauses or trust changed elsewhere; null when the back-ends cannot tell. */
  probe: ChangeProbe | null;
  /** With `serverClock`, the clock of the server holding the limits; null for embedded back-ends. */
  clock: SyncedClock | null;
  /** Where approvals live: the Engine's secret (secret.ts) must be shared when other processes can read them. */
  approvals: { kind: "memory" | "file" | "server" | "object"; path: string | null };
}

/**
 * Whether a spec keeps two parts in one source (one path, url or store object): then what one
 * part records is seen wherever the other is (the Engine's outcome claims and trust).
 */
export function sameSource(spec: StoreSpec, a: StorePart, b: StorePart): boolean {
  const parts = partsOf(spec).parts;
  return parts[a] === parts[b];
}

/** Where a spec keeps its approvals, without opening anything (the Engine resolves its secret first). */
export function approvalsHome(spec: StoreSpec): OpenedStore["approvals"] {
  return kindOf(partsOf(spec).parts.approvals);
}

/**
 * Checks the SQLite files a spec names before anything is created beside them (the engine secret
 * `<store>.key` comes first): a url pol cannot open, or a directory, is refused with the fix; a
 * missing parent directory is created, as the audit log's is.
 */
export function prepareFileStores(spec: StoreSpec): void {
  for (const src of new Set(Object.values(partsOf(spec).parts))) {
    if (typeof src !== "string" || src === ":memory:" || isServerUrl(src)) continue;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(src)?.[1];
    if (scheme !== undefined) throw new StoreError("invalid", `\`${scheme}://\` is not a store pol can open: use a SQLite file path, :memory:, redis:// or postgres://`);
    if (existsSync(src) && statSync(src).isDirectory()) throw new StoreError("invalid", `the store \`${src}\` is a directory; the store is a SQLite file: name one in it (${join(src, "pol.db")})`);
    try {
      makeDir(dirname(resolve(src)));
    } catch (e) {
      throw new StoreError("io", `cannot create the directory of the store \`${src}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/** What kind of back-end a source is, for the approvals' secret. */
function kindOf(src: StoreSource): OpenedStore["approvals"] {
  if (typeof src !== "string") return { kind: "object", path: null };
  if (src === ":memory:") return { kind: "memory", path: null };
  return isServerUrl(src) ? { kind: "server", path: null } : { kind: "file", path: src };
}

const REDIS_URL = /^rediss?:\/\//i;
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export const isRedisUrl = (s: string): boolean => REDIS_URL.test(s);
export const isPostgresUrl = (s: string): boolean => POSTGRES_URL.test(s);
export const isServerUrl = (s: string): boolean => isRedisUrl(s) || isPostgresUrl(s);

/** Opens a Redis store; the `redis` package is loaded on first use. */
export async function openRedisStore(url: string, options?: RedisStoreOptions): Promise<import("./redis.js").RedisStateStore> {
  return (await import("./redis.js")).openRedisStore(url, options);
}

/** Opens a PostgreSQL store; the `pg` package is loaded on first use. */
export async function openPostgresStore(url: string, options?: PostgresStoreOptions): Promise<import("./postgres.js").PostgresStateStore> {
  return (await import("./postgres.js")).openPostgresStore(url, options);
}

/** A store or audit url as logs and messages may show it: the user and password between `//` and `@` become `…`. */
export function withoutCredentials(spec: string): string {
  return spec.replace(/\/\/[^@/]*@/, "//…@");
}

/** `redis at 127.0.0.1:6379`: where a server back-end lives, for messages (never the password). */
function label(url: string): string {
  try {
    const u = new URL(url);
    return `${isRedisUrl(url) ? "redis" : "postgres"} at ${u.hostname}:${u.port || (isRedisUrl(url) ? "6379" : "5432")}${isPostgresUrl(url) ? u.pathname : ""}`;
  } catch {
    throw new StoreError("invalid", `store url \`${withoutCredentials(url)}\` is not a valid url`);
  }
}

interface Source {
  store: StateStore;
  owned: boolean;
  path: string | null;
  clock?: () => Promise<SyncedClock>;
}

async function openSource(src: StoreSource, opts: OpenStoreOptions, timeoutMs: number): Promise<Source> {
  if (typeof src !== "string") {
    if (!src || typeof src !== "object" || !src.limits) throw new StoreError("invalid", "a store must be a path, a redis:// or postgres:// url, or an opened StateStore");
    return { store: src, owned: false, path: null };
  }
  const common = { initialTrust: opts.initialTrust };
  if (src === ":memory:") return { store: await openMemoryStore(common), owned: true, path: null };
  if (isRedisUrl(src)) {
    const where = label(src);
    const s = await openRedisStore(src, { ...opts.redis, ...common });
    return { store: withDeadline(s, timeoutMs, where), owned: true, path: null, clock: () => s.serverClock() };
  }
  if (isPostgresUrl(src)) {
    const where = label(src);
    const s = await openPostgresStore(src, { ...opts.postgres, ...common });
    return { store: withDeadline(s, timeoutMs, where), owned: true, path: null, clock: () => s.serverClock() };
  }
  return { store: await openSqliteStore(src, common), owned: true, path: src };
}

/** One probe over several: its token changes whenever any of theirs does. */
function combine(probes: ChangeProbe[]): ChangeProbe {
  if (probes.length === 1) return probes[0]!;
  const last: unknown[] = probes.map(() => undefined);
  let n = 0;
  return {
    token() {
      let changed = false;
      probes.forEach((p, i) => {
        const t = p.token();
        if (t !== last[i]) {
          last[i] = t;
          changed = true;
        }
      });
      return changed ? ++n : n;
    },
    close: () => probes.forEach((p) => p.close()),
  };
}

function partsOf(spec: StoreSpec): { parts: Record<StorePart, StoreSource>; timeoutMs?: number } {
  if (typeof spec === "string" || (spec && typeof spec === "object" && "limits" in spec && typeof (spec as StateStore).close === "function")) {
    const s = spec as StoreSource;
    return { parts: { limits: s, approvals: s, trust: s, pauses: s, anchors: s, runs: s } };
  }
  if (!spec || typeof spec !== "object") throw new StoreError("invalid", "store spec must be a path, a url, a StateStore or an object naming a store per part");
  const o = spec as StoreParts;
  for (const k of Object.keys(o)) {
    if (k !== "default" && k !== "timeoutMs" && !(STORE_PARTS as readonly string[]).includes(k)) {
      throw new StoreError("invalid", `unknown store part \`${k}\`; expected ${STORE_PARTS.join(", ")}, default or timeoutMs`);
    }
  }
  const parts = {} as Record<StorePart, StoreSource>;
  for (const p of STORE_PARTS) {
    // Anchors live with the approvals unless named: both are the records an operator audits. Runs
    // live with the limits: both are written on the decision path, per call.
    const src = o[p] ?? (p === "anchors" ? (o.approvals ?? o.default) : p === "runs" ? (o.limits ?? o.default) : o.default);
    if (src === undefined) throw new StoreError("invalid", `store part \`${p}\` has no source: name it or give \`default\``);
    parts[p] = src;
  }
  return { parts, timeoutMs: o.timeoutMs };
}

/**
 * Opens every distinct source the spec names once and assembles the StateStore. On failure,
 * whatever was already opened is closed again.
 */
export async function openStore(spec: StoreSpec, opts: OpenStoreOptions = {}): Promise<OpenedStore> {
  const { parts, timeoutMs: specTimeout } = partsOf(spec);
  const timeoutMs = checkTimeout(specTimeout ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const sources = new Map<StoreSource, Source>();
  try {
    for (const p of STORE_PARTS) if (!sources.has(parts[p])) sources.set(parts[p], await openSource(parts[p], opts, timeoutMs));
    const of = (p: StorePart) => sources.get(parts[p])!;
    const owned = [...sources.values()].filter((s) => s.owned);
    const single = sources.size === 1 ? of("limits") : null;
    const store: StateStore = single ? single.store : {
      limits: of("limits").store.limits,
      approvals: of("approvals").store.approvals,
      trust: of("trust").store.trust,
      pauses: of("pauses").store.pauses,
      anchors: of("anchors").store.anchors,
      runs: of("runs").store.runs,
      close: async () => { for (const s of owned) await s.store.close(); },
    };
    const watched = [...new Set([of("pauses"), of("trust")])];
    const probes = watched.map((s) => s.store.openProbe?.() ?? null);
    const probe = probes.every((p): p is ChangeProbe => p !== null) ? combine(probes) : (probes.forEach((p) => p?.close()), null);
    const clockOf = of("limits").clock ?? of("approvals").clock;
    const clock = opts.serverClock && clockOf ? await clockOf() : null;
    return { store, owned: single ? single.owned : true, path: single?.path ?? null, probe, clock, approvals: kindOf(parts.approvals) };
  } catch (e) {
    for (const s of sources.values()) if (s.owned) await s.store.close().catch(() => undefined);
    throw e;
  }
}
