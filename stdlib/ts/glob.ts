// Glob and tool-target matching (TypeScript reference): `matches "glob*"` in
// expressions and rule targets like `db.*` or `"delete:*"`. Called by the
// interpreter and the compiler's dispatch; stdlib/as/glob.ts is the wasm twin.

import { cpAt, cpWidth } from "./utf16.js";

/**
 * Whole-string wildcard match over code points. `*` matches any run of code
 * points (also empty); `?` matches exactly one code point when `question` is
 * true and is a literal otherwise; `\` makes the next code point literal (a
 * trailing `\` is a literal backslash). Greedy two-pointer scan that
 * backtracks only to the last `*`: O(len(pattern) × len(subject)) at worst.
 */
function wildMatch(pattern: string, subject: string, question: boolean): boolean {
  const m = pattern.length;
  const n = subject.length;
  let p = 0;
  let s = 0;
  let starP = -1; // pattern index just after the last `*`
  let starS = 0; // subject index that `*` is currently assumed to stop at
  while (s < n) {
    if (p < m) {
      const c = cpAt(pattern, p);
      if (c === 0x2a) {
        p++;
        starP = p;
        starS = s;
        continue;
      }
      const sc = cpAt(subject, s);
      if (c === 0x3f && question) {
        p++;
        s += cpWidth(sc);
        continue;
      }
      let lit = c;
      let plen = cpWidth(c);
      if (c === 0x5c && p + 1 < m) {
        lit = cpAt(pattern, p + 1);
        plen = 1 + cpWidth(lit);
      }
      if (lit === sc) {
        p += plen;
        s += cpWidth(sc);
        continue;
      }
    }
    if (starP < 0) return false;
    // Let the last `*` swallow one more code point and retry from there.
    starS += cpWidth(cpAt(subject, starS));
    s = starS;
    p = starP;
  }
  while (p < m && pattern.charCodeAt(p) === 0x2a) p++;
  return p === m;
}

/**
 * `globMatch(pattern, subject)`: whether the whole `subject` matches
 * `pattern`, where `*` matches any run of code points (including none), `?`
 * exactly one code point, and `\` makes the next character literal (`\*`, `\?`,
 * `\\`; a trailing `\` is a literal backslash). Case-sensitive, no `[...]`
 * classes, and `*` also matches `/` and `.`.
 */
export function globMatch(pattern: string, subject: string): boolean {
  return wildMatch(pattern, subject, true);
}

/** End of the dot-separated segment of `s` starting at `i`. */
function segEnd(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) !== 0x2e) i++;
  return i;
}

/**
 * `toolMatch(pattern, quoted, name)`: whether a rule target covers a tool name.
 * Quoted targets (`"delete:*"`) use `globMatch` rules except that `?` is a
 * literal: `*` is the only wildcard (and `\` still escapes). Dotted targets
 * (`db.*`, `mcp.*.read`) compare dot-separated segments: the segment counts
 * must be equal, a `*` segment matches exactly one non-empty name segment, and
 * every other segment must be equal (so `db*` is literal and `db.*` does not
 * cover `db` or `db.a.b`).
 */
export function toolMatch(pattern: string, quoted: boolean, name: string): boolean {
  if (quoted) return wildMatch(pattern, name, false);
  let pi = 0;
  let ni = 0;
  let pe = 0;
  let ne = 0;
  let more = true;
  while (more) {
    pe = segEnd(pattern, pi);
    ne = segEnd(name, ni);
    if (pe - pi === 1 && pattern.charCodeAt(pi) === 0x2a) {
      if (ne === ni) return false;
    } else if (pe - pi !== ne - ni || pattern.slice(pi, pe) !== name.slice(ni, ne)) {
      return false;
    }
    more = pe < pattern.length && ne < name.length;
    pi = pe + 1;
    ni = ne + 1;
  }
  return pe === pattern.length && ne === name.length;
}
