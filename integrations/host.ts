// What the framework guards (openai-agents/, ai/, langchain/) share: the narrow host they take
// instead of the Engine, the call they build from a framework's tool call, the text a model reads
// for a denied or pending call, running an allowed tool with its outcome audited, and answering a
// paused call from pol's approval state. Every decision comes from `host.decideFor`, keyed by the
// framework's tool-call id; nothing here decides. Depends on pol/runtime only, and on no SDK.

import type { Approval, CallContext, EngineApprovals, EngineDecision, OutcomeRecord, TrustOutcome } from "../runtime/index.js";

/** What a framework guard needs from the Engine (an Engine is one). */
export interface GuardHost {
  readonly approvals: Pick<EngineApprovals, "get">;
  readonly approvalTimeoutMs: number;
  decideFor(callId: string, call: unknown): Promise<EngineDecision>;
  /** Claims an allow for one execution (Engine.claimAllow); without it, hosts run repeats of an allow as before. */
  claimAllow?(decisionId: string): boolean;
  waitForCall(callId: string, timeoutMs: number): Promise<Approval>;
  recordOutcome(o: OutcomeRecord, trust?: TrustOutcome): Promise<unknown>;
}

/**
 * Who calls, in which run and environment: fixed, or computed per call from the framework's own
 * context object (the OpenAI Agents run context, the AI SDK's `experimental_context`, LangChain's
 * runtime context).
 */
export type ContextOption = CallContext | ((frameworkContext: unknown) => CallContext | undefined);

/** Options every guard takes. */
export interface GuardOptions {
  /** agent, run, env, roles, ctx for each call (see ContextOption). */
  context?: ContextOption;
  /** Prepended to the framework's tool name to form the policy's (`stripe.` makes `refund` the policy's `stripe.refund`). */
  prefix?: string;
}

export interface PolCall extends CallContext {
  tool: string;
  args: unknown;
}

export function callOf(name: string, args: unknown, o: GuardOptions, frameworkContext: unknown): PolCall {
  const ctx = typeof o.context === "function" ? o.context(frameworkContext) : o.context;
  return { ...ctx, tool: (o.prefix ?? "") + name, args: args ?? {} };
}

/**
 * Refuses a tool that brings its own `needsApproval`: pol's replaces it, so keeping the tool's
 * would be silently dropped, and answering it from pol's state would approve what the developer
 * meant a person to see. `false` (no approval) is no requirement, and passes.
 */
export function refuseOwnApproval(tool: string, needsApproval: unknown): void {
  if (needsApproval === undefined || needsApproval === false) return;
  throw new TypeError(`pol: \`${tool}\` has its own needsApproval, which pol's would replace; say it in the policy instead (\`approve ${tool} by "<group>"\`, with a condition if only some calls need it), so pol's approvers and audit log handle it`);
}

/** Executions of one call id racing on its allows before one gives up (each round decides afresh, charged). */
const MAX_RACERS = 64;

/**
 * The decision one execution acts on: `first` (decideFor's), and when it is an allow, that allow
 * claimed for this execution alone. An allow another execution of the same id already holds is
 * decided afresh, charging its limits again, so N executions of one id never run on one charge.
 */
export async function forOneRun(host: Pick<GuardHost, "decideFor" | "claimAllow">, callId: string, call: unknown, first: EngineDecision): Promise<EngineDecision> {
  let d = first;
  for (let i = 0; d.effect === "allow" && host.claimAllow !== undefined && !host.claimAllow(d.id); i++) {
    if (i >= MAX_RACERS) throw new Error(`pol: ${MAX_RACERS} executions of call id \`${callId}\` raced for its allows; this one has not run`);
    d = await host.decideFor(callId, call);
  }
  return d;
}

/** A deny as the model reads it. */
export const deniedText = (d: EngineDecision): string => `pol: ${d.reasons.join("; ")}`;

