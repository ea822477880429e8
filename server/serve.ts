// Starting and stopping `pol serve`: opens the policy, the state store and the audit log through
// an Engine whose onDecision hook feeds the metrics, builds the app, listens, verifies the audit
// chain in the background, and on close stops taking requests, ends live streams, answers what is
// in flight (drain.ts) and closes the Engine (flushing the log). Called by cli/serve.ts and by the
// tests.

import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { Engine } from "../runtime/engine.js";
import { isServerUrl, type StateStore } from "../runtime/store/index.js";
import { isPostgresAudit } from "../runtime/audit/index.js";
import type { AuditOption } from "../runtime/engine-types.js";
import { createApp, hostMetrics, type ServeApp } from "./app.js";
import { jsonlSource, postgresSource, type AuditSource } from "./audit-source.js";
import type { AuditVerifier } from "./audit-verifier.js";
import { Drain, DRAIN_MS } from "./drain.js";
import { Users } from "./auth/users.js";

export class ServeError extends Error {
  override readonly name = "ServeError";
}

export interface ServeConfig {
  /** A `.pol` (compiled on load), a `.wasm`, a bundle (`.polb`) or a policy directory. */
  policy: string;
  /** Trusted public key(s) (PEM text or file): only bundles they signed are served or reloaded. */
  verifyKey?: string | string[];
  /** Reload the policy when its file or directory changes (verified and tested first; a failure keeps the old one). */
  watch?: boolean;
  /** A candidate decided beside every call, off the hot path; differences are audited. */
  shadow?: string;
  /** A candidate deciding `percent` of runs. */
  canary?: { policy: string; percent: number };
  /** A SQLite file (created if missing), a redis:// or postgres:// url (shared by a fleet), or `:memory:`. */
  store: string;
  /**
   * The JSONL audit log (created if missing), or a postgres:// url: the one chain a fleet of
   * servers appends to (runtime/audit/postgres.ts), its head anchored in the state store.
   */
  audit: string;
  /** The audit key file; by default a JSONL log's is $POL_AUDIT_KEY or `<log>.key`, a PostgreSQL chain's $POL_AUDIT_KEY_FILE. */
  auditKey?: string;
  /** Answer each decision only once its record is durable (JsonlAuditOptions.sync; JSONL only). Default false. */
  auditSync?: boolean;
  /** How long the audit writer gathers records before writing them, in ms (JsonlAuditOptions.batchMs). Default 5. */
  auditBatchMs?: number;
  /** How long a decision may wait for the JSONL log before it is denied, in ms (JsonlAuditOptions.waitMs). Default 10,000. */
  auditWaitMs?: number;
  /** host:port; default 127.0.0.1:8181. Port 0 picks a free port. */
  listen?: string;
  /** A users file; without one, an `admin` with a random secret is created and reported. */
  users?: string;
  maxBodyBytes?: number;
  secureCookies?: boolean;
  /** How often the queue page re-reads the store besides live events (approvals other processes add); default 5 s. */
  queuePollSeconds?: number;
  /** How often the audit chain is re-verified; default 60 s. */
  verifyEveryMs?: number;
  approvalTimeoutMs?: number;
  /** On close, how long the requests in flight have to be answered before their connections are cut (server/drain.ts); default 10 s. */
  drainMs?: number;
  /** Internal errors of the Engine (audit failures, hook failures), for the log. */
  onError?: (e: Error, where: string) => void;
}

export interface RunningServer {
  url: string;
  engine: Engine;
  parts: ServeApp;
  /** Set when no users file was given: the start-up admin's secret, to be shown once. */
  adminSecret?: string;
  /** Stops accepting, answers what is in flight (up to `drainMs`), then closes the Engine (flushing the audit log) and the audit source. Resolves with how many connections were still busy at the deadline and cut. */
  close(): Promise<{ cut: number }>;
}

/**
 * The store the Engine opens: a SQLite path, `:memory:`, or a redis:// or postgres:// url (opened,
 * with its deadline, by runtime/store/open.ts; a fleet of servers shares one). Other urls are refused.
 */
export function storeFor(spec: string): string | StateStore {
  // Server urls the Engine opens itself (runtime/store/open.ts); any other scheme is a mistake.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !isServerUrl(spec)) {
    const scheme = spec.slice(0, spec.indexOf(":"));
    throw new ServeError(`\`${scheme}\` is not a store pol can open: use a SQLite file (--store pol.db), redis:// or postgres://`);
  }
  return spec;
}

