// The loader: turns a compiled policy (.wasm bytes or path; a .pol path is
// compiled first) into an evaluator whose `evaluate(call)` returns the same
// Decision as the reference interpreter. Checks the ABI, reads the manifest,
// builds per-tool encoders, and fails closed on any trap or corrupt module.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { compileLoaded } from "../compiler/compile.js";
import { ABI_VERSION } from "../compiler/emit.js";
import { readManifest, type Manifest } from "../compiler/manifest.js";
import type { Decision } from "../language/call.js";
import { loadFile } from "../language/load.js";
import { Assembler, denyWith, type CallFacts, type Failures, type PolicyMeta, type ToolFacts, type ToolMeta } from "../language/meta.js";
import { renderDiagnostics } from "../language/render.js";
import { validateCall, type ValidateOptions } from "../language/validate.js";
import { compileCodec, type Codec } from "./codec.js";
import { Writer } from "./encoder.js";

export class PolicyLoadError extends Error {}

interface Exports {
  POL_ABI: WebAssembly.Global;
  memory: WebAssembly.Memory;
  pol_input(bytes: number): number;
  pol_decide(tool: number, used: number): number;
}


export function metaFromManifest(m: Manifest): PolicyMeta {
  const tools = new Map<string, ToolMeta>();
  for (const t of m.tools) if (t.declared && t.args) tools.set(t.name, { name: t.name, args: t.args, toolClass: (t.toolClass ?? "write") as ToolMeta["toolClass"] });
  return {
    name: m.policy.name,
    ...(m.policy.description !== undefined ? { description: m.policy.description } : {}),
    file: m.policy.file,
    tools,
    context: m.context,
    rules: m.rules,
    limits: m.limits,
    defaultRule: m.defaultRule,
    defaultsFor: m.defaultsFor,
    redact: m.redact,
    sites: m.sites,
  };
}

// Module-level, not per call: under tsx (esbuild keepNames) a closure created per call is
// wrapped in __name(), an Object.defineProperty costing ~300 ns per decision with limits.
const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

const AGENT_RUN_DEFAULTS: Record<string, unknown> = { id: "", trust: 0, calls: 0, roles: [] };

/**
 * Limit-key facts read straight from a call the codec has validated (defaults as in validate.ts).
 * A class, so a decision allocates one small object and no closures.
 */
class RawFacts implements CallFacts {
  readonly agentId: string;
  readonly runId: string;
  private readonly agent: Record<string, unknown>;
  private readonly run: Record<string, unknown>;

  constructor(readonly tool: string, readonly declared: boolean, private readonly call: Record<string, unknown>) {
    this.agent = (own(call, "agent") ?? {}) as Record<string, unknown>;
    this.run = (own(call, "run") ?? {}) as Record<string, unknown>;
    this.agentId = (own(this.agent, "id") as string | undefined) ?? "";
    this.runId = (own(this.run, "id") as string | undefined) ?? "";
  }

  get(path: string[]): unknown {
    const [root, ...rest] = path;
    if (root === "agent" || root === "run") {
      const f = rest[0]!;
      return own(root === "agent" ? this.agent : this.run, f) ?? AGENT_RUN_DEFAULTS[f];
    }
    if (root === "env") return own(this.call, "env") ?? "";
    if (root === "tool") return this.tool;
    let cur: unknown = own(this.call, root!) ?? {};
    for (const f of rest) cur = typeof cur === "object" && cur !== null ? own(cur as Record<string, unknown>, f) : undefined;
    return cur;
  }
}

const NO_FACTS = (): CallFacts => { throw new Error("internal error: limit facts requested without limits"); };
const NO_AMOUNT = () => 0;

interface ToolRuntime { id: number; declared: boolean; codec: Codec; facts?: ToolFacts }

export interface LoadOptions extends ValidateOptions {}

