// Turning what a service names as a policy into one the Engine can take: a signed bundle (`.polb`
// path or bytes, verified against `verifyKey`), a policy directory (built in memory with its
// suites, unsigned), a `.wasm` or `.pol` path, module bytes, or a loaded WasmPolicy. Keeps where
// the policy came from (bundle hash, signer) for audit records and policyStatus(). Used by the
// Engine's load, reload, shadow and canary (engine.ts, reload.ts) and by loadPolicy for bundles.

import { readFileSync, statSync } from "node:fs";
import { BundleError, isBundleBytes } from "../bundle/format.js";
import { openBundle } from "../bundle/open.js";
import { loadPolicy, PolicyLoadError, WasmPolicy, type LoadOptions } from "./loader.js";

/** What `Engine.load`, `reload`, `shadow` and `canary` accept. */
export type PolicySource = string | Uint8Array | WasmPolicy;

/** The suites a policy brings, run against its module before it may decide (reload.ts). */
export interface OwnSuites {
  module: Uint8Array;
  suites: ReadonlyMap<string, string>;
  policyFile: string;
  files: ReadonlySet<string>;
}

/** A policy ready to decide, with its provenance. */
export interface LoadedPolicy {
  policy: WasmPolicy;
  /** A path, or `bytes` / `a loaded policy`, for status and messages. */
  origin: string;
  /** The signed bundle it came from: the bundle file's SHA-256 and the signer's key id. */
  bundle?: { hash: string; signer: string };
  suites?: OwnSuites;
}

/** Audit fields naming a policy and its provenance (`policy`, `policyName`, `bundle`, `signer`). */
export function provenance(l: LoadedPolicy): { policy: string; policyName: string; bundle?: string; signer?: string } {
  return { policy: l.policy.hash, policyName: l.policy.meta.name, ...(l.bundle ? { bundle: l.bundle.hash, signer: l.bundle.signer } : {}) };
}

const BYTES = "bytes";
const LOADED = "a loaded policy";

/** How status and audit records name a source: its path, `bytes` or `a loaded policy`. */
export const originOf = (s: PolicySource): string => (typeof s === "string" ? s : s instanceof Uint8Array ? BYTES : LOADED);

/** How messages name a source: a path in backticks, else in words. */
const named = (origin: string): string => (origin === BYTES ? "the bytes given" : origin === LOADED ? "a loaded WasmPolicy" : `\`${origin}\``);

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new PolicyLoadError(`cannot read \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A verified bundle's policy; without `verifyKey` a bundle is refused (an unverified bundle is just an unsigned module). */
export async function loadBundled(bytes: Uint8Array, origin: string, options: LoadOptions): Promise<LoadedPolicy> {
  if (options.verifyKey === undefined) throw new BundleError("key", `${named(origin)} is a signed policy bundle: pass \`verifyKey\` (the signer's public key) to load it`);
  const b = openBundle(bytes, options.verifyKey);
  const policy = await WasmPolicy.fromBytes(b.module, options);
  const suites = { module: b.module, suites: b.suites, policyFile: b.manifest.policy.file, files: new Set(b.sources.keys()) };
  return { policy, origin, bundle: { hash: b.hash, signer: b.signer! }, suites };
}

/** A policy directory built in memory (compiled, suites kept for the reload gate, not run here). */
async function loadDirectory(dir: string, options: LoadOptions): Promise<LoadedPolicy> {
  const { buildBundle, BuildError } = await import("../bundle/build.js");
  const { readBundle } = await import("../bundle/open.js");
  let built;
  try {
    built = await buildBundle(dir, { test: false });
  } catch (e) {
    if (e instanceof BuildError) throw new PolicyLoadError(`${e.message}${e.detail ? `:\n${e.detail}` : ""}`);
    throw e;
  }
  const b = readBundle(built.bytes);
  const policy = await WasmPolicy.fromBytes(b.module, options);
  return { policy, origin: dir, suites: { module: b.module, suites: b.suites, policyFile: b.manifest.policy.file, files: new Set(b.sources.keys()) } };
}

const refuse = (what: string) => new BundleError("unsigned", `${what} is not a signed bundle, and this engine has \`verifyKey\` set: it takes only bundles signed by a trusted key (build one with \`pol build --sign\`)`);

/** Loads any PolicySource. With `verifyKey` set, only bundles signed by a trusted key are accepted. */
export async function loadSource(source: PolicySource, options: LoadOptions): Promise<LoadedPolicy> {
  try {
    return await loadAny(source, options);
  } catch (e) {
    // A service's log must say which file would not load: errors from the module or bundle
    // readers speak of bytes. Same error object, so its class and code stay what callers test.
    if (typeof source === "string" && e instanceof Error && !e.message.includes(source)) e.message = `${named(source)}: ${e.message}`;
    throw e;
  }
}

async function loadAny(source: PolicySource, options: LoadOptions): Promise<LoadedPolicy> {
  const signedOnly = options.verifyKey !== undefined;
  if (source instanceof WasmPolicy) {
    if (signedOnly) throw refuse(named(LOADED));
    return { policy: source, origin: LOADED };
  }
  if (typeof source !== "string") {
    if (isBundleBytes(source)) return loadBundled(source, BYTES, options);
    if (signedOnly) throw refuse(named(BYTES));
    return { policy: await loadPolicy(source, options), origin: BYTES };
  }
  if (isDir(source)) {
    if (signedOnly) throw refuse(`the directory ${named(source)}`);
    return loadDirectory(source, options);
  }
  if (source.endsWith(".polb")) return loadBundled(readBytes(source), source, options);
  if (source.endsWith(".pol")) {
    if (signedOnly) throw refuse(named(source));
    return { policy: await loadPolicy(source, options), origin: source };
  }
  const bytes = readBytes(source);
  if (isBundleBytes(bytes)) return loadBundled(bytes, source, options);
  if (signedOnly) throw refuse(named(source));
  return { policy: await WasmPolicy.fromBytes(bytes, options), origin: source };
}
