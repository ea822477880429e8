// The console's page frame and small shared pieces: the layout (navigation, the signed-in person,
// the CSRF token htmx sends with every request, the flash area), badges, times and durations.
// Every page module renders through page(); all text goes through hono/html's `html`, which
// escapes every interpolated value, so audit data (written by agents) cannot inject markup.

import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ServeEnv } from "../auth/middleware.js";
import type { Principal } from "../auth/roles.js";
import { CSRF_FIELD } from "../auth/sessions.js";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV: [path: string, label: string][] = [
  ["/queue", "Approvals"], ["/runs", "Runs"], ["/audit", "Audit"], ["/pauses", "Kill switch"], ["/agents", "Agents"], ["/policy", "Policy"],
];

/** htmx settings: no eval, no inline styles (the CSP forbids both), only same-origin requests, and error responses swapped so refusals show. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false, allowEval: false, allowScriptTags: false, selfRequestsOnly: true, historyCacheSize: 0,
  responseHandling: [{ code: "204", swap: false }, { code: "[23]..", swap: true }, { code: "[45]..", swap: true, error: true }],
});

export function page(c: Context<ServeEnv>, title: string, body: Html, policyName: string): Html {
  const p = c.get("principal");
  const s = c.get("session");
  const here = new URL(c.req.url).pathname;
  const ok = c.req.query("ok");
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · pol</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/vendor/htmx.min.js"></script>
<script src="/assets/vendor/htmx-ext-sse.min.js"></script>
</head>
<body hx-headers="${JSON.stringify({ "x-csrf-token": s?.csrf ?? "" })}">
<header class="top">
  <a class="brand" href="/queue">pol</a><span class="policy" title="the policy this server enforces">${policyName}</span>
  <nav>${NAV.map(([path, label]) => html`<a href="${path}" class="${here.startsWith(path) ? "here" : ""}">${label}</a>`)}</nav>
  <form class="who" method="post" action="/logout">
    <input type="hidden" name="${CSRF_FIELD}" value="${s?.csrf ?? ""}">
    <span>${p.name} <small>${p.roles.join(", ")}${p.groups.length ? ` · ${p.groups.join(", ")}` : ""}</small></span>
    <button type="submit" class="link">Sign out</button>
  </form>
</header>
<main>
<h1>${title}</h1>
<div id="flash" role="status">${ok ? flash("ok", ok) : ""}</div>
${body}
</main>
</body>
</html>`;
}

export function flash(kind: "ok" | "error", text: string): Html {
  return html`<p class="flash ${kind}">${text}</p>`;
}

/** A hidden CSRF field, for forms that also work without JavaScript. */
export function csrfField(c: Context<ServeEnv>): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${c.get("session")?.csrf ?? ""}">`;
}

export function badge(effect: unknown): Html {
  const e = typeof effect === "string" ? effect : "";
  return html`<span class="badge ${e}">${e || "–"}</span>`;
}

export function when(iso: unknown): Html {
  if (typeof iso !== "string") return html`–`;
  return html`<time datetime="${iso}" title="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}</time>`;
}

/** A count the audit index may have seen only part of (server/audit-index.ts): "12+" then. */
export function atLeast(n: number, partial: boolean | undefined): Html {
  return partial ? html`<span title="at least: the console's index saw only the later records">${n}+</span>` : html`${n}`;
}

/** The line under a table with counts marked by atLeast. */
export function partialNote(any: boolean): Html {
  return any ? html`<p class="muted">+ counts only the records since the console's index last held this row (it keeps the 10,000 most recently active); the page of each reads the whole log.</p>` : html``;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, "0")}m`;
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? "";
}

/** What a person lacking a role sees instead of a form. */
export function notAllowed(p: Principal, what: string): Html {
  return html`<p class="muted">${what} (you are ${p.roles.join(", ")}).</p>`;
}

export { html };
