// The hash an approval is bound to: SHA-256 over the canonical JSON (runtime/audit's encoding)
// of the exact tool, arguments, agent id and run id. Computed by engine.ts when a decision is
// approve; stored with the approval and compared on use, so a grant authorises only this call.

import { createHash } from "node:crypto";
import { canonicalJson } from "./audit/index.js";

export interface HashedCall {
  tool: string;
  /** The arguments exactly as the tool will receive them (not the validated copy). */
  args: unknown;
  agentId: string;
  runId: string;
}

/** Hex SHA-256; throws NotJsonError when the arguments hold a value JSON cannot carry. */
export function callHash(c: HashedCall): string {
  const text = canonicalJson({ tool: c.tool, args: c.args ?? {}, agent: c.agentId, run: c.runId });
  return createHash("sha256").update(text, "utf8").digest("hex");
}
