// One table for the CLI's conventions: every command's exit code (0 ok, 1 "no", 2 usage or I/O;
// cli/exit.ts), option values outside their choices or range refused, `--format json` carrying
// I/O errors in the JSON, `--fail-on`, `--version`, and colour decided per stream.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { colorFor, type Io } from "../io.js";
import { main } from "../main.js";
import { polVersion } from "../version.js";

function run(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => stdin, colorOut: false, colorErr: false };
  return main(args, io).then((code) => ({ code, out, err }));
}

const POLICY = "examples/payments/payments.pol";
const call = (amount: number) => JSON.stringify({ tool: "stripe.refund", args: { amount, currency: "usd", customer: "c" }, agent: { id: "a", trust: 90 }, env: "production" });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pol-exit-"));
  mkdirSync(join(dir, "a"));
  mkdirSync(join(dir, "b"));
  mkdirSync(join(dir, "empty"));
  writeFileSync(join(dir, "a", "same.pol"), "tool t { n: number }\nallow t if args.n < 3\n");
  writeFileSync(join(dir, "b", "same.pol"), "tool t { n: number }\ndeny t if args.n < 3\n");
  writeFileSync(join(dir, "warn.pol"), "let unused = 1\n");
  writeFileSync(join(dir, "ugly.pol"), "allow    t\n");
  writeFileSync(join(dir, "low.test.yaml"), "cases:\n  - name: one\n    call: { tool: t, args: { n: 1 } }\n    expect: { effect: allow }\n");
  writeFileSync(join(dir, "low.pol"), "tool t { n: number }\nallow t if args.n < 3\ndeny t if args.n > 100\n");
  writeFileSync(join(dir, "not.wasm"), "not a module");
  writeFileSync(join(dir, "free.json"), JSON.stringify({ tools: [{ name: "t", inputSchema: { type: "object", properties: { m: { type: "object" } } } }] }));
});

type Row = [name: string, args: () => string[], code: 0 | 1 | 2, expect?: { out?: RegExp; err?: RegExp; stdin?: string }];

