// Running a bundle's own `*.test.yaml` suites against its compiled module, the way `pol test` runs
// them (policytest/ on the real Engine, one fresh memory store per case), without compiling the
// sources again: the module is what will decide. Used by `pol build` before packing and by the
// Engine's reload before a swap (runtime/reload.ts loads this module only then).

import { engineBackend } from "../policytest/backend.js";
import { runSuiteOn, type SuiteResult } from "../policytest/run.js";
import { parseSuite } from "../policytest/suite.js";

export interface SuitesOutcome {
  suites: number;
  passed: number;
  failed: number;
  /** Suite errors: a suite that does not load or does not fit the policy. */
  errors: number;
  results: SuiteResult[];
  /** The first failure or error, one line, when there is one. */
  problem?: string;
}

function firstProblem(results: SuiteResult[]): string | undefined {
  for (const r of results) {
    const e = r.errors[0];
    if (e) return `${e.file}:${e.line}: ${e.message}`;
    const x = r.results.find((c) => !c.ok);
    if (x) return `case \`${x.case.name}\` (${x.case.where.file}:${x.case.where.line}): ${x.problems.join("; ")}`;
  }
  return undefined;
}

/**
 * Runs each suite (path → YAML text) against `module`. `policyFile` is the bundle's main policy:
 * a suite written for another policy is a suite error, not silently run against this one.
 */
export async function runBundledSuites(module: Uint8Array, suites: ReadonlyMap<string, string>, policyFile: string, files: ReadonlySet<string>): Promise<SuitesOutcome> {
  const backend = engineBackend();
  const results: SuiteResult[] = [];
  for (const [path, text] of [...suites].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const suite = parseSuite(text, path, (p) => files.has(p));
    if (suite.errors.length === 0 && suite.policyFile !== policyFile) {
      suite.errors.push({ file: path, line: 1, col: 1, message: `the suite tests \`${suite.policyFile}\`, not the bundle's policy \`${policyFile}\`` });
    }
    results.push(await runSuiteOn(suite, module, backend));
  }
  const passed = results.reduce((n, r) => n + r.results.filter((x) => x.ok).length, 0);
  const failed = results.reduce((n, r) => n + r.results.filter((x) => !x.ok).length, 0);
  const errors = results.reduce((n, r) => n + r.errors.length, 0);
  const problem = firstProblem(results);
  return { suites: results.length, passed, failed, errors, results, ...(problem !== undefined ? { problem } : {}) };
}

/** One line: `12 cases in 2 suites passed`, or what failed. */
export function suitesLine(o: SuitesOutcome): string {
  const cases = `${o.passed + o.failed} case${o.passed + o.failed === 1 ? "" : "s"} in ${o.suites} suite${o.suites === 1 ? "" : "s"}`;
  if (o.failed === 0 && o.errors === 0) return `${cases} passed`;
  return `${o.failed} of ${cases} failed${o.errors ? `, ${o.errors} suite error${o.errors === 1 ? "" : "s"}` : ""}: ${o.problem}`;
}
