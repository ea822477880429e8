// Guessing secrets, slowed: failed sign-ins per name back off exponentially, and the scrypt checks
// that run at once are capped. Fed by Users.authenticate (users.ts), the one door both the sign-in
// form and the API's credentials pass through; the callers turn a refusal into a 429 with
// Retry-After.
//
// Why these numbers: one scrypt check costs ~110 ms of CPU and 32 MiB (secret.ts), so 100 wrong
// secrets sent at once asked for 3.2 GiB. The checks run on libuv's thread pool, which also runs
// the fdatasyncs that make the audit log and the store's approval commits durable; with all four
// of its default threads checking wrong secrets, a decision under `--audit-sync` waited 68–82 ms
// at p50 instead of 11–14 ms (64 clients sending wrong secrets, on a 2-core VM:
// benchmarks/auth-flood.mjs), so checks leave two of the pool's threads free (checksFor); with two
// left, 11–12 ms.
// A name gets FREE_FAILURES wrong secrets, then waits 1 s, 2 s, 4 s... (at most MAX_WAIT_S) after
// each further one: a person who mistypes is not slowed, an online guesser gets a few thousand
// guesses a day instead of millions. Credentials already verified are answered from the cache in
// users.ts and never reach here, so a service keeps working while its name is under attack.

export const FREE_FAILURES = 5;
export const MAX_WAIT_S = 300;
/**
 * Checks run at once for a pool of `poolSize` threads (UV_THREADPOOL_SIZE, read by libuv as
 * atoi, 0 meaning 1, at most 1024; 4 when unset): all but two of them, at least one (a pool of one
 * or two cannot spare more) and at most four (the memory bound above).
 */
export function checksFor(poolSize: string | undefined): number {
  return Math.max(1, Math.min(4, poolThreads(poolSize) - 2));
}

/** The threads libuv's pool runs for a UV_THREADPOOL_SIZE value. */
export function poolThreads(poolSize: string | undefined): number {
  const parsed = poolSize === undefined ? 4 : Number.parseInt(poolSize, 10);
  return Math.min(1024, Math.max(1, Number.isNaN(parsed) ? 1 : parsed));
}
export const CONCURRENT_CHECKS = checksFor(process.env["UV_THREADPOOL_SIZE"]);
/** Checks allowed to wait for a slot; more than this at once are refused without queueing. */
export const QUEUED_CHECKS = 64;
/** Names remembered (oldest forgotten first): an attacker cycling names cannot grow memory. */
const MAX_NAMES = 10_000;

export type Refusal = { retryAfterS: number; why: string };

interface Failures { count: number; lastMs: number }

export class SignInThrottle {
  private readonly failures = new Map<string, Failures>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** A refusal when `name` must wait before its next check, else undefined. */
  refused(name: string): Refusal | undefined {
    const f = this.failures.get(name.toLowerCase());
    if (!f || f.count < FREE_FAILURES) return undefined;
    const waitMs = Math.min(2 ** (f.count - FREE_FAILURES), MAX_WAIT_S) * 1000;
    const left = f.lastMs + waitMs - this.now();
    if (left <= 0) return undefined;
    return { retryAfterS: Math.ceil(left / 1000), why: `too many wrong secrets for this name; try again in ${Math.ceil(left / 1000)} s` };
  }

  failed(name: string): void {
    const key = name.toLowerCase();
    const f = this.failures.get(key) ?? { count: 0, lastMs: 0 };
    this.failures.delete(key); // re-inserted last: the map's order is least recently failed first
    if (this.failures.size >= MAX_NAMES) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(key, { count: f.count + 1, lastMs: this.now() });
  }

  succeeded(name: string): void {
    this.failures.delete(name.toLowerCase());
  }

  /** Runs `check` when a slot is free; a refusal instead when too many are already waiting. */
  async slot<T>(check: () => Promise<T>): Promise<T | Refusal> {
    if (this.running >= CONCURRENT_CHECKS) {
      if (this.waiting.length >= QUEUED_CHECKS) return { retryAfterS: 1, why: "too many sign-ins at once; try again in a moment" };
      await new Promise<void>((r) => this.waiting.push(r));
    }
    this.running++;
    try {
      return await check();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export const isRefusal = (v: unknown): v is Refusal => typeof v === "object" && v !== null && "retryAfterS" in v;
