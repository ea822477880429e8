// The regex DFA runner for wasm: reads a table written by serializeDfa
// (stdlib/regex/run.ts; layout in stdlib/regex/FORMAT.md) that the compiler
// embeds in static memory. Twin of dfaSearch: one table step per code unit.

import { slen32, unit } from "./str";

const ACCEPT: u8 = 1;
const ACCEPT_END: u8 = 2;
const DEAD: u8 = 4;
const HEADER: usize = 12;

export function std_dfa_search(table: usize, s: i64): bool {
  const numStates = <usize>load<u16>(table, 2);
  const numClasses = <usize>load<u16>(table, 4);
  let st = <usize>load<u16>(table, 6);
  const nr = <i32>load<u16>(table, 8);
  const ascii = table + HEADER;
  const rangeStarts = ascii + 256;
  const rangeClasses = rangeStarts + (<usize>nr << 1);
  const trans = rangeClasses + (<usize>nr << 1);
  const flags = trans + ((numStates * numClasses) << 1);
  let f = load<u8>(flags + st);
  if (f & ACCEPT) return true;
  if (f & DEAD) return false;
  const n = slen32(s);
  for (let i = 0; i < n; i++) {
    const u = unit(s, i);
    let cls: usize;
    if (u < 0x80) {
      cls = <usize>load<u16>(ascii + (<usize>u << 1));
    } else {
      // The last range whose start is <= u; range 0 starts at 0x80.
      let lo = 0;
      let hi = nr - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (<i32>load<u16>(rangeStarts + (<usize>mid << 1)) <= u) lo = mid;
        else hi = mid - 1;
      }
      cls = <usize>load<u16>(rangeClasses + (<usize>lo << 1));
    }
    st = <usize>load<u16>(trans + ((st * numClasses + cls) << 1));
    f = load<u8>(flags + st);
    if (f & ACCEPT) return true;
    if (f & DEAD) return false;
  }
  return (f & ACCEPT_END) != 0;
}
