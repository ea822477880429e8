// Tool definition pinning: the gateway records a hash of each upstream tool's name, description
// and input schema from its first complete `tools/list`, then compares every later listing (its
// own after `notifications/tools/list_changed`, and every page a client asks for). A tool whose
// definition changed, or that appeared after pinning, is paused through the Engine's kill switch,
// so its calls are denied, and audited, by the Engine until an operator resumes it (or, with an
// in-memory store, until the gateway restarts and pins afresh). One ToolPins per gateway process,
// shared by its sessions; fed by session.ts, consulted by gate.ts.

import { createHash } from "node:crypto";
import { canonicalJson } from "../../runtime/index.js";

/** A tool as `tools/list` returns it (only the pinned fields are read). */
export interface ListedTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
}

/** Pauses a tool (the gateway passes the Engine's kill switch); resolves once the pause is stored. */
export type PauseTool = (tool: string, reason: string) => Promise<void>;

function hashOf(t: ListedTool): string {
  let text: string;
  try {
    text = canonicalJson({ name: t.name, description: t.description ?? null, inputSchema: t.inputSchema ?? null });
  } catch {
    // A definition JSON cannot carry (it arrived as JSON, so this is defensive): hash what is left.
    text = JSON.stringify([t.name, String(t.description), String(t.inputSchema)]);
  }
  return createHash("sha256").update(text, "utf8").digest("hex");
}

const isTool = (v: unknown): v is ListedTool => typeof v === "object" && v !== null && typeof (v as ListedTool).name === "string";

export class ToolPins {
  private readonly pins = new Map<string, string>();
  private pinnedAt: string | null = null;
  /** Why pinning failed, when it did: calls are then refused (nothing can be checked). */
  private failure: string | null = null;
  /** Set when a re-listing after a change announcement failed; cleared by the next listing. */
  private stale: string | null = null;
  /** Tools paused (or being paused) for drift, with the pause's promise: calls wait for it. */
  private readonly drifted = new Map<string, Promise<void>>();
  /** Re-listings under way after `notifications/tools/list_changed`: calls wait for them. */
  private readonly checks = new Set<Promise<void>>();

  constructor(private readonly pause: PauseTool) {}

  get pinned(): boolean {
    return this.pinnedAt !== null;
  }

  /** The gateway's own complete listing: pins the first time, compares afterwards. */
  list(tools: readonly unknown[], now: Date = new Date()): void {
    if (this.pinnedAt === null) {
      for (const t of tools) if (isTool(t)) this.pins.set(t.name, hashOf(t));
      this.pinnedAt = now.toISOString();
      this.failure = null;
      return;
    }
    this.stale = null;
    this.compare(tools);
  }

  /**
   * A re-listing the upstream announced (`notifications/tools/list_changed`). Calls wait for it:
   * the announcement reaches the gateway before any result that follows it, so a call made after
   * the change is checked against the new definitions.
   */
  recheck(listing: Promise<readonly unknown[]>, onError: (e: unknown) => void): void {
    const p = listing.then((tools) => this.list(tools), (e: unknown) => {
      // Fail closed: a change nobody could read is refused until a listing succeeds.
      this.stale = `the upstream announced a change to its tools that the gateway could not read (${(e as Error).message ?? String(e)})`;
      onError(e);
    });
    this.checks.add(p);
    void p.finally(() => this.checks.delete(p));
  }

  /** A listing the gateway could not obtain at start: remembered so calls say why they are refused. */
  failed(reason: string): void {
    if (this.pinnedAt === null) this.failure = reason;
  }

  /** Any listing after pinning (one page suffices: tools are compared one by one). */
  compare(tools: readonly unknown[]): void {
    if (this.pinnedAt === null) return;
    for (const t of tools) {
      if (!isTool(t) || this.drifted.has(t.name)) continue;
      const pin = this.pins.get(t.name);
      if (pin === hashOf(t)) continue;
      const why = pin === undefined
        ? `the upstream MCP server added tool \`${t.name}\` after the gateway pinned its tools at ${this.pinnedAt}`
        : `the upstream MCP server changed the definition (description or input schema) of \`${t.name}\` since the gateway pinned it at ${this.pinnedAt}`;
      this.drifted.set(t.name, this.pause(t.name, `${why}; review the change, then resume the tool`));
    }
  }

  /**
   * Why a call to `tool` cannot be put to the Engine at all, or undefined. Waits for a drift pause
   * being stored, so the Engine's decision sees it; a pause that could not be stored refuses here.
   */
  async refusal(tool: string): Promise<string | undefined> {
    if (this.checks.size > 0) await Promise.all(this.checks);
    if (this.stale !== null) return this.stale;
    if (this.pinnedAt === null) return `the gateway could not read the upstream's tools to pin them${this.failure ? ` (${this.failure})` : ""}, so no call can be checked`;
    const drift = this.drifted.get(tool);
    if (drift) {
      try {
        await drift;
      } catch (e) {
        return `\`${tool}\` changed since it was pinned, and pausing it failed: ${(e as Error).message}`;
      }
      return undefined;
    }
    if (!this.pins.has(tool)) return `\`${tool}\` is not among the upstream's tools, so its definition cannot be checked`;
    return undefined;
  }
}
