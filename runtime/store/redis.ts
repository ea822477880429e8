// The Redis StateStore: limits, pauses and trust for a fleet (and approvals and anchors, so one
// server can hold everything), shared by every process that opens the same server and key prefix.
// Built by openRedisStore from a redis:// URL; consumed through the StateStore interfaces by the
// Engine (via open.ts), the CLI and the conformance and fleet tests.
//
// Exactness across processes: every read-decide-write is one Lua script (lua/*.lua), which Redis
// runs alone, or a compare-and-set script that applies a transition rules.ts decided only if the
// record is still what was read. Limits run window.ts's arithmetic inside limits.lua itself, since
// the decision and the charge must be one step. Time is always the caller's `now` (types.ts).

import {
  ChangeHub, anchorAdvances, anchorOf, adjustTrust, checkAnchor, checkAnchorName, checkClaim, checkFilter, checkInitialTrust,
  checkResumeTarget, consumeApproval, matchesFilter, newApproval, newPause, nothingToResume, pauseId, pauseSeq,
  pendingCap, resolveApproval, restoreTrust, setTrust, toApproval, tooManyPending, unknownAgent,
  type StoredApproval,
} from "./rules.js";
import { RedisConn, RedisFeed, connectRedis } from "./redis-conn.js";
import type { RedisConnOptions } from "./server-options.js";
import { serverClock, type SyncedClock } from "./clock.js";
import {
  StoreError,
  type Anchor, type AnchorStore, type Approval, type ApprovalChange, type ApprovalFilter, type ApprovalListener,
  type ApprovalRequest, type ApprovalResolution, type ApprovalStore, type ConsumeResult, type CreateOptions,
  type LimitCharge, type LimitResult, type LimitStore, type Pause, type PauseRequest, type PauseStore,
  type RunAddition, type RunBounds, type RunCall, type RunRecord, type RunResult, type RunStore,
  type StateStore, type StoreOptions, type TrustRecord, type TrustStore,
} from "./types.js";
import { checkRecord, checkRunId, emptyRun, nextRun } from "./runs.js";
import {
  SWEEP_INTERVAL_MS, checkAmount, checkCharges, checkKey, checkTime, checkWindow, windowStart, windowTotal,
  type WindowEvent,
} from "./window.js";

export type RedisStoreOptions = StoreOptions & RedisConnOptions;

/** A double as text Lua's tonumber reads back exactly (JS's shortest round-trip form; `inf` for Infinity). */
const num = (x: number): string => (x === Infinity ? "inf" : String(x));

class RedisLimits implements LimitStore {
  constructor(private readonly conn: RedisConn) {}

  consume(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.run("consume", charges, now);
  }

  peek(charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.run("peek", charges, now);
  }

  usage(key: string, windowMs: number, now: number): Promise<number> {
    return this.conn.run(async () => {
      checkKey(key);
      checkWindow(windowMs, key);
      checkTime(now);
      const flat = (await this.conn.command(["ZRANGE", this.events(key), `(${num(windowStart(windowMs, now))}`, "+inf", "BYSCORE", "WITHSCORES"])) as string[];
      const events: WindowEvent[] = [];
      for (let i = 0; i < flat.length; i += 2) events.push({ at: Number(flat[i + 1]), amount: Number(flat[i]!.slice(17)) });
      return windowTotal(events);
    });
  }

  seed(key: string, amount: number, at: number): Promise<void> {
    return this.conn.run(async () => {
      checkKey(key);
      checkAmount(amount, key);
      checkTime(at);
      await this.conn.script("limits", [this.events(key), this.meta(key)], ["seed", num(at), "0", num(amount)]);
    });
  }

  private run(mode: "consume" | "peek", charges: readonly LimitCharge[], now: number): Promise<LimitResult> {
    return this.conn.run(async () => {
      checkCharges(charges, now);
      if (charges.length === 0) return { ok: true };
      const keys: string[] = [];
      const args: string[] = [mode, num(now), String(SWEEP_INTERVAL_MS)];
      for (const c of charges) {
        keys.push(this.events(c.key), this.meta(c.key));
        args.push(num(c.amount), num(c.max), num(c.windowMs));
      }
      const r = (await this.conn.script("limits", keys, args)) as [string, number?, string?, string?];
      if (r[0] === "ok") return { ok: true };
      const c = charges[r[1]! - 1]!;
      return { ok: false, id: c.id, key: c.key, used: Number(r[2]), amount: c.amount, max: c.max, resetAt: r[3] === "null" ? null : Number(r[3]) };
    });
  }

