// The loader: turns a compiled policy (.wasm bytes or path; a .pol path is
// compiled first) into an evaluator whose `evaluate(call)` returns the same
// Decision as the reference interpreter. Checks the ABI, reads the manifest,
// builds per-tool encoders, and fails closed on any trap or corrupt module.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { compilePolicy } from "../compiler/compile.js";
import { ABI_VERSION } from "../compiler/emit.js";
import { readManifest, type Manifest } from "../compiler/manifest.js";
import type { Decision } from "../language/call.js";
import { loadFile } from "../language/load.js";
import { assemble, denyWith, type PolicyMeta, type ToolMeta } from "../language/meta.js";
import { renderDiagnostics } from "../language/render.js";
import { AGENT_TYPE, RUN_TYPE } from "../language/check-expr.js";
import type { FieldType, Type } from "../language/types.js";
import { validateCall, type Input, type ValidateOptions } from "../language/validate.js";
import { Writer, recordEncoder } from "./encoder.js";

export class PolicyLoadError extends Error {}

interface Exports {
  POL_ABI: WebAssembly.Global;
  memory: WebAssembly.Memory;
  pol_input(bytes: number): number;
  pol_decide(tool: number, used: number): number;
}

const fieldsOf = (t: Type): FieldType[] => (t.kind === "record" ? t.fields : []);

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
  };
}

type InputEncoder = (w: Writer, input: Input) => void;

function inputEncoder(m: Manifest, args: FieldType[]): InputEncoder {
  const L = m.layout;
  const IN = L.in;
  const top = recordEncoder(L.top, [{ name: "tool", type: { kind: "string" }, optional: false }, { name: "env", type: { kind: "string" }, optional: false }]);
  const argsEnc = recordEncoder(L.args, args);
  const ctxEnc = recordEncoder(L.ctx, m.context);
  const agentEnc = recordEncoder(L.agent, fieldsOf(AGENT_TYPE));
  const runEnc = recordEncoder(L.run, fieldsOf(RUN_TYPE));
  return (w, input) => {
    top(w, IN, input);
    argsEnc(w, IN, input.args);
    if (L.ctx.length) ctxEnc(w, IN, input.ctx);
    if (L.agent.length) agentEnc(w, IN, input.agent);
    if (L.run.length) runEnc(w, IN, input.run);
  };
}

export interface LoadOptions extends ValidateOptions {}

/** A loaded policy module: evaluates calls through the compiled wasm. */
export class WasmPolicy {
  readonly meta: PolicyMeta;
  private readonly ids = new Map<string, number>();
  private readonly encoders = new Map<number, InputEncoder>();
  private readonly writer: Writer;
  private readonly sumsAt: number;
  private readonly matchedAt: number;

  private constructor(readonly manifest: Manifest, readonly hash: string, private readonly ex: Exports, private readonly options: ValidateOptions) {
    this.meta = metaFromManifest(manifest);
    for (const t of manifest.tools) {
      this.ids.set(t.name, t.id);
      this.encoders.set(t.id, inputEncoder(manifest, t.args ?? []));
    }
    this.encoders.set(0, inputEncoder(manifest, []));
    this.writer = new Writer({ memory: ex.memory, reserve: (n) => ex.pol_input(n) });
    this.sumsAt = manifest.layout.out + manifest.layout.sums;
    this.matchedAt = manifest.layout.out + manifest.layout.matched;
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
    const v = validateCall(this.meta, call, this.options);
    if (!v.ok) return denyWith(this.meta, "schema", v.reason);
    const input = v.input;
    try {
      const id = this.ids.get(input.tool) ?? 0;
      const w = this.writer;
      w.reset();
      this.encoders.get(id)!(w, input);
      this.ex.pol_decide(id, w.used);
      w.refresh();
      const n = w.u32[this.manifestOut() >> 2]!;
      const matched: number[] = new Array(n);
      for (let i = 0; i < n; i++) matched[i] = w.u32[(this.matchedAt >> 2) + i]!;
      const f64 = w.f64;
      const sumsAt = this.sumsAt >> 3;
      return assemble(this.meta, input, matched, (k) => f64[sumsAt + k]!);
    } catch (e) {
      return denyWith(this.meta, "error", `the policy module failed: ${(e as Error).message}`);
    }
  }

  private manifestOut(): number {
    return this.manifest.layout.out;
  }
}

/** Loads a policy from `.wasm` bytes, a `.wasm` path, or a `.pol` path (compiled on load). */
export async function loadPolicy(source: Uint8Array | string, options: LoadOptions = {}): Promise<WasmPolicy> {
  if (typeof source !== "string") return WasmPolicy.fromBytes(source, options);
  if (source.endsWith(".pol")) {
    const l = loadFile(source);
    if (!l.checked || l.sink.hasErrors()) throw new PolicyLoadError(`\`${source}\` has errors:\n${renderDiagnostics(l.sink.errors, { sources: l.sources })}`);
    const c = await compilePolicy(l.checked, l.sink);
    if (!c) throw new PolicyLoadError(`\`${source}\` could not be compiled:\n${renderDiagnostics(l.sink.errors, { sources: l.sources })}`);
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
