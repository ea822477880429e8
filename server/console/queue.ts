// The approval queue: pending approvals with the full call (as approvers see it: redacted), the
// reasons, who may approve and the time left, updated live over server-sent events; approve or
// reject with a note. Buttons appear only where the person may act, and the action layer checks
// again (roles, approver groups, never one's own agent). Recently resolved approvals follow.

import type { Context, Hono } from "hono";
import type { Approval } from "../../runtime/store/index.js";
import type { ServeEnv } from "../auth/middleware.js";
import { approveProblem, type Principal } from "../auth/roles.js";
import { act, formOf } from "./act.js";
import type { ConsoleDeps } from "./deps.js";
import { csrfField, duration, html, json, page, when, type Html } from "./layout.js";

const RECENT = 10;
/** Pending approvals shown, oldest (nearest their expiry) first: a flood of requests must not make a page of thousands of cards. */
const SHOWN = 200;

function approvalCard(c: Context<ServeEnv>, d: ConsoleDeps, a: Approval, p: Principal, now: number): Html {
  const problem = approveProblem(p, a);
  const who = a.groups.length > 0 ? a.groups.join(", ") : "any approver";
  // The people who may resolve it (the same rule the action applies), so a stuck request finds its human.
  const people = d.users.all().filter((u) => approveProblem(u, a) === undefined).map((u) => u.name);
  return html`<article class="approval" id="${a.id}" data-tool="${a.tool}">
  <header>
    <strong class="tool">${a.tool}</strong>
    <span>agent <code>${a.agentId || "–"}</code></span>
    ${a.runId ? html`<span>run <a href="/runs/${encodeURIComponent(a.runId)}">${a.runId}</a></span>` : ""}
    <span class="left" title="expires ${new Date(a.expiresAt).toISOString()}">${a.expiresAt > now ? `${duration(a.expiresAt - now)} left` : "expired"}</span>
  </header>
  <ul class="reasons">${a.reasons.map((r) => html`<li>${r}</li>`)}</ul>
  <p class="who-may">May approve: <strong>${who}</strong> (${people.length > 0 ? people.join(", ") : "nobody in the users file"}) · requested ${when(new Date(a.createdAt).toISOString())}${a.requestedBy !== undefined ? html` by <strong class="requester">${a.requestedBy}</strong>` : ""} · <code>${a.id}</code></p>
  <details open><summary>The call</summary><pre>${json(a.call)}</pre></details>
  ${problem
    ? html`<p class="muted cannot">You cannot resolve this: ${problem}.</p>`
    : html`<form class="resolve" method="post" action="/approvals/${a.id}/approve" hx-target="#queue" hx-swap="innerHTML">
    ${csrfField(c)}
    <input name="note" placeholder="note for the audit trail (optional)" maxlength="1000" aria-label="note">
    <button type="submit" class="approve" hx-post="/approvals/${a.id}/approve">Approve</button>
    <button type="submit" class="reject" formaction="/approvals/${a.id}/reject" hx-post="/approvals/${a.id}/reject">Reject</button>
  </form>`}
</article>`;
}

function resolvedRow(a: Approval): Html {
  return html`<tr><td>${when(new Date(a.resolvedAt ?? a.consumedAt ?? a.expiresAt).toISOString())}</td><td>${a.tool}</td><td><code>${a.agentId}</code></td>
<td><span class="badge ${a.status}">${a.status}</span></td><td>${a.resolvedBy ?? "–"}</td><td>${a.note ?? ""}</td></tr>`;
}

async function rows(c: Context<ServeEnv>, d: ConsoleDeps): Promise<Html> {
  const now = Date.now();
  // Never every approval the store has held (it keeps them all): the pending ones, and the
  // newest RECENT of the rest.
  const pending = await d.host.approvals.list({ status: "pending" });
  const done = (await d.host.approvals.list({ settled: true, newest: RECENT })).reverse();
  const shown = pending.slice(0, SHOWN);
  const p = c.get("principal");
  return html`<p class="count"><strong>${pending.length}</strong> waiting${pending.length > SHOWN ? html`, the oldest ${SHOWN} shown` : ""}</p>
${pending.length === 0 ? html`<p class="empty">Nothing is waiting for a human.</p>` : shown.map((a) => approvalCard(c, d, a, p, now))}
${done.length > 0 ? html`<h2>Recently resolved</h2><table><thead><tr><th>when</th><th>tool</th><th>agent</th><th>status</th><th>by</th><th>note</th></tr></thead><tbody>${done.map(resolvedRow)}</tbody></table>` : ""}`;
}

export function registerQueue(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/queue", async (c) => c.html(page(c, "Approvals", html`<section hx-ext="sse" sse-connect="/events">
  <div id="queue" hx-get="/queue/rows" hx-trigger="sse:approvals, every ${d.queuePollSeconds}s" hx-swap="innerHTML">${await rows(c, d)}</div>
</section>`, d.policyName)));
  app.get("/queue/rows", async (c) => c.html(await rows(c, d)));
  app.get("/events", (c) => d.events.stream(c, c.get("principal").name));
  for (const [verb, approve] of [["approve", true], ["reject", false]] as const) {
    app.post(`/approvals/:id/${verb}`, async (c) => {
      const form = await formOf(c);
      const id = c.req.param("id");
      return act(c, "/queue", async () => {
        const a = await d.actions.resolve(c.get("principal"), id, approve, form["note"]);
        return `${a.id} ${a.status} by ${c.get("principal").name}`;
      }, async (msg) => html`<div hx-swap-oob="innerHTML:#flash"><p class="flash ok">${msg}</p></div>${await rows(c, d)}`);
    });
  }
}
