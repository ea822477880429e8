// Building a bundle (`pol build`): compiles a directory's policy through compileFile (the one road
// from .pol to a module), names its sources relative to the directory so rule ids do not depend on
// where the build ran, picks the `*.test.yaml` suites written for that policy, runs them against
// the module, and packs module, sources, suites and manifest, signed when given a key.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { compileErrors, compileFile } from "../compiler/compile-file.js";
import { polVersion } from "../cli/version.js";
import { parseSuite } from "../policytest/suite.js";
import { BundleError, FORMAT, fileEntry, manifestBytes, MODULE, packBundle, type BundleManifest } from "./format.js";
import { privateKeyOf, keyId, signManifest } from "./sign.js";
import { runBundledSuites, type SuitesOutcome } from "./suites.js";

export interface BuildOptions {
  /** The Ed25519 private key (PEM text, a PEM file path, or bytes); without one the bundle is unsigned. */
  signKey?: string | Uint8Array;
  /** Run the bundled suites and refuse to build when one fails (default true). */
  test?: boolean;
}

export interface Built {
  bytes: Uint8Array;
  manifest: BundleManifest;
  signer?: string;
  /** The suites' outcome, when they ran. */
  tests?: SuitesOutcome;
  /** Suites under the directory written for another policy, left out. */
  skipped: string[];
}

/** The build could not produce a bundle: `compile` (diagnostics in `detail`), `tests`, `input`, or a BundleError's codes. */
export class BuildError extends Error {
  constructor(readonly code: "compile" | "tests" | "input", message: string, readonly detail?: string, readonly tests?: SuitesOutcome) {
    super(message);
    this.name = "BuildError";
  }
}

/** Files under `dir` ending in one of `exts`, relative to it, skipping dot folders and node_modules; sorted. */
function listFiles(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return out;
}

/** The bundle's root directory and its main policy (relative), from a directory or a `.pol` path. */
function mainPolicy(path: string): { root: string; main: string } {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new BuildError("input", `cannot read \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) {
    if (!path.endsWith(".pol")) throw new BuildError("input", `\`${path}\` is neither a directory nor a \`.pol\` file`);
    return { root: dirname(path), main: basename(path) };
  }
  const policies = listFiles(path, [".pol"]).filter((f) => !basename(f).startsWith("_"));
  if (policies.length === 1) return { root: path, main: policies[0]! };
  if (policies.length === 0) throw new BuildError("input", `no policy (\`*.pol\` not starting with \`_\`) in \`${path}\``);
  throw new BuildError("input", `\`${path}\` holds ${policies.length} policies (${policies.map((p) => `\`${p}\``).join(", ")}); a bundle carries one: name it, e.g. \`pol build ${join(path, policies[0]!)}\``);
}

/** A reader mapping the front end's paths (relative to the working directory) into `root`, refusing imports from outside it. */
function rootedReader(root: string): (p: string) => string {
  return (p) => {
    const rel = relative(process.cwd(), resolve(p));
    if (rel === ".." || rel.startsWith(`..${sep}`)) throw new Error(`\`${p}\` is outside the bundle's directory: a bundle carries every source it imports, so keep imports inside \`${root}\``);
    return readFileSync(join(root, rel), "utf8");
  };
}

/** The suites under `root` written for `main` (by their `policy:` or their name), and the others. */
function suitesFor(root: string, main: string, exists: (p: string) => boolean): { suites: Map<string, string>; skipped: string[] } {
  const suites = new Map<string, string>();
  const skipped: string[] = [];
  for (const rel of listFiles(root, [".test.yaml", ".test.yml"])) {
    const text = readFileSync(join(root, rel), "utf8");
    if (parseSuite(text, rel, exists).policyFile === main) suites.set(rel, text);
    else skipped.push(rel);
  }
  return { suites, skipped };
}

/** Compiles, tests and packs the policy at `path` (a directory holding one policy, or a `.pol` file). */
export async function buildBundle(path: string, opts: BuildOptions = {}): Promise<Built> {
  const key = opts.signKey !== undefined ? privateKeyOf(opts.signKey) : undefined;
  const { root, main } = mainPolicy(path);
  const c = await compileFile(main, { read: rootedReader(root) });
  if (!c.wasm) throw new BuildError("compile", `\`${join(root, main)}\` does not compile`, compileErrors(c));
  const sources = c.loaded.sources;
  const { suites, skipped } = suitesFor(root, main, (p) => sources.has(p) || existsIn(root, p));
  let tests: SuitesOutcome | undefined;
  if (opts.test !== false && suites.size > 0) {
    tests = await runBundledSuites(c.wasm, suites, main, new Set(sources.keys()));
    if (tests.failed > 0 || tests.errors > 0) throw new BuildError("tests", `the bundle's suites fail, so no bundle was written`, undefined, tests);
  }
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>([[MODULE, c.wasm]]);
  for (const [p, text] of sources) files.set(p, enc.encode(text));
  for (const [p, text] of suites) files.set(p, enc.encode(text));
  const manifest: BundleManifest = {
    format: FORMAT,
    policy: { name: c.loaded.checked!.name, file: main, hash: c.hash! },
    files: [...files].map(([p, b]) => fileEntry(p, p === MODULE ? "module" : suites.has(p) ? "suite" : "source", b)),
    pol: polVersion(),
  };
  const mbytes = manifestBytes(manifest);
  const bytes = packBundle(files, mbytes, key ? signManifest(mbytes, key) : undefined);
  return { bytes, manifest, ...(key ? { signer: keyId(key) } : {}), ...(tests ? { tests } : {}), skipped };
}

function existsIn(root: string, p: string): boolean {
  try {
    return statSync(join(root, p)).isFile();
  } catch {
    return false;
  }
}

export { BundleError };
