// The bundle format (bundle/FORMAT.md): a manifest naming every file with its role, size and
// SHA-256, the files themselves, and `.signatures.json` signing the manifest. This file owns the
// manifest's shape, writing it, and the integrity check that every byte read is a byte the
// manifest names; signatures are sign.ts's. Used by build.ts (write) and open.ts (read).

import { createHash } from "node:crypto";
import { checkPath, packTar, TarError, unpackTar } from "./tar.js";

export const FORMAT = "pol-bundle/1";
export const MANIFEST = ".manifest.json";
export const SIGNATURES = ".signatures.json";
/** Where the compiled module lives in every bundle. */
export const MODULE = "policy.wasm";

/** What a file is for: the compiled module, a policy source, or a `*.test.yaml` suite. */
export type FileRole = "module" | "source" | "suite";

export interface ManifestFile {
  path: string;
  role: FileRole;
  size: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface BundleManifest {
  format: typeof FORMAT;
  policy: {
    name: string;
    /** The main source, as rule ids name it (`payments.pol:12`). */
    file: string;
    /** The policy hash: hex SHA-256 of the module, as `EngineDecision.policyHash` reports it. */
    hash: string;
  };
  files: ManifestFile[];
  /** The pol version that built the bundle (informative). */
  pol: string;
}

/**
 * A trusted public key (or several, for rotation): PEM text, a path to a PEM file, or PEM/DER
 * bytes; a private key stands for its public half. Here, not in sign.ts, so the runtime's
 * declarations (LoadOptions) name it without naming node:crypto's types.
 */
export type VerifyKey = string | Uint8Array | readonly (string | Uint8Array)[];

export type BundleErrorCode = "malformed" | "unsigned" | "signature" | "tampered" | "key" | "tests";

/** Why a bundle was refused: one lowercase line a person can act on. */
export class BundleError extends Error {
  constructor(readonly code: BundleErrorCode, message: string) {
    super(message);
    this.name = "BundleError";
  }
}

export const sha256 = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

const ROLES: readonly FileRole[] = ["module", "source", "suite"];
const HEX64 = /^[0-9a-f]{64}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The manifest's bytes: canonical enough to be stable (keys in a fixed order, files sorted by path). */
export function manifestBytes(m: BundleManifest): Uint8Array {
  const files = [...m.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return new TextEncoder().encode(JSON.stringify({ format: m.format, policy: m.policy, files, pol: m.pol }, null, 2) + "\n");
}

/** The manifest entry of `bytes` at `path`. */
export const fileEntry = (path: string, role: FileRole, bytes: Uint8Array): ManifestFile => ({ path, role, size: bytes.length, sha256: sha256(bytes) });

/** The archive: the files, the manifest and (when signed) the signatures file. */
export function packBundle(files: ReadonlyMap<string, Uint8Array>, manifest: Uint8Array, signatures?: Uint8Array): Uint8Array {
  const all = new Map(files);
  all.set(MANIFEST, manifest);
  if (signatures) all.set(SIGNATURES, signatures);
  return packTar(all);
}

/** Reads a manifest, refusing any shape this version of pol does not write. */
export function parseManifest(bytes: Uint8Array): BundleManifest {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BundleError("malformed", `the bundle's ${MANIFEST} is not JSON: ${(e as Error).message}`);
  }
  const bad = (what: string) => new BundleError("malformed", `the bundle's ${MANIFEST} ${what}`);
  if (!isObj(v)) throw bad("is not an object");
  if (v["format"] !== FORMAT) throw bad(`has format \`${String(v["format"])}\`, this pol reads \`${FORMAT}\`: rebuild the bundle with this version of pol`);
  const p = v["policy"];
  if (!isObj(p) || typeof p["name"] !== "string" || typeof p["file"] !== "string" || typeof p["hash"] !== "string" || !HEX64.test(p["hash"])) throw bad("has no valid `policy` (name, file, hash)");
  if (!Array.isArray(v["files"])) throw bad("has no `files` list");
  const files: ManifestFile[] = [];
  const seen = new Set<string>();
  for (const f of v["files"] as unknown[]) {
    if (!isObj(f) || typeof f["path"] !== "string" || !ROLES.includes(f["role"] as FileRole) || !Number.isSafeInteger(f["size"]) || typeof f["sha256"] !== "string" || !HEX64.test(f["sha256"])) {
      throw bad("lists a file without a valid path, role, size and sha256");
    }
    try {
      checkPath(f["path"]);
    } catch (e) {
      throw bad(`lists ${(e as Error).message}`);
    }
    if (seen.has(f["path"]) || f["path"] === MANIFEST || f["path"] === SIGNATURES) throw bad(`lists \`${f["path"]}\` twice or as a file it may not list`);
    seen.add(f["path"]);
    files.push({ path: f["path"], role: f["role"] as FileRole, size: f["size"] as number, sha256: f["sha256"] });
  }
  const modules = files.filter((f) => f.role === "module");
  if (modules.length !== 1 || modules[0]!.path !== MODULE) throw bad(`must list exactly one module, \`${MODULE}\``);
  if (modules[0]!.sha256 !== p["hash"]) throw bad("names a policy hash that is not its module's hash");
  return { format: FORMAT, policy: { name: p["name"], file: p["file"], hash: p["hash"] }, files, pol: typeof v["pol"] === "string" ? v["pol"] : "unknown" };
}

/** The archive's entries, or a BundleError saying why it is not a bundle at all. */
export function unpackBundle(bytes: Uint8Array): Map<string, Uint8Array> {
  try {
    return unpackTar(bytes);
  } catch (e) {
    if (e instanceof TarError) throw new BundleError("malformed", `not a pol bundle: ${e.message}`);
    throw e;
  }
}

/**
 * Checks that the archive holds exactly the files the manifest names, each with its size and
 * SHA-256: a changed, added or removed file is `tampered`. Returns the files by path.
 */
export function checkFiles(entries: ReadonlyMap<string, Uint8Array>, m: BundleManifest): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const f of m.files) {
    const data = entries.get(f.path);
    if (!data) throw new BundleError("tampered", `\`${f.path}\` is listed in the manifest but missing from the bundle`);
    if (data.length !== f.size || sha256(data) !== f.sha256) throw new BundleError("tampered", `\`${f.path}\` does not match the manifest's sha256: the file was changed after the bundle was built`);
    out.set(f.path, data);
  }
  for (const path of entries.keys()) {
    if (path !== MANIFEST && path !== SIGNATURES && !out.has(path)) throw new BundleError("tampered", `\`${path}\` is in the bundle but not in its manifest: a file was added after the bundle was built`);
  }
  return out;
}

/** Whether bytes look like a bundle (gzip) rather than a module (`\0asm`). */
export const isBundleBytes = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
