// Glob and tool-target matching for wasm (`matches "glob*"` and rule
// targets); twin of stdlib/ts/glob.ts, same algorithm and same variables.
// Called by the generated code's dispatch and expressions.

import { cpAt, cpWidth, slen32, unit } from "./str";

function wildMatch(pattern: i64, subject: i64, question: bool): bool {
  const m = slen32(pattern);
  const n = slen32(subject);
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < n) {
    if (p < m) {
      const c = cpAt(pattern, p);
      if (c == 0x2a) {
        p++;
        starP = p;
        starS = s;
        continue;
      }
      const sc = cpAt(subject, s);
      if (c == 0x3f && question) {
        p++;
        s += cpWidth(sc);
        continue;
      }
      let lit = c;
      let plen = cpWidth(c);
      if (c == 0x5c && p + 1 < m) {
        lit = cpAt(pattern, p + 1);
        plen = 1 + cpWidth(lit);
      }
      if (lit == sc) {
        p += plen;
        s += cpWidth(sc);
        continue;
      }
    }
    if (starP < 0) return false;
    starS += cpWidth(cpAt(subject, starS));
    s = starS;
    p = starP;
  }
  while (p < m && unit(pattern, p) == 0x2a) p++;
  return p == m;
}

export function std_glob(pattern: i64, s: i64): bool {
  return wildMatch(pattern, s, true);
}

function segEnd(s: i64, i: i32): i32 {
  const n = slen32(s);
  while (i < n && unit(s, i) != 0x2e) i++;
  return i;
}

export function std_tool_match(pattern: i64, quoted: bool, name: i64): bool {
  if (quoted) return wildMatch(pattern, name, false);
  const pn = slen32(pattern);
  const nn = slen32(name);
  let pi = 0;
  let ni = 0;
  let pe = 0;
  let ne = 0;
  let more = true;
  while (more) {
    pe = segEnd(pattern, pi);
    ne = segEnd(name, ni);
    if (pe - pi == 1 && unit(pattern, pi) == 0x2a) {
      if (ne == ni) return false;
    } else {
      if (pe - pi != ne - ni) return false;
      for (let k = 0; k < pe - pi; k++) if (unit(pattern, pi + k) != unit(name, ni + k)) return false;
    }
    more = pe < pn && ne < nn;
    pi = pe + 1;
    ni = ne + 1;
  }
  return pe == pn && ne == nn;
}
