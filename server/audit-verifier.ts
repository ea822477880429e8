// The audit chain's verification status for pol serve: re-checked in the background and on
// demand, shown on the console's audit page and as pol_audit_verify_ok on /metrics. The walking
// happens on a thread of its own (verify-thread.ts). Built by app.ts from the chain's source.

import type { VerifyCheckpoint } from "../runtime/audit/index.js";
import { VerifyThread, type VerifyTarget } from "./verify-thread.js";

export interface VerifyStatus {
  ok: boolean;
  /** Records verified before the first break (all of them when ok). */
  count: number;
  /** The verifier's one line (`pol audit verify` prints the same). */
  text: string;
  checkedAt: number;
}

/**
 * Verifies the chain now and then (and on demand), keeping the last result. A truncated last
 * record is retried once after a flush: the writer may have been mid-write, which is not damage.
 * The walking happens on a thread of its own (verify-thread.ts), and for a JSONL log each check
 * after an intact one resumes from its checkpoint: it verifies the records written since and shows
 * the files verified before unchanged (runtime/audit/verify-resume.ts). Walking the whole chain
 * each minute on the main thread held every request for 2.0–2.5 s per 100,000 records
 * (docs/console.md). A PostgreSQL chain is walked whole each time, on that thread, against the
 * anchor in the state store when there is one (its verifier has no checkpoint to resume from).
 */
export class AuditVerifier {
  private last: VerifyStatus | undefined;
  private running: Promise<VerifyStatus> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly thread = new VerifyThread();
  /** The last intact result's checkpoint; dropped on a break, so the next check walks it all again. */
  private from: VerifyCheckpoint | undefined;

  constructor(private readonly target: VerifyTarget, private readonly flush: () => Promise<void>) {}

  get status(): VerifyStatus | undefined {
    return this.last;
  }

  check(): Promise<VerifyStatus> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<VerifyStatus> {
    try {
      await this.flush().catch(() => undefined);
      let { result: r, text } = await this.thread.verify(this.target, this.from);
      if (!r.ok && r.error.kind === "truncated") {
        await this.flush().catch(() => undefined);
        ({ result: r, text } = await this.thread.verify(this.target, this.from));
      }
      this.from = r.ok ? r.checkpoint : undefined;
      this.last = { ok: r.ok, count: r.count, text, checkedAt: Date.now() };
    } catch (e) {
      this.from = undefined;
      this.last = { ok: false, count: 0, text: `the audit log could not be verified: ${(e as Error).message}`, checkedAt: Date.now() };
    }
    return this.last;
  }

  /** Re-verifies every `ms` (unref'd: it never keeps the process alive). */
  every(ms: number): void {
    this.stop();
    this.thread.warm();
    void this.check();
    this.timer = setInterval(() => void this.check(), ms);
    this.timer.unref();
  }

  /** Stops the timer and the verifier's thread (a check in flight ends as "could not be verified"). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.thread.stop();
  }
}
