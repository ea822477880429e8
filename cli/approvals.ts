// `pol approvals list|show|approve|reject --store <file>`: the approval queue in a SQLite store,
// for operators without a console. Resolutions go straight to the store; the engine that asked
// sees them on its next poll and records who approved in the decision that uses the approval.
// Exit 0 on success, 1 when the approval is unknown or not pending, 2 on usage or store errors
// (in the JSON document's `errors` with --format json).

import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { Option, type Command } from "commander";
import type { Approval, ApprovalStatus, StateStore } from "../runtime/store/index.js";
import { durationText } from "../runtime/limits.js";
import { resolverProblem } from "../runtime/approval-rules.js";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { formatOption, storeOption } from "./options.js";
import { Problems } from "./problems.js";

export interface StoreOpts { store?: string; format?: string }

/** Opens an existing store file (never creates one: a mistyped path must not look like an empty queue). */
async function openStoreFile(opts: StoreOpts, problems: Problems): Promise<StateStore | number> {
  const path = opts.store ?? process.env["POL_STORE"];
  if (!path) return problems.fail("name the state store with --store <file or url> (or POL_STORE)");
  // Loaded here, not at start-up: commands that need no store never load the store package.
  const { isServerUrl, openSqliteStore, openStore } = await import("../runtime/store/index.js");
  if (!isServerUrl(path) && !existsSync(path)) return problems.fail(`no store at \`${path}\``, path);
  try {
    // A redis:// or postgres:// url opens the fleet's store (runtime/store/open.ts), with a deadline fit for a person waiting.
    return isServerUrl(path) ? (await openStore(path, { timeoutMs: 5000 })).store : await openSqliteStore(path);
  } catch (e) {
    return problems.fail((e as Error).message, path);
  }
}

/** Runs fn on the store and closes it; store errors become exit 1 (not found, conflict) or 2, reported in JSON with --format json. */
export async function withStore(io: Io, opts: StoreOpts, fn: (s: StateStore) => Promise<number>): Promise<number> {
  const problems = new Problems(io, opts.format === "json");
  const store = await openStoreFile(opts, problems);
  if (typeof store === "number") return store;
  try {
    return await fn(store);
  } catch (e) {
    problems.fail((e as Error).message);
    const code = e instanceof Error && e.name === "StoreError" ? (e as Error & { code: string }).code : undefined;
    return code === "not-found" || code === "conflict" ? EXIT.failed : EXIT.usage;
  } finally {
    await store.close();
  }
}

export const defaultBy = (): string => {
  try {
    return userInfo().username;
  } catch {
    return "operator";
  }
};

function when(a: Approval, now: number): string {
  if (a.status === "pending" || a.status === "approved") return `expires in ${durationText(a.expiresAt - now)}`;
  if (a.status === "expired") return `expired ${durationText(now - a.expiresAt)} ago`;
  return a.resolvedBy ? `by ${a.resolvedBy}` : "";
}

function line(a: Approval, now: number): string {
  const groups = a.groups.length > 0 ? a.groups.join(",") : "any";
  return `${a.id}  ${a.status.padEnd(8)}  ${a.tool}  agent ${a.agentId || "-"}  approvers ${groups}  ${when(a, now)}  ${a.reasons.join("; ")}`;
}

function show(a: Approval): string {
  const out = [
    `approval  ${a.id}`, `status    ${a.status}`, `tool      ${a.tool}`, `agent     ${a.agentId || "-"}`,
    ...(a.runId !== undefined ? [`run       ${a.runId}`] : []),
    `approvers ${a.groups.length > 0 ? a.groups.join(", ") : "any"}`, `decision  ${a.decisionId}`,
    `created   ${new Date(a.createdAt).toISOString()}${a.requestedBy !== undefined ? ` by ${a.requestedBy}` : ""}`,
    `expires   ${new Date(a.expiresAt).toISOString()}`, `call hash ${a.callHash}`,
  ];
  if (a.resolvedBy) out.push(`resolved  by ${a.resolvedBy} at ${new Date(a.resolvedAt ?? 0).toISOString()}${a.note ? `: ${a.note}` : ""}`);
  for (const r of a.reasons) out.push(`reason    ${r}`);
  out.push(`call      ${JSON.stringify(a.call, null, 2).replace(/\n/g, "\n          ")}`);
  return out.join("\n") + "\n";
}

