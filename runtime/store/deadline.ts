// The store deadline: wraps any StateStore so every operation settles within a bound, failing with
// an `unavailable` StoreError when the back-end is down, slow or cut off mid-call. Applied by
// openStore (open.ts) to the server back-ends; consumed by the Engine, whose decide() turns the
// error into a deny with the reason.
//
// Why a wrapper rather than client timeouts: one rule for every back-end and every failure shape
// (refused connection, a server that accepts bytes and answers nothing, a dropped socket), and the
// client libraries keep reconnecting underneath, so the engine recovers by itself when the server
// returns. An operation that times out may still complete on the server later; for limits that
// means a charge the caller saw denied may count (over-counting, never over-admitting).

import { StoreError, type StateStore } from "./types.js";

export const DEFAULT_TIMEOUT_MS = 50;

export function checkTimeout(ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
    throw new StoreError("invalid", `store timeout must be a positive number of milliseconds, got \`${String(ms)}\``);
  }
  return ms;
}

/** `p`, or an `unavailable` StoreError after `ms`; a late rejection of `p` is absorbed, never unhandled. */
export function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreError("unavailable", `${what()} did not answer within ${ms} ms`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Every async method of `part`, bounded; other members pass through. */
function bound<T extends object>(part: T, ms: number, name: string, label: string): T {
  return new Proxy(part, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function" || prop === "onChange") return typeof v === "function" ? v.bind(target) : v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        return r instanceof Promise ? within(r, ms, () => `the ${label} store (${name}.${String(prop)})`) : r;
      };
    },
  });
}

/**
 * The store with every limit, approval, trust, pause and anchor operation bounded by `ms`.
 * `label` names the back-end in messages (`redis at 127.0.0.1:6379`). close() is not bounded.
 */
export function withDeadline(store: StateStore, ms: number, label: string): StateStore {
  checkTimeout(ms);
  const out: StateStore = {
    limits: bound(store.limits, ms, "limits", label),
    approvals: bound(store.approvals, ms, "approvals", label),
    trust: bound(store.trust, ms, "trust", label),
    pauses: bound(store.pauses, ms, "pauses", label),
    anchors: bound(store.anchors, ms, "anchors", label),
    runs: bound(store.runs, ms, "runs", label),
    close: () => store.close(),
  };
  if (store.openProbe) out.openProbe = () => store.openProbe!();
  return out;
}
