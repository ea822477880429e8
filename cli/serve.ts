// `pol serve`: the decision API and the operators' web console over one policy, one state store
// and one audit log (server/). Runs until SIGINT or SIGTERM, then closes cleanly (exit 0); exit 2
// when it cannot start (no policy, a bad users file, a store or port it cannot open). With
// `--hash-secret` it only prints the users-file hash of a secret read on stdin (or of a new one).
// Loaded by cli/main.ts only when `pol serve` runs, so other commands never load the server.

import { isIP } from "node:net";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";
import { RepeatFolder } from "./repeats.js";

export interface ServeOpts {
  policy?: string;
  verifyKey?: string;
  watch?: boolean;
  shadow?: string;
  canary?: string;
  canaryPercent?: number;
  store: string;
  audit: string;
  auditKey?: string;
  auditSync?: boolean;
  auditBatchMs: number;
  /** Seconds a decision may wait for the JSONL log before it is denied (JsonlAuditOptions.waitMs); default 10. */
  auditWait?: number;
  listen: string;
  users?: string;
  maxBody: number;
  secureCookies?: boolean;
  queuePoll: number;
  /** Seconds the requests in flight have to be answered when the server stops (server/drain.ts). */
  drainTimeout: number;
  /** Nice value of the helper threads (server/threads.ts); default 19. */
  helperNice?: number;
  hashSecret?: boolean;
}

async function hashCommand(io: Io): Promise<number> {
  const { hashSecret, newSecret } = await import("../server/auth/secret.js");
  const given = (await io.stdin()).replace(/\r?\n$/, "");
  const secret = given === "" ? newSecret() : given;
  // stdout is the hash alone, pasteable as the users file's `secret:` value (or `$(…)`); a
  // secret made here goes to stderr, for the person to hand on.
  if (given === "") io.err(`secret: ${secret}  (the user signs in with this; only its hash below is kept)\n`);
  io.out(`${await hashSecret(secret)}\n`);
  return EXIT.ok;
}

/**
 * How long closing may take after the requests in flight are answered: the audit log's last
 * records made durable, the store closed. A disk that stopped taking writes would otherwise keep
 * the process from ever exiting, and an orchestrator would end it without a word.
 */
export const CLOSE_GRACE_S = 10;

const loopback = (host: string) => host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

