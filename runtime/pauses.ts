// The kill switch's semantics: which pause covers a call, and how pause/resume targets map onto
// the PauseStore. Used by engine.ts (every decision, against cached pauses) and by the CLI
// (`pol pause`, `pol resume`), so both interpret patterns and classes identically.
//
// Patterns use the policy language's quoted-target glob: `*` matches any run of characters
// (`stripe.*` covers `stripe.refund` and `stripe.a.b`; `*` covers every tool); without `*` the
// pattern must equal the tool name. A class pause covers every tool at least as dangerous:
// read < write < destructive, so pausing writes also pauses destructive tools. Tools the policy
// does not declare count as destructive, so a class pause never lets an unknown tool through.

import type { Target } from "../language/ast.js";
import { NO_SPAN } from "../language/span.js";
import { targetMatches } from "../language/targets.js";
import { EngineError, type PauseTarget } from "./engine-types.js";
import type { Pause, PauseRequest, PauseStore, ToolClass } from "./store/index.js";

export const TOOL_CLASSES: readonly ToolClass[] = ["read", "write", "destructive"];
const RANK: Record<ToolClass, number> = { read: 0, write: 1, destructive: 2 };

const targets = new Map<string, Target>();

function patternTarget(pattern: string): Target {
  let t = targets.get(pattern);
  if (!t) {
    t = { text: pattern, quoted: true, glob: pattern.includes("*"), span: NO_SPAN };
    if (targets.size > 1000) targets.clear();
    targets.set(pattern, t);
  }
  return t;
}

export function pauseCovers(p: Pause, tool: string, toolClass: ToolClass): boolean {
  if (p.pattern !== undefined && !targetMatches(patternTarget(p.pattern), tool, toolClass)) return false;
  if (p.toolClass !== undefined && RANK[toolClass] < RANK[p.toolClass]) return false;
  return true;
}

/** The oldest pause covering the call, if any. */
export function pauseFor(pauses: readonly Pause[], tool: string, toolClass: ToolClass): Pause | undefined {
  for (const p of pauses) if (pauseCovers(p, tool, toolClass)) return p;
  return undefined;
}

export function pauseReason(p: Pause, tool: string): string {
  const what = p.pattern !== undefined ? `\`${p.pattern}\`${p.toolClass ? ` (${p.toolClass} tools)` : ""}` : `${p.toolClass} tools`;
  return `\`${tool}\` is paused: ${p.reason} (${p.id}, pausing ${what}${p.by ? `, by ${p.by}` : ""})`;
}

function checkClass(c: unknown): ToolClass {
  if (!TOOL_CLASSES.includes(c as ToolClass)) throw new EngineError("invalid", `unknown tool class \`${String(c)}\`; expected read, write or destructive`);
  return c as ToolClass;
}

/** The store request for a pause target. */
export function pauseRequest(target: PauseTarget, reason: string, by?: string): PauseRequest {
  const req: PauseRequest = { reason };
  if (by !== undefined) req.by = by;
  if (typeof target === "string") req.pattern = target;
  else if (target && typeof target === "object") {
    if (target.pattern !== undefined) req.pattern = target.pattern;
    if (target.class !== undefined) req.toolClass = checkClass(target.class);
  }
  if (req.pattern === undefined && req.toolClass === undefined) {
    throw new EngineError("invalid", "a pause needs a tool pattern or a tool class (use pattern `*` to pause everything)");
  }
  return req;
}

/**
 * Resumes: a string is a pause id or a pattern (the store's own rule: every pause with exactly
 * that pattern); `{ class }` resumes the pauses of that class without a pattern, `{ pattern, class }`
 * those with both. Throws a not-found error when nothing matches.
 */
export async function resumeTarget(store: PauseStore, target: PauseTarget): Promise<Pause[]> {
  if (typeof target === "string") return store.resume(target);
  if (!target || typeof target !== "object" || (target.pattern === undefined && target.class === undefined)) {
    throw new EngineError("invalid", "resume needs a pause id, a pattern or a tool class");
  }
  const cls = target.class === undefined ? undefined : checkClass(target.class);
  const hits = (await store.list()).filter((p) => p.pattern === target.pattern && p.toolClass === cls);
  if (hits.length === 0) {
    const what = [target.pattern !== undefined ? `pattern \`${target.pattern}\`` : "", cls ? `class ${cls}` : ""].filter(Boolean).join(" and ");
    throw new EngineError("not-found", `no pause has ${what}`);
  }
  const out: Pause[] = [];
  for (const p of hits) out.push(...(await store.resume(p.id)));
  return out;
}
