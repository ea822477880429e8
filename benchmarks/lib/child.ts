// The contract between benchmarks/run.ts and each suite: a suite runs in its own
// Node process (a clean JIT and heap per suite), reads `--quick`, logs progress to
// stderr and writes its figures as JSON to the file named by `--out`.

import { writeFileSync } from "node:fs";
import { stopCompiler } from "../../compiler/asc.js";

export interface SuiteOptions {
  quick: boolean;
}

/** Progress for the person watching; figures go to the JSON file only. */
export const log = (msg: string) => process.stderr.write(`  ${msg}\n`);

/** Runs `suite` when this file is the process's entry point. */
export async function runSuite<T>(suite: (o: SuiteOptions) => Promise<T>): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const at = argv.indexOf("--out");
  const result = await suite({ quick });
  const json = JSON.stringify(result, null, 1);
  if (at >= 0) writeFileSync(argv[at + 1]!, json);
  else process.stdout.write(json + "\n");
  await stopCompiler();
}
