// The host runtime services embed: `Engine.load(policy, options)` then `decide(call)` per tool call,
// `guard(tool, fn)` around tool implementations, and the operator API (approvals, pause/resume,
// trust). It owns everything stateful (StateStore, audit log) so the policy module stays pure.
//
// decide() applies, in order: schema validation and the policy (the wasm, with agent.trust read
// from the trust store), the kill switch, trust (revoked: deny; below the minimum: writes need
// approval), approvals (use a granted approval of exactly this call, else request one), limits
// (charged atomically, only when the final effect is allow), then one audit record. It never
// throws: an internal error is a deny with decidedBy "error", audited as an `error` record.

import type { Effect } from "../language/ast.js";
import type { Decision, LimitUse } from "../language/call.js";
import type { Input } from "../language/validate.js";
import { JsonlAuditLog, isPostgresAudit, openPostgresAuditSpec, type AuditEntry, type AuditSink } from "./audit/index.js";
import { auditArgs, auditText, compact, entry, errorText, isoTime, wholeArgs } from "./audit-entries.js";
import { ApprovalFlow, EngineApprovals } from "./approvals.js";
import { ownGrant } from "./approval-rules.js";
import { callHash } from "./callhash.js";
import { CLAIM_WINDOW_MS, Receipts, claimKey } from "./outcome-receipt.js";
import { CallDecisions } from "./decide-for.js";
import {
  EngineError, systemClock,
  type AuditOption, type Clock, type DecidedBy, type DecideOptions, type EngineDecision, type EngineHooks, type EngineOptions,
  type OutcomeOptions, type OutcomeRecord, type OutcomeReport, type PauseTarget, type TrustOutcome, type TrustSettings, type TrustStatus,
} from "./engine-types.js";
import { guardTool, type GuardInfo, type GuardOptions, type Guarded } from "./guard.js";
import { IdGenerator } from "./ids.js";
import { KeyMasker } from "./limit-keys.js";
import { charges, limitReason } from "./limits.js";
import { WasmPolicy } from "./loader.js";
import { pauseFor, pauseReason, pauseRequest, resumeTarget } from "./pauses.js";
import type { PolicySet } from "./policy-set.js";
import { provenance, type PolicySource } from "./policy-source.js";
import { initialPolicies, Rollout, watchDelay, type CanaryOption, type ChangeRecord, type PolicyStatus } from "./reload.js";
import { engineSecret } from "./secret.js";
import { snapshotCall, DEFAULT_MAX_CALL_SIZE } from "./snapshot.js";
import { StateCache } from "./state-cache.js";
import { approvalsHome, openStore, sameSource, prepareFileStores, PendingCapError, type Approval, type Pause, type StateStore, type TrustRecord } from "./store/index.js";
import { recordDecisionSpan } from "./telemetry.js";
import { additions, DEFAULT_RUN_BOUNDS, historyShown, readsRun, runNeeds, withRunInputs } from "./run-inputs.js";
import type { RunBounds } from "./store/index.js";
import { HeadAnchor } from "./audit-anchor.js";
import { outcomeDelta, restrictedReason, revokedReason, statusOf, trustSettings } from "./trust.js";

const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;
/** Largest call, as JSON characters, an approval request may show; larger calls are denied rather than shown cut. */
const MAX_APPROVER_VIEW = 256 * 1024;

/** Pending approval requests an agent may have at once (EngineOptions.maxPendingPerAgent). */
const DEFAULT_MAX_PENDING = 20;

/** A deny the pipeline decides on the way (not an internal error): its message is the reason. */
class Refused extends Error {
  constructor(message: string, readonly decidedBy: DecidedBy = "schema") {
    super(message);
  }
}
const MAX_AGENT_ID = 1024;

/** What the caller sent, read once and defensively (the call may be hostile). */
interface Facts {
  tool: string;
  rawTool: unknown;
  args: unknown;
  agentId: string;
  /** Why the agent id cannot be looked up (the policy's validation then denies the call), if so. */
  agentProblem?: string;
  /** Set when the agent id is valid but the engine refuses it outright. */
  agentRefused?: string;
  rawAgentId: unknown;
  runId: string;
  rawRunId: unknown;
  env: unknown;
  roles: unknown;
  /** DecideOptions.requestedBy, checked. */
  requestedBy: string | undefined;
}

