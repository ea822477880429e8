// What `pol serve` needs from the Engine, and nothing more: decide and report outcomes, the
// approval queue, the kill switch, trust, the policy's manifest and rollout status, and a flush
// of the audit log.
// The Engine satisfies it as it is (server/serve.ts passes one); tests may pass a real Engine
// too. The server translates HTTP into these calls and back; it decides nothing itself.

import type { Manifest } from "../compiler/manifest.js";
import type { EngineApprovals, ResolveOptions } from "../runtime/approvals.js";
import type { DecideOptions, EngineDecision, OutcomeOptions, OutcomeRecord, OutcomeReport, PauseTarget, TrustOutcome, TrustStatus } from "../runtime/engine-types.js";
import type { PolicyStatus } from "../runtime/reload.js";
import type { Approval, ApprovalFilter, Pause } from "../runtime/store/index.js";

export interface ServeHost {
  readonly policy: { readonly hash: string; readonly manifest: Manifest };
  /** Which policies are live, shadow and canary, and how the last change went (runtime/reload.ts). */
  policyStatus(): PolicyStatus;
  /** `requestedBy`: the principal that sent the call, which its approval records and refuses as approver. */
  decide(call: unknown, options?: DecideOptions): Promise<EngineDecision>;
  /** The receipt of an allow it gave `agent`, which `/v1/outcome` takes back (runtime/outcome-receipt.ts). */
  receipt(decisionId: string, agent: string): string;
  recordOutcome(outcome: OutcomeRecord, trust?: TrustOutcome, options?: OutcomeOptions): Promise<OutcomeReport | void>;
  readonly approvals: {
    list(filter?: ApprovalFilter): Promise<Approval[]>;
    get(id: string): Promise<Approval | undefined>;
    resolve(id: string, opts: ResolveOptions): Promise<Approval>;
    wait(id: string, timeoutMs: number): Promise<Approval>;
    onChange: EngineApprovals["onChange"];
  };
  pause(target: PauseTarget, reason: string, by?: string): Promise<Pause>;
  resume(target: PauseTarget, by?: string): Promise<Pause[]>;
  paused(): Promise<Pause[]>;
  trust(agentId: string): Promise<TrustStatus>;
  restoreTrust(agentId: string, opts?: { score?: number; by?: string }): Promise<TrustStatus>;
  /** Makes every audit record so far durable; throws when the log has failed. */
  flush(): Promise<void>;
}
