// A built policy named on the command line: a .wasm module, a bundle (.polb; its signature checked
// when --verify-key is given) or a policy directory (bundled on the fly, unsigned), opened to a
// WasmPolicy with the sources it carries. Used by `pol eval`, `pol inspect` and `pol diff`; .pol
// sources go through compiler/compile-file.ts in each command, which renders its own diagnostics.

import { readFileSync, statSync } from "node:fs";
import { relative } from "node:path";
import type { CheckedPolicy } from "../language/checked.js";
import type { LoadOptions, WasmPolicy } from "../runtime/loader.js";

export interface BuiltPolicy {
  policy: WasmPolicy;
  /** Sources by path: a bundle's, else none (a bare .wasm carries no source). */
  sources: Map<string, string>;
  /** The bundle's source, checked again, when it has one that checks (pol diff's generator uses its literals). */
  checked?: CheckedPolicy;
  /** What a bundle adds: its own hash and, when its signature was verified, the signer's key id. */
  bundle?: { hash: string; signer?: string };
}

/** Opens `path`; throws an Error whose first line says why, naming the file. */
export async function openBuiltPolicy(path: string, opts: { verifyKey?: string; load?: LoadOptions } = {}): Promise<BuiltPolicy> {
  const { WasmPolicy } = await import("../runtime/loader.js");
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new Error(`cannot read \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const { isBundleBytes } = await import("../bundle/format.js");
    const bytes = isDir ? (await (await import("../bundle/build.js")).buildBundle(path, { test: false })).bytes : readFileSync(path);
    // --verify-key is about bundles ("require bundles to be signed"): a bare module has no signature.
    if (!isBundleBytes(bytes)) return { policy: await WasmPolicy.fromBytes(bytes, opts.load), sources: new Map() };
    const { openBundle, readBundle } = await import("../bundle/open.js");
    // A directory is bundled here and now: there is no signature to check, and none is claimed.
    const b = opts.verifyKey !== undefined && !isDir ? openBundle(bytes, opts.verifyKey) : readBundle(bytes);
    const { loadText } = await import("../language/load.js");
    const loaded = loadText(b.sources.get(b.manifest.policy.file) ?? "", b.manifest.policy.file, (p) => {
      const text = b.sources.get(relative(process.cwd(), p));
      if (text === undefined) throw new Error("not in the bundle");
      return text;
    });
    return {
      policy: await WasmPolicy.fromBytes(b.module, opts.load),
      sources: b.sources,
      ...(loaded.checked && !loaded.sink.hasErrors() ? { checked: loaded.checked } : {}),
      bundle: { hash: b.hash, ...(b.signer ? { signer: b.signer } : {}) },
    };
  } catch (e) {
    throw new Error(`\`${path}\` is not a policy pol can load: ${(e as Error).message.split("\n")[0]}`);
  }
}
