// A disk that stops taking writes, for real: the log's file is a FIFO whose buffer the test has
// filled, so the writer thread's write() blocks as it would on a stalled disk. An append then
// waits at most `waitMs`, throws, and every append after it throws at once until the writer moves
// again: a decision path behind the log pays one wait per stall, not one per decision. Tests
// jsonl.ts (enqueue, awaitDurable and their refusals) and, through engine.ts, the deny a decision
// gets meanwhile.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../../engine.js";
import { AuditError } from "../chain.js";
import { JsonlAuditLog } from "../jsonl.js";
import { decision, fullFifo, KEY, tempDir, whileDraining } from "./helpers.js";

/**
 * Reads the FIFO empty until the log has closed, so the writer's blocked write() returns (its
 * fdatasync of a FIFO then fails with EINVAL, which ends the log) and the process's one writer
 * thread is free for the next test.
 */
async function release(fd: number, log: { close(): Promise<void> }): Promise<void> {
  await whileDraining(fd, () => log.close().catch(() => {}));
}

const thrown = (f: () => unknown): AuditError => {
  try {
    f();
  } catch (e) {
    return e as AuditError;
  }
  throw new Error("expected the append to throw");
};

describe("a stalled disk", () => {
  it("costs one wait for room, then appends are refused at once, not appended", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const fd = fullFifo(path);
    const log = await JsonlAuditLog.open(path, { key: KEY, queueBytes: 64 * 1024, waitMs: 200 });
    try {
      let first: AuditError | undefined;
      for (let i = 1; i <= 5000 && !first; i++) {
        try {
          log.append(decision(i));
        } catch (e) {
          first = e as AuditError;
        }
      }
      expect(first).toBeInstanceOf(AuditError);
      expect(first!.code).toBe("io");
      expect(first!.message).toBe(`audit log ${path}: its writer has made no room in the queue for 0.2 s, so the record was not appended`);
      const seq = log.seq;
      const next = thrown(() => log.append(decision(0)));
      expect(next.code).toBe("io");
      expect(next.message).toMatch(new RegExp(`^audit log ${path}: its queue has been full since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(the writer is making no room: a stalled disk\\?\\), so the record was not appended; appends are refused at once until it makes room$`));
      expect(log.seq).toBe(seq); // neither refused record took a seq
    } finally {
      await release(fd, log);
    }
  }, 30_000);

  it("with sync, waits once for durability, then refuses records at once until that one is durable", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const fd = fullFifo(path);
    const log = await JsonlAuditLog.open(path, { key: KEY, sync: true, waitMs: 200 });
    try {
      const first = thrown(() => log.append(decision(1)));
      expect(first.code).toBe("io");
      expect(first.message).toBe(`audit log ${path}: record 1 was queued but is not durable after 0.2 s (a stalled disk?); it is written once the disk takes it, and new records are refused at once until then`);
      expect(log.seq).toBe(1); // queued: the writer seals it as record 1 once the disk takes it
      const next = thrown(() => log.append(decision(2)));
      expect(next.message).toMatch(new RegExp(`^audit log ${path}: record 1 has waited to become durable since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(a stalled disk\\?\\); records are refused at once until it is$`));
      expect(log.seq).toBe(1);
    } finally {
      await release(fd, log);
    }
  }, 30_000);

  it("denies the Engine's decisions, saying why, one wait and then at once", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const fd = fullFifo(path);
    const errors: string[] = [];
    const policy = new URL("../../../examples/support_agent/support_agent.pol", import.meta.url).pathname;
    const engine = await Engine.load(policy, { store: ":memory:", audit: { path, key: KEY, sync: true, waitMs: 200 }, hooks: { onError: (e, where) => void errors.push(`${where}: ${e.message}`) } });
    try {
      // the engine's start record took the one wait; it is queued as record 1
      expect(errors).toEqual([`audit: audit log ${path}: record 1 was queued but is not durable after 0.2 s (a stalled disk?); it is written once the disk takes it, and new records are refused at once until then`]);
      const call = { tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Refunded." }, agent: { id: "support-bot", roles: ["support"] }, env: "production" };
      for (let i = 0; i < 3; i++) {
        const d = await engine.decide(call);
        expect(d).toMatchObject({ effect: "deny", decidedBy: "error", approvers: [] });
        expect(d.reasons).toEqual([expect.stringMatching(new RegExp(`^the audit log failed, so the call is denied: audit log ${path}: record 1 has waited to become durable since .+; records are refused at once until it is$`))]);
      }
    } finally {
      await release(fd, engine);
    }
  }, 30_000);

  it("refuses a waitMs that is not a positive number of milliseconds", async () => {
    const path = join(tempDir(), "audit.jsonl");
    for (const waitMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(JsonlAuditLog.open(path, { key: KEY, waitMs })).rejects.toThrow("waitMs must be a number of milliseconds > 0");
    }
  });
});
