// `pol test`: finds `*.test.yaml` suites, runs them against the compiled policies, prints a
// summary ending in `N passed, N failed`; JUnit/JSON reporters and rule coverage. Exit 0 all
// pass, 1 a case failed (or coverage below --coverage-min), 2 a suite or policy does not load,
// a path is missing, or a report cannot be written.

import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { engineBackend } from "../policytest/backend.js";
import { coveragePercent, jsonReport, junitReport, textReport, totals } from "../policytest/report.js";
import { runSuite, type SuiteResult } from "../policytest/run.js";
import { loadSuite } from "../policytest/suite.js";
import { EXIT } from "./exit.js";
import { inputs } from "./files.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";
import { makeDir } from "../runtime/make-dir.js";

interface TestOpts { filter?: string; reporter?: string; output?: string; format?: string; coverage?: boolean; coverageMin?: number; verbose?: boolean }

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
  const json = opts.format === "json";
  const problems = new Problems(io, json);
  if (opts.output !== undefined && opts.reporter === undefined) return problems.fail("`--output` names the file `--reporter junit` writes: add `--reporter junit`");
  let filter: ((name: string) => boolean) | undefined;
  try {
    filter = filterOf(opts.filter);
  } catch (e) {
    return problems.fail(`\`--filter\` is not a valid /regex/: ${(e as Error).message}`);
  }
  const files = inputs(paths, ".yaml", problems, (f) => /\.test\.ya?ml$/.test(f), "`*.test.yaml` suites");
  if (files.length === 0) return problems.fail();
  const backend = engineBackend();
  const results: SuiteResult[] = [];
  for (const f of files) results.push(await runSuite(loadSuite(f), backend, filter));
  const t = totals(results);
  const min = opts.coverageMin;
  if (opts.reporter === "junit") {
    const out = opts.output ?? "pol-junit.xml";
    try {
      makeDir(dirname(out));
      writeFileSync(out, junitReport(results));
      io.err(`wrote JUnit report to ${out}\n`);
    } catch (e) {
      problems.add(`cannot write the JUnit report \`${out}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, out);
    }
  }
  if (json) io.out(jsonReport(results, { errors: problems.list }));
  else io.out(textReport(results, { coverage: opts.coverage || min !== undefined, verbose: opts.verbose ?? false }));
  if (problems.any || t.errors) return EXIT.usage;
  if (t.failed) return EXIT.failed;
  // A filter that selects nothing (a typo) must not pass CI green.
  if (opts.filter !== undefined && t.passed === 0) {
    io.err(`no test case matches --filter ${opts.filter}: nothing was run\n`);
    return EXIT.failed;
  }
  if (min !== undefined && coveragePercent(t) < min) {
    io.err(`rule coverage ${coveragePercent(t).toFixed(1)}% is below --coverage-min ${min}%\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
