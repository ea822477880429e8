// Opening a bundle: unpack, check the signature over the manifest against trusted keys (openBundle)
// or skip it for offline inspection (readBundle, used by `pol diff`), then check every file against
// the manifest. What comes out is exactly what was signed. Used by runtime/policy-source.ts (the
// Engine's loads and reloads), `pol verify` and `pol diff`; depends on node:crypto only.

import { BundleError, checkFiles, MANIFEST, MODULE, parseManifest, sha256, SIGNATURES, unpackBundle, type BundleManifest } from "./format.js";
import { publicKeysOf, verifySignatures, type VerifyKey } from "./sign.js";

/** A bundle whose every file matched its manifest (and, from openBundle, whose manifest is signed). */
export interface Bundle {
  /** Hex SHA-256 of the bundle file itself, as audit records name it. */
  hash: string;
  manifest: BundleManifest;
  /** Key id of the verified signer (`ed25519:…`); absent when read without verification. */
  signer?: string;
  /** The compiled policy module. */
  module: Uint8Array;
  /** Policy sources by path (the main one is `manifest.policy.file`). */
  sources: Map<string, string>;
  /** `*.test.yaml` suites by path. */
  suites: Map<string, string>;
}

function text(path: string, b: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    throw new BundleError("malformed", `\`${path}\` in the bundle is not UTF-8 text`);
  }
}

function assemble(bytes: Uint8Array, entries: Map<string, Uint8Array>, signer: string | undefined): Bundle {
  const raw = entries.get(MANIFEST)!;
  const manifest = parseManifest(raw);
  const files = checkFiles(entries, manifest);
  const sources = new Map<string, string>();
  const suites = new Map<string, string>();
  for (const f of manifest.files) {
    if (f.role === "source") sources.set(f.path, text(f.path, files.get(f.path)!));
    else if (f.role === "suite") suites.set(f.path, text(f.path, files.get(f.path)!));
  }
  return { hash: sha256(bytes), manifest, ...(signer !== undefined ? { signer } : {}), module: files.get(MODULE)!, sources, suites };
}

function entriesOf(bytes: Uint8Array): Map<string, Uint8Array> {
  const entries = unpackBundle(bytes);
  if (!entries.has(MANIFEST)) throw new BundleError("malformed", `not a pol bundle: it has no ${MANIFEST}`);
  return entries;
}

/** The verified bundle; throws BundleError when it is unsigned, not signed by a trusted key, or altered. */
export function openBundle(bytes: Uint8Array, verifyKey: VerifyKey): Bundle {
  const keys = publicKeysOf(verifyKey);
  const entries = entriesOf(bytes);
  // The signature first: nothing in an unauthenticated manifest is believed, not even its shape.
  const signer = verifySignatures(entries.get(SIGNATURES), entries.get(MANIFEST)!, keys);
  return assemble(bytes, entries, signer);
}

/** The bundle with its files checked against the manifest but the signature not checked (for offline tools). */
export function readBundle(bytes: Uint8Array): Bundle {
  return assemble(bytes, entriesOf(bytes), undefined);
}
