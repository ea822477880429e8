// The regex compiler's back end: subset construction (subset.ts), Hopcroft
// minimization (minimize.ts) and merging of code units into classes, giving
// the Dfa that run.ts searches with and serializes for stdlib/as/dfa.ts.

import { hopcroft, markDead } from "./minimize.js";
import type { Nfa } from "./nfa.js";
import { intervalOf, subsetConstruct } from "./subset.js";

export { ACCEPT, ACCEPT_END, DEAD } from "./flags.js";
export { MAX_DFA_STATES, MAX_WORK } from "./subset.js";

/** A minimal DFA; the same fields, in the same order, as the serialized table (FORMAT.md). */
export interface Dfa {
  numStates: number;
  numClasses: number;
  start: number;
  /** Class of each code unit below 0x80. */
  asciiClass: Uint16Array;
  /** Code units from 0x80 up: range i covers `[rangeStarts[i], rangeStarts[i+1])` and has class rangeClasses[i]. */
  rangeStarts: Uint16Array;
  rangeClasses: Uint16Array;
  /** `trans[state * numClasses + class]`. */
  trans: Uint16Array;
  flags: Uint8Array;
}

/** Builds the minimal DFA searching for `nfa` anywhere in the input. */
export function buildDfa(nfa: Nfa): Dfa {
  const raw = subsetConstruct(nfa);
  const k = raw.bounds.length;
  const n0 = raw.flags.length;
  const { blockOf, count: n } = hopcroft(n0, k, raw.trans, raw.flags);
  const trans = new Int32Array(n * k);
  const flags = new Array<number>(n).fill(0);
  for (let s = 0; s < n0; s++) {
    const b = blockOf[s];
    // Blocks never mix flags: the refinement starts from blocks of equal flags.
    flags[b] = raw.flags[s];
    for (let c = 0; c < k; c++) trans[b * k + c] = blockOf[raw.trans[s * k + c]];
  }
  markDead(n, k, trans, flags);
  return withClasses(raw.bounds, n, trans, flags, blockOf[raw.start]);
}

/** Merges intervals whose columns are equal in every state into one class, and lays out the lookup tables. */
function withClasses(bounds: number[], n: number, trans: Int32Array, flags: number[], start: number): Dfa {
  const k = bounds.length;
  const classOfInterval = new Int32Array(k);
  const classIds = new Map<string, number>();
  const repInterval: number[] = [];
  for (let i = 0; i < k; i++) {
    const col: number[] = [];
    for (let s = 0; s < n; s++) col.push(trans[s * k + i]);
    const key = col.join(",");
    let id = classIds.get(key);
    if (id === undefined) {
      id = repInterval.length;
      classIds.set(key, id);
      repInterval.push(i);
    }
    classOfInterval[i] = id;
  }
  const numClasses = repInterval.length;
  const asciiClass = new Uint16Array(128);
  for (let u = 0; u < 128; u++) asciiClass[u] = classOfInterval[intervalOf(bounds, u)];
  const starts: number[] = [0x80];
  const classes: number[] = [classOfInterval[intervalOf(bounds, 0x80)]];
  for (let i = 0; i < k; i++) {
    if (bounds[i] <= 0x80 || classOfInterval[i] === classes[classes.length - 1]) continue;
    starts.push(bounds[i]);
    classes.push(classOfInterval[i]);
  }
  const out = new Uint16Array(n * numClasses);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < numClasses; c++) out[s * numClasses + c] = trans[s * k + repInterval[c]];
  }
  return {
    numStates: n,
    numClasses,
    start,
    asciiClass,
    rangeStarts: Uint16Array.from(starts),
    rangeClasses: Uint16Array.from(classes),
    trans: out,
    flags: Uint8Array.from(flags),
  };
}
