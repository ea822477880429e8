// The engine's secret: the key of the approval binding (callhash.ts) and of the hashes that stand
// for redacted values in limit bucket keys. Never the audit key: readers of the audit log must
// not be able to test guesses against either. Resolved once by Engine.load.
//
// Engines that share approvals must share the secret: one SQLite file shares it through the key
// file beside it (created on first use, mode 0600); any other shared store needs `secret` or
// POL_SECRET. An in-process memory store gets a random one (its approvals die with the process).

import { randomBytes } from "node:crypto";
import { parseKey, readKeyFile } from "./audit/index.js";

export type SecretOption = Uint8Array | string;

export interface Secret {
  key: Uint8Array;
  /** Where it came from, for errors and `pol doctor`-style reports: never the key itself. */
  source: string;
}

const WHAT = "engine secret";

export function engineSecret(option: SecretOption | undefined, storeFile: string | null, env: Record<string, string | undefined> = process.env): Secret {
  if (option !== undefined) return { key: parseKey(option, "the `secret` option", WHAT), source: "the secret option" };
  const fromEnv = env["POL_SECRET"];
  if (fromEnv) return { key: parseKey(fromEnv, "POL_SECRET", WHAT), source: "POL_SECRET" };
  if (storeFile !== null) return { key: readKeyFile(`${storeFile}.key`, true, WHAT), source: `${storeFile}.key` };
  return { key: randomBytes(32), source: "a random key for this process" };
}
