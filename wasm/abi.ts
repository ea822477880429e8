// The AssemblyScript side of the pol ABI that does not depend on the policy:
// the ABI version, the variable input area the host writes strings and list
// elements into, and the per-call scratch reset. Every generated policy
// module re-exports POL_ABI and pol_input from here and calls pol_begin.

import { arenaStart } from "../stdlib/as/arena";

/** Checked by every host before the first call; compiler/abi.ts ABI_VERSION must equal it (tested). */
export const POL_ABI: i32 = 4;

/** Start of the variable input area, just above static data; 0 until first use. */
let VAR: usize = 0;

/** Makes room for `bytes` of variable input plus 64 KiB of scratch, growing memory if needed; returns where the area starts. */
export function pol_input(bytes: u32): usize {
  if (VAR == 0) VAR = (__heap_base + 15) & ~<usize>15;
  const need = VAR + <usize>bytes + 65536;
  const have = <usize>memory.size() << 16;
  if (need > have && memory.grow(<i32>((need - have + 0xffff) >>> 16)) < 0) unreachable();
  return VAR;
}

/** Starts a decision: scratch (derived strings, tables) restarts right after the `used` bytes of input, so nothing survives a call. */
export function pol_begin(used: u32): void {
  if (VAR == 0) pol_input(0);
  arenaStart(VAR + <usize>used);
}
