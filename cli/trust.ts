// `pol trust <agent> --store <file>` shows an agent's trust score and level;
// `pol trust restore <agent> [--score N]` lifts a revocation (the operator's
// step after an agent hit 0). Writes go to the shared SQLite store, so every
// engine on it sees the change on its next decision. Exit 0, 2 on usage errors.

import { Option, type Command } from "commander";
import { statusOf, trustSettings } from "../runtime/trust.js";
import type { TrustStatus } from "../runtime/engine-types.js";
import { withStore, type StoreOpts } from "./approvals.js";
import type { Io } from "./io.js";
import { EXIT } from "./exit.js";
import { formatOption, numberIn, storeOption } from "./options.js";

interface TrustOpts extends StoreOpts { score?: number; minimum?: number }

function show(io: Io, s: TrustStatus, format: string | undefined): void {
  if (format === "json") io.out(JSON.stringify(s, null, 2) + "\n");
  else io.out(`${s.agentId}: trust ${s.score}, ${s.level}${s.revoked ? " (every call denied until restored)" : s.level === "restricted" ? " (writes need approval)" : ""}\n`);
}

/** The engine's defaults unless told otherwise: the level depends on the minimum the engines run with. */
const settings = (o: TrustOpts) => trustSettings(o.minimum !== undefined ? { minimum: o.minimum } : {});

export function trustShowCommand(io: Io, agent: string, opts: TrustOpts): Promise<number> {
  return withStore(io, opts, async (s) => {
    show(io, statusOf(await s.trust.get(agent), settings(opts)), opts.format);
    return EXIT.ok;
  });
}

export function trustRestoreCommand(io: Io, agent: string, opts: TrustOpts): Promise<number> {
  const cfg = settings(opts);
  const score = opts.score ?? cfg.recovery;
  return withStore(io, opts, async (s) => {
    show(io, statusOf(await s.trust.restore(agent, score, Date.now()), cfg), opts.format);
    return EXIT.ok;
  });
}

export function registerTrust(program: Command, io: Io, done: (code: number) => void): void {
  const minimum = () => new Option("--minimum <score>", "the trust minimum the engines use, for the level shown (default 50)").argParser(numberIn(0, 100, "a score from 0 to 100"));
  const trust = program.command("trust").description("show an agent's trust score, or restore a revoked agent");
  trust.command("show", { isDefault: true }).argument("<agent>", "the agent id").addOption(storeOption()).addOption(minimum()).addOption(formatOption())
    .action(async (agent: string, o: TrustOpts) => done(await trustShowCommand(io, agent, o)));
  trust.command("restore").argument("<agent>", "the agent id").addOption(storeOption()).addOption(minimum())
    .addOption(new Option("--score <n>", "the score to restore to (default 80, the recovery threshold)").argParser(numberIn(0, 100, "a score above 0 and at most 100", { aboveMin: true }))).addOption(formatOption())
    .action(async (agent: string, o: TrustOpts) => done(await trustRestoreCommand(io, agent, o)));
}