/** A call still waiting for a person, as the model reads it. */
export function pendingText(tool: string, d: EngineDecision): string {
  return `pol: \`${tool}\` is waiting for approval \`${d.approval ?? "(none)"}\`${d.reasons.length > 0 ? ` (${d.reasons.join("; ")})` : ""}; it has not run`;
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => typeof (v as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";

/**
 * An allowed tool that streams (an `async function*` execute, as the AI SDK allows): its parts
 * pass through as they come, and the outcome is audited when the stream ends, fails, or is left
 * unfinished by its reader.
 */
export async function* runAuditedStream<T>(host: GuardHost, d: EngineDecision, call: PolCall, stream: () => AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const started = performance.now();
  const who = { decision: d.id, tool: call.tool, agent: call.agent?.id ?? null, run: call.run?.id ?? null };
  const durationMs = () => Math.round((performance.now() - started) * 1000) / 1000;
  let ended = false;
  try {
    for await (const part of stream()) yield part;
    ended = true;
  } catch (e) {
    ended = true;
    await host.recordOutcome({ ...who, status: "failed", error: e instanceof Error ? e.message : String(e), durationMs: durationMs() }, "error");
    throw e;
  } finally {
    if (!ended) await host.recordOutcome({ ...who, status: "failed", error: "the stream was stopped by its reader before it ended", durationMs: durationMs() });
  }
  await host.recordOutcome({ ...who, status: "succeeded", durationMs: durationMs() }, "success");
}

/** The final value of a result that may be an async iterable (the AI SDK's convention: its last part). */
export async function finalOf(result: unknown): Promise<unknown> {
  if (!isAsyncIterable(result)) return result;
  let last: unknown;
  for await (const part of result) last = part;
  return last;
}

/**
 * Runs an allowed tool and audits what it did (success or failure, with its duration); rethrows
 * the tool's own error. `failed` names a failure the framework returned rather than threw.
 */
export async function runAudited<R>(host: GuardHost, d: EngineDecision, call: PolCall, fn: () => R | Promise<R>, failed?: (result: R) => string | undefined): Promise<R> {
  const started = performance.now();
  const who = { decision: d.id, tool: call.tool, agent: call.agent?.id ?? null, run: call.run?.id ?? null };
  const durationMs = () => Math.round((performance.now() - started) * 1000) / 1000;
  let result: R;
  try {
    result = await fn();
  } catch (e) {
    await host.recordOutcome({ ...who, status: "failed", error: e instanceof Error ? e.message : String(e), durationMs: durationMs() }, "error");
    throw e;
  }
  const failure = failed?.(result);
  if (failure !== undefined) await host.recordOutcome({ ...who, status: "failed", error: failure, durationMs: durationMs() }, "error");
  else await host.recordOutcome({ ...who, status: "succeeded", durationMs: durationMs() }, "success");
  return result;
}

/** pol's answer for a call a framework paused for approval: approved, rejected (with the reason), or still pending. */
export type Resolution = { approved: true; decision: EngineDecision } | { approved: false; decision: EngineDecision; reason: string } | { pending: true; decision: EngineDecision };

/**
 * The state of a paused call: decides again by its id (a granted approval becomes the allow
 * that uses it; a rejected or expired one a deny saying why), waiting up to `waitMs` for a
 * person first when the approval is still open.
 */
export async function resolution(host: GuardHost, callId: string, call: PolCall, waitMs = 0): Promise<Resolution> {
  let d = await host.decideFor(callId, call);
  if (d.effect === "approve" && waitMs > 0) {
    await host.waitForCall(callId, waitMs).catch(() => undefined);
    d = await host.decideFor(callId, call);
  }
  if (d.effect === "allow") return { approved: true, decision: d };
  if (d.effect === "deny") return { approved: false, decision: d, reason: deniedText(d) };
  return { pending: true, decision: d };
}

/** A bounded memory of recent items by key (the oldest forgotten first). */
export class Recent<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max = 10_000) {}
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}
