// `pol audit verify <file or dir | postgres://...>`: checks an audit chain (runtime/audit's
// verifiers) and prints one line; `--anchor <store>` also checks the chain against the head the
// writers anchored in a state store. Exit 0 with the record count when intact, 1 naming the first
// broken record and why (or a missing anchor), 2 when there is nothing to verify (no log, no key,
// no store). Registered by cli/main.ts.

import type { Command } from "commander";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { formatOption } from "./options.js";
import { Problems } from "./problems.js";

interface VerifyOpts { keyFile?: string; format?: string; chain?: string; anchor?: string; anchorName?: string }

/** The head the Engine anchored for the JSONL log at `path` in the store `spec` (runtime/audit-anchor.ts). */
async function jsonlAnchor(path: string, spec: string, name: string | undefined): Promise<{ seq: number; hash: string } | string> {
  const { openStore } = await import("../runtime/store/index.js");
  const { jsonlAnchorName } = await import("../runtime/audit-anchor.js");
  const { resolveLogPath } = await import("../runtime/audit/index.js");
  const opened = await openStore(spec, { timeoutMs: 5000 });
  try {
    const key = name ?? jsonlAnchorName(resolveLogPath(path));
    const a = await opened.store.anchors.get(key);
    return a ?? `the store holds no anchor \`${key}\`: this log was never anchored there (or the anchor was removed); pass --anchor-name if it was written on another host`;
  } finally {
    await opened.store.close();
  }
}

export async function auditVerifyCommand(io: Io, path: string, opts: VerifyOpts): Promise<number> {
  const { AuditError, formatVerifyResult, isPostgresAudit, verifyAudit } = await import("../runtime/audit/index.js");
  const problems = new Problems(io, opts.format === "json");
  let result;
  try {
    if (isPostgresAudit(path)) result = await (await import("../runtime/audit/fleet.js")).verifyFleetAudit(path, opts);
    else {
      const anchor = opts.anchor !== undefined ? await jsonlAnchor(path, opts.anchor, opts.anchorName) : undefined;
      if (typeof anchor === "string") {
        problems.fail(anchor, opts.anchor);
        return EXIT.failed;
      }
      result = await verifyAudit(path, { ...(opts.keyFile ? { keyFile: opts.keyFile } : {}), ...(anchor ? { anchor } : {}) });
    }
  } catch (e) {
    return problems.fail(e instanceof AuditError ? e.message : (e as Error).message, path);
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
    .option("--anchor <store>", "the state store holding the writers' anchor of the chain head (a store file, redis:// or postgres:// url)")
    .option("--anchor-name <name>", "a JSONL log's anchor written on another host (default jsonl:<this host>:<log path>)")
    .addOption(formatOption())
    .action(async (path: string, o: VerifyOpts) => done(await auditVerifyCommand(io, path, o)));
}
