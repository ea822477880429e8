// The host side of the pol wasm ABI in one place: the version, the names a policy module exports,
// and the byte layout of its output block. The emitter (emit.ts) writes modules to it, the loader
// (runtime/loader.ts) and the compiler's address probe read them through it; the AssemblyScript
// side (wasm/abi.ts) repeats the version, and a test keeps the two equal. docs/abi.md explains it.

import type { Program } from "./ir.js";

/**
 * Bumped whenever a module built by one version could be misread by a host of another.
 * 2: the output block records where conditions and sums met ⊥; 3: modules export the SHA-256
 * of their manifest (pol_manifest); 4: the input block holds run history, run state and the
 * host's clock, and the output block which conditional limits apply and what updates run state.
 */
export const ABI_VERSION = 4;

/** Export names. `decide`, `in` and `out` carry a `p${k}_` prefix in batch modules (compileBatch). */
export const EXPORTS = {
  abi: "POL_ABI",
  memory: "memory",
  input: "pol_input",
  decide: "pol_decide",
  in: "pol_in",
  out: "pol_out",
  /** Address of the 32-byte SHA-256 of the module's manifest section: binds the manifest (which gives matched rules their effects) to the code. */
  manifest: "pol_manifest",
} as const;

/** The AssemblyScript modules every generated policy imports, relative to the package root (without `.ts`, as asc resolves them). */
export const AS_IMPORTS = { stdlib: "stdlib/as/index", abi: "wasm/abi" } as const;

/**
 * Byte layout of the output block (docs/abi.md): the matched-rule count (u32 at 0), the ⊥ count
 * (u32 at `failed`), one f64 per sum expression, their ⊥ sites (u32), the matched rule indices
 * (u32), and the ⊥ site of each match (u32).
 */
export function outLayout(p: Pick<Program, "sumExprs" | "effects" | "limitConds" | "updates">): OutLayout {
  const sums = 8;
  const sumWhy = sums + 8 * p.sumExprs.length;
  const matched = sumWhy + 4 * p.sumExprs.length;
  const why = matched + 4 * Math.max(1, p.effects.length);
  // Appended only when used, so a policy without conditional limits or updates keeps the version-3 layout.
  const limWhy = why + 4 * Math.max(1, p.effects.length);
  // Update values are f64 and i64: 8-aligned, so hosts read them through 8-byte views.
  const upd = (limWhy + (p.limitConds.some((c) => c !== undefined) ? 4 * p.limitConds.length : 0) + 7) & ~7;
  return { failed: 4, sums, sumWhy, matched, why, limWhy, upd, size: upd + 16 * p.updates.length };
}

/**
 * `limWhy` + 4·k: u32 for conditional limit k, 0 when its condition is false, 1 when true, 2 + site when ⊥;
 * `upd` + 16·u: u32 for update u (0 not applied, 1 applied, 2 + site ⊥) and its value at + 8 (f64, i32 bool or i64 string ref).
 */
export interface OutLayout { failed: number; sums: number; sumWhy: number; matched: number; why: number; limWhy: number; upd: number; size: number }
