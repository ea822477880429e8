// The compiler's entry point: a checked policy becomes one standalone .wasm
// (code + manifest custom section). Lowers, emits AssemblyScript, runs asc in
// process, and turns any asc failure into an internal-error diagnostic.
// Used by compile-file.ts (the road from a .pol file) and by tests that compile checked policies.

import { createHash } from "node:crypto";
import type { CheckedPolicy } from "../language/checked.js";
import type { Sink } from "../language/diagnostics.js";
import { metaFor } from "../language/interpret.js";
import { NO_SPAN } from "../language/span.js";
import { compileAssemblyScript } from "./asc.js";
import { emit, emitBatch } from "./emit.js";
import { lower } from "./lower.js";
import { SECTION, appendCustomSection, toManifest, type Manifest } from "./manifest.js";

export interface Compiled {
  wasm: Uint8Array;
  manifest: Manifest;
  /** SHA-256 of the module bytes (hex): the policy hash every decision and audit record carries. */
  hash: string;
  /** The generated AssemblyScript, for `pol compile --emit-as` and debugging. */
  source: string;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Policies with more rules than this compile without binaryen's optimiser (see compilePolicy). */
export const OPTIMIZE_MAX_RULES = 1000;

/**
 * Compiles a checked policy (which must have no errors). Deterministic: the
 * same policy gives the same bytes. Failures inside the compiler become E0901.
 */
/**
 * The manifest bytes a module compiled from `policy` carries (lowering only, no asc): what a
 * cached module is checked against before it is used (compile-file.ts).
 */
export function manifestPayload(policy: CheckedPolicy): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(toManifest(metaFor(policy), lower(policy))));
}

export async function compilePolicy(policy: CheckedPolicy, sink: Sink, opts: { optimize?: boolean } = {}): Promise<Compiled | undefined> {
  let source = "";
  try {
    const prog = lower(policy);
    // The manifest is complete before asc runs, so the code can carry its hash (loader checks it).
    const manifest = toManifest(metaFor(policy), prog);
    const payload = new TextEncoder().encode(JSON.stringify(manifest));
    source = emit(prog, ".", createHash("sha256").update(payload).digest());
    // binaryen's -O3 costs ~10 ms per rule (97 s at 10,000 rules) for little gain on large, flat
    // rule sets (benchmarks suite 3: -O0 modules decide as fast); past OPTIMIZE_MAX_RULES it is skipped.
    const optimize = opts.optimize ?? policy.rules.length <= OPTIMIZE_MAX_RULES;
    const r = await compileAssemblyScript(source, { optimize });
    if (!r.wasm) {
      sink.report("E0901", policy.policy.header?.span ?? { ...NO_SPAN, file: policy.file }, "internal compiler error: the generated code did not compile", {
        help: `please report this with the policy; asc said: ${r.errors.split("\n").find((l) => l.includes("ERROR")) ?? r.errors.slice(0, 200)}`,
      });
      return undefined;
    }
    const wasm = appendCustomSection(r.wasm, SECTION, payload);
    return { wasm, manifest, hash: sha256(wasm), source };
  } catch (e) {
    sink.report("E0901", policy.policy.header?.span ?? { ...NO_SPAN, file: policy.file }, `internal compiler error: ${(e as Error).message}`, { help: "please report this with the policy" });
    return undefined;
  }
}

/**
 * Compiles many policies into one module (one asc run), for the differential
 * tests: policy k's exports are prefixed `p${k}_`. Throws on compiler failure.
 */
export async function compileBatch(policies: CheckedPolicy[], opts: { optimize?: boolean } = {}): Promise<{ wasm: Uint8Array; manifests: Manifest[] }> {
  const progs = policies.map(lower);
  const source = emitBatch(progs, ".");
  // Unoptimised batches compile about ten times faster; tests run both settings.
  const r = await compileAssemblyScript(source, opts);
  if (!r.wasm) throw new Error(`batch did not compile: ${r.errors.slice(0, 2000)}`);
  return { wasm: r.wasm, manifests: policies.map((p, k) => toManifest(metaFor(p), progs[k]!)) };
}
