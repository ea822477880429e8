// Shared by the framework guards' end-to-end tests: closing the engine, then checking its audit
// chain and returning its records. Not a test itself.

import { expect } from "vitest";
import { verifyAudit } from "../../runtime/index.js";
import { records, type Harness } from "../../runtime/test/helpers.js";

/** Closes the harness's engine, asserts its audit log verifies, and returns the records. */
export async function verified(h: Harness): Promise<Record<string, unknown>[]> {
  await h.engine.close();
  expect((await verifyAudit(h.audit)).ok).toBe(true);
  return records(h.audit);
}

/** The records as `type:effect|event|status`, in order. */
export const kinds = (log: Record<string, unknown>[]) => log.map((x) => `${x["type"]}:${x["effect"] ?? x["event"] ?? x["status"]}`);
