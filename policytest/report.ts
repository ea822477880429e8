// Reporters for `pol test`: a readable summary ending in `N passed, N failed`,
// JUnit XML for CI systems, and JSON; plus the coverage table. Fed the
// SuiteResults of run.ts.

import type { CaseResult, RuleCoverage, SuiteResult } from "./run.js";

export interface Totals { passed: number; failed: number; errors: number; rules: number; decided: number }

export function totals(rs: SuiteResult[]): Totals {
  const cov = rs.flatMap((r) => r.coverage);
  return {
    passed: rs.reduce((n, r) => n + r.results.filter((x) => x.ok).length, 0),
    failed: rs.reduce((n, r) => n + r.results.filter((x) => !x.ok).length, 0),
    errors: rs.reduce((n, r) => n + r.errors.length, 0),
    rules: cov.length,
    decided: cov.filter((c) => c.decided).length,
  };
}

export const coveragePercent = (t: Totals) => (t.rules === 0 ? 100 : (100 * t.decided) / t.rules);

function failure(x: CaseResult): string[] {
  const d = x.decision;
  const lines = [`  ✗ ${x.case.name}  (${x.case.where.file}:${x.case.where.line})`, `      call: ${JSON.stringify(x.case.call)}`, ...x.problems.map((p) => `      ${p}`)];
  if (d) {
    lines.push(`      decision: ${d.effect} by ${d.rules.map((r) => `${r.id} (${r.span.file}:${r.span.line})`).join(", ") || d.decidedBy}`);
    lines.push(`      matched rules: ${d.matched.join(", ") || "none"}`);
    for (const r of d.reasons) lines.push(`      reason: ${r}`);
  }
  return lines;
}

export function textReport(rs: SuiteResult[], opts: { coverage?: boolean; verbose?: boolean }): string {
  const out: string[] = [];
  for (const r of rs) {
    out.push(r.suite.file);
    for (const e of r.errors) out.push(`  error: ${e.file}:${e.line}:${e.col}: ${e.message}`);
    if (r.policyErrors) out.push(r.policyErrors.replace(/^/gm, "    "));
    for (const x of r.results) {
      if (x.ok) {
        if (opts.verbose) out.push(`  ✓ ${x.case.name}`);
      } else out.push(...failure(x));
    }
    const passed = r.results.filter((x) => x.ok).length;
    if (!r.errors.length) out.push(`  ${passed} of ${r.results.length} cases passed`);
  }
  const t = totals(rs);
  if (opts.coverage) {
    out.push("", `rule coverage: ${t.decided} of ${t.rules} rules decided a case (${coveragePercent(t).toFixed(1)}%)`);
    for (const c of rs.flatMap((r) => r.coverage).filter((c) => !c.decided)) out.push(`  uncovered: ${c.id} at ${c.file}:${c.line}:${c.col}${c.matched ? " (matched, but never decided)" : ""}`);
  }
  if (t.errors) out.push("", `${t.errors} suite error${t.errors === 1 ? "" : "s"}`);
  out.push("", `${t.passed} passed, ${t.failed} failed`);
  return out.join("\n") + "\n";
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

/** JUnit XML: one <testsuite> per suite file, suite errors as <error> test cases. */
export function junitReport(rs: SuiteResult[]): string {
  const t = totals(rs);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="pol test" tests="${t.passed + t.failed + t.errors}" failures="${t.failed}" errors="${t.errors}">`];
  for (const r of rs) {
    const failures = r.results.filter((x) => !x.ok).length;
    const time = r.results.reduce((n, x) => n + x.ms, 0) / 1000;
    out.push(`  <testsuite name="${esc(r.suite.file)}" tests="${r.results.length + r.errors.length}" failures="${failures}" errors="${r.errors.length}" time="${time.toFixed(3)}">`);
    for (const e of r.errors) out.push(`    <testcase name="${esc(`suite error at line ${e.line}`)}" classname="${esc(r.suite.file)}"><error message="${esc(e.message)}">${esc(`${e.file}:${e.line}:${e.col}: ${e.message}`)}</error></testcase>`);
    for (const x of r.results) {
      const head = `    <testcase name="${esc(x.case.name)}" classname="${esc(r.suite.file)}" file="${esc(x.case.where.file)}" line="${x.case.where.line}" time="${(x.ms / 1000).toFixed(3)}"`;
      if (x.ok) out.push(`${head}/>`);
      else out.push(`${head}><failure message="${esc(x.problems[0] ?? "failed")}">${esc(failure(x).join("\n"))}</failure></testcase>`);
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}

export function jsonReport(rs: SuiteResult[], extra: Record<string, unknown> = {}): string {
  const t = totals(rs);
  return JSON.stringify(
    {
      ...t,
      coverage: coveragePercent(t),
      suites: rs.map((r) => ({
        file: r.suite.file,
        policy: r.policyFile,
        errors: r.errors,
        cases: r.results.map((x) => ({ name: x.case.name, file: x.case.where.file, line: x.case.where.line, ok: x.ok, problems: x.problems, effect: x.decision?.effect, rules: x.decision?.rules.map((q) => q.id) })),
        rules: r.coverage satisfies RuleCoverage[],
      })),
      ...extra,
    },
    null,
    2,
  ) + "\n";
}
