// The input encoder: writes a validated call into the module's linear memory
// at the slots the manifest lists (numbers as f64, booleans as i32, strings as
// UTF-16 code units, lists as element arrays), reading only the paths the
// policy uses. Driven by the manifest; used by loader.ts on every decision.

import type { SlotJson } from "../compiler/manifest.js";
import { sameType, type FieldType } from "../language/types.js";

export interface ModuleMemory {
  memory: WebAssembly.Memory;
  /** Ensures `bytes` of variable area are writable; returns the variable area's base address. */
  reserve(bytes: number): number;
}

/** Typed views over linear memory, rebuilt whenever memory grows (growth detaches the old buffer). */
export class Writer {
  f64!: Float64Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  u16!: Uint16Array;
  private buffer?: ArrayBuffer;
  private base = 0;
  private pos = 0;
  private cap = 0;

  constructor(private readonly mem: ModuleMemory) {
    this.base = mem.reserve(0);
    this.refresh();
  }

  refresh(): void {
    // Growing memory detaches the old buffer (byteLength becomes 0): checking that avoids the
    // `memory.buffer` getter (~14 ns) on every call when nothing grew.
    if (this.buffer !== undefined && this.buffer.byteLength !== 0) return;
    const b = this.mem.memory.buffer;
    if (b === this.buffer) return;
    this.buffer = b;
    this.f64 = new Float64Array(b);
    this.u32 = new Uint32Array(b);
    this.i32 = new Int32Array(b);
    this.u16 = new Uint16Array(b);
    this.cap = b.byteLength - this.base - 65536;
  }

  /** Starts a new call: the variable area is reused from its start. */
  reset(): void {
    this.refresh();
    this.pos = 0;
  }

  /** Bytes of variable area used by this call (the module's scratch starts after them). */
  get used(): number {
    return this.pos;
  }

  /** Reserves `bytes` (8-aligned) in the variable area; returns the absolute address. */
  alloc(bytes: number): number {
    const at = this.pos;
    const next = at + ((bytes + 7) & ~7);
    if (next > this.cap) {
      this.mem.reserve(next);
      this.buffer = undefined;
      this.refresh();
    }
    this.pos = next;
    return this.base + at;
  }

  string(addr: number, s: string): void {
    const p = this.alloc(s.length * 2);
    const u16 = this.u16;
    for (let i = 0, j = p >> 1; i < s.length; i++, j++) u16[j] = s.charCodeAt(i);
    this.u32[addr >> 2] = p;
    this.u32[(addr >> 2) + 1] = s.length;
  }
}

type Enc = (w: Writer, base: number, v: unknown) => void;

/** An encoder for one value of type `t` into its 8-byte slot (or, for records, its inlined fields). */
function valueEncoder(s: SlotJson): Enc {
  const t = s.type;
  const off = s.offset;
  switch (t.kind) {
    case "number": return (w, base, v) => { w.f64[(base + off) >> 3] = v as number; };
    case "bool": return (w, base, v) => { w.i32[(base + off) >> 2] = v ? 1 : 0; };
    case "string": return (w, base, v) => w.string(base + off, v as string);
    case "record": {
      const inner = recordEncoder(s.record ?? [], t.fields);
      return (w, base, v) => inner(w, base, v);
    }
    case "list": {
      const elem = s.elem!;
      const size = elem.size;
      const one: Enc = elem.record ? recordEncoder(elem.record, t.elem.kind === "record" ? t.elem.fields : []) : valueEncoder({ name: "", type: t.elem, offset: 0, ...(elem.elem ? { elem: elem.elem } : {}) });
      return (w, base, v) => {
        const items = v as unknown[];
        const p = w.alloc(items.length * size);
        for (let i = 0; i < items.length; i++) one(w, p + i * size, items[i]);
        w.u32[(base + off) >> 2] = p;
        w.u32[((base + off) >> 2) + 1] = items.length;
      };
    }
    default: return () => { throw new Error(`internal error: cannot encode ${t.kind}`); };
  }
}

/**
 * An encoder for a record whose declared fields are `fields`: writes the slots
 * the layout has for exactly those fields (same name and type), with presence.
 */
export function recordEncoder(slots: SlotJson[], fields: FieldType[]): Enc {
  const parts: Enc[] = [];
  for (const s of slots) {
    const f = fields.find((x) => x.name === s.name && sameType(x.type, s.type) && s.type.kind === x.type.kind);
    if (!f) continue;
    const name = s.name;
    const value = valueEncoder(s);
    const pres = s.presence;
    parts.push((w, base, rec) => {
      const v = (rec as Record<string, unknown>)[name];
      const present = v !== undefined;
      if (pres !== undefined) w.i32[(base + pres) >> 2] = present ? 1 : 0;
      if (present) value(w, base, v);
    });
  }
  return (w, base, rec) => {
    for (let i = 0; i < parts.length; i++) parts[i]!(w, base, rec);
  };
}