const ROWS: Row[] = [
  ["--version prints the package version", () => ["--version"], 0, { out: new RegExp(`^${polVersion().replace(/\./g, "\\.")}\\n$`) }],
  ["an unknown command", () => ["frobnicate"], 2, { err: /unknown command/ }],
  ["an unknown option", () => ["check", "--frob"], 2, { err: /unknown option '--frob'/ }],

  ["check: a clean policy", () => ["check", POLICY], 0],
  ["check: policy errors", () => ["check", "language/test/golden/types.pol"], 1, { err: /E0203/ }],
  ["check: a warning passes", () => ["check", join(dir, "warn.pol")], 0],
  ["check: a warning fails with --strict", () => ["check", "--strict", join(dir, "warn.pol")], 1],
  ["check: a missing path", () => ["check", join(dir, "nope.pol")], 2, { err: /no such file or directory/ }],
  ["check: a directory with no policy", () => ["check", join(dir, "empty")], 2, { err: /no `\*\.pol` files found/ }],
  ["check: an unknown --format", () => ["check", "--format", "yaml", POLICY], 2, { err: /argument 'yaml' is invalid\. Allowed choices are text, json/ }],
  ["check: --format json carries I/O errors", () => ["check", "--format", "json", join(dir, "nope.pol")], 2, { out: /"errors": \[\s*\{\s*"message": "no such file or directory/ }],

  ["fmt --check: unformatted", () => ["fmt", "--check", join(dir, "ugly.pol")], 1, { out: /not formatted/ }],
  ["fmt --check: a missing path", () => ["fmt", "--check", join(dir, "nope")], 2],

  ["eval: a decision", () => ["eval", POLICY, "--call", call(20)], 0, { out: /^allow/ }],
  ["eval: --fail-on deny, denied", () => ["eval", POLICY, "--call", call(5000), "--fail-on", "deny"], 1, { out: /^deny/ }],
  ["eval: --fail-on deny, allowed", () => ["eval", POLICY, "--call", call(20), "--fail-on", "deny"], 0],
  ["eval: --fail-on approve, approve", () => ["eval", POLICY, "--call", call(120), "--fail-on", "approve"], 1, { out: /^approve/ }],
  ["eval: --fail-on approve, deny", () => ["eval", POLICY, "--call", call(5000), "--fail-on", "approve"], 1],
  ["eval: --fail-on with another value", () => ["eval", POLICY, "--call", call(20), "--fail-on", "allow"], 2, { err: /Allowed choices are deny, approve/ }],
  ["eval: --extra-args with another value", () => ["eval", POLICY, "--call", call(20), "--extra-args", "maybe"], 2],
  ["eval: a call that is not JSON", () => ["eval", POLICY, "--call", "{nope"], 2, { err: /not valid JSON/ }],
  ["eval: --format json carries a bad call", () => ["eval", POLICY, "--format", "json", "--call", "{nope"], 2, { out: /"message": "the call is not valid JSON/ }],
  ["eval: a missing call file", () => ["eval", POLICY, "--call-file", join(dir, "nope.json")], 2, { err: /cannot read the call/ }],
  ["eval: a missing policy", () => ["eval", join(dir, "nope.pol"), "--call", call(1)], 2, { err: /cannot read/ }],
  ["eval: --format json carries a missing policy", () => ["eval", join(dir, "nope.pol"), "--format", "json", "--call", call(1)], 2, { out: /"errors": \[\s*\{\s*"message": "cannot read/ }],
  ["eval: a policy with errors", () => ["eval", "language/test/golden/types.pol", "--call", call(1)], 1, { err: /E0203/ }],
  ["eval: a file that is not a module", () => ["eval", join(dir, "not.wasm"), "--call", call(1)], 2, { err: /not a loadable policy/ }],

  ["compile: two inputs for one output file", () => ["compile", join(dir, "a"), join(dir, "b"), "-o", join(dir, "out")], 2, { err: /would both be written to/ }],
  ["compile: a policy with errors", () => ["compile", "language/test/golden/types.pol", "-o", join(dir, "out")], 1],
  ["compile: nothing to compile", () => ["compile", join(dir, "empty"), "-o", join(dir, "out")], 2, { err: /no policies/ }],

  ["test: --coverage-min abc", () => ["test", dir, "--coverage-min", "abc"], 2, { err: /argument 'abc' is invalid\. expected a number from 0 to 100/ }],
  ["test: --coverage-min -5", () => ["test", dir, "--coverage-min=-5"], 2, { err: /argument '-5' is invalid/ }],
  ["test: --coverage-min 100%", () => ["test", dir, "--coverage-min", "100%"], 2, { err: /argument '100%' is invalid/ }],
  ["test: --coverage-min 101", () => ["test", dir, "--coverage-min", "101"], 2],
  ["test: coverage below the minimum", () => ["test", join(dir, "low.test.yaml"), "--coverage-min", "100"], 1, { err: /below --coverage-min 100%/ }],
  ["test: coverage at the minimum", () => ["test", join(dir, "low.test.yaml"), "--coverage-min", "50"], 0],
  ["test: an unknown reporter", () => ["test", dir, "--reporter", "html"], 2, { err: /Allowed choices are junit/ }],
  ["test: --output without a reporter", () => ["test", dir, "--output", join(dir, "r.xml")], 2, { err: /add `--reporter junit`/ }],
  ["test: a missing path", () => ["test", join(dir, "nope")], 2],
  ["test: --format json carries a missing path", () => ["test", join(dir, "nope"), "--format", "json"], 2, { out: /"message": "no such file or directory/ }],

  ["inspect: a file that is not a module", () => ["inspect", join(dir, "not.wasm")], 2, { err: /not a loadable policy/ }],
  ["inspect: --format json carries it", () => ["inspect", join(dir, "not.wasm"), "--format", "json"], 2, { out: /"errors"/ }],
  ["audit verify: nothing to verify", () => ["audit", "verify", join(dir, "nope.jsonl")], 2],
  ["approvals list: no store named", () => ["approvals", "list", "--store", join(dir, "nope.db")], 2, { err: /no store at/ }],
  ["approvals list: an unknown --status", () => ["approvals", "list", "--status", "maybe"], 2, { err: /Allowed choices are pending/ }],
  ["pause: an unknown --class", () => ["pause", "--class", "huge"], 2, { err: /Allowed choices are read, write, destructive/ }],
  ["trust restore: --score 0", () => ["trust", "restore", "a", "--score", "0"], 2, { err: /expected a score above 0 and at most 100/ }],
  ["trust restore: --score abc", () => ["trust", "restore", "a", "--score", "abc"], 2],

  ["mcp: no --policy", () => ["mcp", "--", "node", "server.js"], 2, { err: /name the policy with --policy/ }],
  ["mcp: neither a command nor --upstream", () => ["mcp", "--policy", POLICY, "--store", join(dir, "s.db")], 2, { err: /either as a command after `--` or with --upstream/ }],
  ["mcp: a bad --listen", () => ["mcp", "--policy", POLICY, "--listen", "8080", "--", "node"], 2, { err: /argument '8080' is invalid\. expected HOST:PORT/ }],
  ["mcp: a missing policy", () => ["mcp", "--policy", join(dir, "nope.wasm"), "--audit", join(dir, "a.jsonl"), "--", "node"], 2, { err: /cannot read/ }],
  ["import mcp: every tool declared", () => ["import", "mcp", "--from", "examples/mcp_catalogue/tools.json"], 0, { out: /tool "fs\/move_file"/ }],
  ["import mcp: a schema pol cannot type", () => ["import", "mcp", "--from", join(dir, "free.json")], 1, { err: /tool `t`: `\/properties\/m`: a free-form object/ }],
  ["import mcp: no source", () => ["import", "mcp"], 2, { err: /name exactly one source/ }],
  ["import mcp: a file that is not JSON", () => ["import", "mcp", "--from", join(dir, "ugly.pol")], 2, { err: /cannot read `.*ugly\.pol`/ }],
];

describe("pol exit codes and option validation", () => {
  it.each(ROWS)("%s", async (_name, args, code, want = {}) => {
    const r = await run(args(), want.stdin);
    expect({ code: r.code, out: r.out, err: r.err }).toMatchObject({ code });
    if (want.out) expect(r.out).toMatch(want.out);
    if (want.err) expect(r.err).toMatch(want.err);
  });
});

describe("colour, per stream", () => {
  it("follows each stream's TTY, then NO_COLOR, with FORCE_COLOR overriding both", () => {
    expect(colorFor({ isTTY: true }, {})).toBe(true);
    expect(colorFor({ isTTY: false }, {})).toBe(false);
    expect(colorFor({}, {})).toBe(false);
    expect(colorFor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorFor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(colorFor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorFor({ isTTY: true }, { FORCE_COLOR: "0", NO_COLOR: "" })).toBe(false);
    expect(colorFor({ isTTY: false }, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(true);
  });

  it("colours diagnostics by stderr's setting, not stdout's", async () => {
    let err = "";
    const io: Io = { out: () => undefined, err: (s) => void (err += s), stdin: async () => "", colorOut: false, colorErr: true };
    expect(await main(["check", "language/test/golden/types.pol"], io)).toBe(1);
    expect(err).toContain("\u001b[");
    err = "";
    expect(await main(["check", "language/test/golden/types.pol"], { ...io, colorOut: true, colorErr: false })).toBe(1);
    expect(err).not.toContain("\u001b[");
  });
});
