// `pol build <dir|file.pol> -o bundle.polb [--sign key.pem]`: a policy bundle (bundle/build.ts):
// compiled, its suites run against the module, packed with sources and suites, signed. The file is
// written beside its destination and renamed over it, so a watching engine never reads half of it.
// Exit 0 built, 1 the policy has errors or its suites fail, 2 usage or I/O (a bad key, a missing path).

import { renameSync, writeFileSync } from "node:fs";
import { textReport } from "../policytest/report.js";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";

interface BuildOpts { out: string; sign?: string; test?: boolean }

export async function buildCommand(io: Io, path: string, opts: BuildOpts): Promise<number> {
  const problems = new Problems(io, false);
  const { buildBundle, BuildError } = await import("../bundle/build.js");
  const { BundleError } = await import("../bundle/format.js");
  const { suitesLine } = await import("../bundle/suites.js");
  const t0 = performance.now();
  let built;
  try {
    built = await buildBundle(path, { ...(opts.sign !== undefined ? { signKey: opts.sign } : {}), test: opts.test !== false });
  } catch (e) {
    if (e instanceof BuildError && e.code === "compile") {
      io.err(`${e.detail ?? ""}\n`);
      io.err(`error: ${e.message}\n`);
      return EXIT.failed;
    }
    if (e instanceof BuildError && e.code === "tests") {
      io.err(textReport(e.tests!.results, {}));
      io.err(`error: ${e.message}\n`);
      return EXIT.failed;
    }
    if (e instanceof BuildError || e instanceof BundleError) return problems.fail(e.message, path);
    throw e;
  }
  const tmp = `${opts.out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, built.bytes);
    renameSync(tmp, opts.out);
  } catch (e) {
    return problems.fail(`cannot write \`${opts.out}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, opts.out);
  }
  const m = built.manifest;
  const count = (role: string) => m.files.filter((f) => f.role === role).length;
  for (const s of built.skipped) io.err(`note: skipped \`${s}\`: it tests another policy\n`);
  if (count("suite") === 0) io.err(`warning: no \`*.test.yaml\` suite tests \`${m.policy.file}\`: a reload cannot check this bundle before it decides\n`);
  else if (!built.tests) io.err("warning: the suites were not run (--no-test): a reload runs them, and refuses the bundle if they fail\n");
  if (!built.signer) io.err("warning: the bundle is not signed: engines with `verifyKey` refuse it (sign it with --sign key.pem)\n");
  const tests = built.tests ? `, ${suitesLine(built.tests)}` : "";
  const signed = built.signer ? `, signed by ${built.signer}` : ", unsigned";
  const ms = Math.round(performance.now() - t0);
  io.err(`built ${opts.out}: policy ${m.policy.name} (sha256 ${m.policy.hash.slice(0, 12)}), ${count("source")} source${count("source") === 1 ? "" : "s"}${tests}${signed} (${(built.bytes.length / 1024).toFixed(1)} KiB, ${ms} ms)\n`);
  return EXIT.ok;
}
