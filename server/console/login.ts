// Signing in and out of the console. The sign-in form is protected from login CSRF by a double
// submit (a random cookie and the same value in a hidden field) and a same-origin check; a
// successful sign-in starts a new session (a fresh id, so a planted cookie is never promoted).
// `next` only ever redirects within this server.

import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { sameOrigin, type ServeEnv } from "../auth/middleware.js";
import { randomId, sameText } from "../auth/secret.js";
import { may, refusal } from "../auth/roles.js";
import { CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE, type Sessions } from "../auth/sessions.js";
import { isRefusal } from "../auth/throttle.js";
import type { Users } from "../auth/users.js";
import { formOf } from "./act.js";
import { flash, html } from "./layout.js";

export interface LoginDeps { users: Users; sessions: Sessions; secureCookies: boolean; policyName: string }

/** A local path to go to after signing in; anything else (another host, `//x`, `\\x`) is the queue. */
export function safeNext(v: string | undefined): string {
  // Control characters and backslashes refused outright: browsers drop a tab or newline from a
  // URL, so `/\t/evil.example` is read as `//evil.example`, another host.
  if (!v || !/^\/(?![/\\])/.test(v) || /[\u0000-\u001f\u007f\\]/.test(v)) return "/queue";
  // And what a browser would make of it must stay on this origin.
  const u = URL.parse(v, "http://pol.invalid");
  return u?.origin === "http://pol.invalid" ? u.pathname + u.search + u.hash : "/queue";
}

function form(c: Context<ServeEnv>, d: LoginDeps, next: string, error?: string) {
  // Reuse the browser's token: a second sign-in page (another tab, a redirected favicon request)
  // must not invalidate the form already on screen.
  const had = getCookie(c, LOGIN_COOKIE);
  const token = had && /^[\w-]{32}$/.test(had) ? had : randomId(24);
  setCookie(c, LOGIN_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/login", secure: d.secureCookies, maxAge: 3600 });
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · pol</title><link rel="stylesheet" href="/assets/console.css"></head>
<body class="login"><main>
<h1><span class="brand">pol</span> console</h1>
<p class="muted">Policy <strong>${d.policyName}</strong>. ${d.users.ephemeral ? "No users file: sign in as admin with the secret pol serve printed when it started." : "Sign in with your name and secret from the users file."}</p>
${error ? flash("error", error) : ""}
<form method="post" action="/login">
  <input type="hidden" name="${CSRF_FIELD}" value="${token}"><input type="hidden" name="next" value="${next}">
  <label>name <input name="name" autocomplete="username" required autofocus></label>
  <label>secret <input name="secret" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form></main></body></html>`;
}

export function registerLogin(app: Hono<ServeEnv>, d: LoginDeps): void {
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/login", (c) => c.html(form(c, d, safeNext(c.req.query("next")))));
  app.post("/login", async (c) => {
    const f = await formOf(c);
    const next = safeNext(f["next"]);
    const cookie = getCookie(c, LOGIN_COOKIE);
    if (!sameOrigin(c) || !cookie || !f[CSRF_FIELD] || !sameText(cookie, f[CSRF_FIELD])) {
      return c.html(form(c, d, next, "the sign-in form expired or came from another site; try again"), 403);
    }
    const p = await d.users.authenticate(f["name"] ?? "", f["secret"] ?? "");
    if (isRefusal(p)) {
      c.header("Retry-After", String(p.retryAfterS));
      return c.html(form(c, d, next, p.why), 429);
    }
    if (!p) return c.html(form(c, d, next, "the name or secret is wrong"), 401);
    // A service's credential opens no session: it could only fill the session table.
    if (!may(p, "view")) return c.html(form(c, d, next, refusal(p, "view")), 403);
    d.sessions.destroy(getCookie(c, SESSION_COOKIE));
    const s = d.sessions.create(p.name);
    deleteCookie(c, LOGIN_COOKIE, { path: "/login" });
    setCookie(c, SESSION_COOKIE, s.id, { httpOnly: true, sameSite: "Strict", path: "/", secure: d.secureCookies });
    return c.redirect(next, 303);
  });
}

/** Sign-out (behind the console's session and CSRF checks). */
export function registerLogout(app: Hono<ServeEnv>, d: LoginDeps): void {
  app.post("/logout", (c) => {
    d.sessions.destroy(c.get("session")?.id);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login", 303);
  });
}
