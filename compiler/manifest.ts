// The manifest: everything a host needs to use a compiled policy without its
// source (ABI version, tool ids, input layout, rule/limit/default metadata,
// schemas), stored as JSON in a `pol.manifest` custom section of the module,
// whose code carries the section's SHA-256 (EXPORTS.manifest). Both directions
// live here: policy metadata -> manifest (compile.ts) and manifest -> metadata
// (the runtime loader, `pol inspect`).

import type { PolicyMeta, ToolMeta } from "../language/meta.js";
import type { FieldType } from "../language/types.js";
import { ABI_VERSION, outLayout } from "./abi.js";
import type { Program } from "./ir.js";
import type { ElemLayout, FieldSlot, InputLayout, RecordSlots } from "./layout.js";

export const SECTION = "pol.manifest";

export interface SlotJson {
  name: string;
  type: FieldType["type"];
  offset: number;
  presence?: number;
  record?: SlotJson[];
  elem?: ElemJson;
}
export interface ElemJson { size: number; record?: SlotJson[]; elem?: ElemJson }

export interface Manifest {
  abi: number;
  policy: { name: string; description?: string; file: string };
  /** Tool name → id (1-based); names not listed dispatch as id 0. */
  tools: { name: string; id: number; declared: boolean; toolClass?: string; args?: FieldType[] }[];
  context: FieldType[];
  /** Offsets within the input block (at the module's `pol_in()`) and the output block (at `pol_out()`, docs/abi.md): ⊥ count, sums, their ⊥ sites, matched rules, their ⊥ sites. */
  layout: {
    fixedSize: number; readsTool: boolean;
    failed: number; sums: number; sumWhy: number; matched: number; why: number;
    /** Present only for policies with conditional limits / `on` updates (ABI 4; see compiler/abi.ts OutLayout). */
    limWhy?: number; upd?: number;
    top: SlotJson[]; args: SlotJson[]; ctx: SlotJson[]; agent: SlotJson[]; run: SlotJson[];
    /** Run state slots, and one list slot per history query read (`q<index>`); present only when read. */
    state?: SlotJson[]; history?: SlotJson[];
  };
  rules: PolicyMeta["rules"];
  limits: PolicyMeta["limits"];
  defaultRule: PolicyMeta["defaultRule"];
  defaultsFor: PolicyMeta["defaultsFor"];
  redact: string[];
  sites: PolicyMeta["sites"];
  /** History queries, declared run state, `on` updates and whether the clock is read: present only when the policy has them. */
  queries?: PolicyMeta["queries"];
  state?: PolicyMeta["state"];
  updates?: PolicyMeta["updates"];
  readsClock?: true;
}

function slotJson(s: FieldSlot): SlotJson {
  return {
    name: s.name,
    type: s.type,
    offset: s.offset,
    ...(s.presence !== undefined ? { presence: s.presence } : {}),
    ...(s.record ? { record: recordJson(s.record) } : {}),
    ...(s.elem ? { elem: elemJson(s.elem) } : {}),
  };
}
const recordJson = (r: RecordSlots): SlotJson[] => [...r.fields.values()].map(slotJson);
function elemJson(e: ElemLayout): ElemJson {
  return { size: e.block.size, ...(e.record ? { record: recordJson(e.record) } : {}), ...(e.elem ? { elem: elemJson(e.elem) } : {}) };
}

export function layoutJson(l: InputLayout): Pick<Manifest["layout"], "fixedSize" | "readsTool" | "top" | "args" | "ctx" | "agent" | "run" | "state" | "history"> {
  return {
    fixedSize: l.block.size, readsTool: l.readsTool, top: recordJson(l.top), args: recordJson(l.args), ctx: recordJson(l.ctx), agent: recordJson(l.agent), run: recordJson(l.run),
    ...(l.state.fields.size > 0 ? { state: recordJson(l.state) } : {}), ...(l.history.fields.size > 0 ? { history: recordJson(l.history) } : {}),
  };
}

/** The manifest of a lowered policy: known before its code is compiled, so the code can carry its hash. */
export function toManifest(meta: PolicyMeta, prog: Program): Manifest {
  const out = outLayout(prog);
  return {
    abi: ABI_VERSION,
    policy: { name: meta.name, ...(meta.description !== undefined ? { description: meta.description } : {}), file: meta.file },
    tools: prog.tools.map((t) => {
      const d = meta.tools.get(t.name);
      return { name: t.name, id: t.id, declared: t.declared, ...(d ? { toolClass: d.toolClass, args: d.args } : {}) };
    }),
    context: meta.context,
    layout: {
      failed: out.failed, sums: out.sums, sumWhy: out.sumWhy, matched: out.matched, why: out.why,
      ...(prog.limitConds.some((c) => c !== undefined) ? { limWhy: out.limWhy } : {}), ...(prog.updates.length > 0 ? { upd: out.upd } : {}),
      ...layoutJson(prog.layout),
    },
    rules: meta.rules,
    limits: meta.limits,
    defaultRule: meta.defaultRule,
    defaultsFor: meta.defaultsFor,
    redact: meta.redact,
    sites: meta.sites,
    ...(meta.queries.length > 0 ? { queries: meta.queries } : {}),
    ...(meta.state.length > 0 ? { state: meta.state } : {}),
    ...(meta.updates.length > 0 ? { updates: meta.updates } : {}),
    ...(meta.readsClock ? { readsClock: true as const } : {}),
  };
}

/** The policy metadata a manifest carries: what the decision assembler needs, as the interpreter's metaFor gives it. */
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
    queries: m.queries ?? [],
    state: m.state ?? [],
    updates: m.updates ?? [],
    readsClock: m.readsClock === true,
  };
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Appends a custom section (id 0) to a module: valid anywhere after the header, ignored by engines. */
export function appendCustomSection(wasm: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb(nameBytes.length), ...nameBytes];
  const size = body.length + payload.length;
  const head = Uint8Array.from([0, ...leb(size), ...body]);
  const out = new Uint8Array(wasm.length + head.length + payload.length);
  out.set(wasm, 0);
  out.set(head, wasm.length);
  out.set(payload, wasm.length + head.length);
  return out;
}

/** Reads the manifest of a compiled module (and its raw bytes, which the code's digest covers), or explains why it cannot. */
export function readManifest(mod: WebAssembly.Module): { manifest: Manifest; bytes: Uint8Array } | string {
  const sections = WebAssembly.Module.customSections(mod, SECTION);
  if (sections.length !== 1) return sections.length === 0 ? "the module has no pol manifest (was it compiled by `pol compile`?)" : "the module has more than one pol manifest";
  const bytes = new Uint8Array(sections[0]!);
  try {
    return { manifest: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Manifest, bytes };
  } catch (e) {
    return `the module's manifest is corrupt: ${(e as Error).message}`;
  }
}
