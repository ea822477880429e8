// Agents: each agent seen in the audit log with its trust score and level from the store, its
// trust history (outcomes that moved the score, reports, restores, denied calls), and restoring
// a revoked or restricted agent.

import type { Hono } from "hono";
import type { ServeEnv } from "../auth/middleware.js";
import { may } from "../auth/roles.js";
import { act, formOf } from "./act.js";
import type { ConsoleDeps } from "./deps.js";
import { atLeast, badge, csrfField, html, notAllowed, page, partialNote, when } from "./layout.js";

export function registerAgents(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/agents", async (c) => {
    await d.host.flush().catch(() => undefined);
    const seen = await d.index.seenAgents();
    const trust = await Promise.all(seen.map((a) => d.host.trust(a.agent)));
    const body = seen.length === 0
      ? html`<p class="empty">No agent has made a call yet.</p>`
      : html`<table><thead><tr><th>agent</th><th>trust</th><th>level</th><th>decisions</th><th>denied</th><th>last call</th></tr></thead><tbody>
${seen.map((a, i) => html`<tr><td><a href="/agents/${encodeURIComponent(a.agent)}">${a.agent}</a></td><td>${trust[i]!.score}</td><td><span class="badge ${trust[i]!.level}">${trust[i]!.level}</span></td>
<td>${atLeast(a.decisions, a.partial)}</td><td>${atLeast(a.denied, a.partial)}</td><td>${when(a.last)}</td></tr>`)}</tbody></table>${partialNote(seen.some((a) => a.partial))}`;
    return c.html(page(c, "Agents", body, d.policyName));
  });

  app.get("/agents/:id", async (c) => {
    const id = c.req.param("id");
    await d.host.flush().catch(() => undefined);
    const [t, history] = await Promise.all([d.host.trust(id), d.index.agentHistory(id)]);
    const p = c.get("principal");
    const restore = may(p, "restore")
      ? html`<form class="restore" method="post" action="/agents/${encodeURIComponent(id)}/restore" hx-post="/agents/${encodeURIComponent(id)}/restore" hx-target="#trust">${csrfField(c)}
  <label>score <input name="score" type="number" min="1" max="100" step="1" placeholder="recovery score"></label>
  <button type="submit">Restore</button></form>`
      : notAllowed(p, "Restoring trust needs the operator or admin role");
    const body = html`<div id="trust"><p class="trust">Trust <strong>${t.score}</strong> · <span class="badge ${t.level}">${t.level}</span>${t.updatedAt ? html` · updated ${when(new Date(t.updatedAt).toISOString())}` : ""}</p></div>
${restore}
<h2>History</h2>
${history.length === 0 ? html`<p class="empty">No trust changes or denied calls in the audit log.</p>` : html`<table><thead><tr><th>time</th><th>what</th><th>tool</th><th>effect</th><th>details</th></tr></thead><tbody>
${history.reverse().map((r) => html`<tr><td>${when(r.time)}</td><td>${r.type === "admin" ? r.event : r.type}</td><td>${r.tool ?? ""}</td><td>${r.effect ? badge(r.effect) : r.status ?? ""}</td>
<td>${r.trustDelta !== undefined ? `trust ${Number(r.trustDelta) >= 0 ? "+" : ""}${r.trustDelta} → ${r.trust}` : ""}${r.score !== undefined ? `score ${r.score}` : ""}${r.by ? ` by ${String(r.by)}` : ""}${Array.isArray(r.reasons) ? ` ${(r.reasons as unknown[]).join("; ")}` : ""}</td></tr>`)}</tbody></table>`}`;
    return c.html(page(c, `Agent ${id}`, body, d.policyName));
  });

  app.post("/agents/:id/restore", async (c) => {
    const id = c.req.param("id");
    const f = await formOf(c);
    let level = "";
    return act(c, `/agents/${encodeURIComponent(id)}`, async () => {
      const t = await d.actions.restore(c.get("principal"), id, f["score"]);
      level = `${t.score} (${t.level})`;
      return `restored ${id} to trust ${level}`;
    }, (msg) => html`<div hx-swap-oob="innerHTML:#flash"><p class="flash ok">${msg}</p></div><p class="trust">Trust <strong>${level}</strong></p>`);
  });
}
