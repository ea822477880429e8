// Matching of rule, limit and default targets against tool names. Used by the
// checker (which declared tools a rule covers) and the interpreter; the wasm
// side matches undeclared tool names with stdlib's std_tool_match, which a
// differential test keeps equal to this.

import type { Target } from "./ast.js";

/**
 * Quoted patterns: `*` matches any run of characters (`"delete:*"`).
 * Dotted patterns: `*` matches exactly one whole segment (`db.*` matches
 * `db.delete`, not `db` nor `db.a.b`); a lone `*` matches every tool.
 */
export function targetMatches(t: Target, tool: string): boolean {
  if (!t.glob) return t.text === tool;
  if (t.quoted) return starGlob(t.text, tool);
  if (t.text === "*") return true;
  const pat = t.text.split(".");
  const name = tool.split(".");
  return pat.length === name.length && pat.every((p, i) => (p === "*" ? name[i]!.length > 0 : p === name[i]));
}

export function anyTargetMatches(ts: readonly Target[], tool: string): boolean {
  return ts.some((t) => targetMatches(t, tool));
}

/** `*` = any run (possibly empty); everything else literal. Greedy with backtrack to the last star: O(n·m). */
function starGlob(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === s[i]) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