/** A decision being built; becomes an EngineDecision and an audit record in finish(). */
interface Draft {
  effect: Effect;
  decidedBy: DecidedBy;
  rule: string | null;
  rules: string[];
  reasons: string[];
  approvers: string[];
  redact: readonly string[];
  trust: number;
  approval?: string;
  approvedBy?: string;
  limit?: string;
  pause?: string;
  callHash?: string;
  /** The framework's tool-call id, for a decision made through decideFor (audited as `callId`). */
  callId?: string;
  charged?: readonly LimitUse[];
  error?: string;
  /** A call to a closed engine: its log is closed too, so there is nothing to append to. */
  unaudited?: true;
  /** What the deciding policy was given and said, for a shadow policy to decide again (shadow.ts). */
  input?: unknown;
  decided?: Decision;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** Own properties only: a value inherited from a polluted Object.prototype is never input. */
const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** The facts of a call snapshot (plain data: reading it has no side effects). */
function factsOf(call: unknown, requestedBy?: string): Facts {
  const c = isRecord(call) ? call : {};
  const agentRaw = own(c, "agent");
  const runRaw = own(c, "run");
  const agent = isRecord(agentRaw) ? agentRaw : {};
  const run = isRecord(runRaw) ? runRaw : {};
  const rawAgentId = own(agent, "id");
  const rawTool = own(c, "tool");
  const rawRunId = own(run, "id");
  const f: Facts = {
    tool: typeof rawTool === "string" ? rawTool : "",
    rawTool,
    args: own(c, "args"),
    agentId: typeof rawAgentId === "string" ? rawAgentId : "",
    rawAgentId,
    runId: typeof rawRunId === "string" ? rawRunId : "",
    rawRunId,
    env: own(c, "env"),
    roles: own(agent, "roles"),
    requestedBy,
  };
  if (rawAgentId !== undefined && (typeof rawAgentId !== "string" || !rawAgentId.isWellFormed())) f.agentProblem = "invalid agent id";
  else if (f.agentId.length > MAX_AGENT_ID) f.agentRefused = `\`agent.id\` is longer than ${MAX_AGENT_ID} characters`;
  return f;
}

const MAX_REQUESTER = 256;

const reportedAlready = (decision: string): string => `the outcome of \`${decision}\` was reported already; an allow's outcome moves trust once`;

/**
 * DecideOptions read defensively: the sender (undefined: none named), or why the options cannot
 * be used (the call is then denied). A plain string for the usual case: no object per decision.
 */
function requesterOf(options: unknown): string | undefined | { problem: string } {
  if (!isRecord(options)) return { problem: "decide's options must be an object, so the call is denied" };
  let by: unknown;
  try {
    // A getter or a proxy may throw: decide never does.
    by = own(options, "requestedBy");
  } catch {
    // Not even the error is read: it may be anything (an object without a string form, say).
    return { problem: "decide's options could not be read (reading `requestedBy` threw), so the call is denied" };
  }
  if (by === undefined) return undefined;
  if (typeof by !== "string" || by === "" || by.length > MAX_REQUESTER || !by.isWellFormed()) {
    return { problem: `decide's \`requestedBy\` must be a non-empty string of at most ${MAX_REQUESTER} characters, so the call is denied` };
  }
  return by;
}

/** The call with agent.trust set from the store (never the caller's claim); other shapes pass through for validation to deny. */
function withTrust(call: unknown, score: number): unknown {
  if (!isRecord(call)) return call;
  const agent = own(call, "agent");
  if (agent !== undefined && agent !== null && !isRecord(agent)) return call;
  return { ...call, agent: { ...(agent ?? {}), trust: score } };
}

function fromPolicy(d: Decision, trust: number, input: unknown): Draft {
  return {
    effect: d.effect,
    decidedBy: d.decidedBy,
    rule: d.rules[0]?.id ?? null,
    rules: d.rules.map((r) => r.id),
    reasons: [...d.reasons],
    approvers: [...d.approvers],
    redact: d.redact,
    trust,
    input,
    decided: d,
  };
}

/**
 * `draft` with `changes` on top: what `{ ...draft, ...changes }` gives. Not written as an object
 * spread: on Node 20 (V8 11.3) the spreads of drafts in this file left the copies and what they
 * point to alive past two scavenges, so they were promoted (540 KB per scavenge deciding the
 * approve call of benchmarks/suites/engine.ts, 300 KB the charged allow, against 10 KB with
 * Object.assign), which made every scavenge take ~1 ms instead of ~0.3 ms and filled the old
 * generation towards a mark-compact every few seconds under load (benchmarks/FINDINGS.md,
 * "pol serve over HTTP"). Why V8 keeps them was not established; the measurement is the reason.
 * Object.assign sets where a spread defines: the two differ only under a setter or a read-only
 * field on Object.prototype, which takes code running in this process; pollution through data
 * adds writable fields, which a set overrides (hostile.test.ts).
 */
const amend = (draft: Draft, changes: Partial<Draft>): Draft => Object.assign({}, draft, changes);

const deny = (draft: Draft, decidedBy: DecidedBy, reason: string, extra: Partial<Draft> = {}): Draft =>
  amend(draft, { effect: "deny", decidedBy, reasons: [reason], approvers: [], ...extra });

function openAudit(opt: AuditOption | undefined, storePath: string | null, anchors: StateStore["anchors"]): Promise<AuditSink | null> | AuditSink | null {
  if (opt === false) return null;
  if (opt === undefined) {
    if (storePath === null) throw new EngineError("invalid", "the engine needs an audit log: pass `audit: \"path.jsonl\"` (or `audit: false` to run without one)");
    return JsonlAuditLog.open(`${storePath.replace(/\.(db|sqlite3?)$/, "")}.audit.jsonl`);
  }
  if (isPostgresAudit(opt)) {
    // As the JSONL log's head is (audit-anchor.ts), the chain's head is anchored in the state
    // store unless the caller names another anchor: `pol audit verify --anchor <store>` then
    // catches a database rolled back by someone who could also rewrite audit_heads.
    const spec = typeof opt === "string" ? { url: opt } : opt;
    return openPostgresAuditSpec(spec.anchor === undefined && anchors !== undefined ? { ...spec, anchor: anchors } : spec);
  }
  if (typeof opt === "string") return JsonlAuditLog.open(opt);
  if (typeof (opt as AuditSink).append === "function") return opt as AuditSink;
  if (typeof opt !== "object" || opt === null) throw new EngineError("invalid", `\`audit\` must be a log's path, { path, ... }, a postgres:// url, an AuditSink or false, got ${typeof opt}`);
  const { path, ...rest } = opt as { path: string };
  if (typeof path !== "string" || path === "") {
    throw new EngineError("invalid", `\`audit.path\` must be the JSONL log's file path, got ${path === undefined ? "none" : typeof path}${"pth" in opt || "file" in opt ? " (the field is `path`)" : ""}`);
  }
  return JsonlAuditLog.open(path, rest);
}

/**
 * The run fields an approval binds (callhash.ts): its id and every field the policy reads, in
 * canonical key order, so the binding's canonical JSON is written by JSON.stringify (10 µs an
 * approve decision against 15 µs with `id` first).
 */
function runKeysOf(p: WasmPolicy): string[] {
  return [...new Set(["id", ...p.manifest.layout.run.map((slot) => slot.name)])].sort();
}

function whole(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new EngineError("invalid", `${name} must be a whole number of 1 or more, got \`${String(v)}\``);
  return n;
}

function positive(name: string, v: number | undefined, fallback: number, unit = "milliseconds"): number {
  const n = v ?? fallback;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) throw new EngineError("invalid", `${name} must be a positive number of ${unit}, got \`${String(v)}\``);
  return n;
}

/** How long Engine.load waits for its start record to be durable: a stalled disk is left to the log's own waits. */
const START_WAIT_MS = 2000;

/** Every option Engine.load reads; the type below fails to compile when EngineOptions gains one not listed. */
const OPTION_KEYS = [
  "store", "audit", "clock", "approvalTimeoutMs", "approvalPollMs", "trust", "hooks", "probe", "cacheTtlMs", "auditMaxString", "secret",
  "maxCallSize", "maxPendingPerAgent", "callIds", "runs", "expectHash", "verifyKey", "extraArgs", "maxString", "maxList", "canary", "shadow", "watch",
] as const satisfies readonly (keyof EngineOptions)[];
type Unlisted = Exclude<keyof EngineOptions, (typeof OPTION_KEYS)[number]>;
const listed: [Unlisted] extends [never] ? true : Unlisted = true;
void listed;

