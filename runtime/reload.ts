// Changing an Engine's policies while it serves: reload (a new live policy), shadow and canary, and
// watching the live policy's file or directory. Every change passes one gate (verify and load
// through policy-source.ts, then the policy's own suites on the real Engine, bundle/suites.ts) and
// only then swaps the PolicySet reference; a failure keeps what was there, goes to hooks.onError
// and the status, and is audited. Owned by engine.ts, which reads `current` once per decision.

import { watch as fsWatch, readdirSync, readFileSync, statSync, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { BundleError } from "../bundle/format.js";
import type { AuditEntry } from "./audit/index.js";
import { entry, errorText, isoTime } from "./audit-entries.js";
import { EngineError } from "./engine-types.js";
import type { LoadOptions } from "./loader.js";
import { checkPercent, PolicySet } from "./policy-set.js";
import { loadSource, originOf, provenance, type LoadedPolicy, type PolicySource } from "./policy-source.js";
import { ShadowRunner, type ShadowCounters } from "./shadow.js";

/** Where a change failed: loading, signature or integrity, the policy's own suites, or the engine was closed. */
export type ReloadStage = "load" | "verify" | "tests" | "closed";

/** A policy change was refused; the engine kept the policies it had. */
export class ReloadError extends Error {
  constructor(readonly stage: ReloadStage, message: string) {
    super(message);
    this.name = "ReloadError";
  }
}

export interface PolicyInfo {
  hash: string;
  name: string;
  /** The path it was loaded from, or `bytes` / `a loaded policy`. */
  source: string;
  bundle?: string;
  signer?: string;
  /** When it took this role (ISO 8601). */
  since: string;
}

export interface ChangeRecord {
  ok: boolean;
  /** What changed: the live policy, the shadow or the canary. */
  role: "live" | "shadow" | "canary";
  at: string;
  source: string;
  /** The policy hash now in that role (after a failure: the one kept). */
  policy?: string;
  stage?: ReloadStage;
  error?: string;
  /** The suites' outcome, one line, when they ran. */
  tests?: string;
}

/** What a health endpoint reports about policies: which are active, and how changes went. */
export interface PolicyStatus {
  live: PolicyInfo;
  shadow?: PolicyInfo & ShadowCounters;
  canary?: PolicyInfo & { percent: number };
  changes: { ok: number; failed: number; inProgress: boolean; last?: ChangeRecord };
  /** The path being watched for changes, when `watch` is on. */
  watching?: string;
}

export interface CanaryOption {
  /** The candidate; omit it to change only the percentage of the current canary. */
  policy?: PolicySource;
  percent: number;
}

/** The Engine's options for rollout (EngineOptions extends them). */
export interface RolloutOptions {
  /** A candidate decided alongside every call, off the hot path; where its effect differs, a `shadow.diff` audit record. */
  shadow?: PolicySource;
  /** A candidate deciding `percent` of runs (by a hash of `run.id`; calls without one stay on the live policy). */
  canary?: { policy: PolicySource; percent: number };
  /** Reload the live policy when its file or directory changes (the policy must be given as a path). */
  watch?: boolean | { debounceMs?: number };
}

/** The debounce of the `watch` option in ms, or undefined without one; throws for a bad option. */
export function watchDelay(live: PolicySource, o: RolloutOptions): number | undefined {
  if (!o.watch) return undefined;
  if (typeof live !== "string") throw new EngineError("invalid", "`watch` needs the policy as a path (a bundle, .wasm or .pol file, or a policy directory)");
  const ms = o.watch === true ? 200 : o.watch.debounceMs ?? 200;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) throw new EngineError("invalid", `\`watch.debounceMs\` must be a number of milliseconds, got \`${String(ms)}\``);
  return ms;
}

/** The policies an Engine starts with; the gate's suites do not run here (they ran when the bundle was built). */
export async function initialPolicies(live: PolicySource, o: LoadOptions & RolloutOptions): Promise<PolicySet> {
  watchDelay(live, o);
  if (o.canary !== undefined) checkPercent(o.canary?.percent);
  const loaded = await loadSource(live, o);
  const shadow = o.shadow !== undefined ? await loadSource(o.shadow, o) : undefined;
  const canary = o.canary !== undefined ? { loaded: await loadSource(o.canary.policy, o), percent: o.canary.percent } : undefined;
  return new PolicySet(loaded, shadow, canary);
}

/** What the rollout needs from the Engine. */
export interface RolloutHost {
  loadOptions: LoadOptions;
  append(e: AuditEntry): void;
  reportError(e: unknown, where: string): void;
  now(): number;
  closed(): boolean;
  auditMaxString: number;
}

