// Runs and their timelines, read from the audit log: every decision and outcome of a run in the
// order the Engine made them, with the rule, effect, stage and latency, and the approvals
// resolved for its decisions in between. The list shows the most recently active runs.

import type { Hono } from "hono";
import type { ServeEnv } from "../auth/middleware.js";
import type { AuditRow } from "../audit-read.js";
import type { ConsoleDeps } from "./deps.js";
import { atLeast, badge, html, page, partialNote, when, type Html } from "./layout.js";

const latency = (us: unknown) => (typeof us === "number" ? (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`) : "");

function step(r: AuditRow): Html {
  if (r.type === "outcome") {
    return html`<tr class="outcome ${String(r.status)}"><td>${when(r.time)}</td><td>outcome</td><td>${r.tool}</td><td><span class="badge ${String(r.status)}">${r.status}</span></td><td></td><td></td>
<td>${typeof r.durationMs === "number" ? `${r.durationMs} ms` : ""}</td><td>${[r.reason, r.error, r.sideEffectId ? `side effect ${String(r.sideEffectId)}` : "", r.trustDelta !== undefined ? `trust ${Number(r.trustDelta) >= 0 ? "+" : ""}${r.trustDelta} → ${r.trust}` : "", r.trustUnchanged ? `trust unchanged: ${String(r.trustUnchanged)}` : ""].filter(Boolean).join(" · ")}</td></tr>`;
  }
  if (r.type === "admin") {
    const verb = String(r.event ?? "").replace("approval.", "");
    return html`<tr class="admin"><td>${when(r.time)}</td><td>approval</td><td>${r.tool}</td><td><span class="badge ${verb}">${verb}</span></td><td></td><td></td><td></td>
<td>by <strong>${r.by}</strong>${r.note ? html` · “${r.note}”` : ""} · <code>${r.approval}</code></td></tr>`;
  }
  const reasons = Array.isArray(r.reasons) ? (r.reasons as unknown[]).map(String) : [];
  return html`<tr class="decision ${String(r.effect)}"><td>${when(r.time)}</td><td>${r.type}</td><td>${r.tool}</td><td>${badge(r.effect)}</td><td>${r.decidedBy}</td><td><code>${r.rule ?? "–"}</code></td>
<td>${latency(r.latencyUs)}</td><td>${reasons.join("; ")}${r.approval ? html` · <code>${r.approval}</code>` : ""}${r.approvedBy ? html` · approved by <strong>${r.approvedBy}</strong>` : ""}</td></tr>`;
}

/** Steps a run's page shows: its latest, so a run of a million calls is a page, not a million rows. */
export const TIMELINE_ROWS = 1000;

export function registerRuns(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/runs", async (c) => {
    await d.host.flush().catch(() => undefined);
    const runs = await d.index.recentRuns();
    const body = runs.length === 0
      ? html`<p class="empty">No run has made a decision yet. Calls name their run with <code>run: { id }</code>.</p>`
      : html`<table><thead><tr><th>run</th><th>agents</th><th>decisions</th><th>denied</th><th>approve</th><th>first</th><th>last</th></tr></thead><tbody>
${runs.map((r) => html`<tr><td><a href="/runs/${encodeURIComponent(r.run)}">${r.run}</a></td><td>${r.agents.join(", ")}</td><td>${atLeast(r.decisions, r.partial)}</td><td>${atLeast(r.denied, r.partial)}</td><td>${atLeast(r.waiting, r.partial)}</td><td>${r.partial ? "earlier" : when(r.first)}</td><td>${when(r.last)}</td></tr>`)}
</tbody></table>${partialNote(runs.some((r) => r.partial))}`;
    return c.html(page(c, "Runs", body, d.policyName));
  });

  app.get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    await d.host.flush().catch(() => undefined);
    const { rows: steps, total } = await d.index.runTimeline(id, TIMELINE_ROWS);
    const shown = steps.length < total && steps.length > 0
      ? html`the last ${steps.length} of ${total} steps, oldest first, from the audit log; the ${total - steps.length} before ${when(steps[0]!.time)} are in the <a href="/audit">audit export</a>`
      : html`${total} ${total === 1 ? "step" : "steps"}, oldest first, from the audit log`;
    const body = total === 0
      ? html`<p class="empty">The audit log has no decision for run <code>${id}</code>.</p>`
      : html`<p class="muted">${shown}.</p>
<table class="timeline"><thead><tr><th>time</th><th>step</th><th>tool</th><th>effect</th><th>decided by</th><th>rule</th><th>latency</th><th>details</th></tr></thead>
<tbody>${steps.map(step)}</tbody></table>`;
    return c.html(page(c, `Run ${id}`, body, d.policyName));
  });
}
