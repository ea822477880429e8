// The compiler's entry point: a checked policy becomes one standalone .wasm
// (code + manifest custom section). Lowers, emits AssemblyScript, runs asc in
// process, and turns any asc failure into an internal-error diagnostic.
// Used by `pol compile`, `pol eval`, the runtime's `.pol` loading and tests.

import { createHash } from "node:crypto";
import type { CheckedPolicy } from "../language/checked.js";
import type { Sink } from "../language/diagnostics.js";
import { metaFor } from "../language/interpret.js";
import { NO_SPAN } from "../language/span.js";
import { compileAssemblyScript } from "./asc.js";
import { cacheKey, readCache, writeCache } from "./cache.js";
import { ABI_VERSION, emit, emitBatch, outLayout } from "./emit.js";
import type { Program } from "./ir.js";
import { lower } from "./lower.js";
import { SECTION, appendCustomSection, layoutJson, type Manifest } from "./manifest.js";

export interface Compiled {
  wasm: Uint8Array;
  manifest: Manifest;
  /** SHA-256 of the module bytes (hex): the policy hash every decision and audit record carries. */
  hash: string;
  /** The generated AssemblyScript, for `pol compile --emit-as` and debugging. */
  source: string;
}

/** Static addresses the module exports; computed by instantiating once would cost time, so they are derived here. */
function manifestOf(policy: CheckedPolicy, prog: Program, addrs: { in: number; out: number }): Manifest {
  const meta = metaFor(policy);
  const out = outLayout(prog);
  return {
    abi: ABI_VERSION,
    policy: { name: meta.name, ...(meta.description !== undefined ? { description: meta.description } : {}), file: meta.file },
    tools: prog.tools.map((t) => {
      const d = meta.tools.get(t.name);
      return { name: t.name, id: t.id, declared: t.declared, ...(d ? { toolClass: d.toolClass, args: d.args } : {}) };
    }),
    context: meta.context,
    layout: { in: addrs.in, out: addrs.out, failed: out.failed, sums: out.sums, sumWhy: out.sumWhy, matched: out.matched, why: out.why, ...layoutJson(prog.layout) },
    rules: meta.rules,
    limits: meta.limits,
    defaultRule: meta.defaultRule,
    defaultsFor: meta.defaultsFor,
    redact: meta.redact,
    sites: meta.sites,
  };
}

/** Reads the static IN/OUT addresses by instantiating the module once (they are constants of the data layout). */
async function staticAddresses(wasm: Uint8Array, prefixes: string[]): Promise<{ in: number; out: number }[]> {
  const mod = await WebAssembly.compile(wasm as BufferSource);
  const instance = await WebAssembly.instantiate(mod, { env: { abort: () => { throw new Error("abort"); } } });
  const ex = instance.exports as Record<string, () => number>;
  return prefixes.map((p) => ({ in: ex[`${p}pol_in`]!(), out: ex[`${p}pol_out`]!() }));
}

/** Policies with more rules than this compile without binaryen's optimiser (see compilePolicy). */
export const OPTIMIZE_MAX_RULES = 1000;

/**
 * Compiles a checked policy (which must have no errors). Deterministic: the
 * same policy gives the same bytes. Failures inside the compiler become E0901.
 */
export async function compilePolicy(policy: CheckedPolicy, sink: Sink, opts: { optimize?: boolean } = {}): Promise<Compiled | undefined> {
  let source = "";
  try {
    const prog = lower(policy);
    source = emit(prog, ".");
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
    const [addrs] = await staticAddresses(r.wasm, [""]);
    const manifest = manifestOf(policy, prog, addrs!);
    const wasm = appendCustomSection(r.wasm, SECTION, new TextEncoder().encode(JSON.stringify(manifest)));
    return { wasm, manifest, hash: createHash("sha256").update(wasm).digest("hex"), source };
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
  const addrs = await staticAddresses(r.wasm, policies.map((_, k) => `p${k}_`));
  return { wasm: r.wasm, manifests: policies.map((p, k) => manifestOf(p, progs[k]!, addrs[k]!)) };
}

/**
 * Compiles a loaded policy, reusing a cached module when the sources and
 * toolchain are unchanged (compiler/cache.ts). Diagnostics go to `l.sink`.
 */
export async function compileLoaded(l: { checked?: CheckedPolicy; sink: Sink; sources: ReadonlyMap<string, string> }): Promise<Uint8Array | undefined> {
  if (!l.checked || l.sink.hasErrors()) return undefined;
  const key = cacheKey(l.sources);
  const hit = readCache(key);
  if (hit) return hit;
  const c = await compilePolicy(l.checked, l.sink);
  if (c) writeCache(key, c.wasm);
  return c?.wasm;
}
