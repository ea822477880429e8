// `pol audit verify <file or dir>`: checks a JSONL audit chain (runtime/audit's verifier) and
// prints one line. Exit 0 with the record count when intact, 1 naming the first broken record
// and why, 2 when there is nothing to verify (no log, no key). Registered by cli/main.ts.

import type { Command } from "commander";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { formatOption } from "./options.js";
import { Problems } from "./problems.js";

interface VerifyOpts { keyFile?: string; format?: string; chain?: string; anchor?: string }

export async function auditVerifyCommand(io: Io, path: string, opts: VerifyOpts): Promise<number> {
  const { AuditError, formatVerifyResult, isPostgresAudit, verifyAudit } = await import("../runtime/audit/index.js");
  let result;
  try {
    result = isPostgresAudit(path) ? await (await import("../runtime/audit/fleet.js")).verifyFleetAudit(path, opts) : await verifyAudit(path, opts.keyFile ? { keyFile: opts.keyFile } : {});
  } catch (e) {
    return new Problems(io, opts.format === "json").fail(e instanceof AuditError ? e.message : (e as Error).message, path);
  }
  if (opts.format === "json") io.out(JSON.stringify({ ...result, errors: [] }, null, 2) + "\n");
  else (result.ok ? io.out : io.err)(formatVerifyResult(result) + "\n");
  return result.ok ? EXIT.ok : EXIT.failed;
}

export function registerAudit(program: Command, io: Io, done: (code: number) => void): void {
  const audit = program.command("audit").description("work with the tamper-evident audit log");
  audit.command("verify").description("verify an audit chain: exit 0 when intact, 1 at the first broken record")
    .argument("<path>", "the log file (audit.jsonl) or the directory holding it")
    .option("--key-file <file>", "the chain's key (default: $POL_AUDIT_KEY, else <log>.key; for postgres:// $POL_AUDIT_KEY_FILE)")
    .option("--chain <name>", "for postgres://: the chain's name (default main)")
    .option("--anchor <store>", "for postgres://: the store holding the writers' anchor (a redis:// url or a store file)")
    .addOption(formatOption())
    .action(async (path: string, o: VerifyOpts) => done(await auditVerifyCommand(io, path, o)));
}
