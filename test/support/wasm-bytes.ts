// Byte-level surgery on compiled policy modules for the fail-closed tests:
// lists a module's sections and drops custom sections by name. Used by
// test/wasm-invariants.test.ts to build modules without (or with a forged) manifest.

export interface Section { id: number; start: number; end: number; name?: string }

function leb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = bytes[i++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i };
    shift += 7;
  }
}

/** The top-level sections after the 8-byte header; custom sections (id 0) carry their name. */
export function sections(wasm: Uint8Array): Section[] {
  const out: Section[] = [];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at]!;
    const size = leb(wasm, at + 1);
    const end = size.next + size.value;
    const s: Section = { id, start: at, end };
    if (id === 0) {
      const n = leb(wasm, size.next);
      s.name = new TextDecoder().decode(wasm.subarray(n.next, n.next + n.value));
    }
    out.push(s);
    at = end;
  }
  if (at !== wasm.length) throw new Error("malformed module: a section runs past the end");
  return out;
}

/** The module without its custom sections called `name`. */
export function withoutCustomSection(wasm: Uint8Array, name: string): Uint8Array {
  const keep = sections(wasm).filter((s) => !(s.id === 0 && s.name === name));
  const parts = [wasm.subarray(0, 8), ...keep.map((s) => wasm.subarray(s.start, s.end))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