/** A loaded policy module: evaluates calls through the compiled wasm. */
export class WasmPolicy {
  readonly meta: PolicyMeta;
  private readonly tools = new Map<string, ToolRuntime>();
  private readonly other: ToolRuntime;
  private readonly asm: Assembler;
  private readonly writer: Writer;
  private readonly outAt: number;
  private readonly matched: number[] = [];
  /** The summed amount of limit k from the output block. */
  private readonly amount = (k: number): number => this.writer.f64[(this.sumsAt >> 3) + k]!;
  private readonly sumsAt: number;
  private readonly matchedAt: number;
  /** Where the module records ⊥ (docs/abi.md): read only when the failure count is non-zero. */
  private readonly failedAt: number;
  private readonly whyAt: number;
  private readonly sumWhyAt: number;

  private constructor(readonly manifest: Manifest, readonly hash: string, private readonly ex: Exports, private readonly options: ValidateOptions) {
    this.meta = metaFromManifest(manifest);
    this.asm = new Assembler(this.meta);
    const lim = { extraArgs: options.extraArgs ?? "deny", maxString: options.maxString ?? 1_000_000, maxList: options.maxList ?? 10_000 } as const;
    const readsTool = manifest.layout.readsTool;
    for (const t of manifest.tools) this.tools.set(t.name, { id: t.id, declared: t.declared, codec: compileCodec(manifest, t.declared ? t.args : undefined, lim, readsTool) });
    this.other = { id: 0, declared: false, codec: compileCodec(manifest, undefined, lim, true) };
    this.writer = new Writer({ memory: ex.memory, reserve: (n) => ex.pol_input(n) });
    this.outAt = manifest.layout.out;
    this.sumsAt = manifest.layout.out + manifest.layout.sums;
    this.matchedAt = manifest.layout.out + manifest.layout.matched;
    this.failedAt = manifest.layout.out + manifest.layout.failed;
    this.whyAt = manifest.layout.out + manifest.layout.why;
    this.sumWhyAt = manifest.layout.out + manifest.layout.sumWhy;
  }

  /** The ⊥ entries of the last decision (see Failures), copied out of the output block. */
  private failures(n: number): Failures {
    const u32 = this.writer.u32;
    const rule = Array.from({ length: n }, (_, i) => u32[(this.whyAt >> 2) + i]!);
    const sums = (k: number) => u32[(this.sumWhyAt >> 2) + k]!;
    return { rule, sum: sums };
  }

  private static async instantiate(bytes: Uint8Array): Promise<{ mod: WebAssembly.Module; instance: WebAssembly.Instance }> {
    let mod: WebAssembly.Module;
    try {
      mod = await WebAssembly.compile(bytes as BufferSource);
    } catch (e) {
      throw new PolicyLoadError(`not a valid WebAssembly module: ${(e as Error).message}`);
    }
    try {
      return { mod, instance: await WebAssembly.instantiate(mod, { env: { abort: () => { throw new Error("the policy module aborted"); } } }) };
    } catch (e) {
      throw new PolicyLoadError(`the module cannot be instantiated: ${(e as Error).message}`);
    }
  }

  /** The ABI exports of one policy in an instance (`prefix` is non-empty for batch modules). */
  private static exportsOf(instance: WebAssembly.Instance, prefix: string): Exports {
    const raw = instance.exports as Record<string, unknown>;
    const ex = { POL_ABI: raw["POL_ABI"], memory: raw["memory"], pol_input: raw["pol_input"], pol_decide: raw[`${prefix}pol_decide`] } as Exports;
    if (!(ex.POL_ABI instanceof WebAssembly.Global) || ex.POL_ABI.value !== ABI_VERSION || typeof ex.pol_decide !== "function" || typeof ex.pol_input !== "function" || !(ex.memory instanceof WebAssembly.Memory)) {
      throw new PolicyLoadError(`the module does not export pol ABI ${ABI_VERSION} (POL_ABI, memory, pol_input, pol_decide)`);
    }
    return ex;
  }

  static async fromBytes(bytes: Uint8Array, options: LoadOptions = {}): Promise<WasmPolicy> {
    const { mod, instance } = await WasmPolicy.instantiate(bytes);
    const m = readManifest(mod);
    if (typeof m === "string") throw new PolicyLoadError(m);
    if (m.abi !== ABI_VERSION) throw new PolicyLoadError(`the module was compiled for pol ABI ${m.abi}, this runtime speaks ABI ${ABI_VERSION}; recompile it with this version of pol`);
    const hash = createHash("sha256").update(bytes).digest("hex");
    return new WasmPolicy(m, hash, WasmPolicy.exportsOf(instance, ""), options);
  }

