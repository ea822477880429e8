// The loader: turns a compiled policy (.wasm bytes or path; a .pol path is
// compiled first) into an evaluator whose `evaluate(call)` returns the same
// Decision as the reference interpreter. Checks the ABI, reads the manifest,
// builds per-tool encoders, and fails closed on any trap or corrupt module.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isBundleBytes, type VerifyKey } from "../bundle/format.js";
import { ABI_VERSION, EXPORTS } from "../compiler/abi.js";
import { metaFromManifest, readManifest, type Manifest } from "../compiler/manifest.js";
import type { Decision } from "../language/call.js";
import { Assembler, denyWith, type CallFacts, type Failures, type PolicyMeta, type RunOutputs, type ToolFacts } from "../language/meta.js";
import { ENV_FALLBACK, fallbackOf } from "../language/inputs.js";
import { validateCall, type ValidateOptions } from "../language/validate.js";
import { compileCodec, type Codec } from "./codec.js";
import { Writer } from "./encoder.js";
import { compileRunCodec, type RunCodec } from "./run-codec.js";

export class PolicyLoadError extends Error {}

/**
 * The call limits, checked before any codec is generated from them: a value other than these
 * (`extraArgs: "DENY"`, `maxString: NaN`) once meant no check at all, silently.
 */
function checkValidateOptions(o: ValidateOptions): void {
  if (o.extraArgs !== undefined && o.extraArgs !== "deny" && o.extraArgs !== "ignore") {
    throw new PolicyLoadError(`\`extraArgs\` must be "deny" (the default) or "ignore", got ${JSON.stringify(o.extraArgs) ?? String(o.extraArgs)}`);
  }
  for (const k of ["maxString", "maxList"] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)) throw new PolicyLoadError(`\`${k}\` must be a whole number, 0 or more, got ${typeof v === "string" ? JSON.stringify(v) : String(v)}`);
  }
}

interface Exports {
  POL_ABI: WebAssembly.Global;
  memory: WebAssembly.Memory;
  pol_input(bytes: number): number;
  pol_decide(tool: number, used: number): number;
  pol_in(): number;
  pol_out(): number;
}


// Module-level, not per call: under tsx (esbuild keepNames) a closure created per call is
// wrapped in __name(), an Object.defineProperty costing ~300 ns per decision with limits.
const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);


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
      return own(root === "agent" ? this.agent : this.run, f) ?? fallbackOf(root, f);
    }
    if (root === "env") return own(this.call, "env") ?? ENV_FALLBACK;
    if (root === "tool") return this.tool;
    let cur: unknown = own(this.call, root!) ?? {};
    for (const f of rest) cur = typeof cur === "object" && cur !== null ? own(cur as Record<string, unknown>, f) : undefined;
    return cur;
  }
}

const NO_FACTS = (): CallFacts => { throw new Error("internal error: limit facts requested without limits"); };
const NO_AMOUNT = () => 0;

interface ToolRuntime { id: number; declared: boolean; codec: Codec; facts?: ToolFacts }

export interface LoadOptions extends ValidateOptions {
  /**
   * The policy hash (hex SHA-256 of the whole module) this service expects; any other module is
   * refused. Pins the exact policy a deployment reviewed, whoever can write the policy file.
   */
  expectHash?: string;
  /**
   * The public key(s) policy bundles (`pol build --sign`) must be signed with: PEM text, a PEM file
   * path, or bytes. A bundle is refused without it; with it, only such bundles are accepted.
   */
  verifyKey?: VerifyKey;
}

/** A loaded policy module: evaluates calls through the compiled wasm. */
export class WasmPolicy {
  readonly meta: PolicyMeta;
  private readonly tools = new Map<string, ToolRuntime>();
  private readonly other: ToolRuntime;
  private readonly asm: Assembler;
  private writer: Writer;
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

  /** Where the module reads its input block (the manifest's slot offsets are relative to it). */
  readonly inputAt: number;
  /** History, run state and clock: encoded only for policies that read them (run-codec.ts). */
  private readonly runCodec?: RunCodec;
  /** Reads conditional limits and updates from the output block: only for policies that have them. */
  private readonly runOut?: RunOutputs;