/** The Engine's audit option and the console's source for `--audit`: a JSONL log, or a postgres:// chain. */
export function auditFor(cfg: Pick<ServeConfig, "audit" | "auditKey" | "auditSync" | "auditBatchMs" | "auditWaitMs" | "store">): { audit: AuditOption; source: AuditSource } {
  const keyFile = cfg.auditKey !== undefined ? { keyFile: cfg.auditKey } : {};
  const batchMs = cfg.auditBatchMs !== undefined ? { batchMs: cfg.auditBatchMs } : {};
  if (isPostgresAudit(cfg.audit as unknown)) {
    if (cfg.auditKey === undefined && !process.env["POL_AUDIT_KEY_FILE"]) {
      throw new ServeError("a postgres:// audit chain needs its key: pass --audit-key <file> (or set POL_AUDIT_KEY_FILE); every server of the fleet, and `pol audit verify`, use the same one");
    }
    if (cfg.auditSync) throw new ServeError("--audit-sync applies to a JSONL log: a postgres:// chain commits each batch within --audit-batch-ms, and a decision whose record cannot be queued is denied");
    if (cfg.auditWaitMs !== undefined) throw new ServeError("--audit-wait applies to a JSONL log: a postgres:// chain never holds a decision back; one whose record cannot be queued is denied at once");
    // The verifier opens the store the Engine anchors the head in (Engine.load); a :memory: one is this process's alone.
    const anchor = cfg.store !== ":memory:" ? { anchor: cfg.store } : {};
    return { audit: { url: cfg.audit, ...keyFile, ...batchMs }, source: postgresSource(cfg.audit, { ...keyFile, ...anchor }) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(cfg.audit)) {
    throw new ServeError(`\`${cfg.audit.slice(0, cfg.audit.indexOf(":"))}\` is not an audit log pol can write: use a JSONL file (--audit pol.audit.jsonl) or postgres://`);
  }
  const waitMs = cfg.auditWaitMs !== undefined ? { waitMs: cfg.auditWaitMs } : {};
  return { audit: { path: cfg.audit, ...(cfg.auditSync ? { sync: true } : {}), ...batchMs, ...waitMs, ...keyFile }, source: jsonlSource(cfg.audit, cfg.auditKey) };
}

/** host and port from `host:port`, `[v6]:port`, `:port` or `port`; the host defaults to 127.0.0.1 (never every interface by accident). */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d+)$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new ServeError(`--listen \`${v}\` is not host:port (e.g. 127.0.0.1:8181)`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

/**
 * A request node:http's parser refuses (two Content-Lengths, a bad chunk size, no Host): a 400
 * whose body is a deny with the parser's code, as every other refusal of the API is, instead of
 * Node's empty one. The connection is closed: what follows on it cannot be trusted.
 */
function answerBadHttp(err: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler: nothing to answer on a reset or closed socket, or mid-response.
  if (!socket.writable || err.code === "ECONNRESET" || (socket as { _httpMessage?: unknown })._httpMessage) return void socket.destroy();
  const [status, text, message] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? [408, "Request Timeout", "the request was not received in time; send it whole, without pauses"]
    : err.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large", "the request's headers are too large (16 KiB in all); send fewer or shorter ones"]
    : [400, "Bad Request", `the request is not valid HTTP (${err.code ?? "parse error"}); send one Content-Length or chunked encoding, and a Host header`];
  const body = JSON.stringify({ effect: "deny", reasons: [message], error: { code: "bad-http", message } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function startServer(cfg: ServeConfig): Promise<RunningServer> {
  const { host, port } = parseListen(cfg.listen ?? "127.0.0.1:8181");
  const store = storeFor(cfg.store);
  let adminSecret: string | undefined;
  let users: Users;
  if (cfg.users) users = Users.fromFile(cfg.users);
  else ({ users, secret: adminSecret } = await Users.ephemeralAdmin());

  let verifier: AuditVerifier | undefined;
  let observe: ServeApp["metrics"]["observe"] | undefined;
  const { audit, source } = auditFor(cfg);
  const engine = await Engine.load(cfg.policy, {
    store, audit,
    ...(cfg.verifyKey !== undefined ? { verifyKey: cfg.verifyKey } : {}),
    ...(cfg.watch ? { watch: true } : {}),
    ...(cfg.shadow !== undefined ? { shadow: cfg.shadow } : {}),
    ...(cfg.canary !== undefined ? { canary: cfg.canary } : {}),
    ...(cfg.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: cfg.approvalTimeoutMs } : {}),
    hooks: { onDecision: (d, call) => observe?.(d, call), ...(cfg.onError ? { onError: cfg.onError } : {}) },
  });
  const metrics = hostMetrics(engine, () => verifier);
  observe = metrics.observe;
  const drain = new Drain();
  const storeFile = typeof store === "string" && store !== ":memory:" && !isServerUrl(store) ? { storeFile: store } : {};
  const parts = createApp({ host: engine, users, audit: source, metrics, stopping: drain.signal, ...storeFile, ...(cfg.maxBodyBytes !== undefined ? { maxBodyBytes: cfg.maxBodyBytes } : {}), secureCookies: cfg.secureCookies ?? false, ...(cfg.queuePollSeconds !== undefined ? { queuePollSeconds: cfg.queuePollSeconds } : {}) });
  verifier = parts.verifier;
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = createServer({ ServerResponse: drain.Response }, parts.listener(host));
      s.on("clientError", answerBadHttp);
      s.once("error", reject);
      s.listen(port, host, () => resolve(s));
    });
  } catch (e) {
    await engine.close();
    await source.close();
    throw new ServeError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  parts.verifier.every(cfg.verifyEveryMs ?? 60_000);
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  let closing: Promise<{ cut: number }> | undefined;
  const close = () => (closing ??= (async () => {
    parts.verifier.stop();
    parts.index.stop();
    parts.events.closeAll();
    const cut = await drain.run(server, cfg.drainMs ?? DRAIN_MS);
    await engine.close();
    await source.close();
    return { cut };
  })());
  return { url, engine, parts, ...(adminSecret !== undefined ? { adminSecret } : {}), close };
}