/** Refuses options that are not an object or name an option there is not (`stroe` once meant a silent in-memory store). */
function checkOptionKeys(options: unknown): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new EngineError("invalid", `the options must be an object, got ${options === null ? "null" : Array.isArray(options) ? "a list" : typeof options}`);
  const unknown = Object.keys(options).filter((k) => !(OPTION_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new EngineError("invalid", `unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `\`${k}\``).join(", ")}; the options are ${OPTION_KEYS.join(", ")} (docs/runtime.md)`);
}

/**
 * A decision as hooks see it: a copy (the object frozen, its lists copied), so a hook cannot
 * change what the caller acts on. Freezing the lists too cost pol serve, whose metrics are a
 * hook, about a microsecond a decision; a hook writing into its own copies harms nobody.
 * Copied with Object.assign, as `amend` is and for its reason: written as a spread, these copies
 * were promoted, 521 bytes of old generation per decision against 9.5 (benchmarks/budget.ts
 * checks it), which doubled pol serve's scavenge pauses and brought back its mark-compacts.
 */
function frozenDecision(d: EngineDecision): EngineDecision {
  return Object.freeze(Object.assign({}, d, { reasons: [...d.reasons], approvers: [...d.approvers] }));
}

export class Engine {
  readonly approvals: EngineApprovals;
  readonly approvalTimeoutMs: number;
  private readonly ids = new IdGenerator();
  private readonly cache: StateCache;
  private readonly flow: ApprovalFlow;
  private readonly trustCfg: TrustSettings;
  private readonly hooks: EngineHooks;
  private readonly auditMaxString: number;
  /** The JSONL log's head, anchored in the state store (audit-anchor.ts); none for other sinks. */
  private readonly anchor: HeadAnchor | null;
  private readonly maxCallSize: number;
  /** Keys the approval binding and the hashes of redacted values in limit keys (secret.ts). */
  private readonly secret: Uint8Array;
  private readonly receipts: Receipts;
  /** Per policy (live, canary, a reload's): its limit-key masker and the `run` fields it reads. */
  private readonly perPolicy = new WeakMap<WasmPolicy, { keys: KeyMasker; runKeys: string[] }>();
  private closing: Promise<void> | null = null;
  /** Approvals requested by decisions not yet audited, so resolve() can wait for that record. */
  private readonly unannounced = new Map<string, { done: Promise<void>; settle: () => void }>();
  /** The live, shadow and canary policies, and changes to them (reload.ts). */
  private readonly rollout: Rollout;
  /** decideFor's memory of call ids (runtime/decide-for.ts). */
  private readonly callIds: CallDecisions;
  /** How much of a run the store keeps for policies that read it (EngineOptions.runs). */
  private readonly runBounds: RunBounds;

  private constructor(
    policies: PolicySet,
    readonly store: StateStore,
    private readonly audit: AuditSink | null,
    private readonly owns: { store: boolean; audit: boolean },
    private readonly clock: Clock,
    probe: EngineOptions["probe"] | null,
    options: EngineOptions,
    trustCfg: TrustSettings,
    secret: Uint8Array,
    /** Whether the limit store, where outcome claims go when the trust store has no adjustOnce, is the trust store's own (store/open.ts sameSource). */
    private readonly claimsBesideTrust: boolean,
  ) {
    this.trustCfg = trustCfg;
    this.hooks = options.hooks ?? {};
    this.anchor = audit instanceof JsonlAuditLog && store.anchors !== undefined
      ? new HeadAnchor(audit, store.anchors, () => clock.now(), (e) => this.reportError(e, "audit anchor"))
      : null;
    this.approvalTimeoutMs = positive("approvalTimeoutMs", options.approvalTimeoutMs, DEFAULT_APPROVAL_TIMEOUT_MS);
    this.auditMaxString = Math.max(16, Math.floor(options.auditMaxString ?? 4096));
    this.maxCallSize = positive("maxCallSize", options.maxCallSize, DEFAULT_MAX_CALL_SIZE, "characters and items");
    this.secret = secret;
    this.receipts = new Receipts(secret);
    this.runBounds = {
      maxCalls: whole("runs.maxCalls", options.runs?.maxCalls, DEFAULT_RUN_BOUNDS.maxCalls),
      ttlMs: positive("runs.ttlMs", options.runs?.ttlMs, DEFAULT_RUN_BOUNDS.ttlMs),
    };
    this.cache = new StateCache(store, probe ?? null, Math.max(0, options.cacheTtlMs ?? 0));
    this.flow = new ApprovalFlow(store.approvals, this.approvalTimeoutMs, whole("maxPendingPerAgent", options.maxPendingPerAgent, DEFAULT_MAX_PENDING));
    this.approvals = new EngineApprovals({
      store: store.approvals,
      clock,
      pollMs: positive("approvalPollMs", options.approvalPollMs, 250),
      hooks: this.hooks,
      audit: (e) => this.appendAdmin(e),
      closed: () => this.closing !== null,
      announced: (id) => this.unannounced.get(id)?.done ?? Promise.resolve(),
    });
    this.rollout = new Rollout({
      loadOptions: options, append: (e) => this.appendAdmin(e), reportError: (e, where) => this.reportError(e, where),
      now: () => clock.now(), closed: () => this.closing !== null, auditMaxString: this.auditMaxString,
    }, policies);
    this.callIds = new CallDecisions({
      approvals: this.approvals, now: () => this.clock.now(), decide: (c, callId) => this.decideCall(c, callId),
      refuse: (c, by, reason, approval, callId) => this.refuse(c, by, reason, approval, callId), recordOutcome: (o, t) => this.recordOutcome(o, t),
    }, this.approvalTimeoutMs, options.callIds);
  }

  /**
   * Loads a policy (a signed `.polb` bundle with `verifyKey`, a `.wasm` path or bytes, a `.pol`
   * path compiled on load, a policy directory, or a loaded WasmPolicy), and the shadow and canary
   * the options name, and opens the store and audit log the options name.
   */
  static async load(policy: PolicySource, options: EngineOptions = {}): Promise<Engine> {
    checkOptionKeys(options);
    const trustCfg = trustSettings(options.trust);
    positive("approvalTimeoutMs", options.approvalTimeoutMs, DEFAULT_APPROVAL_TIMEOUT_MS);
    positive("approvalPollMs", options.approvalPollMs, 250);
    positive("maxCallSize", options.maxCallSize, DEFAULT_MAX_CALL_SIZE, "characters and items");
    whole("maxPendingPerAgent", options.maxPendingPerAgent, DEFAULT_MAX_PENDING);
    const policies = await initialPolicies(policy, options);
    const p = policies.live.policy;
    // The secret first: approvals on a server without a shared secret are refused before
    // connecting. A store file that cannot be one is refused before its key file is made beside it.
    prepareFileStores(options.store ?? ":memory:");
    const secret = engineSecret(options.secret, approvalsHome(options.store ?? ":memory:")).key;
    // The store spec (a path, a server url, a StateStore, or a source per part) is runtime/store's to open.
    const opened = await openStore(options.store ?? ":memory:", { initialTrust: trustCfg.initial, serverClock: options.clock === undefined });
    const { store, path: storePath } = opened;
    const clock = options.clock ?? opened.clock ?? systemClock;
    // The engine closes what it opened; a sink or store passed in stays the caller's.
    const ownsAudit = options.audit === undefined || typeof options.audit === "string" || (typeof options.audit === "object" && typeof (options.audit as AuditSink).append !== "function");
    let audit: AuditSink | null = null;
    try {
      audit = await openAudit(options.audit, storePath, store.anchors);
    } catch (e) {
      opened.probe?.close();
      opened.clock?.stop();
      if (opened.owned) await store.close();
      throw e;
    }
    const spec = options.store ?? ":memory:";
    const engine = new Engine(policies, store, audit, { store: opened.owned, audit: ownsAudit }, clock, options.probe ?? opened.probe, options, trustCfg, secret, sameSource(spec, "limits", "trust"));
    engine.appendAdmin(entry({
      type: "admin", time: isoTime(clock.now()), event: "engine.start", ...provenance(policies.live),
      shadow: policies.shadow?.policy.hash, canary: policies.canary?.loaded.policy.hash, canaryPercent: policies.canary?.percent,
    }));
    // The log takes its first record before any decision: a log that cannot be written (a full
    // disk, /dev/full) is refused here, not found out after a first decision was answered unaudited.
    try {
      await audit?.settled?.(START_WAIT_MS);
    } catch (e) {
      await engine.close().catch(() => undefined);
      throw new EngineError("invalid", `the audit log cannot be written, so the engine does not start: ${errorText(e)}`);
    }
    const delay = watchDelay(policy, options);
    if (delay !== undefined) {
      try {
        engine.rollout.watch(policy as string, delay);
      } catch (e) {
        await engine.close();
        throw new EngineError("invalid", `cannot watch \`${String(policy)}\`: ${errorText(e)}`);
      }
    }
    return engine;
  }

  /** The live policy (a canary decides some runs; see policyStatus()). */
  get policy(): WasmPolicy {
    return this.rollout.current.live.policy;
  }

  get policyHash(): string {
    return this.policy.hash;
  }

  // -------------------------------------------------------------------------
  // Policy changes (reload.ts): each verified, loaded and tested before an atomic swap

  /** Replaces the live policy; rejects with ReloadError (the old policy stays) when it does not pass. */
  reload(source: PolicySource): Promise<ChangeRecord> {
    return this.rollout.reload(source);
  }

  /** Sets, or with null removes, the shadow policy: it decides every call again, off the hot path; differences are audited. */
  setShadow(source: PolicySource | null): Promise<ChangeRecord> {
    return this.rollout.setShadow(source);
  }

  /** Sets, re-weights or (null) removes the canary: the policy deciding `percent` of runs. */
  setCanary(canary: CanaryOption | null): Promise<ChangeRecord> {
    return this.rollout.setCanary(canary);
  }

  /** Which policies are active, the shadow's counters, and how the last change went (for health checks). */
  policyStatus(): PolicyStatus {
    return this.rollout.status();
  }

  // -------------------------------------------------------------------------
  // Deciding

  /** The decision for one call; audited; never throws. */
  decide(call: unknown, options?: DecideOptions): Promise<EngineDecision> {
    if (options === undefined) return this.decideCall(call, undefined);
    const by = requesterOf(options);
    return typeof by === "object" ? this.decideCall(call, undefined, undefined, by.problem) : this.decideCall(call, undefined, by);
  }

  /**
   * decide, with the framework's tool-call id when decideFor asks (written into the audit
   * record), the sender when the caller knows it, and why the caller's options were refused.
   */
  private async decideCall(call: unknown, callId: string | undefined, requestedBy?: string, refused?: string): Promise<EngineDecision> {
    const t0 = performance.now();
    const now = this.clock.now();
    const id = this.ids.next(now);
    // The policies are read once: a reload during this decision cannot mix two policies into it.
    const set = this.rollout.current;
    let p = set.live.policy;
    // One read of the whole call (runtime/snapshot.ts): the policy, limits, approvals and the
    // audit record all see the same plain data, whatever getters or proxies the caller passed.
    const snap = snapshotCall(call, this.maxCallSize);
    const f = factsOf(snap.value, requestedBy);
    let draft: Draft;
    try {
      p = set.pick(f.runId);
      if (refused !== undefined) draft = this.unreadable(refused, p, "error");
      else draft = snap.problem !== undefined ? this.unreadable(snap.problem, p) : await this.pipeline(snap.value, f, now, id, p);
    } catch (e) {
      draft = e instanceof Refused ? this.unreadable(e.message, p, e.decidedBy) : this.failed(e, "decide", p);
    }
    if (callId !== undefined) draft.callId = callId;
    const d = this.finish(snap.value, id, now, t0, f, draft, p, set.isCanary(p));
    if (set.shadow !== undefined && draft.decided !== undefined) this.rollout.shadow.observe(set.shadow.policy, p, draft.input, draft.decided, id, now);
    return d;
  }

  /** A deny decided on the way (a call not readable as plain data, too large to show, over the pending cap): audited with what could be read. */
  private unreadable(problem: string, p: WasmPolicy, decidedBy: DecidedBy = "schema"): Draft {
    return { effect: "deny", decidedBy, rule: null, rules: [], reasons: [problem], approvers: [], redact: p.meta.redact, trust: 0 };
  }

  /**
   * The decision for a framework's tool call, idempotent per call id: a repeat of the id returns
   * the same decision, or, once its approval is resolved, the allow that uses the grant or a deny
   * saying why not (runtime/decide-for.ts). Audited; never throws.
   */
  decideFor(callId: string, call: unknown): Promise<EngineDecision> {
    return this.callIds.decideFor(callId, call);
  }

  /**
   * Claims an allow decideFor gave for one execution: true the first time, false when another
   * execution already holds it (then decideFor again decides afresh). The framework guards call
   * it just before running the tool (runtime/decide-for.ts).
   */
  claimAllow(decisionId: string): boolean {
    return this.callIds.claim(decisionId);
  }

  /** Waits until the approval a call id's decision asked for is resolved (see approvals.wait). */
  waitForCall(callId: string, timeoutMs: number): Promise<Approval> {
    return this.callIds.waitForCall(callId, timeoutMs);
  }

  /** An audited deny decided outside the pipeline (decideFor's refusals), on the call as read once. */
  private refuse(call: unknown, decidedBy: DecidedBy, reason: string, approval?: string, callId?: string): EngineDecision {
    const t0 = performance.now();
    const now = this.clock.now();
    const snap = snapshotCall(call, this.maxCallSize);
    const f = factsOf(snap.value);
    const p = this.rollout.current.live.policy;
    const draft: Draft = { effect: "deny", decidedBy, rule: null, rules: [], reasons: [reason], approvers: [], redact: p.meta.redact, trust: 0 };
    if (approval !== undefined) draft.approval = approval;
    if (callId !== undefined) draft.callId = callId;
    if (this.closing) draft.unaudited = true;
    return this.finish(snap.value, this.ids.next(now), now, t0, f, draft, p, false);
  }

  private failed(e: unknown, where: string, p: WasmPolicy): Draft {
    this.reportError(e, where);
    const message = errorText(e);
    return { effect: "deny", decidedBy: "error", rule: null, rules: [], reasons: [`internal error, so the call is denied: ${message}`], approvers: [], redact: p.meta.redact, trust: 0, error: message };
  }

  private async pipeline(call: unknown, f: Facts, now: number, id: string, p: WasmPolicy): Promise<Draft> {
    const base: Draft = { effect: "deny", decidedBy: "schema", rule: null, rules: [], reasons: [], approvers: [], redact: p.meta.redact, trust: 0 };
    if (this.closing) return deny(base, "error", "the engine is closed, so the call is denied", { unaudited: true });
    if (f.agentRefused) return deny(base, "schema", f.agentRefused);
    this.cache.check();
    const record = f.agentProblem ? null : await this.cache.trust(f.agentId);
    const needs = runNeeds(p);
    // A policy that reads the run's history or state decides per run: without a run id there is none to read.
    if (readsRun(needs) && f.runId === "") return deny(base, "schema", "this policy reads the run's history or state, so calls need `run.id`");
    const input = await withRunInputs(withTrust(call, record?.score ?? 0), needs, this.store, f.runId, now);
    const d = p.evaluate(input);
    let draft = fromPolicy(d, record?.score ?? 0, input);
    if (d.effect === "deny") return this.denied(draft, f);
    // Validation passed, so the agent id was valid and looked up; anything else is a bug.
    if (!record) throw new Error("a call passed validation without a readable agent id");
    const cls = p.meta.tools.get(f.tool)?.toolClass ?? "destructive";
    const pause = pauseFor(await this.cache.pauses(), f.tool, cls);
    if (pause) return deny(draft, "pause", pauseReason(pause, f.tool), { pause: pause.id });
    if (record.revoked) return deny(draft, "trust", revokedReason(f.agentId));
    if (draft.effect === "allow" && cls !== "read" && record.score < this.trustCfg.minimum) {
      draft = amend(draft, { effect: "approve", decidedBy: "trust", reasons: [restrictedReason(f.agentId, record.score, this.trustCfg)], approvers: [...this.trustCfg.approvers] });
    }
    if (draft.effect === "approve") return this.approveStep(draft, d, input, f, now, id, p);
    const charged = await this.charge(draft, d.limits, input, now, p);
    // Over an `else approve` limit: a person decides instead of the limit denying.
    if (charged.effect === "approve") return this.approveStep(charged, d, input, f, now, id, p);
    return this.recordRun(charged, d, input, f, now, p);
  }

  /**
   * After an allow, the run remembers the call (for a policy that reads history) and what it adds to
   * run state; a run that cannot hold more turns the allow into a deny saying so (limits were
   * already charged: the safe side).
   */
  private async recordRun(draft: Draft, d: Decision, call: unknown, f: Facts, now: number, p: WasmPolicy): Promise<Draft> {
    const needs = runNeeds(p);
    if (draft.effect !== "allow" || !readsRun(needs)) return draft;
    const input = this.validated(call, p);
    const r = await this.store.runs.record(f.runId, needs.history ? { tool: input.tool, args: input.args } : null, additions(p.meta, d.updates), this.runBounds, now);
    return r.ok ? draft : deny(draft, "limit", r.reason);
  }

  /** What the engine derives once per policy module. */
  private derived(p: WasmPolicy): { keys: KeyMasker; runKeys: string[] } {
    let x = this.perPolicy.get(p);
    if (!x) {
      x = { keys: new KeyMasker(p.meta, this.secret), runKeys: runKeysOf(p) };
      this.perPolicy.set(p, x);
    }
    return x;
  }

  /**
   * Charges the limits of an allowed call; a charge that does not fit turns it into a deny, or, for
   * an `else approve` limit, into an approval request (`lift`: a person approved going over, so
   * such limits are charged without their cap).
   */
  private async charge(draft: Draft, policyUses: readonly LimitUse[], call: unknown, now: number, p: WasmPolicy, lift = false): Promise<Draft> {
    if (policyUses.length === 0) return draft;
    // Buckets keyed by a redacted field are keyed by its keyed hash (limit-keys.ts).
    const uses = this.derived(p).keys.apply(policyUses, () => this.validated(call, p));
    const r = await this.store.limits.consume(charges(lift ? uses.map((u) => (u.escalate ? { ...u, max: Number.MAX_VALUE } : u)) : uses), now);
    if (!r.ok) {
      const over = uses.find((u) => u.id === r.id);
      if (over?.escalate && !lift) {
        const reason = `${limitReason(r, uses, now)}; a person may approve going over it`;
        return amend(draft, { effect: "approve", decidedBy: "limit", limit: r.id, reasons: [reason], approvers: [...over.escalate], rules: [...draft.rules, `(limit ${r.id})`] });
      }
      return deny(draft, "limit", limitReason(r, uses, now), { limit: r.id });
    }
    return amend(draft, { charged: uses });
  }

  /**
   * An approve decision: uses a granted approval of exactly this call (limits first, so a call a
   * limit denies leaves the grant for later), else reuses or requests a pending one.
   */
  private async approveStep(draft: Draft, d: Decision, call: unknown, f: Facts, now: number, id: string, p: WasmPolicy): Promise<Draft> {
    const { hash, input } = this.binding(call, draft, p);
    const found = await this.flow.granted(hash, now);
    // Never a grant its own sender approved (on another sender's card of the same call); the
    // store finds the oldest grant only, so then the sender's own card is looked at.
    const granted = found && ownGrant(found, f.requestedBy) ? await this.flow.ownGranted(hash, f.requestedBy!, now) : found;
    if (granted) {
      // A person approved this exact call: limits that escalate to a person are charged without their cap.
      const charged = await this.charge(draft, d.limits, call, now, p, true);
      if (charged.effect === "deny") return amend(charged, { callHash: hash });
      const used = await this.flow.use(granted.id, hash, now);
      if (used.ok) {
        const by = granted.resolvedBy ?? "an approver";
        const reason = `approval \`${granted.id}\` granted by ${by}${granted.note ? ` (${granted.note})` : ""}`;
        const allowed = amend(charged, { effect: "allow", decidedBy: "approval", reasons: [reason, ...draft.reasons], approvers: [], approval: granted.id, approvedBy: by, callHash: hash });
        return this.recordRun(allowed, d, call, f, now, p);
      }
      // Another call used the grant between find and use (limits were charged: the safe side).
      draft = amend(draft, { reasons: [...draft.reasons, used.message] });
    }
    const pending = await this.flow.pending(hash, f.requestedBy, now);
    if (pending) return amend(draft, { approval: pending.id, callHash: hash });
    let settle = () => {};
    const done = new Promise<void>((r) => (settle = r));
    let requested = "";
    try {
      const created = await this.flow.request({
        callHash: hash, tool: f.tool, agentId: f.agentId, ...(f.rawRunId !== undefined ? { runId: f.runId } : {}),
        groups: draft.approvers, reasons: draft.reasons, call: this.approverView(input, draft.redact, historyShown(p.meta, draft.rules, input)), decisionId: id, createdAt: now,
        policyHash: p.hash, ...(draft.rule !== null ? { rule: draft.rule } : {}), ...(f.requestedBy !== undefined ? { requestedBy: f.requestedBy } : {}),
      }, (approvalId) => this.unannounced.set((requested = approvalId), { done, settle }));
      return amend(draft, { approval: created.id, callHash: hash });
    } catch (e) {
      this.unannounced.delete(requested);
      settle();
      if (e instanceof PendingCapError) throw new Refused(e.message, "limit");
      throw e;
    }
  }

  /** A policy deny; optionally costs the agent trust (rule and default denies only). */
  private async denied(draft: Draft, f: Facts): Promise<Draft> {
    const penalty = this.trustCfg.deniedPenalty;
    if (penalty > 0 && (draft.decidedBy === "rule" || draft.decidedBy === "default") && !f.agentProblem) {
      await this.adjust(f.agentId, -penalty);
    }
    return draft;
  }

  /**
   * The approval binding of an approve decision (callhash.ts) and the validated input it covers.
   * The call passed the policy, so it validates; the validated copy is what the policy saw.
   */
  private binding(call: unknown, draft: Draft, p: WasmPolicy): { hash: string; input: Input } {
    const input = this.validated(call, p);
    const run: Record<string, unknown> = {};
    for (const name of this.derived(p).runKeys) run[name] = (input.run as unknown as Record<string, unknown>)[name];
    const rules = draft.decidedBy === "trust" ? ["(trust minimum)"] : draft.rules;
    const hash = callHash({ tool: input.tool, args: input.args, agentId: input.agent.id, roles: input.agent.roles, env: input.env, ctx: input.ctx, run, rules, groups: draft.approvers }, this.secret);
    return { hash, input };
  }

  /** The normalised input of a call the policy has decided (so it validates; anything else is a bug). */
  private validated(call: unknown, p: WasmPolicy): Input {
    const v = p.validate(call);
    if (!v.ok) throw new Error(`a call the policy decided failed validation: ${v.reason}`);
    return v.input;
  }

  /**
   * The call as approvers see it: all of what the binding covers, redacted but never cut (they
   * approve all of it). A call too large to show whole cannot be sent for approval.
   */
  private approverView(input: Input, redactPaths: readonly string[], history: Input["history"]): unknown {
    const view = compact({
      tool: input.tool, args: wholeArgs(input.args, redactPaths) as never, agent: input.agent.id, roles: input.agent.roles.length > 0 ? input.agent.roles : undefined,
      env: input.env || undefined, run: input.run.id || undefined, ctx: Object.keys(input.ctx).length > 0 ? wholeArgs(input.ctx, []) : undefined,
      // What in the run made the rule ask: the earlier calls its history queries matched.
      history: history.length > 0 ? history.map((h) => ({ tool: h.tool, args: wholeArgs(h.args, redactPaths) })) : undefined,
    });
    const size = JSON.stringify(view).length;
    if (size > MAX_APPROVER_VIEW) throw new Refused(`the call is too large to show an approver in full (${size} characters; at most ${MAX_APPROVER_VIEW}), so it cannot be sent for approval`);
    return view;
  }

  /** Builds the returned decision and its audit record; an audit failure turns the decision into a deny. */
  private finish(call: unknown, id: string, now: number, t0: number, f: Facts, draft: Draft, p: WasmPolicy, canary: boolean): EngineDecision {
    const latencyUs = Math.round((performance.now() - t0) * 10_000) / 10;
    let d = this.result(id, draft, latencyUs, p, canary);
    if (this.audit && !draft.unaudited) {
      try {
        this.audit.append(this.decisionEntry(d, draft, f, now));
      } catch (e) {
        this.reportError(e, "audit");
        const reason = `the audit log failed, so the call is denied: ${errorText(e)}`;
        d = Object.assign({}, d, { effect: "deny", decidedBy: "error", reasons: [reason], approvers: [] } as const);
      }
    }
    const waiting = draft.approval !== undefined ? this.unannounced.get(draft.approval) : undefined;
    if (waiting) {
      this.unannounced.delete(draft.approval!);
      waiting.settle();
    }
    // A copy: what the hook does to it cannot change the decision returned (and acted on).
    if (this.hooks.onDecision) this.hook("onDecision", () => this.hooks.onDecision!(frozenDecision(d), call));
    recordDecisionSpan(d, f.tool, t0);
    return d;
  }

  private result(id: string, draft: Draft, latencyUs: number, p: WasmPolicy, canary: boolean): EngineDecision {
    const d: EngineDecision = {
      id, effect: draft.effect, decidedBy: draft.decidedBy, rule: draft.rule, reasons: draft.reasons, approvers: draft.approvers,
      trust: draft.trust, policyHash: p.hash, latencyUs,
    };
    if (canary) d.canary = true;
    if (draft.approval !== undefined) d.approval = draft.approval;
    if (draft.limit !== undefined) d.limit = draft.limit;
    if (draft.pause !== undefined) d.pause = draft.pause;
    return d;
  }

  /**
   * The decision's audit entry, built field by field in canonical key order (so the audit log
   * writes it without sorting; canonical.mjs entryBody) and without undefined fields to drop.
   */
  private decisionEntry(d: EngineDecision, draft: Draft, f: Facts, now: number): AuditEntry {
    const e = { agent: auditText(f.rawAgentId) } as unknown as AuditEntry;
    if (d.approval !== undefined) e.approval = d.approval;
    if (draft.approvedBy !== undefined) e.approvedBy = draft.approvedBy;
    if (d.approvers.length > 0) e.approvers = d.approvers;
    e.args = auditArgs(f.args, draft.redact, this.auditMaxString) as AuditEntry[string];
    if (draft.callHash !== undefined) e.callHash = draft.callHash;
    if (draft.callId !== undefined) e.callId = auditText(draft.callId);
    if (d.canary) e.canary = true;
    e.decidedBy = d.decidedBy;
    e.effect = d.effect;
    e.env = auditText(f.env);
    if (draft.error !== undefined) e.error = draft.error;
    e.id = d.id;
    e.latencyUs = d.latencyUs;
    if (d.limit !== undefined) e.limit = d.limit;
    if (draft.charged !== undefined) e.limits = draft.charged.map((u) => ({ amount: u.amount, id: u.id, key: u.key }));
    if (d.pause !== undefined) e.pause = d.pause;
    e.policy = d.policyHash;
    e.reasons = d.reasons;
    if (f.requestedBy !== undefined) e.requestedBy = auditText(f.requestedBy);
    e.rule = d.rule;
    if (draft.rules.length > 1) e.rules = draft.rules;
    e.run = auditText(f.rawRunId);
    e.time = isoTime(now);
    e.tool = auditText(f.rawTool);
    e.trust = d.trust;
    e.type = d.decidedBy === "error" ? "error" : "decision";
    return e;
  }

  // -------------------------------------------------------------------------
  // Guarding and outcomes

  /** Wraps a tool implementation: allow runs it, approve waits for a human, deny throws PolicyDenied. */
  guard<A = Record<string, unknown>, R = unknown>(tool: string, fn: (args: A, info: GuardInfo) => R | Promise<R>, options?: GuardOptions<R>): Guarded<A, R> {
    if (typeof tool !== "string" || tool === "") throw new EngineError("invalid", "guard needs a tool name");
    if (typeof fn !== "function") throw new EngineError("invalid", `guard(\`${tool}\`) needs the tool's implementation as a function`);
    return guardTool(this, tool, fn, options);
  }

  /**
   * The receipt of an allow this engine gave `agent`, for a host whose callers report outcomes
   * from outside the process: handed back in recordOutcome's options, it lets any engine sharing
   * this one's secret move trust for it, once (runtime/outcome-receipt.ts).
   */
  receipt(decisionId: string, agent: string): string {
    return this.receipts.sign(decisionId, agent);
  }

  /**
   * Audits an execution outcome and applies its trust change. Never throws: a failure is reported
   * to hooks.onError (the tool has already run, its result must reach the caller). With
   * `options` (a report from outside the process), trust moves only for a receipt that checks out,
   * or an allow the host vouches for, and once per decision.
   */
  async recordOutcome(o: OutcomeRecord, trust?: TrustOutcome, options?: OutcomeOptions): Promise<OutcomeReport> {
    const now = this.clock.now();
    this.callIds.ran(o.decision); // an allow decideFor gave is used: its call id decides afresh
    let after: TrustRecord | undefined;
    let delta = 0;
    let trustError: string | undefined;
    let unchanged: string | undefined;
    let spent = false;
    try {
      if (trust !== undefined && o.agent !== null && !this.closing) {
        delta = outcomeDelta(trust, this.trustCfg);
        if (options === undefined) after = await this.adjust(o.agent, delta);
        else if ((unchanged = this.receiptProblem(o.decision, o.agent, options.receipt, now)) === undefined) {
          const once = this.store.trust.adjustOnce;
          if (once) {
            // The claim and the change in one step of the trust store: counted once wherever trust is shared.
            const r = await once.call(this.store.trust, o.agent, delta, claimKey(o.decision), now + CLAIM_WINDOW_MS, now);
            if (r === null) unchanged = reportedAlready(o.decision);
            else this.cache.remember((after = r));
          } else {
            // A trust store of the caller's without adjustOnce: the claim goes in the limit store first, with no undo.
            const c = await this.store.limits.consume([{ id: "outcome", key: claimKey(o.decision), amount: 1, max: 1, windowMs: CLAIM_WINDOW_MS }], now);
            if (!c.ok) unchanged = reportedAlready(o.decision);
            else {
              spent = true;
              after = await this.adjust(o.agent, delta);
            }
          }
        }
      }
    } catch (e) {
      trustError = errorText(e);
      this.reportError(e, "outcome trust");
    }
    this.appendAdmin(entry({
      type: "outcome", time: isoTime(now), ...o, agent: o.agent === null ? null : auditText(o.agent),
      trustDelta: after ? delta : undefined, trust: after?.score, trustUnchanged: unchanged,
    }));
    if (this.hooks.onOutcome) this.hook("onOutcome", () => this.hooks.onOutcome!(Object.freeze(Object.assign({}, o))));
    if (trustError !== undefined) return spent ? { trustError, claimSpent: true } : { trustError };
    return unchanged === undefined ? {} : { trustUnchanged: unchanged };
  }

  /** Why a receipt does not let this outcome move trust (null: the host vouches for the allow), or undefined. */
  private receiptProblem(decision: string, agent: string, receipt: string | null, now: number): string | undefined {
    if (receipt === null) return undefined;
    // Any engine with the secret accepts a receipt, so the claim must be where the trust it moves
    // is. A trust store without adjustOnce claims in the limit store: with limits apart (say, each
    // process's memory) and trust shared, every engine, and every restart, would count it again.
    if (!this.store.trust.adjustOnce && !this.claimsBesideTrust) return "this engine keeps limits and trust in different stores, so it cannot count a receipt's outcome once; report it without the receipt to the server that decided";
    return this.receipts.problem(decision, agent, receipt, now);
  }

  // -------------------------------------------------------------------------
  // Trust

  /** The agent's current score and level, read from the store. */
  async trust(agentId: string): Promise<TrustStatus> {
    return statusOf(await this.store.trust.get(agentId), this.trustCfg);
  }

  /** Applies an outcome's trust change (success, error, rejected, denied, or a delta) and audits it. */
  async report(agentId: string, outcome: TrustOutcome): Promise<TrustStatus> {
    const delta = outcomeDelta(outcome, this.trustCfg);
    const r = await this.adjust(agentId, delta);
    const reason = typeof outcome === "object" ? outcome.reason : outcome;
    this.appendAdmin(entry({ type: "admin", time: isoTime(this.clock.now()), event: "trust.report", agent: agentId, delta, reason, score: r.score, revoked: r.revoked }));
    return statusOf(r, this.trustCfg);
  }

  /** Operator action: clears a revocation and sets the score (default: the recovery threshold). */
  async restoreTrust(agentId: string, opts: { score?: number; by?: string } = {}): Promise<TrustStatus> {
    const r = await this.store.trust.restore(agentId, opts.score ?? this.trustCfg.recovery, this.clock.now());
    this.cache.remember(r);
    this.appendAdmin(entry({ type: "admin", time: isoTime(this.clock.now()), event: "trust.restore", agent: agentId, score: r.score, by: opts.by }));
    return statusOf(r, this.trustCfg);
  }

  /** Adds delta to the score; skips the write when it cannot change anything. */
  private async adjust(agentId: string, delta: number): Promise<TrustRecord> {
    const cur = await this.cache.trust(agentId);
    if (delta === 0 || (delta > 0 && (cur.score >= 100 || cur.revoked)) || (delta < 0 && cur.score <= 0)) return cur;
    const r = await this.store.trust.adjust(agentId, delta, this.clock.now());
    this.cache.remember(r);
    return r;
  }

  // -------------------------------------------------------------------------
  // Kill switch

  /** Pauses matching tools: persisted, and in effect for the next decision of every engine sharing the store. */
  async pause(target: PauseTarget, reason: string, by?: string): Promise<Pause> {
    const p = await this.store.pauses.pause(pauseRequest(target, reason, by), this.clock.now());
    this.cache.invalidate();
    this.appendAdmin(entry({ type: "admin", time: isoTime(this.clock.now()), event: "pause", pause: p.id, pattern: p.pattern, class: p.toolClass, reason, by }));
    return p;
  }

  /** Lifts pauses: by id or pattern (a string), or by class (`{ class }`). */
  async resume(target: PauseTarget, by?: string): Promise<Pause[]> {
    const lifted = await resumeTarget(this.store.pauses, target);
    this.cache.invalidate();
    this.appendAdmin(entry({ type: "admin", time: isoTime(this.clock.now()), event: "resume", pauses: lifted.map((p) => p.id), by }));
    return lifted;
  }

  paused(): Promise<Pause[]> {
    return this.store.pauses.list();
  }

  // -------------------------------------------------------------------------
  // Plumbing

  /** Appends a non-decision entry; a failure is reported, not thrown. */
  private appendAdmin(e: AuditEntry): void {
    if (!this.audit) return;
    try {
      this.audit.append(e);
    } catch (err) {
      this.reportError(err, "audit");
    }
  }

  /** An internal error: to hooks.onError, else a process warning. */
  private reportError(e: unknown, where: string): void {
    const err = e instanceof Error ? e : new Error(String(e));
    if (this.hooks.onError) this.hook("onError", () => this.hooks.onError?.(err, where));
    else process.emitWarning(`pol engine: ${where}: ${err.message}`, "PolEngineWarning");
  }

  /** Runs a hook: what it throws, or a promise it returns rejects with, is a warning, never the host's crash. */
  private hook(name: string, fn: () => unknown): void {
    const warn = (e: unknown) => process.emitWarning(`pol engine hook ${name} failed: ${errorText(e)}`, "PolEngineWarning");
    try {
      const r = fn();
      if (typeof (r as PromiseLike<unknown> | undefined)?.then === "function") (r as PromiseLike<unknown>).then(undefined, warn);
    } catch (e) {
      warn(e);
    }
  }

  /** Makes every audit record appended so far durable (shadow comparisons still queued are made first). */
  async flush(): Promise<void> {
    this.rollout.shadow.drain();
    await this.audit?.flush();
    await this.anchor?.anchorNow();
  }

  /** Stops deciding, wakes approval waiters, flushes and closes the audit log and the stores the engine opened. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.approvals.wakeAll();
    await this.rollout.stop().catch(() => undefined);
    this.rollout.shadow.drain();
    const errors: unknown[] = [];
    const step = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    };
    if (this.audit) await step(() => (this.owns.audit ? this.audit!.close() : this.audit!.flush()));
    this.anchor?.stop();
    await step(() => this.anchor?.anchorNow());
    await step(() => this.cache.close());
    if (this.owns.store) await step(() => this.store.close());
    if (errors.length > 0) throw errors[0];
  }
}
