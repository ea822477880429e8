// Matching of rule, limit and default targets against tool names. Used by the
// checker (which declared tools a rule covers) and the interpreter; the wasm
// side matches undeclared tool names with stdlib's std_tool_match, which a
// differential test keeps equal to this.

import type { Target, ToolClass } from "./ast.js";

/** What matching needs of a target (an AST Target, or the span-less copy in a manifest). */
export type TargetLike = Pick<Target, "text" | "quoted" | "glob" | "cls">;

/**
 * Quoted patterns: `*` matches any run of characters (`"delete:*"`).
 * Dotted patterns: `*` matches exactly one whole segment (`db.*` matches
 * `db.delete`, not `db` nor `db.a.b`); a lone `*` matches every tool.
 * `class(C)` matches the tools of class C; `cls` is the tool's declared class,
 * undefined for a tool without a declaration, which counts as `destructive`
 * (as the runtime's kill switch reads it): fail closed.
 */
export function targetMatches(t: TargetLike, tool: string, cls: ToolClass | undefined): boolean {
  if (t.cls) return t.cls === (cls ?? "destructive");
  if (!t.glob) return t.text === tool;
  if (t.quoted) return starGlob(t.text, tool);
  if (t.text === "*") return true;
  const pat = t.text.split(".");
  const name = tool.split(".");
  return pat.length === name.length && pat.every((p, i) => (p === "*" ? name[i]!.length > 0 : p === name[i]));
}

export function anyTargetMatches(ts: readonly TargetLike[], tool: string, cls: ToolClass | undefined): boolean {
  return ts.some((t) => targetMatches(t, tool, cls));
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
