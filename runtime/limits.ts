// Limits on the decision path: turns the policy's LimitUses into store charges and a store denial
// into a reason naming the limit, its usage and when it resets. Used by engine.ts, which charges
// only calls whose final effect is allow (including calls allowed by a granted approval).

import type { LimitUse } from "../language/call.js";
import { limitCharge, type LimitCharge, type LimitDenied } from "./store/index.js";
import { isoTime } from "./audit-entries.js";

export function charges(uses: readonly LimitUse[]): LimitCharge[] {
  return uses.map(limitCharge);
}

const UNITS: [number, string][] = [[86_400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];

/** `per hour`, `per 10 minutes`, `per 90 seconds`. */
export function windowText(seconds: number): string {
  for (const [size, unit] of UNITS) {
    if (seconds % size !== 0) continue;
    const n = seconds / size;
    return n === 1 ? `per ${unit}` : `per ${n} ${unit}s`;
  }
  return `per ${seconds} seconds`;
}

/** `3h 12m`, `45s`: how long until a reset, for people. */
export function durationText(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
}

const num = (n: number) => String(Math.round(n * 1e6) / 1e6);

export function limitReason(d: LimitDenied, uses: readonly LimitUse[], now: number): string {
  const use = uses.find((u) => u.id === d.id && u.key === d.key);
  const per = use ? ` ${windowText(use.windowSeconds)}` : "";
  const what = use?.kind === "sum" ? `${num(d.used)} of ${num(d.max)}${per} used, this call adds ${num(d.amount)}` : `${num(d.used)} of ${num(d.max)} calls${per} used`;
  if (d.resetAt === null) return `limit \`${d.id}\` can never allow this call: it adds ${num(d.amount)}, more than the limit's ${num(d.max)}${per}`;
  return `limit \`${d.id}\` exceeded: ${what}; it resets at ${isoTime(d.resetAt)} (in ${durationText(d.resetAt - now)})`;
}
