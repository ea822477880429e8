// The `pol` command line: argument parsing only (commander); every command calls the library.
// Returns the exit code instead of exiting, for tests. Every command follows the one exit-code
// table in exit.ts; commander's own errors (unknown options, option values outside their
// choices or range, missing arguments) are usage errors, exit 2.

// Commands load their modules when they run: `pol check` should not pay for the compiler, the
// runtime's SQLite binding or the YAML parser (start-up is a feature; see benchmarks/RESULTS.md).

import { Command, CommanderError, Option } from "commander";
import { registerApprovals } from "./approvals.js";
import { registerAudit } from "./audit.js";
import { EXIT } from "./exit.js";
import { registerImport } from "./import.js";
import { registerMcp } from "./mcp.js";
import { registerPause } from "./pause.js";
import { registerTrust } from "./trust.js";
import { processIo, type Io } from "./io.js";
import { formatOption, percent } from "./options.js";
import { polVersion } from "./version.js";

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const done = (c: number) => { code = c; };
  const program = new Command("pol")
    .description("policy-as-code for AI agents' tool calls")
    .version(polVersion(), "-V, --version", "print pol's version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program.command("check").description("parse and type-check policies").argument("[paths...]", "files or directories (default: .)").option("--strict", "fail on warnings too").addOption(formatOption())
    .action(async (paths: string[], o) => done((await import("./check.js")).checkCommand(io, paths, o)));
  program.command("fmt").description("format policies in place").argument("[paths...]", "files or directories (default: .)").option("--check", "only report unformatted files (exit 1)")
    .action(async (paths: string[], o) => done((await import("./fmt.js")).fmtCommand(io, paths, o)));
  program.command("eval").description("decide one call").argument("<policy>", ".pol or .wasm").option("--call <json>", "the call as JSON").option("--call-file <file>", "read the call from a file (default: stdin)")
    .option("--explain", "list the rules for the tool and whether they matched").addOption(formatOption()).option("--interpreter", "use the reference interpreter instead of the compiled wasm")
    .addOption(new Option("--extra-args <mode>", "undeclared arguments").choices(["deny", "ignore"]).default("deny"))
    .addOption(new Option("--fail-on <effect>", "exit 1 when the decision is this effect or more restrictive (for scripts)").choices(["deny", "approve"]))
    .action(async (file: string, o) => done(await (await import("./eval.js")).evalCommand(io, file, o)));
  program.command("compile").description("compile policies to .wasm").argument("[paths...]", "files or directories (default: .)").option("-o, --out-dir <dir>", "output directory", "dist").option("--emit-as", "also write the generated AssemblyScript")
    .action(async (paths: string[], o) => done(await (await import("./compile.js")).compileCommand(io, paths, o)));
  program.command("inspect").description("print a compiled policy's manifest").argument("<wasm>").addOption(formatOption())
    .action(async (file: string, o) => done(await (await import("./inspect.js")).inspectCommand(io, file, o)));
  program.command("test").description("run policy test suites (*.test.yaml)").argument("[paths...]", "suite files or directories (default: .)")
    .option("--filter <pattern>", "only cases whose name contains this (or matches /regex/)")
    .addOption(new Option("--reporter <name>", "also write a report file").choices(["junit"])).option("--output <file>", "where --reporter junit writes (default: pol-junit.xml)")
    .addOption(formatOption()).option("--coverage", "print rules no case decided")
    .addOption(new Option("--coverage-min <percent>", "fail when rule coverage is below this percentage").argParser(percent)).option("-v, --verbose", "list passing cases too")
    .action(async (paths: string[], o) => done(await (await import("./test.js")).testCommand(io, paths, o)));
  registerAudit(program, io, done);
  registerApprovals(program, io, done);
  registerPause(program, io, done);
  registerTrust(program, io, done);
  registerMcp(program, io, done);
  registerImport(program, io, done);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.err(`error: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  return code;
}
