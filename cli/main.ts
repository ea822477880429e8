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
import { registerShadow } from "./shadow.js";
import { registerTrust } from "./trust.js";
import { processIo, type Io } from "./io.js";
import { byteSize, exampleCount, formatOption, numberIn, percent } from "./options.js";
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
  program.command("fmt").description("format policies in place").argument("[paths...]", "files or directories (default: .); `-` formats standard input to standard output").option("--check", "only report unformatted files (exit 1)")
    .action(async (paths: string[], o) => done(await (await import("./fmt.js")).fmtCommand(io, paths, o)));
  program.command("eval").description("decide one call").argument("<policy>", ".pol, .wasm, .polb or a policy directory").option("--call <json>", "the call as JSON").option("--call-file <file>", "read the call from a file (default: stdin)")
    .option("--explain", "list the rules for the tool and whether they matched").addOption(formatOption()).option("--interpreter", "use the reference interpreter instead of the compiled wasm")
    .addOption(new Option("--extra-args <mode>", "undeclared arguments").choices(["deny", "ignore"]).default("deny"))
    .addOption(new Option("--fail-on <effect>", "exit 1 when the decision is this effect or more restrictive (for scripts)").choices(["deny", "approve"]))
    .option("--verify-key <file>", "require a bundle to be signed by this public key")
    .action(async (file: string, o) => done(await (await import("./eval.js")).evalCommand(io, file, o)));
  program.command("compile").description("compile policies to .wasm").argument("[paths...]", "files or directories (default: .)").option("-o, --out-dir <dir>", "output directory", "dist").option("--emit-as", "also write the generated AssemblyScript")
    .action(async (paths: string[], o) => done(await (await import("./compile.js")).compileCommand(io, paths, o)));
  program.command("inspect").description("print a compiled policy's manifest").argument("<policy>", ".wasm, .polb or a policy directory")
    .option("--verify-key <file>", "require a bundle to be signed by this public key").addOption(formatOption())
    .action(async (file: string, o) => done(await (await import("./inspect.js")).inspectCommand(io, file, o)));
  program.command("test").description("run policy test suites (*.test.yaml)").argument("[paths...]", "suite files or directories (default: .)")
    .option("--filter <pattern>", "only cases whose name contains this (or matches /regex/)")
    .addOption(new Option("--reporter <name>", "also write a report file").choices(["junit"])).option("--output <file>", "where --reporter junit writes (default: pol-junit.xml)")
    .addOption(formatOption()).option("--coverage", "print rules no case decided")
    .addOption(new Option("--coverage-min <percent>", "fail when rule coverage is below this percentage").argParser(percent)).option("-v, --verbose", "list passing cases too")
    .action(async (paths: string[], o) => done(await (await import("./test.js")).testCommand(io, paths, o)));
  program.command("serve").description("serve the decision API and the operators' web console")
    .option("--policy <file>", "the policy: .pol (compiled on start), .wasm, a bundle (.polb) or a policy directory")
    .option("--verify-key <file>", "serve and reload only bundles signed by this public key").option("--watch", "reload the policy when its file or directory changes (verified and tested first)")
    .option("--shadow <policy>", "also decide every call with this candidate, off the hot path; differences are audited")
    .option("--canary <policy>", "decide --canary-percent of runs with this candidate")
    .addOption(new Option("--canary-percent <n>", "the canary's share of runs (default 5)").argParser(percent)).option("--store <store>", "the state store: a SQLite file, a redis:// or postgres:// url shared by a fleet, or :memory:", "pol.db")
    .option("--audit <log>", "the JSONL audit log, or a postgres:// url: one chain for a fleet of servers", "pol.audit.jsonl")
    .option("--audit-key <file>", "the audit key file (default: $POL_AUDIT_KEY or <log>.key for a JSONL log, $POL_AUDIT_KEY_FILE for postgres://)")
    .option("--audit-sync", "answer each decision only once its audit record is fdatasync'ed and in the head file (slower; no window of records a power loss can take)")
    .addOption(new Option("--audit-wait <seconds>", "how long a decision may wait for the JSONL audit log (room in its queue, or with --audit-sync its sync) before it is denied; after one such wait, decisions are denied at once until the log moves (default 10)").argParser(numberIn(0.01, 600, "a number of seconds from 0.01 to 600")))
    .addOption(new Option("--audit-batch-ms <ms>", "how long the audit writer gathers records before writing them (the window a power loss can take)").argParser(numberIn(0, 1000, "a number of milliseconds from 0 to 1000")).default(5))
    .option("--listen <host:port>", "where to listen", "127.0.0.1:8181")
    .option("--users <file>", "people and services with roles and hashed secrets (default: one admin with a secret printed at start)")
    .addOption(new Option("--max-body <size>", "largest request body, e.g. 1mb or 64kb").argParser(byteSize).default(1024 * 1024, "1mb"))
    .addOption(new Option("--helper-nice <n>", "CPU priority (nice) of the server's helper threads on Linux, so none delays the thread that answers; 0 keeps them at the main thread's").argParser(numberIn(0, 19, "a whole number from 0 to 19", { whole: true })).default(19))
    .addOption(new Option("--queue-poll <seconds>", "how often the queue page re-reads the store besides live events").argParser(numberIn(1, 3600, "a number of seconds from 1 to 3600")).default(5))
    .addOption(new Option("--drain-timeout <seconds>", "on SIGTERM or SIGINT, how long the requests in flight have to be answered before their connections are cut").argParser(numberIn(0, 3600, "a number of seconds from 0 to 3600")).default(10))
    .option("--secure-cookies", "mark cookies Secure (behind a TLS proxy)").option("--hash-secret", "print the users-file hash of a secret read on stdin (or of a new one), then exit")
    .action(async (o) => done(await (await import("./serve.js")).serveCommand(io, o)));
  program.command("build").description("build a policy bundle (module, sources, suites, manifest), signed with --sign").argument("<path>", "a policy directory (one policy) or a .pol file")
    .requiredOption("-o, --out <file>", "the bundle to write, e.g. policy.polb").option("--sign <key>", "sign with this Ed25519 private key (PEM, from `pol keygen`)").option("--no-test", "do not run the bundled suites before packing")
    .action(async (path: string, o) => done(await (await import("./build.js")).buildCommand(io, path, o)));
  program.command("keygen").description("make an Ed25519 key pair for signing bundles").option("-o, --out <file>", "the private key file (the public key goes beside it as .pub.pem)", "pol-signing.pem").option("--force", "replace existing key files")
    .action(async (o) => done(await (await import("./keygen.js")).keygenCommand(io, o)));
  program.command("verify").description("check a bundle's signature and files as an engine with verifyKey would").argument("<bundle>")
    .requiredOption("--key <file>", "the signer's public key (PEM)").option("--test", "also run the bundle's suites, as a reload does").addOption(formatOption())
    .action(async (file: string, o) => done(await (await import("./verify.js")).verifyCommand(io, file, o)));
  program.command("diff").description("decide recorded and generated calls with two policies and show where they differ").argument("<old>", ".wasm, .pol, .polb or a policy directory").argument("<new>")
    .option("--calls <file>", "an audit log (or its directory) or a JSONL file of calls to replay")
    .addOption(new Option("--generated <n>", "calls to generate over the tools both policies declare (0: none)").argParser(numberIn(0, 1_000_000, "a whole number from 0 to 1000000", { whole: true })).default(1000))
    .addOption(new Option("--seed <n>", "the generator's seed").argParser(numberIn(0, 2 ** 31 - 1, "a whole number from 0 to 2147483647", { whole: true })).default(1))
    .addOption(exampleCount()).option("--fail-on-change", "exit 1 when any call decides differently (for CI on policy changes)")
    .option("--verify-key <file>", "require bundles to be signed by this public key").addOption(formatOption())
    .action(async (oldPath: string, newPath: string, o) => done(await (await import("./diff.js")).diffCommand(io, oldPath, newPath, o)));
  registerAudit(program, io, done);
  registerApprovals(program, io, done);
  registerPause(program, io, done);
  registerTrust(program, io, done);
  registerShadow(program, io, done);
  registerMcp(program, io, done);
  registerImport(program, io, done);
  // `pol help <command>` for a command there is not: say so, rather than print the whole help.
  if (argv[0] === "help" && argv[1] !== undefined && !program.commands.some((c) => c.name() === argv[1] || c.aliases().includes(argv[1]!))) {
    io.err(`error: unknown command \`${argv[1]}\`; the commands are ${program.commands.map((c) => c.name()).join(", ")}\n`);
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.err(`error: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  return code;
}
