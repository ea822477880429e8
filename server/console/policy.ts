// The policy this server enforces, as `pol inspect` shows it: name, source, hash, tools with
// their classes, rules in order, defaults, limits and redacted paths.

import type { Hono } from "hono";
import type { ServeEnv } from "../auth/middleware.js";
import type { ConsoleDeps } from "./deps.js";
import { badge, html, page } from "./layout.js";

export function registerPolicy(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/policy", (c) => {
    const m = d.host.policy.manifest;
    const targets = (ts: { text: string }[] | undefined) => (ts ?? []).map((t) => t.text).join(", ");
    const body = html`<dl class="facts"><dt>name</dt><dd>${m.policy.name}${m.policy.description ? html` — ${m.policy.description}` : ""}</dd>
<dt>source</dt><dd><code>${m.policy.file}</code></dd><dt>sha256</dt><dd><code>${d.host.policy.hash}</code></dd><dt>abi</dt><dd>${m.abi}</dd></dl>
<h2>Tools</h2><table><thead><tr><th>tool</th><th>class</th><th>schema</th></tr></thead><tbody>
${m.tools.map((t) => html`<tr><td><code>${t.name}</code></td><td>${t.toolClass ?? "destructive (undeclared)"}</td><td>${t.declared ? "declared" : "none: arguments unchecked"}</td></tr>`)}
<tr><td><em>any other tool</em></td><td>destructive</td><td>none</td></tr></tbody></table>
<h2>Rules</h2><table><thead><tr><th>effect</th><th>rule</th><th>tools</th><th>because</th></tr></thead><tbody>
${m.rules.map((r) => html`<tr><td>${badge(r.effect)}</td><td><code>${r.id}</code></td><td><code>${targets(r.targets)}</code></td><td>${r.because ?? ""}</td></tr>`)}</tbody></table>
<h2>Defaults</h2><ul><li>${badge(m.defaultRule.effect)} for every tool no rule matches</li>
${m.defaultsFor.map((x) => html`<li>${badge(x.effect)} for <code>${targets(x.targets)}</code></li>`)}</ul>
${m.limits.length ? html`<h2>Limits</h2><ul>${m.limits.map((l) => html`<li><code>${l.id}</code>: ${l.kind} max ${l.max} per ${l.windowSeconds} s on <code>${targets(l.targets)}</code></li>`)}</ul>` : ""}
${m.redact.length ? html`<h2>Redacted</h2><p>${m.redact.map((r) => html`<code>${r}</code> `)}</p>` : ""}`;
    return c.html(page(c, "Policy", body, d.policyName));
  });
}
