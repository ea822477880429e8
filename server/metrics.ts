// Prometheus metrics for `pol serve` (prom-client's registry and format, a registry of its own): decisions by effect,
// stage and tool, decision latency, pending approvals and the audit chain's verification. Fed by
// the Engine's onDecision hook (serve.ts) and the AuditVerifier; read by GET /metrics.
//
// No ids as labels (agents, runs, decisions, approvals): each would be a new series per value.
// `tool` is bounded by the policy: a tool the policy declares or names keeps its name, every
// other tool string a caller sends is counted as `other`.

import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { EngineDecision } from "../runtime/engine-types.js";
import type { VerifyStatus } from "./audit-verifier.js";

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

/** The duration buckets in seconds: the Engine decides in tens of microseconds; 10 µs to 1 s. */
const BOUNDS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 0.1, 1];

/** One value of a metric as prom-client's registry renders it (the shape of its `get()`). */
type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

/** A metric the registry renders from `get()`, as it does its own: counted here, read at scrape time. */
function scraped(name: string, help: string, type: "counter" | "histogram", values: () => Sample[]) {
  return { name, help, type, aggregator: "sum" as const, get: async () => ({ name, help, type, aggregator: "sum" as const, values: values() }) };
}

interface Timing { buckets: number[]; sum: number; count: number }

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly known: ReadonlySet<string>;
  /**
   * Decisions by effect, stage and tool (bounded: effects × stages × the policy's tools), and
   * their durations by effect, in plain numbers: prom-client's Counter and Histogram hash and
   * validate the labels on every inc/observe, even through label-bound children, which was 3–4%
   * of pol serve's main thread per decision (benchmarks suite 7 profile). The registry reads
   * these at scrape time, in its own format.
   */
  private readonly counts = new Map<string, Map<string, Map<string, { n: number }>>>();
  private readonly timings = new Map<string, Timing>();

  constructor(source: MetricsSource) {
    this.known = new Set(source.tools);
    const registers = [this.registry];
    this.registry.registerMetric(scraped("pol_decisions_total", "Decisions made, by final effect, the stage that decided, and tool (tools the policy does not name count as other).", "counter", () => this.decisionValues()) as never);
    this.registry.registerMetric(scraped("pol_decision_duration_seconds", "Time the Engine spent deciding (entry to final decision, before the audit append).", "histogram", () => this.durationValues()) as never);
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

  /** For the Engine's onDecision hook: a few Map lookups and additions, and never throws. */
  readonly observe = (d: EngineDecision, call: unknown): void => {
    const tool = toolOf(call, this.known);
    let byStage = this.counts.get(d.effect);
    if (!byStage) this.counts.set(d.effect, (byStage = new Map()));
    let byTool = byStage.get(d.decidedBy);
    if (!byTool) byStage.set(d.decidedBy, (byTool = new Map()));
    const cell = byTool.get(tool);
    if (cell) cell.n++;
    else byTool.set(tool, { n: 1 });
    let t = this.timings.get(d.effect);
    if (!t) this.timings.set(d.effect, (t = { buckets: BOUNDS.map(() => 0), sum: 0, count: 0 }));
    const seconds = d.latencyUs / 1e6;
    // Non-cumulative here (one bucket per decision), summed up the bounds when scraped.
    let i = 0;
    while (i < BOUNDS.length && seconds > BOUNDS[i]!) i++;
    if (i < BOUNDS.length) t.buckets[i]!++;
    t.sum += seconds;
    t.count++;
  };

  private decisionValues(): Sample[] {
    const out: Sample[] = [];
    for (const [effect, byStage] of this.counts) {
      for (const [stage, byTool] of byStage) for (const [tool, c] of byTool) out.push({ labels: { effect, decided_by: stage, tool }, value: c.n });
    }
    return out;
  }

  private durationValues(): Sample[] {
    const name = "pol_decision_duration_seconds";
    const out: Sample[] = [];
    for (const [effect, t] of this.timings) {
      let acc = 0;
      BOUNDS.forEach((le, i) => out.push({ labels: { effect, le }, value: (acc += t.buckets[i]!), metricName: `${name}_bucket` }));
      out.push({ labels: { effect, le: "+Inf" }, value: t.count, metricName: `${name}_bucket` });
      out.push({ labels: { effect }, value: t.sum, metricName: `${name}_sum` });
      out.push({ labels: { effect }, value: t.count, metricName: `${name}_count` });
    }
    return out;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
