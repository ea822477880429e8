// The Redis side of the Redis store: the command connection, the Lua scripts (EVALSHA, reloaded on
// NOSCRIPT after a server restart), key naming, error translation, and the pub/sub feed that tells
// every replica about pause, trust and approval changes. Built by openRedisStore (redis.ts), which
// consumes it for each part of the store.
//
// Keys: every key is `<prefix><name>`, and the prefix must hold a Redis Cluster hash tag
// (`pol:{acme}:`), so all of a tenant's keys live in one slot and a script may touch any of them,
// in a cluster as on a single server. One tenant is therefore one shard; tenants spread across
// the cluster.

import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createClient } from "redis";
import type { RedisConnOptions } from "./server-options.js";
import { errorText, guarded } from "./server-conn.js";
import { StoreError, type ChangeProbe } from "./types.js";

type Client = ReturnType<typeof createClient>;

export const DEFAULT_PREFIX = "pol:{default}:";

const SCRIPT_NAMES = ["limits", "trust", "pauses", "approvals", "anchor"] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

interface Script { text: string; sha: string }

let scripts: Record<ScriptName, Script> | null = null;

/** The scripts, read once from runtime/store/lua beside this file. */
function loadScripts(): Record<ScriptName, Script> {
  if (scripts) return scripts;
  const out = {} as Record<ScriptName, Script>;
  for (const name of SCRIPT_NAMES) {
    const text = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");
    out[name] = { text, sha: createHash("sha1").update(text).digest("hex") };
  }
  return (scripts = out);
}

export function checkPrefix(prefix: string): string {
  if (typeof prefix !== "string" || !/\{[^{}]+\}/.test(prefix)) {
    throw new StoreError("invalid", `redis key prefix \`${String(prefix)}\` needs a hash tag such as \`pol:{tenant}:\`, so every key of a store shares one cluster slot`);
  }
  return prefix;
}

const UNAVAILABLE = /offline|closed|socket|connect|econnrefused|econnreset|epipe|timeout|loading|busy|masterdown|tryagain/i;

export class RedisConn {
  closed = false;
  readonly origin = randomUUID();
  readonly channel: string;
  readonly where: string;

  constructor(readonly client: Client, readonly prefix: string, where: string) {
    this.channel = `${prefix}changes`;
    this.where = where;
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** fn under the store's error conventions (server-conn.ts). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return guarded(this, fn);
  }

  translate(e: unknown): StoreError {
    if (e instanceof StoreError) return e;
    if (this.closed) return new StoreError("closed", "store is closed", { cause: e });
    const name = (e as Error)?.name ?? "";
    if (UNAVAILABLE.test(name) || UNAVAILABLE.test(errorText(e))) {
      return new StoreError("unavailable", `redis store at ${this.where} is unavailable: ${errorText(e)}`, { cause: e });
    }
    return new StoreError("io", `redis store error: ${errorText(e)}`, { cause: e });
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) when the server lost it. */
  async script(name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const s = loadScripts()[name];
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await this.client.sendCommand(["EVALSHA", s.sha, ...rest]);
    } catch (e) {
      if (!/^NOSCRIPT/.test((e as Error)?.message ?? "")) throw e;
      return await this.client.sendCommand(["EVAL", s.text, ...rest]);
    }
  }

  command(args: string[]): Promise<unknown> {
    return this.client.sendCommand(args);
  }

  /** Redis TIME in ms since the epoch. */
  async serverTime(): Promise<number> {
    const [s, us] = (await this.client.sendCommand(["TIME"])) as [string, string];
    return Number(s) * 1000 + Number(us) / 1000;
  }
}

/** A change another process announced: approvals carry their id and the time of the change. */
export type FeedMessage = { kind: "pauses" | "trust" } | { kind: "approval"; type: "created" | "resolved" | "consumed"; id: string; at: number };

/**
 * The subscription to the store's change channel. Its token changes with every message; while the
 * subscription is down or not yet confirmed live, every call returns a fresh token, so caches read
 * through to the server (and fail closed when it is away) instead of trusting what they hold.
 */