  private constructor(readonly manifest: Manifest, readonly hash: string, private ex: Exports, private readonly options: ValidateOptions, private readonly mod?: WebAssembly.Module) {
    checkValidateOptions(options);
    this.meta = metaFromManifest(manifest);
    this.asm = new Assembler(this.meta);
    const lim = { extraArgs: options.extraArgs ?? "deny", maxString: options.maxString ?? 1_000_000, maxList: options.maxList ?? 10_000 } as const;
    const readsTool = manifest.layout.readsTool;
    this.inputAt = ex.pol_in();
    for (const t of manifest.tools) this.tools.set(t.name, { id: t.id, declared: t.declared, codec: compileCodec(manifest, this.inputAt, t.declared ? t.args : undefined, lim, readsTool) });
    this.other = { id: 0, declared: false, codec: compileCodec(manifest, this.inputAt, undefined, lim, true) };
    this.writer = new Writer({ memory: ex.memory, reserve: (n) => ex.pol_input(n) });
    const rc = compileRunCodec(manifest, this.meta, this.inputAt, lim);
    if (rc) this.runCodec = rc;
    this.outAt = ex.pol_out();
    const ro = this.runOutputs(manifest);
    if (ro) this.runOut = ro;
    this.sumsAt = this.outAt + manifest.layout.sums;
    this.matchedAt = this.outAt + manifest.layout.matched;
    this.failedAt = this.outAt + manifest.layout.failed;
    this.whyAt = this.outAt + manifest.layout.why;
    this.sumWhyAt = this.outAt + manifest.layout.sumWhy;
  }

  /** Readers of the output block's conditional-limit and update entries (docs/abi.md), read after each pol_decide. */
  private runOutputs(m: Manifest): RunOutputs | undefined {
    const { limWhy, upd } = m.layout;
    if (limWhy === undefined && upd === undefined) return undefined;
    const u32 = (at: number) => this.writer.u32[(this.outAt + at) >> 2]!;
    const out: RunOutputs = {};
    if (limWhy !== undefined) out.limit = (k) => u32(limWhy + 4 * k);
    if (upd !== undefined) {
      const types = (m.updates ?? []).map((u) => {
        const st = (m.state ?? []).find((x) => x.name === u.state)!.type;
        return st.kind === "list" ? st.elem.kind : "number";
      });
      out.update = (i) => u32(upd + 16 * i);
      out.value = (i) => {
        const at = this.outAt + upd + 16 * i + 8;
        const w = this.writer;
        if (types[i] === "number") return w.f64[at >> 3]!;
        if (types[i] === "bool") return w.i32[at >> 2] !== 0;
        const p = w.u32[at >> 2]!;
        const n = w.u32[(at >> 2) + 1]!;
        let text = "";
        for (let j = 0; j < n; j += 8192) text += String.fromCharCode(...w.u16.subarray((p >> 1) + j, (p >> 1) + Math.min(n, j + 8192)));
        return text;
      };
    }
    return out;
  }

  /** The ⊥ entries of the last decision (see Failures), copied out of the output block. */
  private failures(n: number): Failures {
    const u32 = this.writer.u32;
    const rule = Array.from({ length: n }, (_, i) => u32[(this.whyAt >> 2) + i]!);
    const sums = (k: number) => u32[(this.sumWhyAt >> 2) + k]!;
    return { rule, sum: sums };
  }

  /**
   * Memory never shrinks, so after a call that grew it past this the instance is replaced by a
   * fresh one of the same module (well under a millisecond): one huge call must not hold memory
   * for good (a 200M-character call once kept 400 MB). The largest call the Engine accepts
   * (maxCallSize) needs about 8 MB.
   */
  static readonly RENEW_BYTES = 16 * 1024 * 1024;

  private static async instantiate(bytes: Uint8Array): Promise<{ mod: WebAssembly.Module; instance: WebAssembly.Instance }> {
    let mod: WebAssembly.Module;
    try {
      mod = await WebAssembly.compile(bytes as BufferSource);
    } catch (e) {
      throw new PolicyLoadError(`not a valid WebAssembly module: ${(e as Error).message}`);
    }
    try {
      return { mod, instance: await WebAssembly.instantiate(mod, IMPORTS) };
    } catch (e) {
      throw new PolicyLoadError(`the module cannot be instantiated: ${(e as Error).message}`);
    }
  }

  /** The ABI exports of one policy in an instance (`prefix` is non-empty for batch modules). */
  private static exportsOf(instance: WebAssembly.Instance, prefix: string): Exports {
    const raw = instance.exports as Record<string, unknown>;
    const ex = {
      POL_ABI: raw[EXPORTS.abi], memory: raw[EXPORTS.memory], pol_input: raw[EXPORTS.input],
      pol_decide: raw[`${prefix}${EXPORTS.decide}`], pol_in: raw[`${prefix}${EXPORTS.in}`], pol_out: raw[`${prefix}${EXPORTS.out}`],
    } as Exports;
    const fns = [ex.pol_decide, ex.pol_input, ex.pol_in, ex.pol_out];
    if (!(ex.POL_ABI instanceof WebAssembly.Global) || ex.POL_ABI.value !== ABI_VERSION || fns.some((f) => typeof f !== "function") || !(ex.memory instanceof WebAssembly.Memory)) {
      throw new PolicyLoadError(`the module does not export pol ABI ${ABI_VERSION} (${[EXPORTS.abi, EXPORTS.memory, EXPORTS.input, EXPORTS.decide, EXPORTS.in, EXPORTS.out].join(", ")})`);
    }
    return ex;
  }

