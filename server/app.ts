// The `pol serve` application: security headers on everything, then the public routes (/health,
// the console's static assets, the sign-in page), the API (per-request credentials), and the
// console (session + CSRF). Built from a ServeHost and the server's parts by serve.ts, and by
// the tests, which run it on a real socket. On node:http, `listener()` answers POST /v1/decide
// before Hono (fast-decide.ts) and passes the rest to this app.

import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { Actions } from "./actions.js";
import { apiRoutes } from "./api.js";
import { registerAssets } from "./assets.js";
import { AuditIndexThread } from "./audit-index-thread.js";
import { AuditVerifier } from "./audit-verifier.js";
import { jsonlSource, type AuditSource } from "./audit-source.js";
import { apiError, consoleAuth, csrf, type ServeEnv } from "./auth/middleware.js";
import { Sessions } from "./auth/sessions.js";
import type { Users } from "./auth/users.js";
import { registerAgents } from "./console/agents.js";
import { registerAudit } from "./console/audit.js";
import type { ConsoleDeps } from "./console/deps.js";
import { registerLogin, registerLogout } from "./console/login.js";
import { registerPauses } from "./console/pauses.js";
import { registerPolicy } from "./console/policy.js";
import { registerQueue } from "./console/queue.js";
import { registerRuns } from "./console/runs.js";
import { ApprovalEvents } from "./events.js";
import { health, sameFile } from "./health.js";
import type { ServeHost } from "./host.js";
import { ServeMetrics } from "./metrics.js";
import { internalDenial, withFastDecide } from "./fast-decide.js";

export interface AppOptions {
  host: ServeHost;
  users: Users;
  /** The audit chain the host's Engine writes: its JSONL log's path, or a source (audit-source.ts). */
  audit: AuditSource | string;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Mark cookies Secure (when a TLS proxy sits in front). Default false. */
  secureCookies?: boolean;
  /** Default 5. */
  queuePollSeconds?: number;
  sessions?: Sessions;
  /** Built from the host when not given; serve.ts passes the one its Engine reports decisions to. */
  metrics?: ServeMetrics;
  /** Aborted when the server starts to stop (server/drain.ts): approval long-polls answer at once. */
  stopping?: AbortSignal;
  /** The SQLite store's file, when the store is one: /health fails once it is deleted or replaced. */
  storeFile?: string;
}

export interface ServeApp {
  app: Hono<ServeEnv>;
  /** What node:http runs for a server listening on `hostname`: `POST /v1/decide` answered directly (fast-decide.ts), the rest by `app`. */
  listener(hostname: string): RequestListener;
  metrics: ServeMetrics;
  /** Where the console reads the audit chain (closed by whoever started the server). */
  audit: AuditSource;
  verifier: AuditVerifier;
  /** The console's audit index, on a thread of its own (stopped by whoever started the server). */
  index: AuditIndexThread;
  events: ApprovalEvents;
  sessions: Sessions;
}

/** The metrics of a host, for its Engine's onDecision hook (created before the app, so no decision is missed). */
export function hostMetrics(host: ServeHost, verifier: () => AuditVerifier | undefined): ServeMetrics {
  return new ServeMetrics({
    tools: host.policy.manifest.tools.map((t) => t.name),
    pendingApprovals: async () => (await host.approvals.list({ status: "pending" })).length,
    verifyStatus: () => verifier()?.status,
  });
}

/** The largest console form body (a note, a reason, the CSRF token: far below this). */
export const FORM_MAX_BYTES = 64 * 1024;

const CSP = {
  defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", "data:"], connectSrc: ["'self'"],
  formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
};

export function createApp(o: AppOptions): ServeApp {
  const { host, users } = o;
  const maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024;
  const sessions = o.sessions ?? new Sessions();
  const audit = typeof o.audit === "string" ? jsonlSource(o.audit) : o.audit;
  const verifier = new AuditVerifier(audit.target, () => host.flush());
  const index = new AuditIndexThread(audit.target);
  const metrics = o.metrics ?? hostMetrics(host, () => verifier);
  const events = new ApprovalEvents(host);
  const actions = new Actions(host);
  const policyName = host.policy.manifest.policy.name;
  const storeFile = o.storeFile !== undefined ? sameFile(o.storeFile) : undefined;
  const login = { users, sessions, secureCookies: o.secureCookies ?? false, policyName };
  const deps: ConsoleDeps = { host, users, actions, events, index, verifier, policyName, queuePollSeconds: o.queuePollSeconds ?? 5 };

  const app = new Hono<ServeEnv>();
  // Browser-facing headers for pages only: the JSON API is not rendered, and skipping twelve
  // headers per decision is measurable at thousands of requests per second (benchmarks, suite 7).
  const secure = secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: "same-origin", crossOriginEmbedderPolicy: false });
  app.use("*", (c, next) => (c.req.path.startsWith("/v1/") ? next() : secure(c, next)));
  app.get("/health", async (c) => {
    const h = await health(host, storeFile);
    return c.json(h.body, h.status);
  });
  // Console forms (sign-in included, before anyone is known) are read whole by parseBody: cap
  // them before that, counting chunked bodies too, or one request can exhaust the heap.
  const formLimit = bodyLimit({ maxSize: FORM_MAX_BYTES, onError: (c) => {
    c.header("Connection", "close"); // the rest of the body is never read
    return c.text(`refused: the form is larger than ${FORM_MAX_BYTES / 1024} KiB; shorten what you typed and send it again`, 413);
  } });
  app.use("*", (c, next) => (c.req.path.startsWith("/v1/") || c.req.method === "GET" || c.req.method === "HEAD" ? next() : formLimit(c, next)));
  registerAssets(app as never);
  registerLogin(app, login);
  app.route("/", apiRoutes({ host, users, actions, metrics, maxBodyBytes, ...(o.stopping ? { stopping: o.stopping } : {}) }));
  // Near misses of the decision route (`/v1/decide/`) answer with a deny too: a client that reads only `effect` stops.
  app.all("/v1/*", (c) => apiError(c, 404, "not-found", `no API route \`${c.req.method} ${c.req.path}\`${c.req.path.startsWith("/v1/decide") ? "; decisions are POST /v1/decide" : ""}`, c.req.path.startsWith("/v1/decide")));

  app.use("*", consoleAuth(users, sessions), csrf());
  app.get("/", (c) => c.redirect("/queue", 303));
  registerLogout(app, login);
  registerQueue(app, deps);
  registerRuns(app, deps);
  registerAudit(app, deps);
  registerPauses(app, deps);
  registerAgents(app, deps);
  registerPolicy(app, deps);

  app.notFound((c) => c.text(`no page at ${c.req.path}`, 404));
  app.onError((e, c) => {
    const message = `internal error: ${e.message}`;
    if (c.req.path === "/v1/decide") return apiError(c, 500, "error", internalDenial(e), true);
    if (c.req.path.startsWith("/v1/")) return apiError(c, 500, "error", message);
    return c.text(message, 500);
  });
  const listener = (hostname: string) => withFastDecide({ host, users, maxBodyBytes, seen: (d, agent) => actions.decided(d, agent) }, getRequestListener(app.fetch, { hostname }));
  return { app, listener, metrics, audit, index, verifier, events, sessions };
}
