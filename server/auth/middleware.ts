// Hono middleware for the two doors into `pol serve`: API requests authenticate per request with
// HTTP Basic or `Bearer name:secret`; console requests carry a session cookie, and every
// state-changing console request must also carry the session's CSRF token and, when the browser
// sends one, a same-origin Origin header. Unauthenticated requests never reach a route handler.

import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { may, refusal, type Action, type Principal } from "./roles.js";
import { CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Sessions, type Session } from "./sessions.js";
import { isRefusal } from "./throttle.js";
import type { Users } from "./users.js";

export type ServeEnv = { Variables: { principal: Principal; session: Session | undefined } };

/** The JSON error body of the API; `deny` adds a deny decision for the decision endpoints. */
export function errorBody(code: string, message: string, deny = false): object {
  return deny ? { effect: "deny", reasons: [message], error: { code, message } } : { error: { code, message } };
}

export function apiError(c: Context, status: 400 | 401 | 403 | 404 | 409 | 415 | 429 | 500 | 503, code: string, message: string, deny = false): Response {
  return c.json(errorBody(code, message, deny), status);
}

/** What an API request's Authorization header comes to: a principal, or the refusal to send. */
export type ApiIdentity =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 429; code: string; message: string; header: [string, string] };

/** API authentication, shared by the Hono middleware below and the decision fast path (fast-decide.ts). */
export async function identify(users: Users, authorization: string | undefined): Promise<ApiIdentity> {
  const pending = users.authenticateHeader(authorization);
  const p = pending ? await pending : undefined;
  if (isRefusal(p)) return { ok: false, status: 429, code: "throttled", message: `not signed in: ${p.why}`, header: ["Retry-After", String(p.retryAfterS)] };
  if (!p) {
    const why = pending ? "the name or secret is wrong" : "send `Authorization: Bearer <name>:<secret>` (or HTTP Basic) for a user in the users file";
    return { ok: false, status: 401, code: "unauthenticated", message: `not signed in: ${why}`, header: ["WWW-Authenticate", 'Basic realm="pol", charset="UTF-8"'] };
  }
  return { ok: true, principal: p };
}

/**
 * Why an API request is refused as sent by a web page of another site, if it is. A browser that
 * has cached HTTP Basic credentials for this server (someone opened /metrics in it) sends them
 * with a page's cross-site form too, and a `text/plain` form can carry a JSON body; browsers add
 * `Origin` to such requests, services do not. Compared by host, so a TLS proxy in front does not matter.
 */
export function crossSite(origin: string | undefined, host: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  let from: string | undefined;
  try {
    from = new URL(origin).host;
  } catch {
    from = undefined; // `null` (a sandboxed or file: page) or garbage
  }
  if (from !== undefined && from !== "" && from === host) return undefined;
  return `refused: a web page of another site sent this API request (Origin \`${origin.slice(0, 100)}\`); the API is for services, which send no Origin header`;
}

/** API authentication: a principal from the Authorization header, or a 401 saying how to send one. */
export function apiAuth(users: Users, denyBody: (c: Context) => boolean): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const foreign = crossSite(c.req.header("origin"), c.req.header("host"));
    if (foreign) return apiError(c, 403, "cross-site", foreign, denyBody(c));
    const id = await identify(users, c.req.header("authorization"));
    if (!id.ok) {
      c.header(id.header[0], id.header[1]);
      return apiError(c, id.status, id.code, id.message, denyBody(c));
    }
    c.set("principal", id.principal);
    c.set("session", undefined);
    await next();
  };
}

/** The API route needs this action. */
export function apiNeeds(action: Action, deny = false): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    if (!may(p, action)) return apiError(c, 403, "forbidden", refusal(p, action), deny);
    await next();
  };
}

const isHtmx = (c: Context) => c.req.header("hx-request") === "true";

/** Console authentication: a live session, else the sign-in page (or a 401 that sends htmx there). */
export function consoleAuth(users: Users, sessions: Sessions): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const s = sessions.get(getCookie(c, SESSION_COOKIE));
    const p = s ? users.get(s.user) : undefined;
    if (!s || !p) {
      const next = new URL(c.req.url);
      const login = `/login?next=${encodeURIComponent(next.pathname + next.search)}`;
      if (c.req.method === "GET" && !isHtmx(c)) return c.redirect(login, 303);
      c.header("HX-Redirect", login);
      return c.text("not signed in, or the session has ended: sign in again", 401);
    }
    if (!may(p, "view")) return c.text(refusal(p, "view"), 403);
    c.set("principal", p);
    c.set("session", s);
    await next();
  };
}

/** Whether the request's Origin (when sent) is this server's own. */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
}

/** CSRF protection for state-changing console requests: same origin, and the session's token in the header or form. */
export function csrf(): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const s = c.get("session");
    if (!sameOrigin(c)) return c.text("refused: the request came from another site (Origin does not match)", 403);
    let token = c.req.header(CSRF_HEADER);
    if (token === undefined && (c.req.header("content-type") ?? "").match(/^(application\/x-www-form-urlencoded|multipart\/form-data)/)) {
      const form = await c.req.parseBody();
      const v = form[CSRF_FIELD];
      token = typeof v === "string" ? v : undefined;
    }
    if (!s || !Sessions.csrfOk(s, token)) return c.text("refused: the form's security token is missing or stale; reload the page and try again", 403);
    await next();
  };
}