  static async fromBytes(bytes: Uint8Array, options: LoadOptions = {}): Promise<WasmPolicy> {
    const hash = sha256(bytes);
    if (options.expectHash !== undefined && options.expectHash.toLowerCase() !== hash) {
      throw new PolicyLoadError(`the policy hash is ${hash}, not the expected ${options.expectHash}: refusing to load a policy other than the one pinned by \`expectHash\``);
    }
    const { mod, instance } = await WasmPolicy.instantiate(bytes);
    const read = readManifest(mod);
    if (typeof read === "string") throw new PolicyLoadError(read);
    const m = read.manifest;
    if (m.abi !== ABI_VERSION) throw new PolicyLoadError(`the module was compiled for pol ABI ${m.abi}, this runtime speaks ABI ${ABI_VERSION}; recompile it with this version of pol`);
    const ex = WasmPolicy.exportsOf(instance, "");
    WasmPolicy.checkBinding(instance, ex.memory, read.bytes);
    return new WasmPolicy(m, hash, ex, options, mod);
  }

  /**
   * The manifest gives matched rules their effects, so one paired with code it was not compiled
   * with decides wrongly (a strict module with a lax manifest once allowed a $1,000,000 refund).
   * The code carries the SHA-256 of its manifest; a module rewritten whole is caught only by
   * `expectHash` or a signed bundle.
   */
  private static checkBinding(instance: WebAssembly.Instance, memory: WebAssembly.Memory, manifest: Uint8Array): void {
    const at = (instance.exports as Record<string, unknown>)[EXPORTS.manifest];
    if (typeof at !== "function") throw new PolicyLoadError("the module does not carry the hash of its manifest (compiled by an older pol?): recompile it");
    const addr = (at as () => number)();
    const want = addr >= 0 && addr + 32 <= memory.buffer.byteLength ? new Uint8Array(memory.buffer, addr, 32) : new Uint8Array(0);
    const got = createHash("sha256").update(manifest).digest();
    if (want.length !== 32 || !got.equals(want)) throw new PolicyLoadError("the module's manifest does not belong to its code (manifest hash mismatch): the module was altered after compiling; recompile it");
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
      if (!t.codec(c, w) || (this.runCodec !== undefined && !this.runCodec(c, w))) return this.rejected(call);
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
      const d = (tf.limits.length === 0 && this.runOut === undefined) || tf.blindLimit
        ? this.asm.decideFor(tf, NO_FACTS, matched, NO_AMOUNT, n, failures)
        : this.asm.decideFor(tf, () => new RawFacts(tool, t.declared, c), matched, this.amount, n, failures, this.runOut);
      if (w.memoryBytes > WasmPolicy.RENEW_BYTES && this.mod) this.renew();
      return d;
    } catch (e) {
      return denyWith(this.meta, "error", `the policy module failed: ${(e as Error).message}`);
    }
  }

  /** A fresh instance of the same module, with its own (baseline-sized) memory. */
  private renew(): void {
    this.ex = WasmPolicy.exportsOf(new WebAssembly.Instance(this.mod!, IMPORTS), "");
    const ex = this.ex;
    this.writer = new Writer({ memory: ex.memory, reserve: (n) => ex.pol_input(n) });
  }

  /** The module's current memory size in bytes (for tests and `pol inspect`). */
  get memoryBytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  /** The call validated against this policy's schemas as the interpreter validates it (the normalised input, or why not). */
  validate(call: unknown): ReturnType<typeof validateCall> {
    return validateCall(this.meta, call, this.options);
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

/** What a policy module imports: AssemblyScript's abort hook, which the loader turns into a deny. */
const IMPORTS = { env: { abort: () => { throw new Error("the policy module aborted"); } } };

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

const isBundle = (s: Uint8Array | string): boolean => (typeof s === "string" ? s.endsWith(".polb") : isBundleBytes(s));

/** Loads a policy from `.wasm` bytes, a `.wasm` path, a `.pol` path (compiled on load), or a signed bundle (with `verifyKey`). */
export async function loadPolicy(source: Uint8Array | string, options: LoadOptions = {}): Promise<WasmPolicy> {
  // Bundles (verified against verifyKey), and any source once a verify key is set (then only signed
  // bundles load), go through runtime/policy-source.ts.
  if (options.verifyKey !== undefined || isBundle(source)) return (await (await import("./policy-source.js")).loadSource(source, options)).policy;
  if (typeof source !== "string") return WasmPolicy.fromBytes(source, options);
  if (source.endsWith(".pol")) {
    // The front end and compiler load only here: a service that loads .wasm never pays for them.
    const { compileFile, compileErrors } = await import("../compiler/compile-file.js");
    const c = await compileFile(source);
    if (!c.wasm) throw new PolicyLoadError(`\`${source}\` ${c.loaded.sink.hasErrors() ? "has errors" : "could not be compiled"}:\n${compileErrors(c)}`);
    return WasmPolicy.fromBytes(c.wasm, options);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    throw new PolicyLoadError(`cannot read \`${source}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return WasmPolicy.fromBytes(bytes, options);
}
