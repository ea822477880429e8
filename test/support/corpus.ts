// The conformance corpus model: reads test/conformance/*.yaml into policy
// groups and checks a Decision against a case's `want`. Feeds
// test/conformance.test.ts; the matcher returns problems, never throws.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { Decision } from "../../language/call.js";
import type { ValidateOptions } from "../../language/validate.js";

export interface WantLimit {
  id: string;
  amount: number;
  key: string;
  kind?: "calls" | "sum";
  max?: number;
  windowSeconds?: number;
  /** The approver groups of an `else approve` limit. */
  escalate?: string[];
}

/** What a case expects. Absent fields are not checked; `reasons` are substrings, one per reason, in order. */
export interface Want {
  effect: "allow" | "deny" | "approve";
  decidedBy?: Decision["decidedBy"];
  rules?: string[];
  matched?: string[];
  reasons?: string[];
  approvers?: string[];
  limits?: WantLimit[];
  redact?: string[];
  /** What the call adds to run state (`on ... add ... to ...`), in order. */
  updates?: { state: string; value: number | string | boolean }[];
}

/** `bug` marks a known engine bug (reported; the case stays as the spec says and is expected to fail). */
export interface Case { name: string; call: unknown; want: Want; bug?: string }

export interface Group {
  /** The YAML file the group came from (base name). */
  file: string;
  name: string;
  /** The policy source; checked as `policyFile` (so unlabelled rule ids read `policy.pol:LINE`). */
  policy: string;
  policyFile: string;
  /** Validation options for both engines (extraArgs, maxString, maxList). */
  options: ValidateOptions;
  cases: Case[];
}

const WANT_KEYS = new Set(["effect", "decidedBy", "rules", "matched", "reasons", "approvers", "limits", "redact", "updates"]);

/** Reads every group of every `*.yaml` in `dir`; throws on a malformed corpus file (a typo must not silently skip cases). */
export function readCorpus(dir: string): Group[] {
  const out: Group[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    let doc: unknown;
    try {
      // Warnings too: an unquoted `!= …` parses as a YAML tag and silently changes the value.
      const d = parseDocument(readFileSync(join(dir, file), "utf8"));
      const problem = d.errors[0] ?? d.warnings[0];
      if (problem) throw problem;
      doc = d.toJS();
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    if (!Array.isArray(doc)) throw new Error(`${file}: expected a list of policy groups`);
    for (const g of doc as Record<string, unknown>[]) {
      const where = `${file}: group ${JSON.stringify(g["name"])}`;
      if (typeof g["name"] !== "string" || typeof g["policy"] !== "string" || !Array.isArray(g["cases"]) || g["cases"].length === 0) {
        throw new Error(`${where}: needs name, policy and a non-empty cases list`);
      }
      const cases = (g["cases"] as Record<string, unknown>[]).map((c) => {
        const want = c["want"] as Record<string, unknown> | undefined;
        if (typeof c["name"] !== "string" || !("call" in c) || !want || typeof want["effect"] !== "string") throw new Error(`${where}: case ${JSON.stringify(c["name"])} needs name, call and want.effect`);
        for (const k of Object.keys(want)) if (!WANT_KEYS.has(k)) throw new Error(`${where}: case ${c["name"]}: unknown want field \`${k}\``);
        return { name: c["name"], call: c["call"], want: want as unknown as Want, ...(typeof c["bug"] === "string" ? { bug: c["bug"] } : {}) };
      });
      out.push({ file, name: g["name"], policy: g["policy"], policyFile: typeof g["file"] === "string" ? g["file"] : "policy.pol", options: (g["options"] ?? {}) as ValidateOptions, cases });
    }
  }
  return out;
}

const show = (v: unknown) => JSON.stringify(v);
const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

/** The ways `d` differs from `want`, as readable lines (empty when it conforms). */
export function mismatches(d: Decision, want: Want): string[] {
  const p: string[] = [];
  if (d.effect !== want.effect) p.push(`effect: want ${want.effect}, got ${d.effect}`);
  if (want.decidedBy !== undefined && d.decidedBy !== want.decidedBy) p.push(`decidedBy: want ${want.decidedBy}, got ${d.decidedBy}`);
  const ruleIds = d.rules.map((r) => r.id);
  if (want.rules && !sameList(ruleIds, want.rules)) p.push(`rules: want ${show(want.rules)}, got ${show(ruleIds)}`);
  if (want.matched && !sameList(d.matched, want.matched)) p.push(`matched: want ${show(want.matched)}, got ${show(d.matched)}`);
  if (want.reasons && (d.reasons.length !== want.reasons.length || want.reasons.some((s, i) => !d.reasons[i]!.includes(s)))) {
    p.push(`reasons: want one per substring ${show(want.reasons)}, got ${show(d.reasons)}`);
  }
  // Approver groups are a set: merging several rules' `by` has no meaningful order.
  if (want.approvers && !sameList([...d.approvers].sort(), [...want.approvers].sort())) p.push(`approvers: want ${show(want.approvers)}, got ${show(d.approvers)}`);
  if (want.limits) {
    const got = d.limits.map((l) => ({ id: l.id, amount: l.amount, key: l.key, kind: l.kind, max: l.max, windowSeconds: l.windowSeconds, ...(l.escalate ? { escalate: l.escalate } : {}) }));
    const same = (a: unknown, b: unknown) => (Array.isArray(a) && Array.isArray(b) ? sameList(a, b) : Object.is(a, b));
    const ok = got.length === want.limits.length && want.limits.every((w, i) => Object.entries(w).every(([k, v]) => same((got[i] as Record<string, unknown>)[k], v)));
    if (!ok) p.push(`limits: want ${show(want.limits)}, got ${show(got)}`);
  }
  if (want.redact && !sameList(d.redact, want.redact)) p.push(`redact: want ${show(want.redact)}, got ${show(d.redact)}`);
  if (want.updates && show(d.updates ?? []) !== show(want.updates)) p.push(`updates: want ${show(want.updates)}, got ${show(d.updates ?? [])}`);
  return p;
}
