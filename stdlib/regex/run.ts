// Running and serializing a compiled regex DFA (dfa.ts). dfaSearch is what the
// reference interpreter calls for `=~`; serializeDfa writes the table the
// compiler embeds in the module for stdlib/as/dfa.ts (layout in FORMAT.md).

import { ACCEPT, ACCEPT_END, DEAD, type Dfa } from "./dfa.js";

export const FORMAT_VERSION = 1;

/** The class of code unit `u`: a direct lookup below 0x80, else a binary search of the ranges. */
export function classOf(dfa: Dfa, u: number): number {
  if (u < 0x80) return dfa.asciiClass[u];
  const starts = dfa.rangeStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= u) lo = mid;
    else hi = mid - 1;
  }
  return dfa.rangeClasses[lo];
}

/**
 * Whether some substring of `s` matches (JS `RegExp.prototype.test`
 * semantics). One table step per UTF-16 code unit, stopping at the first
 * accepting or dead state: linear time whatever the regex.
 */
export function dfaSearch(dfa: Dfa, s: string): boolean {
  let st = dfa.start;
  let f = dfa.flags[st];
  if (f & ACCEPT) return true;
  if (f & DEAD) return false;
  for (let i = 0; i < s.length; i++) {
    st = dfa.trans[st * dfa.numClasses + classOf(dfa, s.charCodeAt(i))];
    f = dfa.flags[st];
    if (f & ACCEPT) return true;
    if (f & DEAD) return false;
  }
  return (f & ACCEPT_END) !== 0;
}

/** The table layout documented in FORMAT.md: little-endian u16 words, then one flag byte per state. */
export function serializeDfa(dfa: Dfa): Uint8Array {
  const nr = dfa.rangeStarts.length;
  const words = 6 + 128 + 2 * nr + dfa.numStates * dfa.numClasses;
  const bytes = new Uint8Array(words * 2 + dfa.numStates);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const put = (v: number) => {
    view.setUint16(at, v, true);
    at += 2;
  };
  put(FORMAT_VERSION);
  put(dfa.numStates);
  put(dfa.numClasses);
  put(dfa.start);
  put(nr);
  put(0);
  dfa.asciiClass.forEach(put);
  dfa.rangeStarts.forEach(put);
  dfa.rangeClasses.forEach(put);
  dfa.trans.forEach(put);
  bytes.set(dfa.flags, at);
  return bytes;
}

/** Reads a table written by serializeDfa (used by tests and tools). */
export function deserializeDfa(bytes: Uint8Array): Dfa {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const get = () => {
    const v = view.getUint16(at, true);
    at += 2;
    return v;
  };
  const words = (count: number) => Uint16Array.from({ length: count }, get);
  if (get() !== FORMAT_VERSION) throw new Error("unknown regex table version");
  const numStates = get();
  const numClasses = get();
  const start = get();
  const nr = get();
  get();
  const asciiClass = words(128);
  const rangeStarts = words(nr);
  const rangeClasses = words(nr);
  const trans = words(numStates * numClasses);
  const flags = bytes.slice(at, at + numStates);
  return { numStates, numClasses, start, asciiClass, rangeStarts, rangeClasses, trans, flags };
}
