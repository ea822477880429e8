// The host's encoder for a policy's run inputs: the history lists its queries
// read (the run's earlier calls whose tool matches, as `{ tool, args }`), its
// run state and the clock, written into the slots the manifest names. Built
// once per loaded policy by loader.ts, only for policies that read them (a
// policy that reads none pays nothing); checks as language/validate.ts does.

import type { Manifest, SlotJson } from "../compiler/manifest.js";
import { classOf, type PolicyMeta } from "../language/meta.js";
import { anyTargetMatches } from "../language/targets.js";
import type { Type } from "../language/types.js";
import { validateRunInputs, type ValidateOptions } from "../language/validate.js";
import type { Writer } from "./encoder.js";

export type RunCodec = (call: Record<string, unknown>, w: Writer) => boolean;

/** Writes `v` (already validated as `t`) at `addr`, with `slot`'s record fields or list element layout. */
function put(w: Writer, addr: number, t: Type, slot: Pick<SlotJson, "record" | "elem">, v: unknown): void {
  switch (t.kind) {
    case "number": w.f64[addr >> 3] = v as number; return;
    case "bool": w.i32[addr >> 2] = v ? 1 : 0; return;
    case "string": w.string(addr, v as string); return;
    case "list": {
      const xs = v as unknown[];
      const e = slot.elem;
      if (!e) return;
      const p = w.alloc(xs.length * e.size);
      for (let i = 0; i < xs.length; i++) put(w, p + i * e.size, t.elem, e, xs[i]);
      w.u32[addr >> 2] = p;
      w.u32[(addr >> 2) + 1] = xs.length;
      return;
    }
    case "record": fields(w, addr, slot.record ?? [], v as Record<string, unknown>); return;
    default: return;
  }
}

/** The slots of a record at `base`: each present value written with its presence flag set, absent ones flagged 0. */
function fields(w: Writer, base: number, slots: SlotJson[], v: Record<string, unknown>): void {
  for (const s of slots) {
    const x = Object.prototype.hasOwnProperty.call(v, s.name) ? v[s.name] : undefined;
    if (s.presence !== undefined) w.i32[(base + s.presence) >> 2] = x === undefined ? 0 : 1;
    if (x !== undefined) put(w, s.type.kind === "record" ? base : base + s.offset, s.type, s, x);
  }
}

/** The encoder of `m`'s run inputs, or undefined when it reads none of them. */
export function compileRunCodec(m: Manifest, meta: PolicyMeta, IN: number, options: ValidateOptions): RunCodec | undefined {
  const time = m.layout.top.find((s) => s.name === "time");
  const state = m.layout.state ?? [];
  const history = (m.layout.history ?? []).map((slot) => ({ slot, targets: meta.queries[Number(slot.name.slice(1))]!.targets }));
  if (!time && state.length === 0 && history.length === 0 && !meta.readsClock && meta.queries.length === 0 && meta.state.length === 0) return undefined;
  return (call, w) => {
    const v = validateRunInputs(meta, call, options);
    if (!v) return false;
    if (time) w.f64[(IN + time.offset) >> 3] = v.time!;
    for (const s of state) put(w, IN + s.offset, s.type, s, v.state[s.name]);
    for (const { slot, targets } of history) {
      const entries = v.history.filter((h) => anyTargetMatches(targets, h.tool, classOf(meta, h.tool)));
      put(w, IN + slot.offset, slot.type, slot, entries);
    }
    return true;
  };
}