interface ListOpts extends StoreOpts { status?: string; group?: string; format?: string }
interface ResolveOpts extends StoreOpts { by?: string; note?: string; format?: string; group?: string[] }

export function listApprovals(io: Io, opts: ListOpts): Promise<number> {
  return withStore(io, opts, async (s) => {
    const now = Date.now();
    const list = await s.approvals.list({ ...(opts.status ? { status: opts.status as ApprovalStatus } : {}), ...(opts.group ? { group: opts.group } : {}) }, now);
    if (opts.format === "json") io.out(JSON.stringify(list, null, 2) + "\n");
    else io.out(list.length === 0 ? "no approvals\n" : list.map((a) => line(a, now)).join("\n") + "\n");
    return EXIT.ok;
  });
}

export function showApproval(io: Io, id: string, opts: ResolveOpts): Promise<number> {
  return withStore(io, opts, async (s) => {
    const a = await s.approvals.get(id, Date.now());
    if (!a) {
      const { StoreError } = await import("../runtime/store/index.js");
      throw new StoreError("not-found", `unknown approval \`${id}\``);
    }
    io.out(opts.format === "json" ? JSON.stringify(a, null, 2) + "\n" : show(a));
    return EXIT.ok;
  });
}

/**
 * Resolves with the same rule as the Engine API (resolverProblem): nobody resolves their own
 * agent's request, and an approval that names approver groups needs `--group` naming one of them.
 */
export function resolveApproval(io: Io, id: string, approve: boolean, opts: ResolveOpts): Promise<number> {
  return withStore(io, opts, async (s) => {
    const by = opts.by ?? defaultBy();
    const pending = await s.approvals.get(id, Date.now());
    if (pending && pending.groups.length > 0 && opts.group === undefined) {
      const names = pending.groups.map((g) => `\`${g}\``).join(", ");
      new Problems(io, opts.format === "json").fail(`approval \`${id}\` needs an approver from ${names}: pass --group with the group you approve for`);
      return EXIT.failed;
    }
    const refused = pending ? resolverProblem(pending, by, opts.group) : undefined;
    if (refused) {
      new Problems(io, opts.format === "json").fail(refused);
      return EXIT.failed;
    }
    const a = await s.approvals.resolve(id, { approve, by, ...(opts.note !== undefined ? { note: opts.note } : {}) }, Date.now());
    io.out(opts.format === "json" ? JSON.stringify(a, null, 2) + "\n" : `${a.id} ${a.status} by ${by}\n`);
    return EXIT.ok;
  });
}

export function registerApprovals(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program.command("approvals").description("list and resolve approval requests in a state store");
  cmd.command("list").description("list approvals, oldest first").addOption(storeOption())
    .addOption(new Option("--status <status>", "only approvals in this state").choices(["pending", "approved", "rejected", "expired", "consumed"]))
    .option("--group <group>", "only those this approver group may resolve").addOption(formatOption())
    .action(async (o: ListOpts) => done(await listApprovals(io, o)));
  cmd.command("show").description("show one approval and the call it covers").argument("<id>").addOption(storeOption()).addOption(formatOption())
    .action(async (id: string, o: ResolveOpts) => done(await showApproval(io, id, o)));
  for (const [name, approve] of [["approve", true], ["reject", false]] as const) {
    cmd.command(name).description(`${name} a pending approval`).argument("<id>").addOption(storeOption())
      .option("--by <name>", "who resolves (default: the current user)").option("--group <group...>", "the approver group(s) you act for; needed when the approval names groups")
      .option("--note <text>", "a note for the audit trail").addOption(formatOption())
      .action(async (id: string, o: ResolveOpts) => done(await resolveApproval(io, id, approve, o)));
  }
}