/** `stop` ends the server (by default the first SIGINT or SIGTERM, and then this process exits even if a close is stuck). */
export async function serveCommand(io: Io, o: ServeOpts, stop?: Promise<unknown>): Promise<number> {
  const ownProcess = stop === undefined;
  const stopped = stop ?? stopSignal();
  if (o.hashSecret) return hashCommand(io);
  const problems = new Problems(io, false);
  if (!o.policy) return problems.fail("name the policy to serve with --policy <file.pol, file.wasm, bundle.polb or a policy directory>");
  if (o.canaryPercent !== undefined && o.canary === undefined) return problems.fail("--canary-percent needs --canary <policy>");
  const { parseListen, startServer } = await import("../server/serve.js");
  (await import("../server/gc.js")).applyServeGc();
  // before the server starts the threads of its own (the audit verifier's), which lower themselves to it
  const threads = await import("../server/threads.js");
  threads.chooseHelperNice(o.helperNice ?? threads.HELPER_NICE);
  // one fault can recur on every decision (a stalled audit disk): its repeats are summed up once a minute
  const errors = new RepeatFolder((line) => io.err(`${line}\n`));
  let running;
  try {
    const { host } = parseListen(o.listen);
    if (!loopback(host)) io.err(`warning: listening on ${host}, beyond this machine, over plain HTTP: put pol serve behind a TLS proxy and pass --secure-cookies\n`);
    running = await startServer({
      policy: o.policy, store: o.store, audit: o.audit, ...(o.auditKey !== undefined ? { auditKey: o.auditKey } : {}), auditSync: o.auditSync ?? false, auditBatchMs: o.auditBatchMs, ...(o.auditWait !== undefined ? { auditWaitMs: Math.round(o.auditWait * 1000) } : {}), listen: o.listen, maxBodyBytes: o.maxBody, secureCookies: o.secureCookies ?? false, queuePollSeconds: o.queuePoll, drainMs: o.drainTimeout * 1000,
      ...(o.users ? { users: o.users } : {}),
      ...(o.verifyKey !== undefined ? { verifyKey: o.verifyKey } : {}),
      ...(o.watch ? { watch: true } : {}),
      ...(o.shadow !== undefined ? { shadow: o.shadow } : {}),
      ...(o.canary !== undefined ? { canary: { policy: o.canary, percent: o.canaryPercent ?? 5 } } : {}),
      onError: (e, where) => errors.line(`pol serve: ${where}: ${e.message}`),
    });
  } catch (e) {
    return problems.fail((e as Error).message);
  }
  await threads.lowerHelperThreads(o.helperNice);
  const p = running.engine.policy;
  const status = running.engine.policyStatus();
  const signed = status.live.bundle ? `, bundle ${status.live.bundle.slice(0, 12)}…${status.live.signer ? ` signed by ${status.live.signer}` : " (unsigned)"}` : "";
  io.out(`pol serve: policy ${p.manifest.policy.name} (sha256 ${p.hash.slice(0, 12)}…${signed}) on ${running.url}\n`);
  if (status.watching !== undefined) io.out(`  watching ${status.watching}: changes are verified and tested, then swapped in\n`);
  if (status.shadow) io.out(`  shadow ${status.shadow.name} (sha256 ${status.shadow.hash.slice(0, 12)}…): differences go to the audit log\n`);
  if (status.canary) io.out(`  canary ${status.canary.name} (sha256 ${status.canary.hash.slice(0, 12)}…) decides ${status.canary.percent}% of runs\n`);
  const { withoutCredentials } = await import("../runtime/store/index.js");
  const toPostgres = /^postgres(ql)?:\/\//i.test(o.audit);
  const durability = toPostgres ? `committed every ${o.auditBatchMs} ms` : o.auditSync ? "each decision durable before it is answered" : `written every ${o.auditBatchMs} ms, durable one fdatasync later`;
  io.out(`  store ${withoutCredentials(o.store)}, audit ${toPostgres ? "chain" : "log"} ${withoutCredentials(o.audit)} (${durability})\n`);
  io.out(`  decision API: POST ${running.url}/v1/decide · health: ${running.url}/health · metrics: ${running.url}/metrics\n`);
  if (running.adminSecret) {
    io.out(`  console: ${running.url}/login: no --users file, so sign in as \`admin\` with this secret (valid until the server stops):\n    ${running.adminSecret}\n`);
  } else io.out(`  console: ${running.url}/login\n`);
  const sig = await stopped;
  io.out(`pol serve: ${typeof sig === "string" ? sig : "stop"}, closing: answering the requests in flight (up to ${o.drainTimeout} s)\n`);
  let closed;
  let late: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => (late = setTimeout(resolve, (o.drainTimeout + CLOSE_GRACE_S) * 1000, "late")));
  try {
    closed = await Promise.race([running.close(), deadline]);
  } catch (e) {
    errors.flush();
    return problems.fail(`closing: ${(e as Error).message}`);
  } finally {
    clearTimeout(late);
  }
  if (closed === "late") {
    errors.flush();
    // what is stuck (a write to a dead disk) would keep the process alive: end it once the exit code is set
    if (ownProcess) setTimeout(() => process.exit(EXIT.usage), 100).unref();
    return problems.fail(`closing: not done after ${o.drainTimeout + CLOSE_GRACE_S} s (an audit disk or a store that stopped answering?): exiting anyway; audit records not yet written are lost, and the log's next open resumes after its last whole record`);
  }
  errors.flush();
  if (closed.cut > 0) io.err(`pol serve: ${closed.cut} connection(s) still busy after ${o.drainTimeout} s were cut (--drain-timeout)\n`);
  return EXIT.ok;
}
