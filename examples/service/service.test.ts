// The example service is a test: its scripted session must hit allow, approve (granted and
// expired), deny, a limit and a pause, and `pol audit verify` must confirm the log it wrote.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSession } from "./service.js";

const dir = mkdtempSync(join(tmpdir(), "pol-service-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the example service", () => {
  it("runs the scripted session and leaves a verified audit log", async () => {
    const r = await runSession(dir);
    expect(r.transcript.slice(0, -1)).toEqual([
      "refund $20 -> done: re_1",
      "email alice@acme.com -> done: msg_alice@acme.com",
      "refund $120 -> done: re_2",
      expect.stringMatching(/^refund \$250 -> denied \(approval\): approval `apr_\w+` expired at .+ before anyone granted it$/),
      "refund $900 -> denied (rule): refunds over $300 are never automatic",
      "refund $30 -> done: re_3",
      expect.stringMatching(/^refund \$10 -> denied \(limit\): limit `refunds_per_hour` exceeded: 3 of 3 calls per hour used; it resets at /),
      "email bob@acme.com -> denied (pause): `email.send` is paused: phishing campaign under investigation (pause-1, pausing `email.*`, by sec-oncall)",
      "email bob@acme.com -> done: msg_bob@acme.com",
    ]);
    expect(r.verify).toEqual({ code: 0, out: "audit chain intact: 20 records in 1 file\n" });
    const recs = readFileSync(r.auditPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const outcomes = recs.filter((x) => x["type"] === "outcome").map((x) => `${x["status"]}:${x["sideEffectId"] ?? ""}`);
    expect(outcomes).toEqual(["succeeded:re_1", "succeeded:msg_alice@acme.com", "succeeded:re_2", "not-run:", "succeeded:re_3", "succeeded:msg_bob@acme.com"]);
    // `redact args.customer`: no customer id reaches the log
    expect(readFileSync(r.auditPath, "utf8")).not.toMatch(/cus_\d/);
  }, 60_000);
});