export class RedisFeed {
  private counter = 0;
  private live = false;
  private nonce = "";
  private syncTimer: NodeJS.Timeout | null = null;
  private readonly handlers = new Set<(m: FeedMessage) => void>();

  private constructor(private readonly conn: RedisConn, private readonly sub: Client) {}

  static async open(conn: RedisConn): Promise<RedisFeed> {
    const sub = conn.client.duplicate();
    const feed = new RedisFeed(conn, sub);
    sub.on("error", () => feed.down());
    sub.on("end", () => feed.down());
    sub.on("ready", () => feed.resync());
    await sub.connect();
    await sub.subscribe(conn.channel, (message) => feed.receive(message));
    feed.resync();
    return feed;
  }

  onMessage(fn: (m: FeedMessage) => void): () => void {
    this.handlers.add(fn);
    return () => void this.handlers.delete(fn);
  }

  probe(): ChangeProbe {
    return { token: () => (this.live && this.sub.isReady ? this.counter : {}), close: () => {} };
  }

  /** Announces a change; scripts publish their own, this is for the rest. */
  static payload(m: FeedMessage, origin: string): string {
    return JSON.stringify({ ...m, o: origin });
  }

  async close(): Promise<void> {
    this.down();
    try {
      await this.sub.close();
    } catch {
      this.sub.destroy();
    }
  }

  private down(): void {
    this.live = false;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
  }

  /**
   * After (re)connecting, messages may have been missed: stay uncached until a nonce published on
   * the command connection comes back through the subscription, proving it live again.
   */
  private resync(): void {
    this.down();
    this.nonce = `sync:${randomUUID()}`;
    const ping = () => void this.conn.command(["PUBLISH", this.conn.channel, this.nonce]).catch(() => undefined);
    this.syncTimer = setInterval(ping, 100);
    this.syncTimer.unref();
    ping();
  }

  private receive(message: string): void {
    if (message.startsWith("sync:")) {
      if (message === this.nonce && !this.live) {
        this.down();
        this.live = true;
        this.counter++;
      }
      return;
    }
    this.counter++;
    const m = parse(message);
    if (m && (m.o === undefined || m.o !== this.conn.origin)) for (const h of this.handlers) h(m.msg);
  }
}

function parse(message: string): { msg: FeedMessage; o?: string } | null {
  if (message === "pauses" || message === "trust") return { msg: { kind: message } };
  try {
    const m = JSON.parse(message) as FeedMessage & { o?: string };
    return { msg: m, o: m.o };
  } catch {
    return null;
  }
}

export type { RedisConnOptions } from "./server-options.js";

/**
 * Connects the command client. Commands fail at once while disconnected (no offline queue: a
 * decision must not wait for a reconnect); the client reconnects by itself with a short backoff.
 */
export async function connectRedis(url: string, o: RedisConnOptions): Promise<RedisConn> {
  const u = new URL(url);
  const prefix = checkPrefix(o.prefix ?? u.searchParams.get("prefix") ?? DEFAULT_PREFIX);
  u.searchParams.delete("prefix");
  const where = `${u.hostname}:${u.port || "6379"}`;
  const timeout = o.connectTimeoutMs ?? 5000;
  const client = createClient({
    url: u.toString(),
    // RESP2: flat replies with numbers as text, which the store parses itself to the exact double.
    RESP: 2,
    disableOfflineQueue: true,
    socket: { connectTimeout: timeout, reconnectStrategy: (retries: number) => Math.min(20 * (retries + 1), 500) },
  });
  const conn = new RedisConn(client as Client, prefix, where);
  client.on("error", () => { /* surfaced per command as an `unavailable` StoreError; the client reconnects */ });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout); }),
    ]);
  } catch (e) {
    client.destroy();
    throw new StoreError("unavailable", `cannot open redis store at ${where}: ${errorText(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  return conn;
}