  private events(key: string): string {
    return this.conn.key(`l:${key}`);
  }

  private meta(key: string): string {
    return this.conn.key(`lm:${key}`);
  }
}

/** The stored record, with its creation seq first (approvals.lua fills it in on create). */
type RedisApproval = StoredApproval & { seq: number };

/**
 * How long past its expiry a pending approval stays in the pending index: long enough that no
 * process whose clock lags still lists it as pending; after that it is expired for everyone.
 */
const STALE_PENDING_MS = 60 * 60_000;

const member = (a: RedisApproval): string => `${a.seq.toString(16).padStart(16, "0")}:${a.id}`;
const encode = ({ seq, ...rest }: RedisApproval): string => JSON.stringify({ seq, ...rest });

class RedisApprovals implements ApprovalStore {
  private readonly hub = new ChangeHub();

  constructor(private readonly conn: RedisConn, feed: RedisFeed) {
    feed.onMessage((m) => {
      if (m.kind === "approval") void this.relay(m.type, m.id, m.at);
    });
  }

  async create(req: ApprovalRequest, options?: CreateOptions): Promise<Approval> {
    const out = await this.conn.run(async () => {
      const a: RedisApproval = { ...newApproval(req), seq: 0 };
      const cap = pendingCap(options);
      const payload = this.payload("created", a.id, a.createdAt);
      const keys = [this.key("a"), this.key("aseq"), this.key("a:all"), this.pendingKey(a.agentId), this.key("a:pending"), this.key("a:pending:kept")];
      const r = await this.conn.script("approvals", keys, ["create", this.conn.channel, payload, a.id, encode(a), String(a.createdAt), String(a.expiresAt), cap === undefined ? "" : String(cap)]);
      if (r === "conflict") throw new StoreError("conflict", `approval \`${a.id}\` already exists`);
      if (r === "busy") throw tooManyPending(a.agentId, cap!);
      return toApproval(a, a.createdAt);
    });
    this.hub.emit("created", out);
    return out;
  }

  get(id: string, now: number): Promise<Approval | undefined> {
    return this.conn.run(async () => {
      checkTime(now);
      const a = await this.load(id);
      return a && toApproval(a, now);
    });
  }

  list(filter: ApprovalFilter, now: number): Promise<Approval[]> {
    return this.conn.run(async () => {
      checkFilter(filter);
      checkTime(now);
      if (filter.status === "pending" || filter.settled === false) return this.pending(filter, now);
      const out: Approval[] = [];
      if (filter.newest === undefined) {
        for (const a of await this.records((await this.conn.command(["ZRANGE", this.key("a:all"), "0", "-1"])) as string[])) {
          if (a && matchesFilter(a, filter, now)) out.push(toApproval(a, now));
        }
        return out;
      }
      // The newest n: read from the newest end, a page at a time, until n match. Positions come
      // from one count, and an approval added meanwhile may shift a page by one: seen members
      // are skipped, so none is listed twice.
      const seen = new Set<string>();
      const size = Number(await this.conn.command(["ZCARD", this.key("a:all")]));
      for (let end = size - 1; end >= 0 && out.length < filter.newest; end -= 500) {
        const members = ((await this.conn.command(["ZRANGE", this.key("a:all"), String(Math.max(0, end - 499)), String(end)])) as string[]).filter((m) => !seen.has(m));
        if (members.length === 0) continue;
        for (const m of members) seen.add(m);
        const rows = (await this.conn.command(["HMGET", this.key("a"), ...members.map((m) => m.slice(17))])) as (string | null)[];
        for (let i = rows.length - 1; i >= 0 && out.length < filter.newest; i--) {
          const a = rows[i] === null ? undefined : (JSON.parse(rows[i]!) as RedisApproval);
          if (a && matchesFilter(a, filter, now)) out.push(toApproval(a, now));
        }
      }
      return out.reverse();
    });
  }

