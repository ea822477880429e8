// The audit view: whether the hash chain verifies (re-checked in the background and on demand),
// the latest records, and export of a time range as JSONL or CSV for auditors.

import type { Hono } from "hono";
import { stream } from "hono/streaming";
import type { ServeEnv } from "../auth/middleware.js";
import type { VerifyStatus } from "../audit-verifier.js";
import { csvHeader, timeRange } from "../export.js";
import { act } from "./act.js";
import type { ConsoleDeps } from "./deps.js";
import { badge, csrfField, html, page, when, type Html } from "./layout.js";

function status(s: VerifyStatus | undefined): Html {
  if (!s) return html`<div id="verify" class="verify pending"><p>The chain has not been verified yet.</p></div>`;
  return html`<div id="verify" class="verify ${s.ok ? "ok" : "broken"}"><p><strong>${s.ok ? "Intact" : "Broken"}</strong>: ${s.text}</p>
<p class="muted">checked ${when(new Date(s.checkedAt).toISOString())}</p></div>`;
}

export function registerAudit(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/audit", async (c) => {
    await d.host.flush().catch(() => undefined);
    const rows = (await d.index.latestRows(50)).reverse();
    const body = html`${status(d.verifier.status)}
<form method="post" action="/audit/verify" hx-post="/audit/verify" hx-target="#verify" hx-swap="outerHTML">${csrfField(c)}<button type="submit">Verify now</button></form>
<h2>Export</h2>
<form class="export" method="get" action="/audit/export">
  <label>from (UTC) <input type="datetime-local" name="from" step="1"></label>
  <label>to (UTC) <input type="datetime-local" name="to" step="1"></label>
  <label>format <select name="format"><option value="jsonl">JSONL (records as stored)</option><option value="csv">CSV</option></select></label>
  <button type="submit">Download</button>
</form>
<h2>Latest records</h2>
<table><thead><tr><th>seq</th><th>time</th><th>type</th><th>what</th><th>agent</th><th>run</th><th>effect</th><th>by</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.seq}</td><td>${when(r.time)}</td><td>${r.type}</td><td>${r.tool ?? r.event ?? ""}</td><td>${r.agent ?? ""}</td>
<td>${typeof r.run === "string" ? html`<a href="/runs/${encodeURIComponent(r.run)}">${r.run}</a>` : ""}</td><td>${r.effect ? badge(r.effect) : r.status ?? ""}</td><td>${r.by ?? r.approvedBy ?? ""}</td></tr>`)}
</tbody></table>`;
    return c.html(page(c, "Audit log", body, d.policyName));
  });

  app.post("/audit/verify", (c) => act(c, "/audit", async () => {
    const s = await d.verifier.check();
    return s.ok ? `the chain is intact (${s.count} records)` : "the chain is broken";
  }, () => status(d.verifier.status)));

  app.get("/audit/export", async (c) => {
    const range = timeRange(c.req.query("from"), c.req.query("to"), Date.now());
    const format = c.req.query("format") ?? "jsonl";
    if (typeof range === "string") return c.text(`cannot export: ${range}`, 400);
    if (format !== "jsonl" && format !== "csv") return c.text("cannot export: `format` must be jsonl or csv", 400);
    await d.host.flush().catch(() => undefined);
    const stamp = (t: number) => new Date(t).toISOString().replace(/[:.]/g, "-");
    c.header("Content-Type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="pol-audit-${stamp(range.from)}-to-${stamp(Math.min(range.to, Date.now()))}.${format}"`);
    return stream(c, async (s) => {
      if (format === "csv") await s.write(csvHeader());
      for await (const chunk of d.index.exportRange(range.from, range.to, format)) await s.write(chunk);
    });
  });
}