  /** The policies of a batch module (see compileBatch), sharing one instance. */
  static async fromBatch(bytes: Uint8Array, manifests: Manifest[], options: LoadOptions = {}): Promise<WasmPolicy[]> {
    const { instance } = await WasmPolicy.instantiate(bytes);
    return manifests.map((m, k) => new WasmPolicy(m, `batch:${k}`, WasmPolicy.exportsOf(instance, `p${k}_`), options));
  }

  /** The decision for a call. Never throws: schema failures, traps and internal errors are denies with a reason. */
  evaluate(call: unknown): Decision {
    if (typeof call !== "object" || call === null || Array.isArray(call)) return this.rejected(call);
    const c = call as Record<string, unknown>;
    let t: ToolRuntime;
    let tool: string;
    const w = this.writer;
    try {
      // Reading the call may run a hostile getter or proxy trap: inside the try, so it fails closed.
      const name = Object.prototype.hasOwnProperty.call(c, "tool") ? c["tool"] : undefined;
      if (typeof name !== "string") return this.rejected(call);
      tool = name;
      t = this.tools.get(tool) ?? this.other;
      w.reset();
      if (!t.codec(c, w)) return this.rejected(call);
    } catch {
      return this.rejected(call);
    }
    try {
      this.ex.pol_decide(t.id, w.used);
      w.refresh();
      const u32 = w.u32;
      const n = u32[this.outAt >> 2]!;
      // One reused array for the matched indices, its first n entries valid: no allocation, no resizing.
      const matched = this.matched;
      for (let i = 0, j = this.matchedAt >> 2; i < n; i++, j++) matched[i] = u32[j]!;
      // Known tools keep their facts; other names go through the assembler's own bounded cache.
      const tf = t.id === 0 ? this.asm.toolFacts(tool, false) : (t.facts ??= this.asm.toolFacts(tool, t.declared));
      const failures = u32[this.failedAt >> 2] === 0 ? undefined : this.failures(n);
      if (tf.limits.length === 0 || tf.blindLimit) return this.asm.decideFor(tf, NO_FACTS, matched, NO_AMOUNT, n, failures);
      return this.asm.decideFor(tf, () => new RawFacts(tool, t.declared, c), matched, this.amount, n, failures);
    } catch (e) {
      return denyWith(this.meta, "error", `the policy module failed: ${(e as Error).message}`);
    }
  }

  /** The slow path for a call the codec refused: the validator names the reason. */
  private rejected(call: unknown): Decision {
    let v: ReturnType<typeof validateCall>;
    try {
      v = validateCall(this.meta, call, this.options);
    } catch (e) {
      return denyWith(this.meta, "schema", `the call could not be checked: ${(e as Error).message}`);
    }
    if (!v.ok) return denyWith(this.meta, "schema", v.reason);
    // The codec and the validator disagree: a bug, so fail closed and say so.
    return denyWith(this.meta, "error", "internal error: the call passed validation but could not be encoded");
  }
}

/** Loads a policy from `.wasm` bytes, a `.wasm` path, or a `.pol` path (compiled on load). */
export async function loadPolicy(source: Uint8Array | string, options: LoadOptions = {}): Promise<WasmPolicy> {
  if (typeof source !== "string") return WasmPolicy.fromBytes(source, options);
  if (source.endsWith(".pol")) {
    const l = loadFile(source);
    if (!l.checked || l.sink.hasErrors()) throw new PolicyLoadError(`\`${source}\` has errors:\n${renderDiagnostics(l.sink.errors, { sources: l.sources })}`);
    const wasm = await compileLoaded(l);
    if (!wasm) throw new PolicyLoadError(`\`${source}\` could not be compiled:\n${renderDiagnostics(l.sink.errors, { sources: l.sources })}`);
    return WasmPolicy.fromBytes(wasm, options);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    throw new PolicyLoadError(`cannot read \`${source}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return WasmPolicy.fromBytes(bytes, options);
}
