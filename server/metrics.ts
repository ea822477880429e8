// Prometheus metrics for `pol serve` (prom-client, a registry of its own): decisions by effect,
// stage and tool, decision latency, pending approvals and the audit chain's verification. Fed by
// the Engine's onDecision hook (serve.ts) and the AuditVerifier; read by GET /metrics.
//
// No ids as labels (agents, runs, decisions, approvals): each would be a new series per value.
// `tool` is bounded by the policy: a tool the policy declares or names keeps its name, every
// other tool string a caller sends is counted as `other`.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EngineDecision } from "../runtime/engine-types.js";
import type { VerifyStatus } from "./audit-read.js";

export interface MetricsSource {
  tools: readonly string[];
  pendingApprovals(): Promise<number>;
  verifyStatus(): VerifyStatus | undefined;
}

/** The tool label for a call: the tool when the policy knows it, else `other`. Never throws on a hostile call. */
function toolOf(call: unknown, known: ReadonlySet<string>): string {
  try {
    const t = typeof call === "object" && call !== null ? (call as { tool?: unknown }).tool : undefined;
    return typeof t === "string" && known.has(t) ? t : "other";
  } catch {
    return "other";
  }
}

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly known: ReadonlySet<string>;
  private readonly decisions: Counter<"effect" | "decided_by" | "tool">;
  private readonly duration: Histogram<"effect">;
  /**
   * Label-bound children, one per label combination seen (bounded: effects × stages × the
   * policy's tools): prom-client hashes the label object on every inc/observe otherwise, which
   * was 3% of pol serve's main thread per decision (benchmarks suite 7 profile). Nested by label,
   * not keyed by a joined string: building and hashing that string was most of what remained.
   */
  private readonly counted = new Map<string, Map<string, Map<string, Counter.Internal>>>();
  private readonly timed = new Map<string, Histogram.Internal<"effect">>();

  constructor(source: MetricsSource) {
    this.known = new Set(source.tools);
    const registers = [this.registry];
    this.decisions = new Counter({ name: "pol_decisions_total", help: "Decisions made, by final effect, the stage that decided, and tool (tools the policy does not name count as other).", labelNames: ["effect", "decided_by", "tool"], registers });
    // The Engine decides in tens of microseconds; buckets from 10 µs to 1 s.
    this.duration = new Histogram({ name: "pol_decision_duration_seconds", help: "Time the Engine spent deciding (entry to final decision, before the audit append).", labelNames: ["effect"], buckets: [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 0.1, 1], registers });
    new Gauge({
      name: "pol_approvals_pending", help: "Approvals waiting for a human (alert when this stays above your threshold, e.g. 10).", registers,
      async collect() {
        this.set(await source.pendingApprovals());
      },
    });
    new Gauge({
      name: "pol_audit_verify_ok", help: "1 when the last verification of the audit chain found it intact, 0 when it found a break or could not run.", registers,
      collect() {
        const s = source.verifyStatus();
        if (s) this.set(s.ok ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "pol_process_" });
  }

  /** For the Engine's onDecision hook: cheap, and never throws. */
  readonly observe = (d: EngineDecision, call: unknown): void => {
    const tool = toolOf(call, this.known);
    let byStage = this.counted.get(d.effect);
    if (!byStage) this.counted.set(d.effect, (byStage = new Map()));
    let byTool = byStage.get(d.decidedBy);
    if (!byTool) byStage.set(d.decidedBy, (byTool = new Map()));
    let c = byTool.get(tool);
    if (!c) byTool.set(tool, (c = this.decisions.labels({ effect: d.effect, decided_by: d.decidedBy, tool })));
    c.inc();
    let h = this.timed.get(d.effect);
    if (!h) this.timed.set(d.effect, (h = this.duration.labels({ effect: d.effect })));
    h.observe(d.latencyUs / 1e6);
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
