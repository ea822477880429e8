// The `pol` command line: argument parsing only (commander); every command
// calls the library. Returns the exit code instead of exiting, for tests.

import { Command, CommanderError } from "commander";
import { checkCommand } from "./check.js";
import { compileCommand } from "./compile.js";
import { evalCommand } from "./eval.js";
import { fmtCommand } from "./fmt.js";
import { inspectCommand } from "./inspect.js";
import { registerApprovals } from "./approvals.js";
import { registerAudit } from "./audit.js";
import { registerPause } from "./pause.js";
import { registerTrust } from "./trust.js";
import { testCommand } from "./test.js";
import { processIo, type Io } from "./io.js";

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = new Command("pol")
    .description("policy-as-code for AI agents' tool calls")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program.command("check").description("parse and type-check policies").argument("[paths...]", "files or directories").option("--strict", "fail on warnings too").option("--format <format>", "text or json", "text")
    .action((paths: string[], o) => { code = checkCommand(io, paths, o); });
  program.command("fmt").description("format policies in place").argument("[paths...]").option("--check", "only report unformatted files (exit 1)")
    .action((paths: string[], o) => { code = fmtCommand(io, paths, o); });
  program.command("eval").description("decide one call").argument("<policy>", ".pol or .wasm").option("--call <json>", "the call as JSON").option("--call-file <file>", "read the call from a file (default: stdin)")
    .option("--explain", "list the rules for the tool and whether they matched").option("--format <format>", "text or json", "text").option("--interpreter", "use the reference interpreter instead of the compiled wasm").option("--extra-args <mode>", "deny or ignore undeclared arguments", "deny")
    .action(async (file: string, o) => { code = await evalCommand(io, file, o); });
  program.command("compile").description("compile policies to .wasm").argument("[paths...]").option("-o, --out-dir <dir>", "output directory", "dist").option("--emit-as", "also write the generated AssemblyScript")
    .action(async (paths: string[], o) => { code = await compileCommand(io, paths, o); });
  program.command("inspect").description("print a compiled policy's manifest").argument("<wasm>").option("--format <format>", "text or json", "text")
    .action(async (file: string, o) => { code = await inspectCommand(io, file, o); });
  program.command("test").description("run policy test suites (*.test.yaml)").argument("[paths...]", "suite files or directories")
    .option("--filter <pattern>", "only cases whose name contains this (or matches /regex/)").option("--reporter <name>", "junit: also write JUnit XML").option("--output <file>", "where --reporter junit writes", "pol-junit.xml")
    .option("--format <format>", "text or json", "text").option("--coverage", "print rules no case decided").option("--coverage-min <percent>", "fail when rule coverage is below this").option("-v, --verbose", "list passing cases too")
    .action(async (paths: string[], o) => { code = await testCommand(io, paths, o); });
  const done = (c: number) => { code = c; };
  registerAudit(program, io, done);
  registerApprovals(program, io, done);
  registerPause(program, io, done);
  registerTrust(program, io, done);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    io.err(`error: ${(e as Error).message}\n`);
    return 2;
  }
  return code;
}
