// The PostgreSQL audit chain's entry points, loaded on first use so `pg` is only required by
// services that name a postgres:// audit: open a sink (Engine.load's `audit` option) and verify a
// chain (`pol audit verify postgres://... [--anchor <store>]`). Consumed by runtime/engine.ts and cli/audit.ts.

import type { AuditSink } from "./chain.js";
import type { PostgresAuditLog, PostgresAuditOptions } from "./postgres.js";
import type { PostgresVerifyOptions } from "./postgres-verify.js";
import type { VerifyResult } from "./verify.js";

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** A postgres:// url as the `audit` option, alone or with options. */
export type PostgresAuditSpec = string | ({ url: string } & PostgresAuditOptions);

export function isPostgresAudit(opt: unknown): opt is PostgresAuditSpec {
  if (typeof opt === "string") return POSTGRES_URL.test(opt);
  return typeof opt === "object" && opt !== null && typeof (opt as { url?: unknown }).url === "string" && POSTGRES_URL.test((opt as { url: string }).url);
}

export async function openPostgresAudit(url: string, opts?: PostgresAuditOptions): Promise<PostgresAuditLog> {
  return (await import("./postgres.js")).PostgresAuditLog.open(url, opts);
}

/** Opens the sink an `audit` option names when it is a postgres:// spec. */
export function openPostgresAuditSpec(spec: PostgresAuditSpec): Promise<AuditSink> {
  if (typeof spec === "string") return openPostgresAudit(spec);
  const { url, ...rest } = spec;
  return openPostgresAudit(url, rest);
}

export async function verifyPostgresAudit(url: string, opts?: PostgresVerifyOptions): Promise<VerifyResult> {
  return (await import("./postgres-verify.js")).verifyPostgresAudit(url, opts);
}

/**
 * `pol audit verify postgres://...`: the chain named by `chain`, checked against the anchor in the
 * store `anchor` names (opened and closed here) when given.
 */
export async function verifyFleetAudit(url: string, o: { keyFile?: string; chain?: string; anchor?: string }): Promise<VerifyResult> {
  const { openStore } = await import("../store/open.js");
  const anchorStore = o.anchor ? (await openStore(o.anchor, { timeoutMs: 5000 })).store : null;
  try {
    return await verifyPostgresAudit(url, {
      ...(o.keyFile ? { keyFile: o.keyFile } : {}), ...(o.chain ? { chain: o.chain } : {}), ...(anchorStore ? { anchor: anchorStore.anchors } : {}),
    });
  } finally {
    await anchorStore?.close();
  }
}
