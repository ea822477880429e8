// The state-changing things people do through `pol serve` (approve, reject, pause, resume,
// restore trust), each checked against the caller's roles before it reaches the Engine, which
// audits it with the caller's name. The API (api.ts) and the console (console/*.ts) both call
// these, so a permission is enforced in one place whichever door a request comes through.

import type { Approval, Pause, ToolClass } from "../runtime/store/index.js";
import type { EngineDecision, PauseTarget, TrustStatus } from "../runtime/engine-types.js";
import { approveProblem, may, refusal, resolverGroups, type Principal } from "./auth/roles.js";
import { AllowMemory } from "./allow-memory.js";
import type { ServeHost } from "./host.js";

export type ActionStatus = 400 | 401 | 403 | 404 | 409 | 500 | 503;

/** A refused or failed action: an HTTP status and one line saying why. */
export class ActionError extends Error {
  override readonly name = "ActionError";
  constructor(readonly status: ActionStatus, message: string) {
    super(message);
  }
}

const STATUS: Record<string, ActionStatus> = { invalid: 400, "not-found": 404, forbidden: 403, conflict: 409, closed: 503, busy: 503, io: 500 };

/** An EngineError or StoreError as an ActionError (by its code); anything else is a 500. */
export function actionError(e: unknown): ActionError {
  if (e instanceof ActionError) return e;
  const code = (e as { code?: unknown })?.code;
  const status = typeof code === "string" ? STATUS[code] : undefined;
  return new ActionError(status ?? 500, e instanceof Error ? e.message : String(e));
}

const CLASSES: readonly ToolClass[] = ["read", "write", "destructive"];
const MAX_TEXT = 1000;

function text(v: unknown, field: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  if (v === undefined || v === null || v === "") {
    if (opts.required) throw new ActionError(400, `\`${field}\` is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new ActionError(400, `\`${field}\` must be text`);
  const t = v.trim();
  if (opts.required && t === "") throw new ActionError(400, `\`${field}\` is required`);
  if (t.length > (opts.max ?? MAX_TEXT)) throw new ActionError(400, `\`${field}\` is longer than ${opts.max ?? MAX_TEXT} characters`);
  return t === "" ? undefined : t;
}

function toolClass(v: unknown): ToolClass | undefined {
  const c = text(v, "class");
  if (c === undefined) return undefined;
  if (!CLASSES.includes(c as ToolClass)) throw new ActionError(400, `unknown tool class \`${c}\`; expected read, write or destructive`);
  return c as ToolClass;
}

export interface PauseInput { pattern?: unknown; class?: unknown; reason?: unknown }
export interface ResumeInput { id?: unknown; pattern?: unknown; class?: unknown }

/** How many allows wait for their outcome (20 s of decisions at 5,000/s; 5 MB in all). */
const MAX_ALLOWS = 100_000;

export class Actions {
  constructor(private readonly host: ServeHost) {}

  /** The allows given, with the agent each was for, until their outcome is reported (oldest forgotten first). */
  private readonly allows = new AllowMemory(MAX_ALLOWS);

  /**
   * What the decision API gave: an allow, whose outcome may move trust. (Who sent a call that
   * waits for approval is in the approval itself: decideAnswer passes it to the Engine.)
   */
  decided(d: EngineDecision, agent: unknown): void {
    if (d.effect === "allow" && typeof d.id === "string") this.allows.remember(d.id, typeof agent === "string" ? agent : null);
  }

  /**
   * Takes the allow an outcome reports on: undefined when it is one this server gave that agent
   * and not reported yet (trust may move), else why trust stays as it is.
   */
  outcomeOf(decision: string, agent: string | null): string | undefined {
    if (this.allows.take(decision, agent)) return undefined;
    const whose = agent === null ? "a call naming no agent" : `agent \`${agent}\``;
    return `\`${decision}\` is not an allow this server gave ${whose} in its last ${MAX_ALLOWS.toLocaleString("en")} allows, or its outcome was reported already`;
  }

  /** Gives back an allow outcomeOf took when its trust change could not be written, so a retry counts. */
  untake(decision: string, agent: string | null): void {
    this.allows.remember(decision, agent);
  }

  private need(p: Principal, action: "approve" | "pause" | "restore"): void {
    if (!may(p, action)) throw new ActionError(403, refusal(p, action));
  }

  /** Approves or rejects; the approver's name goes into the approval record and the audit log. */
  async resolve(p: Principal, id: string, approve: boolean, note?: unknown): Promise<Approval> {
    this.need(p, "approve");
    const n = text(note, "note");
    try {
      const a = await this.host.approvals.get(id);
      if (!a) throw new ActionError(404, `unknown approval \`${id}\``);
      const problem = approveProblem(p, a);
      if (problem) throw new ActionError(403, problem);
      const groups = resolverGroups(p);
      return await this.host.approvals.resolve(id, { approve, by: p.name, ...(n !== undefined ? { note: n } : {}), ...(groups !== undefined ? { groups } : {}) });
    } catch (e) {
      throw actionError(e);
    }
  }

  async pause(p: Principal, input: PauseInput): Promise<Pause> {
    this.need(p, "pause");
    const reason = text(input.reason, "reason", { required: true });
    const pattern = text(input.pattern, "pattern", { max: 256 });
    const cls = toolClass(input.class);
    if (pattern === undefined && cls === undefined) throw new ActionError(400, "a pause needs a tool pattern or a tool class (pattern `*` pauses everything)");
    const target: PauseTarget = cls === undefined ? pattern! : { ...(pattern !== undefined ? { pattern } : {}), class: cls };
    try {
      return await this.host.pause(target, reason!, p.name);
    } catch (e) {
      throw actionError(e);
    }
  }

  async resume(p: Principal, input: ResumeInput): Promise<Pause[]> {
    this.need(p, "pause");
    const id = text(input.id, "id", { max: 256 });
    const pattern = text(input.pattern, "pattern", { max: 256 });
    const cls = toolClass(input.class);
    let target: PauseTarget;
    if (id !== undefined) target = id;
    else if (cls !== undefined) target = { ...(pattern !== undefined ? { pattern } : {}), class: cls };
    else if (pattern !== undefined) target = pattern;
    else throw new ActionError(400, "resume needs a pause id, a pattern or a tool class");
    try {
      return await this.host.resume(target, p.name);
    } catch (e) {
      throw actionError(e);
    }
  }

  /** Clears a revocation and sets the score (default: the Engine's recovery threshold). */
  async restore(p: Principal, agent: string, score?: unknown): Promise<TrustStatus> {
    this.need(p, "restore");
    let s: number | undefined;
    if (score !== undefined && score !== null && score !== "") {
      s = typeof score === "number" ? score : Number(score);
      if (!Number.isFinite(s) || s <= 0 || s > 100) throw new ActionError(400, "`score` must be a number above 0 and at most 100");
    }
    if (agent === "") throw new ActionError(400, "restore needs an agent id");
    try {
      return await this.host.restoreTrust(agent, { by: p.name, ...(s !== undefined ? { score: s } : {}) });
    } catch (e) {
      throw actionError(e);
    }
  }
}