/** A digest of what a watched path holds now (a file's bytes; a directory's policy and suite files), or undefined while it is missing. */
function digestOf(path: string): string | undefined {
  const h = createHash("sha256");
  try {
    if (!statSync(path).isDirectory()) return h.update(readFileSync(path)).digest("hex");
    const walk = (d: string) => {
      for (const name of readdirSync(d).sort()) {
        if (name.startsWith(".") || name === "node_modules") continue;
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(pol|ya?ml)$/.test(name)) h.update(`${p}\0`).update(readFileSync(p)).update("\0");
      }
    };
    walk(path);
    return h.digest("hex");
  } catch {
    return undefined;
  }
}

export class Rollout {
  readonly shadow: ShadowRunner;
  private set: PolicySet;
  private readonly since = new WeakMap<LoadedPolicy, number>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly counts = { ok: 0, failed: 0 };
  private last: ChangeRecord | undefined;
  private inProgress = false;
  private watcher: FSWatcher | undefined;
  private watched: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private digest: string | undefined;

  constructor(private readonly host: RolloutHost, initial: PolicySet) {
    this.set = initial;
    for (const l of [initial.live, initial.shadow, initial.canary?.loaded]) if (l) this.since.set(l, host.now());
    this.shadow = new ShadowRunner({ append: (e) => host.append(e), auditMaxString: host.auditMaxString });
  }

  /** The policies now: read once per decision. */
  get current(): PolicySet {
    return this.set;
  }

  /** Verifies, loads and tests `source`, then makes it the live policy. Rejects with ReloadError, keeping the old one. */
  reload(source: PolicySource): Promise<ChangeRecord> {
    return this.change("live", source, async (loaded) => {
      const before = this.set;
      this.swap(before.withLive(loaded), loaded);
      const cleared = [before.shadow && !this.set.shadow ? "shadow" : undefined, before.canary && !this.set.canary ? "canary" : undefined].filter(Boolean);
      return { from: before.live.policy.hash, ...(cleared.length ? { cleared } : {}) };
    });
  }

  /** Sets (after the same gate as reload) or, with null, removes the shadow policy. */
  setShadow(source: PolicySource | null): Promise<ChangeRecord> {
    if (source === null) return this.clear("shadow", () => this.set.withShadow(undefined));
    return this.change("shadow", source, async (loaded) => {
      this.swap(this.set.withShadow(loaded), loaded);
      this.shadow.reset();
      return {};
    });
  }

  /** Sets, re-weights (`{ percent }` alone) or, with null, removes the canary. */
  async setCanary(c: CanaryOption | null): Promise<ChangeRecord> {
    if (c === null) return this.clear("canary", () => this.set.withCanary(undefined));
    const percent = checkPercent(c?.percent);
    if (c.policy === undefined) {
      if (!this.set.canary) throw new EngineError("invalid", "there is no canary to re-weight: give `policy` as well as `percent`");
      return this.serial(async () => {
        const cur = this.set.canary;
        if (!cur) throw new EngineError("invalid", "the canary was removed before it could be re-weighted");
        this.set = this.set.withCanary({ loaded: cur.loaded, percent });
        const rec: ChangeRecord = { ok: true, role: "canary", at: isoTime(this.host.now()), source: "re-weighted", policy: cur.loaded.policy.hash };
        this.record(rec, { policy: cur.loaded.policy.hash, percent });
        return rec;
      });
    }
    return this.change("canary", c.policy, async (loaded) => {
      this.swap(this.set.withCanary({ loaded, percent }), loaded);
      return { percent };
    });
  }

  private swap(next: PolicySet, loaded: LoadedPolicy): void {
    this.since.set(loaded, this.host.now());
    this.set = next;
  }

  /** Runs changes one at a time, in call order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** The gate: load (verifying signature and integrity), then the policy's own suites. */
  private async admit(source: PolicySource): Promise<{ loaded: LoadedPolicy; tests?: string }> {
    let loaded: LoadedPolicy;
    try {
      loaded = await loadSource(source, this.host.loadOptions);
    } catch (e) {
      throw new ReloadError(e instanceof BundleError ? "verify" : "load", errorText(e));
    }
    const own = loaded.suites;
    if (!own || own.suites.size === 0) return { loaded };
    const { runBundledSuites, suitesLine } = await import("../bundle/suites.js");
    const o = await runBundledSuites(own.module, own.suites, own.policyFile, own.files);
    if (o.failed > 0 || o.errors > 0) throw new ReloadError("tests", `the policy's own suites fail: ${suitesLine(o)}`);
    return { loaded, tests: suitesLine(o) };
  }

