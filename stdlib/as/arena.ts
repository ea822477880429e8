// The bump arena holding every string a builtin derives (lower, host, ...).
// The generated decision code calls arenaStart at the start of each decision;
// stdlib functions call arenaAlloc. Nothing is freed: the next reset reuses it.

let arenaTop: usize = 0;

/** Resets the arena to start at `base`, rounded up to 8. */
export function arenaStart(base: usize): void {
  arenaTop = (base + 7) & ~<usize>7;
}

/** Returns `bytes` fresh bytes (8-aligned), growing linear memory when needed; traps if it cannot grow. */
export function arenaAlloc(bytes: usize): usize {
  const p = arenaTop;
  const end = (p + bytes + 7) & ~<usize>7;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  arenaTop = end;
  return p;
}