  /**
   * The pending approvals, from the pending index (never the whole history: a fleet's queue and
   * its pending gauge read this every few seconds). Entries whose record is no longer pending
   * (resolved by an older pol that does not keep the index) are dropped here, and so are those
   * expired over an hour ago by the server's clock: a caller's `now` may be anything.
   */
  private async pending(filter: ApprovalFilter, now: number): Promise<Approval[]> {
    const index = this.key("a:pending");
    await this.pendingIndex();
    const members = (await this.conn.command(["ZRANGE", index, "0", "-1"])) as string[];
    const rows = await this.records(members);
    const out: Approval[] = [];
    const stale: string[] = [];
    const old: { member: string; expiresAt: number }[] = [];
    rows.forEach((a, i) => {
      if (!a || a.state !== "pending") stale.push(members[i]!);
      else if (matchesFilter(a, filter, now)) out.push(toApproval(a, now));
      else if (a.expiresAt < now - STALE_PENDING_MS) old.push({ member: members[i]!, expiresAt: a.expiresAt });
    });
    if (old.length > 0) {
      const [s, us] = (await this.conn.command(["TIME"])) as [string, string];
      const serverNow = Number(s) * 1000 + Number(us) / 1000;
      for (const o of old) if (o.expiresAt < serverNow - STALE_PENDING_MS) stale.push(o.member);
    }
    if (stale.length > 0) await this.conn.command(["ZREM", index, ...stale]);
    return filter.newest === undefined ? out : out.slice(-filter.newest);
  }

  /** The rebuild under way in this process, which concurrent readers wait for rather than repeat. */
  private rebuilding: Promise<void> | null = null;

  /**
   * Makes the pending index complete (approvals.lua, "kept" and "covered"): when older pols have
   * created more approvals than the last rebuild covered (after an upgrade, or while one of a
   * fleet mid-upgrade still creates them), every approval in the history is read once and the
   * pending ones added. Creations by this pol during the rebuild need nothing: they index
   * themselves.
   */
  private async pendingIndex(): Promise<void> {
    for (;;) {
      const [seq, kept, covered] = (await this.conn.command(["MGET", this.key("aseq"), this.key("a:pending:kept"), this.key("a:pending:covered")])) as (string | null)[];
      const byOlder = Number(seq ?? 0) - Number(kept ?? 0);
      if (byOlder <= Number(covered ?? 0)) return;
      if (this.rebuilding === null) {
        this.rebuilding = this.rebuild(byOlder).finally(() => (this.rebuilding = null));
        return this.rebuilding;
      }
      // Another reader's rebuild may have begun before the creations this one must see: look again after it.
      await this.rebuilding;
    }
  }

  /** Every approval still stored as pending goes in, expired or not: only the read drops those long expired, by the server's clock. */
  private async rebuild(byOlder: number): Promise<void> {
    const members = (await this.conn.command(["ZRANGE", this.key("a:all"), "0", "-1"])) as string[];
    const rows = await this.records(members);
    const add: string[] = [];
    rows.forEach((a, i) => {
      if (a && a.state === "pending") add.push(String(a.createdAt), members[i]!);
    });
    for (let i = 0; i < add.length; i += 1000) await this.conn.command(["ZADD", this.key("a:pending"), ...add.slice(i, i + 1000)]);
    await this.conn.script("approvals", [this.key("a:pending:covered")], ["cover", String(byOlder)]);
  }

  /** The records of index members ("<seq hex>:<id>"), in their order; undefined for one deleted meanwhile. */
  private async records(members: readonly string[]): Promise<(RedisApproval | undefined)[]> {
    const out: (RedisApproval | undefined)[] = [];
    for (let i = 0; i < members.length; i += 500) {
      const rows = (await this.conn.command(["HMGET", this.key("a"), ...members.slice(i, i + 500).map((m) => m.slice(17))])) as (string | null)[];
      for (const row of rows) out.push(row === null ? undefined : (JSON.parse(row) as RedisApproval));
    }
    return out;
  }

