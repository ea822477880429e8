// `pol serve --audit-sync` through a real server: an answered decision is already in the audit
// log and named by its head file when the answer arrives (with the default 5 ms batching it is
// usually still in the writer's queue then, which is what this test would see if the option were
// not passed through to the Engine).

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headPath } from "../../runtime/audit/index.js";
import { refundCall, serve, type Served } from "./helpers.js";

let s: Served;
beforeAll(async () => {
  s = await serve({ auditSync: true });
});
afterAll(() => s.close());

const lines = () => readFileSync(s.audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id?: string; seq: number });

describe("pol serve --audit-sync", () => {
  it("answers each decision only once its record is written, fdatasync'ed and named by the head file", async () => {
    for (const amount of [10, 60, 500, 11, 12]) {
      const d = (await (await s.api("/v1/decide", { as: "svc", body: refundCall(amount) })).json()) as { id: string };
      const records = lines();
      const mine = records.find((r) => r.id === d.id);
      expect(mine, `decision ${d.id} is in the log when answered`).toBeDefined();
      const head = JSON.parse(readFileSync(headPath(s.audit), "utf8")) as { seq: number };
      expect(head.seq).toBeGreaterThanOrEqual(mine!.seq);
    }
  });
});
