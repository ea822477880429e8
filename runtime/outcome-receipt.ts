// Receipts for allows whose outcome is reported from outside the process (pol serve's
// `POST /v1/decide` answer carries one; `POST /v1/outcome` hands it back). A receipt is a MAC of
// the decision id and the agent under a key derived from the engine secret, so every engine that
// shares the secret (a fleet's servers, which must share it for approvals anyway: secret.ts) can
// tell an allow it gave that agent from a made-up id, a deny's id or another agent's allow,
// without writing anything per decision. That a decision's outcome moves trust only once is the
// store's to keep: Engine.recordOutcome claims the decision (claimKey) in the trust store's
// adjustOnce, in the step that changes the score.
// Built by Engine (one per engine); used by Engine.receipt and Engine.recordOutcome.

import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { idTime } from "./ids.js";

/** How long after its decision a receipt moves trust; the single-use claim is kept as long. */
export const RECEIPT_TTL_MS = 60 * 60_000;
/** A decision id's clock may run this far ahead of the engine checking its receipt (another server). */
const SKEW_MS = 5 * 60_000;
/** 128 bits, base64url. */
const RECEIPT_CHARS = 22;

/** A decision's one outcome claim (adjustOnce's, or a limit-store bucket where `(` cannot begin a policy limit's key). */
export const claimKey = (decision: string): string => `(outcome)|${decision}`;
/** How long the claim is kept: as long as any engine would accept the receipt. */
export const CLAIM_WINDOW_MS = RECEIPT_TTL_MS + 2 * SKEW_MS;

export class Receipts {
  /** A key for receipts alone, derived from the engine secret (which also keys the approval binding), as 64 hex characters: one SHA-256 block. */
  private readonly key: string;

  constructor(secret: Uint8Array) {
    this.key = createHmac("sha256", secret).update("pol outcome receipt v1").digest("hex");
  }

  /**
   * The receipt of decision `decision` for agent `agent`: SHA-256 of the key, the id's length and
   * the two fields, cut to its first 128 bits. Cut, the secret-prefix hash is a MAC: length
   * extension needs the whole 256-bit state, and SHA-256 cut to half its output is
   * indifferentiable from a random oracle (chop-MD; Coron, Dodis, Malinaud and Puniya, 2005; what
   * SHA-512/256 rests on). It costs one one-shot hash, 0.7 µs per allow here, against 2.0–3.3 µs
   * for createHmac's object. The id's length keeps the two fields apart whatever they hold.
   */
  sign(decision: string, agent: string): string {
    return hash("sha256", `${this.key}${decision.length}:${decision}${agent}`, "base64url").slice(0, RECEIPT_CHARS);
  }

  /** Why `receipt` does not let this outcome move trust at `now`, or undefined when it does. */
  problem(decision: string, agent: string, receipt: string, now: number): string | undefined {
    const want = Buffer.from(this.sign(decision, agent));
    const got = Buffer.from(receipt);
    // One reason for a forged receipt, a deny's id and another agent's allow: a caller learns nothing from which.
    if (got.length !== want.length || !timingSafeEqual(got, want)) return `\`receipt\` is not the receipt of an allow of \`${decision}\` for agent \`${agent}\``;
    const at = idTime(decision);
    if (at === undefined || at > now + SKEW_MS) return `\`${decision}\` is not a decision id this engine could have made`;
    if (now - at > RECEIPT_TTL_MS) return `the receipt of \`${decision}\` is more than ${RECEIPT_TTL_MS / 60_000} minutes old; outcomes move trust only within that time`;
    return undefined;
  }
}