  async resolve(id: string, resolution: ApprovalResolution, now: number): Promise<Approval> {
    const out = await this.conn.run(() => this.transition(id, (a) => ({ ok: true, stored: resolveApproval(a, id, resolution, now) }), "resolved", now));
    if (!out.ok) throw new Error("unreachable: resolve never fails softly");
    this.hub.emit("resolved", out.approval);
    return out.approval;
  }

  async consume(id: string, callHash: string, now: number): Promise<ConsumeResult> {
    const result = await this.conn.run(() => this.transition(id, (a) => consumeApproval(a, id, callHash, now), "consumed", now));
    if (result.ok) this.hub.emit("consumed", result.approval);
    return result;
  }

  findApproved(callHash: string, now: number): Promise<Approval | undefined> {
    return this.conn.run(async () => {
      checkTime(now);
      const row = (await this.conn.script("approvals", [this.key("a"), this.approvedKey(callHash)], ["find", String(now)])) as string | null;
      return row === null ? undefined : toApproval(JSON.parse(row) as RedisApproval, now);
    });
  }

  onChange(listener: ApprovalListener): () => void {
    return this.hub.on(listener);
  }

  /**
   * Decides a transition with rules.ts on the record as read, then applies it only if the record
   * is unchanged (approvals.lua cas); a lost race re-reads and decides again.
   */
  private async transition(
    id: string,
    decide: (a: StoredApproval | undefined) => { ok: true; stored: StoredApproval } | Exclude<ConsumeResult, { ok: true }>,
    type: ApprovalChange["type"],
    now: number,
  ): Promise<ConsumeResult> {
    for (;;) {
      const raw = (await this.conn.command(["HGET", this.key("a"), id])) as string | null;
      const cur = raw === null ? undefined : (JSON.parse(raw) as RedisApproval);
      const r = decide(cur);
      if (!r.ok) return r;
      const next: RedisApproval = { ...(r.stored as RedisApproval), seq: cur!.seq };
      const keys = [this.key("a"), this.pendingKey(next.agentId), this.approvedKey(next.callHash), this.key("a:pending")];
      const args = ["cas", this.conn.channel, this.payload(type, id, now), id, raw!, encode(next), next.state, member(next), String(next.createdAt)];
      if ((await this.conn.script("approvals", keys, args)) === 1) return { ok: true, approval: toApproval(next, now) };
    }
  }

  /** Another process changed an approval: tell this store's listeners, as of the change. */
  private async relay(type: ApprovalChange["type"], id: string, at: number): Promise<void> {
    try {
      const a = await this.load(id);
      if (a) this.hub.emit(type, toApproval(a, at));
    } catch {
      // the server went away meanwhile; waiters fall back to polling
    }
  }

  private async load(id: string): Promise<RedisApproval | undefined> {
    const raw = (await this.conn.command(["HGET", this.key("a"), id])) as string | null;
    return raw === null ? undefined : (JSON.parse(raw) as RedisApproval);
  }

  private payload(type: ApprovalChange["type"], id: string, at: number): string {
    return RedisFeed.payload({ kind: "approval", type, id, at }, this.conn.origin);
  }

  private key(name: string): string {
    return this.conn.key(name);
  }

  private pendingKey(agentId: string): string {
    return this.conn.key(`a:pend:${agentId}`);
  }

  private approvedKey(callHash: string): string {
    return this.conn.key(`a:ok:${callHash}`);
  }
}

class RedisTrust implements TrustStore {
  constructor(private readonly conn: RedisConn, private readonly initial: number) {}

  get(agentId: string): Promise<TrustRecord> {
    return this.conn.run(async () => {
      const base = unknownAgent(agentId, this.initial);
      const raw = (await this.conn.command(["HGET", this.conn.key("trust"), agentId])) as string | null;
      return raw === null ? base : parseTrust(agentId, raw.split("|"));
    });
  }

  adjust(agentId: string, delta: number, now: number): Promise<TrustRecord> {
    return this.write("adjust", agentId, delta, now, () => adjustTrust(unknownAgent(agentId, this.initial), delta, now));
  }

