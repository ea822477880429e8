// The engine's secret: the key of the approval binding (callhash.ts) and of the hashes that stand
// for redacted values in limit bucket keys. Never the audit key: readers of the audit log must
// not be able to test guesses against either. Resolved once by Engine.load.
//
// Engines that share approvals must share the secret: one SQLite file shares it through the key
// file beside it (created on first use, mode 0600); approvals on a server (Redis, PostgreSQL)
// need `secret` or POL_SECRET, and Engine.load refuses to start without one rather than key each
// replica differently. An in-process memory store, or a StateStore passed in, gets a random one
// (pass `secret` when a store object you pass is shared between processes).

import { randomBytes } from "node:crypto";
import { parseKey, readKeyFile } from "./audit/index.js";
import { EngineError } from "./engine-types.js";

export type SecretOption = Uint8Array | string;

export interface Secret {
  key: Uint8Array;
  /** Where it came from, for errors and `pol doctor`-style reports: never the key itself. */
  source: string;
}

const WHAT = "engine secret";

/** Where the approvals live (runtime/store/open.ts OpenedStore.approvals). */
export interface ApprovalsHome { kind: "memory" | "file" | "server" | "object"; path: string | null }

export function engineSecret(option: SecretOption | undefined, approvals: ApprovalsHome, env: Record<string, string | undefined> = process.env): Secret {
  if (option !== undefined) return { key: parseKey(option, "the `secret` option", WHAT), source: "the secret option" };
  const fromEnv = env["POL_SECRET"];
  if (fromEnv) return { key: parseKey(fromEnv, "POL_SECRET", WHAT), source: "POL_SECRET" };
  if (approvals.kind === "file" && approvals.path !== null) return { key: readKeyFile(`${approvals.path}.key`, true, WHAT), source: `${approvals.path}.key` };
  if (approvals.kind === "server") {
    throw new EngineError("invalid", "engines sharing approvals through a server must share the engine secret: pass `secret` or set POL_SECRET (hex, at least 16 bytes, e.g. from `openssl rand -hex 32`)");
  }
  return { key: randomBytes(32), source: "a random key for this process" };
}
