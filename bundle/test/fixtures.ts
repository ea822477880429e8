// Policy directories and keys for the bundle and rollout tests: two versions of a small refunds
// policy (v2 tightens v1's thresholds, so some calls decide differently), each with its own suite,
// built into real signed bundles by buildBundle. Not a test itself.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { buildBundle, type BuildOptions } from "../build.js";
import { generateKeyPair, type KeyPair } from "../sign.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = "pol-bundle-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** v1: refunds up to 100 automatic, to 1000 with finance, above denied. */
export const V1 = `policy refunds "v1"

default deny

tool refund { amount: number, customer: string, card?: string } write

import "_shared.pol"

lookups: allow lookup

small: allow refund if args.amount <= 100
review: approve refund by "finance" if args.amount > 100 and args.amount <= 1000
large: deny refund if args.amount > 1000

redact args.card
`;

/** v2: the thresholds halve, and reviews go to risk as well as finance above 250. */
export const V2 = `policy refunds "v2"

default deny

tool refund { amount: number, customer: string, card?: string } write

import "_shared.pol"

lookups: allow lookup

small: allow refund if args.amount <= 50
review: approve refund by "finance" if args.amount > 50 and args.amount <= 250
risk_review: approve refund by "risk" if args.amount > 250 and args.amount <= 500
large: deny refund if args.amount > 500

redact args.card
`;

export const SHARED = `# shared tool declarations\ntool lookup { id: string } read\n`;

export const suite = (small: number, mid: number, large: number) => `cases:
  - name: small refunds are automatic
    call: { tool: refund, args: { amount: ${small}, customer: c1 }, agent: { id: bot } }
    expect: { effect: allow, rule: small }
  - name: mid refunds wait for finance
    call: { tool: refund, args: { amount: ${mid}, customer: c1 }, agent: { id: bot } }
    expect: { effect: approve, rule: review, approvers: [finance] }
  - name: large refunds are denied
    call: { tool: refund, args: { amount: ${large}, customer: c1 }, agent: { id: bot } }
    expect: { effect: deny, rule: large }
  - name: lookups are free
    call: { tool: lookup, args: { id: x }, agent: { id: bot } }
    expect: { effect: allow, rule: lookups }
`;

export const SUITE_V1 = suite(100, 1000, 1001);
export const SUITE_V2 = suite(50, 250, 501);

/** A policy directory: `refunds.pol`, `_shared.pol` and `refunds.test.yaml` (plus `extra` files). */
export function policyDir(source: string, suiteText: string, extra: Record<string, string> = {}): string {
  const d = tempDir("pol-policy-");
  const files = { "refunds.pol": source, "_shared.pol": SHARED, "refunds.test.yaml": suiteText, ...extra };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, ".."), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

let keys: KeyPair | undefined;
/** One key pair per test file (generation is cheap, but one signer keeps messages comparable). */
export function signer(): KeyPair {
  keys ??= generateKeyPair();
  return keys;
}

/** A signed bundle of `source` + suite, written to a temp file; returns its path and bytes. */
export async function bundleFile(source: string, suiteText: string, opts: BuildOptions = {}): Promise<{ path: string; bytes: Uint8Array }> {
  const built = await buildBundle(policyDir(source, suiteText), { signKey: signer().privateKey, ...opts });
  const path = join(tempDir(), "policy.polb");
  writeFileSync(path, built.bytes);
  return { path, bytes: built.bytes };
}
