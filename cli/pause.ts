// `pol pause [pattern] --store <file> [--class write|destructive]` and `pol resume <pattern|id>`:
// the kill switch from the command line. Pauses are written to the SQLite store and take effect
// on the next decision of every engine sharing it. `pol pause` with neither pattern nor class
// lists the pauses. Exit 0 on success, 1 when nothing matches a resume, 2 on usage errors.

import { Option, type Command } from "commander";
import { EngineError, type PauseTarget } from "../runtime/engine-types.js";
import { pauseRequest, resumeTarget } from "../runtime/pauses.js";
import type { Pause, ToolClass } from "../runtime/store/index.js";
import { defaultBy, withStore, type StoreOpts } from "./approvals.js";
import { EXIT } from "./exit.js";
import { Problems } from "./problems.js";
import type { Io } from "./io.js";
import { formatOption, storeOption } from "./options.js";

interface PauseOpts extends StoreOpts { class?: string; reason?: string; by?: string; format?: string }

function describe(p: Pause): string {
  const what = [p.pattern !== undefined ? `\`${p.pattern}\`` : "", p.toolClass ? `${p.toolClass} tools` : ""].filter(Boolean).join(" ");
  return `${p.id}  ${what}  ${p.reason}${p.by ? `  (by ${p.by}, ${new Date(p.createdAt).toISOString()})` : `  (${new Date(p.createdAt).toISOString()})`}`;
}

function target(pattern: string | undefined, cls: string | undefined): PauseTarget | undefined {
  if (cls === undefined) return pattern;
  return { ...(pattern !== undefined ? { pattern } : {}), class: cls as ToolClass };
}

/** EngineErrors from target checking are usage errors (2), except nothing-to-resume (1). */
async function guarded(io: Io, json: boolean, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    const code = new Problems(io, json).fail(e.message);
    return e.code === "not-found" ? EXIT.failed : code;
  }
}

export function pauseCommand(io: Io, pattern: string | undefined, opts: PauseOpts): Promise<number> {
  return withStore(io, opts, (s) => guarded(io, opts.format === "json", async () => {
    const t = target(pattern, opts.class);
    if (t === undefined) {
      const list = await s.pauses.list();
      if (opts.format === "json") io.out(JSON.stringify(list, null, 2) + "\n");
      else io.out(list.length === 0 ? "nothing is paused\n" : list.map(describe).join("\n") + "\n");
      return EXIT.ok;
    }
    const by = opts.by ?? defaultBy();
    const p = await s.pauses.pause(pauseRequest(t, opts.reason ?? `paused by ${by}`, by), Date.now());
    io.out(opts.format === "json" ? JSON.stringify(p, null, 2) + "\n" : `paused: ${describe(p)}\n`);
    return EXIT.ok;
  }));
}

export function resumeCommand(io: Io, pattern: string | undefined, opts: PauseOpts): Promise<number> {
  return withStore(io, opts, (s) => guarded(io, opts.format === "json", async () => {
    const t = target(pattern, opts.class);
    if (t === undefined) throw new EngineError("invalid", "resume needs a pause id, a pattern or --class");
    const lifted = await resumeTarget(s.pauses, t);
    io.out(opts.format === "json" ? JSON.stringify(lifted, null, 2) + "\n" : lifted.map((p) => `resumed: ${describe(p)}`).join("\n") + "\n");
    return EXIT.ok;
  }));
}

export function registerPause(program: Command, io: Io, done: (code: number) => void): void {
  const cls = () => new Option("--class <class>", "a tool class (covers that class and more dangerous ones)").choices(["read", "write", "destructive"]);
  program.command("pause").description("pause tools (the kill switch); with no pattern or class, list pauses")
    .argument("[pattern]", "a tool name or pattern; `*` matches any run of characters").addOption(storeOption()).addOption(cls())
    .option("--reason <text>", "why; shown in every denied decision").option("--by <name>", "who pauses (default: the current user)").addOption(formatOption())
    .action(async (pattern: string | undefined, o: PauseOpts) => done(await pauseCommand(io, pattern, o)));
  program.command("resume").description("lift pauses by id, by pattern, or by class")
    .argument("[pattern]", "a pause id (pause-3) or the pattern it was paused with").addOption(storeOption()).addOption(cls()).addOption(formatOption())
    .action(async (pattern: string | undefined, o: PauseOpts) => done(await resumeCommand(io, pattern, o)));
}
