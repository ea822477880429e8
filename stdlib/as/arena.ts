// The bump arena holding every string a builtin derives (lower, host, ...).
// The generated decision code calls arenaStart at the start of each decision;
// stdlib functions call arenaAlloc. Nothing is freed: the next reset reuses it.

let arenaTop: usize = 0;
let epoch: u64 = 0;

/** Resets the arena to start at `base`, rounded up to 8, and starts a new epoch (see arenaEpoch). */
export function arenaStart(base: usize): void {
  arenaTop = (base + 7) & ~<usize>7;
  epoch++;
}

/**
 * Counts arena resets (a u64: it never wraps). Within one epoch (one decision) the text at a string
 * ref never changes, so a builtin may remember its last answer for a ref
 * until the epoch moves on (host() and in_cidr() do: a rule over a list of
 * ranges reads `host(args.url)` once per range; remembering took
 * examples/outbound's http.get decision from 8.2 µs to 2.4–3.0 µs on a loaded
 * 2-core machine, against 2.0 µs for the policy before ⊥ with 8 ranges).
 */
@inline export function arenaEpoch(): u64 {
  return epoch;
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
