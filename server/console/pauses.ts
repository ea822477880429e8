// The kill switch: what is paused (by whom, why, since when), pause a tool, a pattern or a class
// with a reason, and resume. In effect on the next decision of every engine sharing the store.

import type { Context, Hono } from "hono";
import type { ServeEnv } from "../auth/middleware.js";
import { may } from "../auth/roles.js";
import { act, formOf } from "./act.js";
import type { ConsoleDeps } from "./deps.js";
import { csrfField, html, notAllowed, page, when, type Html } from "./layout.js";

async function list(c: Context<ServeEnv>, d: ConsoleDeps): Promise<Html> {
  const pauses = await d.host.paused();
  const operator = may(c.get("principal"), "pause");
  if (pauses.length === 0) return html`<p class="empty">Nothing is paused: every tool is decided by the policy.</p>`;
  return html`<table class="pauses"><thead><tr><th>id</th><th>pattern</th><th>class</th><th>reason</th><th>by</th><th>since</th><th></th></tr></thead><tbody>
${pauses.map((p) => html`<tr><td><code>${p.id}</code></td><td><code>${p.pattern ?? "–"}</code></td><td>${p.toolClass ? `${p.toolClass} and above` : "–"}</td><td>${p.reason}</td><td>${p.by ?? ""}</td>
<td>${when(new Date(p.createdAt).toISOString())}</td>
<td>${operator ? html`<form method="post" action="/pauses/resume" hx-post="/pauses/resume" hx-target="#pauses">${csrfField(c)}<input type="hidden" name="id" value="${p.id}"><button type="submit">Resume</button></form>` : ""}</td></tr>`)}
</tbody></table>`;
}

export function registerPauses(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/pauses", async (c) => {
    const p = c.get("principal");
    const form = may(p, "pause")
      ? html`<form class="pause" method="post" action="/pauses" hx-post="/pauses" hx-target="#pauses">${csrfField(c)}
  <label>tool or pattern <input name="pattern" placeholder="stripe.refund, stripe.*, or * for everything" maxlength="256"></label>
  <label>class <select name="class"><option value="">any class</option><option value="write">write and destructive</option><option value="destructive">destructive</option><option value="read">every tool (read and above)</option></select></label>
  <label>reason <input name="reason" required maxlength="1000" placeholder="shown in every denied decision"></label>
  <button type="submit" class="danger">Pause</button>
</form>`
      : notAllowed(p, "Pausing and resuming tools needs the operator or admin role");
    return c.html(page(c, "Kill switch", html`${form}<div id="pauses">${await list(c, d)}</div>`, d.policyName));
  });
  app.post("/pauses", async (c) => {
    const f = await formOf(c);
    return act(c, "/pauses", async () => {
      const p = await d.actions.pause(c.get("principal"), { pattern: f["pattern"], class: f["class"], reason: f["reason"] });
      return `paused ${p.pattern ?? ""}${p.toolClass ? ` (${p.toolClass} tools)` : ""} as ${p.id}`;
    }, async (msg) => html`<div hx-swap-oob="innerHTML:#flash"><p class="flash ok">${msg}</p></div>${await list(c, d)}`);
  });
  app.post("/pauses/resume", async (c) => {
    const f = await formOf(c);
    return act(c, "/pauses", async () => {
      const lifted = await d.actions.resume(c.get("principal"), { id: f["id"], pattern: f["pattern"], class: f["class"] });
      return `resumed ${lifted.map((p) => p.id).join(", ")}`;
    }, async (msg) => html`<div hx-swap-oob="innerHTML:#flash"><p class="flash ok">${msg}</p></div>${await list(c, d)}`);
  });
}
