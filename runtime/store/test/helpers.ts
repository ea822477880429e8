// Shared fixtures for the store tests: charge and approval builders, a StoreError matcher and a
// wait for something another connection does. Consumed by the conformance suite and the
// back-ends' own tests.

import { expect } from "vitest";
import { StoreError, type ApprovalRequest, type LimitCharge, type StoreErrorCode } from "../index.js";

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2025, 0, 1);

export function charge(key: string, amount: number, max: number, windowMs = HOUR, id = key): LimitCharge {
  return { id, key, amount, max, windowMs };
}

export function request(id: string, over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id,
    callHash: `hash-${id}`,
    tool: "stripe.refund",
    agentId: "support-bot",
    groups: ["finance"],
    reasons: ["refunds from $51 to $300 need finance sign-off"],
    call: { tool: "stripe.refund", args: { amount: 120, currency: "usd", customer: "cus_1" } },
    decisionId: `dec-${id}`,
    createdAt: T0,
    expiresAt: T0 + HOUR,
    ...over,
  };
}

/** Asserts a rejection with a StoreError of this code whose message is one lowercase line containing `part`. */
export async function expectStoreError(p: Promise<unknown>, code: StoreErrorCode, part: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StoreError);
  const err = caught as StoreError;
  expect(err.code).toBe(code);
  expect(err.message).toContain(part);
  expect(err.message).not.toContain("\n");
  expect(err.message).toBe(err.message.charAt(0).toLowerCase() + err.message.slice(1));
}

/** Resolves once `ok()` holds (checked every 5 ms), or fails after `ms`: for effects that travel between connections. */
export async function eventually(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
