// The writer the generated codecs (codec.ts) use to put a call into the
// module's linear memory: typed views that survive memory growth, a bump
// allocator for the variable area, and UTF-16 string writes. Used by
// loader.ts on every decision.

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

  /** The module's memory size as last seen (bytes). */
  get memoryBytes(): number {
    return this.buffer?.byteLength ?? 0;
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
