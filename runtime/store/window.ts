// Sliding-window limit arithmetic shared by every back-end, so they decide bit-for-bit alike.
// Fed the in-window events a back-end read for a bucket; consumed by memory.ts and sqlite.ts
// (and the Engine, through limitCharge, to turn a policy's LimitUse into a LimitCharge).
//
// Why an exact sliding log rather than GCRA or fixed windows: a sum limit ("1000 dollars per
// day") must know the exact amounts still inside the window, and both when and how much usage
// frees up (resetAt). GCRA and token buckets approximate a rate and cannot say which refund
// leaves the window when; fixed windows let twice the max through across a boundary. The log
// stays small: a denied charge records nothing, so a count limit's bucket holds at most `max`
// events, and expired events are pruned.
//
// Semantics: an event (key, at, amount) is in the window at `now` iff at > now - windowMs.
// A bucket's total is the sum of its in-window amounts folded newest first; folding in that one
// order makes the total after the oldest events expire exactly a prefix of the fold, so resetAt
// agrees to the last bit with what a later consume computes.

import type { LimitUse } from "../../language/call.js";
import { StoreError, type LimitCharge, type LimitDenied } from "./types.js";

export interface WindowEvent {
  at: number;
  amount: number;
}

/** Back-ends sweep every bucket for expired events at most this often (in `now` time). */
export const SWEEP_INTERVAL_MS = 60_000;

/** The store charge for a policy limit use. */
export function limitCharge(use: LimitUse): LimitCharge {
  return { id: use.id, key: use.key, amount: use.amount, max: use.max, windowMs: use.windowSeconds * 1000 };
}

export function checkTime(now: number, what = "time"): void {
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new StoreError("invalid", `${what} must be a finite number of milliseconds, got \`${String(now)}\``);
  }
}

export function checkKey(key: string): void {
  if (typeof key !== "string" || key === "") throw new StoreError("invalid", "limit key must be a non-empty string");
}

export function checkAmount(amount: number, key: string): void {
  // Negative amounts would let a caller buy back budget (a "refund" of -1000), so they are refused.
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) {
    throw new StoreError("invalid", `limit \`${key}\` charge must be a finite number >= 0, got \`${String(amount)}\``);
  }
}

export function checkWindow(windowMs: number, key: string): void {
  if (typeof windowMs !== "number" || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw new StoreError("invalid", `limit \`${key}\` window must be a positive number of milliseconds`);
  }
}

/** Rejects malformed charges before any back-end touches its state. */
export function checkCharges(charges: readonly LimitCharge[], now: number): void {
  checkTime(now);
  if (!Array.isArray(charges)) throw new StoreError("invalid", "limit charges must be an array");
  for (const c of charges) {
    checkKey(c.key);
    checkAmount(c.amount, c.key);
    checkWindow(c.windowMs, c.key);
    if (typeof c.max !== "number" || Number.isNaN(c.max) || c.max < 0) {
      throw new StoreError("invalid", `limit \`${c.key}\` max must be a number >= 0`);
    }
  }
}

/** The lower bound (exclusive) of event times inside a window ending at now. */
export function windowStart(windowMs: number, now: number): number {
  return now - windowMs;
}

/** The in-window total of events sorted oldest first, folded newest first. */
export function windowTotal(events: readonly WindowEvent[]): number {
  let total = 0;
  for (let i = events.length - 1; i >= 0; i--) total += events[i].amount;
  return total;
}

/**
 * Decides one charge against its bucket's in-window events, sorted by (at, insertion) ascending.
 * Returns null when the charge fits, else the denial with an exact resetAt.
 */
export function checkCharge(events: readonly WindowEvent[], charge: LimitCharge): LimitDenied | null {
  const n = events.length;
  // suffix[i] = total of events i..n-1 folded newest first: the bucket once events 0..i-1 expire.
  const suffix = new Array<number>(n + 1);
  suffix[n] = 0;
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + events[i].amount;
  const used = suffix[0];
  if (used + charge.amount <= charge.max) return null;
  const resetAt = resetTime(events, suffix, charge);
  return { ok: false, id: charge.id, key: charge.key, used, amount: charge.amount, max: charge.max, resetAt };
}

function resetTime(events: readonly WindowEvent[], suffix: readonly number[], charge: LimitCharge): number | null {
  if (charge.amount > charge.max) return null;
  // Event i leaves the window at at_i + windowMs, when the bucket holds suffix[i + 1] (events at
  // the same time leave together, at the same instant, so they need no special case). The first i
  // that makes room is the answer; suffix[n] = 0 guarantees one exists.
  for (let i = 0; i < events.length; i++) {
    if (suffix[i + 1] + charge.amount <= charge.max) return events[i].at + charge.windowMs;
  }
  return null;
}

/**
 * Decides a batch all-or-nothing: null when every charge fits. `eventsFor` returns a fresh array of
 * a bucket's in-window events at `now` for the charge's window; a charge sees the earlier charges
 * of the same batch to its key as events at `now`.
 */
export function checkBatch(
  charges: readonly LimitCharge[],
  now: number,
  eventsFor: (key: string, windowMs: number) => WindowEvent[],
): LimitDenied | null {
  const pending = new Map<string, WindowEvent[]>();
  for (const charge of charges) {
    const events = eventsFor(charge.key, charge.windowMs);
    for (const e of pending.get(charge.key) ?? []) insertSorted(events, e);
    const denied = checkCharge(events, charge);
    if (denied) return denied;
    pending.set(charge.key, [...(pending.get(charge.key) ?? []), { at: now, amount: charge.amount }]);
  }
  return null;
}

/** Inserts after every event at the same or an earlier time, keeping (at, insertion) order. */
export function insertSorted<E extends WindowEvent>(events: E[], event: E): void {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].at <= event.at) lo = mid + 1;
    else hi = mid;
  }
  events.splice(lo, 0, event);
}

/**
 * Whether every charge fits with a margin far above any rounding difference between a running
 * bucket total and the exact newest-first fold, so both would accept: the fast path of consume.
 * `total(key)` is the sum of the key's events, all inside the window (the caller pruned first).
 * Charges to one key in a batch see each other, as in checkBatch. False means "fold exactly".
 */
export function clearlyFits(charges: readonly LimitCharge[], total: (key: string) => number): boolean {
  const pending = new Map<string, number>();
  for (const c of charges) {
    const used = total(c.key) + (pending.get(c.key) ?? 0);
    const margin = 1e-9 * Math.max(1, Math.abs(c.max), used);
    if (!(used + c.amount <= c.max - margin)) return false;
    pending.set(c.key, (pending.get(c.key) ?? 0) + c.amount);
  }
  return true;
}
