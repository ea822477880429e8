// Runs the conformance suite against every back-end built so far, plus the store options they share.
// Fed by conformance.ts; a new back-end (Redis, PostgreSQL) adds one storeConformance line here.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { LimitUse } from "../../../language/call.js";
import { NO_SPAN } from "../../../language/span.js";
import { limitCharge, openMemoryStore, openSqliteStore, type StateStore } from "../index.js";
import { storeConformance } from "./conformance.js";
import { expectStoreError } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pol-store-"));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeConformance("memory", () => openMemoryStore());
storeConformance("sqlite file", () => openSqliteStore(join(dir, `conformance-${files++}.db`)));
storeConformance("sqlite :memory:", () => openSqliteStore(":memory:"));

const openers: [string, (o: { initialTrust?: number }) => Promise<StateStore>][] = [
  ["memory", (o) => openMemoryStore(o)],
  ["sqlite", (o) => openSqliteStore(":memory:", o)],
];

describe.each(openers)("store options: %s", (_, open) => {
  it("starts unknown agents at the configured initial trust", async () => {
    const store = await open({ initialTrust: 50 });
    expect(await store.trust.get("bot")).toMatchObject({ score: 50, revoked: false });
    expect(await store.trust.adjust("bot", 5, 1)).toMatchObject({ score: 55 });
    await store.close();
  });

  it("refuses an initial trust outside (0, 100]", async () => {
    await expectStoreError(open({ initialTrust: 0 }), "invalid", "initial trust");
    await expectStoreError(open({ initialTrust: 100.5 }), "invalid", "initial trust");
  });
});

describe("limitCharge", () => {
  it("turns a policy limit use into a charge with the window in milliseconds", () => {
    const use: LimitUse = { id: "refunds", kind: "sum", amount: 120, max: 1000, windowSeconds: 86_400, key: "refunds|agent=bot", span: NO_SPAN };
    expect(limitCharge(use)).toEqual({
      id: "refunds", key: "refunds|agent=bot", amount: 120, max: 1000, windowMs: 86_400_000,
    });
  });
});