  set(agentId: string, score: number, now: number): Promise<TrustRecord> {
    return this.write("set", agentId, score, now, () => setTrust(unknownAgent(agentId, this.initial), score, now));
  }

  restore(agentId: string, score: number, now: number): Promise<TrustRecord> {
    return this.write("restore", agentId, score, now, () => restoreTrust(unknownAgent(agentId, this.initial), score, now));
  }

  adjustOnce(agentId: string, delta: number, claim: string, until: number, now: number): Promise<TrustRecord | null> {
    return this.conn.run(async () => {
      checkClaim(claim, until, now);
      adjustTrust(unknownAgent(agentId, this.initial), delta, now); // refuses bad input before touching the server
      // Claimed in the script that changes the score; its key expires by itself (PX) at `until`.
      const ttl = String(Math.max(1, Math.ceil(until - now)));
      const r = (await this.conn.script("trust", [this.conn.key("trust"), this.conn.key(`tc:${claim}`)], ["adjust", agentId, num(delta), num(now), num(this.initial), this.conn.channel, num(until), ttl])) as string[] | string;
      return r === "claimed" ? null : parseTrust(agentId, r as string[]);
    });
  }

  /** `validate` runs the rules.ts transition on a blank record: it throws exactly what the rules refuse. */
  private write(op: string, agentId: string, value: number, now: number, validate: () => unknown): Promise<TrustRecord> {
    return this.conn.run(async () => {
      validate();
      const r = (await this.conn.script("trust", [this.conn.key("trust")], [op, agentId, num(value), num(now), num(this.initial), this.conn.channel])) as string[];
      return parseTrust(agentId, r);
    });
  }
}

/** `at` is "" for an agent never written (adjustOnce returns such a record unchanged). */
function parseTrust(agentId: string, [score, revoked, at]: string[]): TrustRecord {
  return { agentId, score: Number(score), revoked: revoked === "1", updatedAt: at === "" || at === undefined ? null : Number(at) };
}

class RedisPauses implements PauseStore {
  constructor(private readonly conn: RedisConn) {}

  pause(req: PauseRequest, now: number): Promise<Pause> {
    return this.conn.run(async () => {
      const f = newPause(req, now);
      const seq = (await this.conn.script("pauses", this.keys(), ["pause", this.conn.channel, JSON.stringify(f)])) as number;
      return { id: pauseId(seq), ...f };
    });
  }

  resume(idOrPattern: string): Promise<Pause[]> {
    return this.conn.run(async () => {
      checkResumeTarget(idOrPattern);
      const seq = pauseSeq(idOrPattern);
      const flat = (await this.conn.script("pauses", this.keys(), ["resume", this.conn.channel, seq === null ? "" : String(seq), idOrPattern])) as string[];
      if (flat.length === 0) throw nothingToResume(idOrPattern);
      return pairs(flat);
    });
  }

  list(): Promise<Pause[]> {
    return this.conn.run(async () => {
      const flat = (await this.conn.command(["HGETALL", this.conn.key("pauses")])) as string[];
      return pairs(flat).sort((a, b) => pauseSeq(a.id)! - pauseSeq(b.id)!);
    });
  }

  private keys(): string[] {
    return [this.conn.key("pauses"), this.conn.key("pseq")];
  }
}

/** [seq, json, seq, json, ...] as pauses. */
function pairs(flat: string[]): Pause[] {
  const out: Pause[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ id: pauseId(Number(flat[i])), ...(JSON.parse(flat[i + 1]!) as Omit<Pause, "id">) });
  return out;
}

class RedisAnchors implements AnchorStore {
  constructor(private readonly conn: RedisConn) {}

  get(name: string): Promise<Anchor | undefined> {
    return this.conn.run(async () => {
      checkAnchorName(name);
      const raw = (await this.conn.command(["HGET", this.conn.key("anchors"), name])) as string | null;
      return raw === null ? undefined : anchorOf(JSON.parse(raw) as Anchor);
    });
  }