  private change(role: ChangeRecord["role"], source: PolicySource, apply: (l: LoadedPolicy) => Promise<Record<string, unknown>>): Promise<ChangeRecord> {
    return this.serial(async () => {
      this.inProgress = true;
      const base = { role, at: isoTime(this.host.now()), source: originOf(source) };
      try {
        if (this.host.closed()) throw new ReloadError("closed", "the engine is closed");
        const { loaded, tests } = await this.admit(source);
        if (this.host.closed()) throw new ReloadError("closed", "the engine closed during the change");
        const extra = await apply(loaded);
        const rec: ChangeRecord = { ok: true, ...base, policy: loaded.policy.hash, ...(tests ? { tests } : {}) };
        this.record(rec, { ...provenance(loaded), ...extra });
        return rec;
      } catch (e) {
        const err = e instanceof ReloadError ? e : new ReloadError("load", errorText(e));
        const kept = role === "live" ? this.set.live : role === "shadow" ? this.set.shadow : this.set.canary?.loaded;
        const rec: ChangeRecord = { ok: false, ...base, ...(kept ? { policy: kept.policy.hash } : {}), stage: err.stage, error: err.message };
        this.host.reportError(err, `policy ${role === "live" ? "reload" : role}`);
        this.record(rec, {});
        throw err;
      } finally {
        this.inProgress = false;
      }
    });
  }

  private clear(role: "shadow" | "canary", next: () => PolicySet): Promise<ChangeRecord> {
    return this.serial(async () => {
      this.set = next();
      const rec: ChangeRecord = { ok: true, role, at: isoTime(this.host.now()), source: "removed" };
      this.record(rec, { removed: true });
      return rec;
    });
  }

  private record(rec: ChangeRecord, fields: Record<string, unknown>): void {
    this.last = rec;
    this.counts[rec.ok ? "ok" : "failed"]++;
    const event = rec.role === "live" ? "policy.reload" : `policy.${rec.role}`;
    this.host.append(entry({ type: "admin", time: rec.at, event, ok: rec.ok, source: rec.source, stage: rec.stage, error: rec.error, tests: rec.tests, ...(rec.ok ? {} : { kept: rec.policy }), ...fields }));
  }

  // -------------------------------------------------------------------------
  // Watching

  /** Reloads the live policy whenever `path` (a file, or a policy directory) changes content. */
  watch(path: string, debounceMs: number): void {
    const dir = statSync(path).isDirectory();
    this.digest = digestOf(path);
    this.watched = path;
    // The parent directory, not the file: editors and deploys replace files by rename, which ends a watch on the file itself.
    this.watcher = fsWatch(dir ? path : dirname(path), { recursive: dir, persistent: false }, (_event, name) => {
      if (!dir && name !== null && name !== basename(path)) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.changed(path), debounceMs);
      this.timer.unref?.();
    });
    this.watcher.on("error", (e) => this.host.reportError(e, "policy watch"));
  }

  private async changed(path: string): Promise<void> {
    const d = digestOf(path);
    // Missing mid-replace, or touched without a change: wait for the next event.
    if (d === undefined || d === this.digest || this.host.closed()) return;
    this.digest = d;
    // A failure is already reported, audited and in the status; the old policy stays.
    await this.reload(path).catch(() => undefined);
  }

  /** Stops watching and waits for a change in progress. */
  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.timer);
    await this.chain;
  }

  // -------------------------------------------------------------------------
  // Status

  private info(l: LoadedPolicy): PolicyInfo {
    return {
      hash: l.policy.hash, name: l.policy.meta.name, source: l.origin,
      ...(l.bundle ? { bundle: l.bundle.hash, signer: l.bundle.signer } : {}),
      since: isoTime(this.since.get(l) ?? this.host.now()),
    };
  }

  status(): PolicyStatus {
    const s = this.set;
    return {
      live: this.info(s.live),
      ...(s.shadow ? { shadow: { ...this.info(s.shadow), ...this.shadow.counters } } : {}),
      ...(s.canary ? { canary: { ...this.info(s.canary.loaded), percent: s.canary.percent } } : {}),
      changes: { ...this.counts, inProgress: this.inProgress, ...(this.last ? { last: this.last } : {}) },
      ...(this.watched !== undefined ? { watching: this.watched } : {}),
    };
  }
}
