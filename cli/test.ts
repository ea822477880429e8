// `pol test`: finds `*.test.yaml` suites, runs them against the compiled
// policies, prints a summary ending in `N passed, N failed`; JUnit/JSON
// reporters and rule coverage. Exit 0 all pass, 1 a case failed (or coverage
// below --coverage-min), 2 a suite or policy does not load.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { engineBackend } from "../policytest/backend.js";
import { coveragePercent, jsonReport, junitReport, textReport, totals } from "../policytest/report.js";
import { runSuite, type SuiteResult } from "../policytest/run.js";
import { loadSuite } from "../policytest/suite.js";
import { expandPaths } from "./files.js";
import type { Io } from "./io.js";

interface TestOpts { filter?: string; reporter?: string; output?: string; format?: string; coverage?: boolean; coverageMin?: string; verbose?: boolean }

function filterOf(pattern: string | undefined): ((name: string) => boolean) | undefined {
  if (!pattern) return undefined;
  const m = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (m) {
    const re = new RegExp(m[1]!, m[2]);
    return (n) => re.test(n);
  }
  return (n) => n.includes(pattern);
}

export async function testCommand(io: Io, paths: string[], opts: TestOpts): Promise<number> {
  const { files: all, missing } = expandPaths(paths.length ? paths : ["."], ".yaml");
  for (const m of missing) io.err(`error: no such file or directory \`${m}\`\n`);
  const files = all.filter((f) => /\.test\.ya?ml$/.test(f));
  if (files.length === 0 && !missing.length) {
    io.err("error: no `*.test.yaml` suites found\n");
    return 2;
  }
  const backend = engineBackend();
  const results: SuiteResult[] = [];
  for (const f of files) results.push(await runSuite(loadSuite(f), backend, filterOf(opts.filter)));
  const t = totals(results);
  const min = opts.coverageMin === undefined ? undefined : Number(opts.coverageMin);
  const text = textReport(results, { coverage: opts.coverage || min !== undefined, verbose: opts.verbose ?? false });
  if (opts.format === "json") io.out(jsonReport(results));
  else io.out(text);
  if (opts.reporter === "junit") {
    const out = opts.output ?? "pol-junit.xml";
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, junitReport(results));
    io.err(`wrote JUnit report to ${out}\n`);
  }
  if (missing.length || t.errors) return 2;
  if (t.failed) return 1;
  if (min !== undefined && coveragePercent(t) < min) {
    io.err(`rule coverage ${coveragePercent(t).toFixed(1)}% is below --coverage-min ${min}%\n`);
    return 1;
  }
  return 0;
}
