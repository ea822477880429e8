// Runs the audit verifier on a thread of its own (verify-worker.mjs) for the AuditVerifier of
// audit-read.ts: verifyAudit for a JSONL log, verifyFleetAudit for a PostgreSQL chain. The
// thread's life (started on first use, unref'd, restarted after a failure) is helper-thread.ts's.

import type { VerifyCheckpoint, VerifyResult } from "../runtime/audit/index.js";
import { HelperThread, moduleUrl } from "./helper-thread.js";

/** What to verify, or index (audit-index-thread.ts): plain data, as it crosses to a worker. */
export type VerifyTarget =
  | { kind: "jsonl"; path: string; keyFile?: string }
  /** `anchor`: the store spec (redis://…, a SQLite path) the writers anchor the head in. */
  | { kind: "postgres"; url: string; chain: string; keyFile?: string; anchor?: string };

export class VerifyThread {
  private readonly thread = new HelperThread<{ target: VerifyTarget; from?: VerifyCheckpoint }, { result: VerifyResult; text: string }>(
    new URL("./verify-worker.mjs", import.meta.url),
    "audit verifier",
    { modules: { jsonl: moduleUrl("../runtime/audit/verify"), postgres: moduleUrl("../runtime/audit/fleet") } },
  );

  /** The target verified on the thread (a JSONL log from `from` when given); rejects with what stopped it. */
  async verify(target: VerifyTarget, from: VerifyCheckpoint | undefined): Promise<{ result: VerifyResult; text: string }> {
    const { result, text } = await this.thread.request(from ? { target, from } : { target });
    return { result, text };
  }

  /** Starts the thread now (see HelperThread.warm). */
  warm(): void {
    this.thread.warm();
  }

  stop(): void {
    this.thread.stop();
  }
}
