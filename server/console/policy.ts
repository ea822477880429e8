// The policy this server enforces, as `pol inspect` shows it: name, source, hash, tools with
// their classes, rules in order, defaults, limits and redacted paths; and its rollout: the bundle
// and signer, the shadow and canary, and the last policy change with the reason it was refused.

import type { Hono } from "hono";
import type { ServeEnv } from "../auth/middleware.js";
import type { PolicyInfo, PolicyStatus } from "../../runtime/reload.js";
import type { ConsoleDeps } from "./deps.js";
import { badge, html, page } from "./layout.js";

const since = (p: PolicyInfo) => html`<code>${p.hash.slice(0, 12)}</code> from <code>${p.source}</code>${p.bundle ? html`, bundle <code>${p.bundle.slice(0, 12)}</code>${p.signer ? html` signed by <code>${p.signer}</code>` : " (unsigned)"}` : ""}, since ${p.since}`;

/** Live, shadow, canary and the last change; a refused change says why (the public /health does not). */
function rollout(s: PolicyStatus) {
  const last = s.changes.last;
  return html`<h2>Rollout</h2><dl class="facts"><dt>live</dt><dd>${since(s.live)}</dd>
${s.shadow ? html`<dt>shadow</dt><dd>${since(s.shadow)}: ${s.shadow.compared} calls compared, ${s.shadow.differed} differed, ${s.shadow.dropped} dropped</dd>` : ""}
${s.canary ? html`<dt>canary</dt><dd>${since(s.canary)}: ${s.canary.percent}% of runs</dd>` : ""}
${s.watching !== undefined ? html`<dt>watching</dt><dd><code>${s.watching}</code></dd>` : ""}
<dt>changes</dt><dd>${s.changes.ok} made, ${s.changes.failed} refused${s.changes.inProgress ? ", one in progress" : ""}</dd>
${last ? html`<dt>last change</dt><dd>${last.ok ? "made:" : html`<strong>refused</strong>:`} ${last.role} from <code>${last.source}</code> at ${last.at}${last.ok ? "" : html`: refused at ${last.stage ?? "load"}: ${last.error ?? ""}`}${last.tests ? html` (${last.tests})` : ""}</dd>` : ""}</dl>`;
}

export function registerPolicy(app: Hono<ServeEnv>, d: ConsoleDeps): void {
  app.get("/policy", (c) => {
    const m = d.host.policy.manifest;
    const targets = (ts: { text: string }[] | undefined) => (ts ?? []).map((t) => t.text).join(", ");
    const body = html`<dl class="facts"><dt>name</dt><dd>${m.policy.name}${m.policy.description ? html` — ${m.policy.description}` : ""}</dd>
<dt>source</dt><dd><code>${m.policy.file}</code></dd><dt>sha256</dt><dd><code>${d.host.policy.hash}</code></dd><dt>abi</dt><dd>${m.abi}</dd></dl>
${rollout(d.host.policyStatus())}
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