  /** rules.ts decides on the anchor as read; anchor.lua writes only if it is still that anchor. */
  advance(name: string, anchor: Anchor): Promise<void> {
    return this.conn.run(async () => {
      checkAnchor(name, anchor);
      for (;;) {
        const raw = (await this.conn.command(["HGET", this.conn.key("anchors"), name])) as string | null;
        const cur = raw === null ? undefined : (JSON.parse(raw) as Anchor);
        if (!anchorAdvances(name, cur, anchor)) return;
        const next = JSON.stringify(anchorOf(anchor));
        if ((await this.conn.script("anchor", [this.conn.key("anchors")], [name, raw ?? "", next])) === 1) return;
      }
    });
  }
}

class RedisRuns implements RunStore {
  constructor(private readonly conn: RedisConn) {}

  private keys(runId: string): string[] {
    return [this.conn.key(`runh:${runId}`), this.conn.key(`runc:${runId}`)];
  }

  /** The run as stored: its version, count, state and calls, and whether it had expired at `now`. */
  private async read(runId: string, now: number): Promise<{ v: string; expired: boolean; count: number; run: RunRecord }> {
    const raw = (await this.conn.script("runs", this.keys(runId), ["get"])) as string[];
    if (raw.length === 0) return { v: "", expired: false, count: 0, run: emptyRun() };
    const [v, n, state, exp, ...calls] = raw as [string, string, string, string, ...string[]];
    if (Number(exp) <= now) return { v, expired: true, count: 0, run: emptyRun() };
    return { v, expired: false, count: Number(n), run: { calls: calls.map((c) => JSON.parse(c) as RunCall), state: JSON.parse(state) as RunRecord["state"] } };
  }

  get(runId: string, now: number): Promise<RunRecord> {
    return this.conn.run(async () => {
      checkRunId(runId);
      checkTime(now);
      return (await this.read(runId, now)).run;
    });
  }

  /** runs.ts decides on the run as read; runs.lua writes only if it is still that version (a lost race reads again). */
  record(runId: string, call: { tool: string; args: Record<string, unknown> } | null, additions: readonly RunAddition[], bounds: RunBounds, now: number): Promise<RunResult> {
    return this.conn.run(async () => {
      checkRecord(runId, call, additions, bounds, now);
      for (;;) {
        const cur = await this.read(runId, now);
        const next = nextRun(runId, cur.count, cur.run.state, call, additions, bounds, now);
        if (typeof next === "string") return { ok: false, reason: next };
        const args = ["put", cur.v, cur.expired ? "1" : "0", JSON.stringify(next.state), next.call ? JSON.stringify(next.call) : "", String(now + bounds.ttlMs), String(Math.ceil(bounds.ttlMs))];
        if ((await this.conn.script("runs", this.keys(runId), args)) === 1) return { ok: true };
      }
    });
  }
}

export interface RedisStateStore extends StateStore {
  /** A clock following the server's TIME (see clock.ts), for engines of a fleet. */
  serverClock(): Promise<SyncedClock>;
}

/**
 * Opens a store on the Redis server at `url` (redis://host:port/db; `?prefix=pol:{tenant}:` or the
 * prefix option names the key space). Fails with an `unavailable` StoreError when the server does
 * not answer within connectTimeoutMs.
 */
export async function openRedisStore(url: string, options: RedisStoreOptions = {}): Promise<RedisStateStore> {
  const initial = checkInitialTrust(options.initialTrust);
  const conn = await connectRedis(url, options);
  let feed: RedisFeed;
  try {
    feed = await RedisFeed.open(conn);
  } catch (e) {
    conn.client.destroy();
    throw conn.translate(e);
  }
  const clocks: SyncedClock[] = [];
  return {
    limits: new RedisLimits(conn),
    approvals: new RedisApprovals(conn, feed),
    trust: new RedisTrust(conn, initial),
    pauses: new RedisPauses(conn),
    anchors: new RedisAnchors(conn),
    runs: new RedisRuns(conn),
    openProbe: () => feed.probe(),
    async serverClock() {
      const c = await conn.run(() => serverClock(() => conn.serverTime()));
      clocks.push(c);
      return c;
    },
    async close() {
      if (conn.closed) return;
      conn.closed = true;
      for (const c of clocks) c.stop();
      await feed.close();
      try {
        await conn.client.close();
      } catch {
        conn.client.destroy();
      }
    },
  };
}
