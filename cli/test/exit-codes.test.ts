// One table for the CLI's conventions: every command's exit code (0 ok, 1 "no", 2 usage or I/O;
// cli/exit.ts), option values outside their choices or range refused, `--format json` carrying
// I/O errors in the JSON, `--fail-on`, `--version`, and colour decided per stream.

import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../bundle/build.js";
import { generateKeyPair } from "../../bundle/sign.js";
import { policyDir, signer, SUITE_V1, SUITE_V2, V1, V2 } from "../../bundle/test/fixtures.js";
import { JsonlAuditLog } from "../../runtime/audit/index.js";
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
const refundCall = (amount: number) => JSON.stringify({ tool: "refund", args: { amount, customer: "c" }, agent: { id: "a" } });
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
  writeFileSync(join(dir, "broken-syntax.pol"), "policy p\nallow t if (\n");
  writeFileSync(join(dir, "low.test.yaml"), "cases:\n  - name: one\n    call: { tool: t, args: { n: 1 } }\n    expect: { effect: allow }\n");
  writeFileSync(join(dir, "low.pol"), "tool t { n: number }\nallow t if args.n < 3\ndeny t if args.n > 100\n");
  writeFileSync(join(dir, "not.wasm"), "not a module");
  writeFileSync(join(dir, "users-bad.yaml"), "users:\n  - { name: eve, roles: [root], secret: x }\n");

  writeFileSync(join(dir, "tuple.json"), JSON.stringify({ tools: [{ name: "t", inputSchema: { type: "object", properties: { m: { type: "array", items: [{ type: "string" }] } } } }] }));
});

/** Rollout fixtures: a key pair, signed bundles of two policy versions, a calls file, an audit log with a shadow record. */
let roll: string;
const dirsOf: Record<string, string> = {};
const policyDirOf = (name: string) => dirsOf[name]!;
beforeAll(async () => {
  roll = join(dir, "rollout");
  mkdirSync(roll);
  writeFileSync(join(roll, "k.pem"), signer().privateKey);
  writeFileSync(join(roll, "k.pub.pem"), signer().publicKey);
  writeFileSync(join(roll, "other.pub.pem"), generateKeyPair().publicKey);
  writeFileSync(join(roll, "rsa.pem"), generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }));
  for (const [name, src, suiteText] of [["v1", V1, SUITE_V1], ["v2", V2, SUITE_V2]] as const) {
    dirsOf[name] = policyDir(src, suiteText);
    const built = await buildBundle(dirsOf[name], { signKey: signer().privateKey });
    writeFileSync(join(roll, `${name}.polb`), built.bytes);
  }
  const tampered = readFileSync(join(roll, "v1.polb"));
  tampered[tampered.length - 30] ^= 1;
  writeFileSync(join(roll, "tampered.polb"), tampered);
  writeFileSync(join(roll, "calls.jsonl"), [30, 75].map((amount) => JSON.stringify({ tool: "refund", args: { amount, customer: "c" }, agent: { id: "a" } })).join("\n") + "\n");
  writeFileSync(join(roll, "bad.jsonl"), "{nope\n");
  const log = await JsonlAuditLog.open(join(roll, "audit.jsonl"));
  log.append({ type: "admin", time: new Date(0).toISOString(), event: "shadow.diff", tool: "refund", args: { amount: 75 }, live: { policy: "a".repeat(64), effect: "allow", rule: "small" }, shadow: { policy: "b".repeat(64), effect: "approve", rule: "review" } });
  await log.close();
  mkdirSync(join(roll, "failing"));
  writeFileSync(join(roll, "failing", "refunds.pol"), V1.replace('import "_shared.pol"', "tool lookup { id: string } read"));
  writeFileSync(join(roll, "failing", "refunds.test.yaml"), SUITE_V2);
}, 120_000);

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
  ["help for a command there is not", () => ["help", "nosuch"], 2, { err: /^error: unknown command `nosuch`; the commands are check, fmt, /m }],
  ["fmt -: formats standard input to standard output", () => ["fmt", "-"], 0, { out: /^allow t\n$/, stdin: "allow    t\n" }],
  ["fmt - --check: standard input not formatted", () => ["fmt", "-", "--check"], 1, { stdin: "allow    t\n" }],
  ["fmt -: standard input that does not parse", () => ["fmt", "-"], 1, { err: /<stdin>:1:.*E0103/, stdin: "allow t if (\n" }],
  ["fmt: a file that does not parse is a policy error", () => ["fmt", join(dir, "broken-syntax.pol")], 1, { err: /E0103/ }],

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
  ["eval: a file that is not a module", () => ["eval", join(dir, "not.wasm"), "--call", call(1)], 2, { err: /not\.wasm` is not a policy pol can load/ }],

  ["compile: two inputs for one output file", () => ["compile", join(dir, "a"), join(dir, "b"), "-o", join(dir, "out")], 2, { err: /would both be written to/ }],
  ["compile: a policy with errors", () => ["compile", "language/test/golden/types.pol", "-o", join(dir, "out")], 1],
  ["compile: an output directory that cannot be made (it hung, looping in mkdir)", () => ["compile", join(dir, "a"), "-o", "/proc/pol-nope"], 2, { err: /ENOENT/ }],
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

  ["inspect: a file that is not a module", () => ["inspect", join(dir, "not.wasm")], 2, { err: /not\.wasm` is not a policy pol can load/ }],
  ["inspect: --format json carries it", () => ["inspect", join(dir, "not.wasm"), "--format", "json"], 2, { out: /"errors"/ }],
  ["audit verify: nothing to verify", () => ["audit", "verify", join(dir, "nope.jsonl")], 2],
  ["approvals list: no store named", () => ["approvals", "list", "--store", join(dir, "nope.db")], 2, { err: /no store at/ }],
  ["approvals list: an unknown --status", () => ["approvals", "list", "--status", "maybe"], 2, { err: /Allowed choices are pending/ }],
  ["pause: an unknown --class", () => ["pause", "--class", "huge"], 2, { err: /Allowed choices are read, write, destructive/ }],
  ["trust restore: --score 0", () => ["trust", "restore", "a", "--score", "0"], 2, { err: /expected a score above 0 and at most 100/ }],
  ["trust restore: --score abc", () => ["trust", "restore", "a", "--score", "abc"], 2],

  ["serve: no policy named", () => ["serve"], 2, { err: /name the policy to serve with --policy/ }],
  ["serve: --max-body abc", () => ["serve", "--policy", POLICY, "--max-body", "abc"], 2, { err: /argument 'abc' is invalid\. expected a size from 1kb to 1gb/ }],
  ["serve: --audit-batch-ms -1", () => ["serve", "--policy", POLICY, "--audit-batch-ms", "-1"], 2, { err: /argument '-1' is invalid\. expected a number of milliseconds from 0 to 1000/ }],
  ["serve: --audit-wait 0", () => ["serve", "--policy", POLICY, "--audit-wait", "0"], 2, { err: /argument '0' is invalid\. expected a number of seconds from 0\.01 to 600/ }],
  ["serve: --helper-nice 20", () => ["serve", "--policy", POLICY, "--helper-nice", "20"], 2, { err: /argument '20' is invalid\. expected a whole number from 0 to 19/ }],
  ["serve: --listen nope", () => ["serve", "--policy", POLICY, "--listen", "nope"], 2, { err: /--listen `nope` is not host:port/ }],
  ["serve: a store url of another kind", () => ["serve", "--policy", POLICY, "--store", "mongodb://localhost:27017", "--listen", "127.0.0.1:0"], 2, { err: /`mongodb` is not a store pol can open: use a SQLite file \(--store pol\.db\), redis:\/\/ or postgres:\/\// }],
  ["serve: a users file with an unknown role", () => ["serve", "--policy", POLICY, "--users", join(dir, "users-bad.yaml"), "--listen", "127.0.0.1:0"], 2, { err: /user 1 \(`eve`\): unknown role `root`; expected admin, approver, operator, viewer, agent/ }],
  ["serve: a missing users file", () => ["serve", "--policy", POLICY, "--users", join(dir, "nope.yaml"), "--listen", "127.0.0.1:0"], 2, { err: /cannot read the users file/ }],
  ["serve: --canary-percent without --canary", () => ["serve", "--policy", POLICY, "--canary-percent", "10"], 2, { err: /--canary-percent needs --canary <policy>/ }],
  ["serve: --canary-percent 150", () => ["serve", "--policy", POLICY, "--canary", POLICY, "--canary-percent", "150"], 2, { err: /argument '150' is invalid/ }],
  ["serve: a tampered bundle with --verify-key", () => ["serve", "--policy", join(roll, "tampered.polb"), "--verify-key", join(roll, "k.pub.pem"), "--store", ":memory:", "--audit", join(roll, "serve-audit.jsonl"), "--listen", "127.0.0.1:0"], 2, { err: /tampered\.polb/ }],
  ["serve --hash-secret: the hash of a secret on stdin", () => ["serve", "--hash-secret"], 0, { out: /^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+\n$/, stdin: "correct horse\n" }],

  ["keygen: a new key pair", () => ["keygen", "-o", join(roll, "new.pem")], 0, { out: /^ed25519:[0-9a-f]{16}\n$/, err: /wrote .*new\.pem .* and .*new\.pub\.pem/ }],
  ["keygen: never replaces a key", () => ["keygen", "-o", join(roll, "k.pem")], 2, { err: /k\.pem` exists: choose another name with -o, or pass --force/ }],
  ["build: a signed bundle", () => ["build", policyDirOf("v1"), "-o", join(roll, "built.polb"), "--sign", join(roll, "k.pem")], 0, { err: /built .*built\.polb: policy refunds \(sha256 [0-9a-f]{12}\), 2 sources, 4 cases in 1 suite passed, signed by ed25519:/ }],
  ["build: unsigned, with a warning", () => ["build", policyDirOf("v1"), "-o", join(roll, "unsigned.polb")], 0, { err: /warning: the bundle is not signed/ }],
  ["build: its suites fail", () => ["build", join(roll, "failing"), "-o", join(roll, "f.polb")], 1, { err: /3 passed, 1 failed[\s\S]*error: the bundle's suites fail, so no bundle was written/ }],
  ["build: the policy has errors", () => ["build", "language/test/golden/types.pol", "-o", join(roll, "e.polb")], 1, { err: /E0203/ }],
  ["build: no -o", () => ["build", policyDirOf("v1")], 2, { err: /required option '-o, --out <file>'/ }],
  ["build: a missing path", () => ["build", join(roll, "nope"), "-o", join(roll, "x.polb")], 2, { err: /cannot read .*nope.*ENOENT/ }],
  ["build: a key that is not Ed25519", () => ["build", policyDirOf("v1"), "-o", join(roll, "x.polb"), "--sign", join(roll, "rsa.pem")], 2, { err: /not a PEM private key/ }],
  ["verify: a good bundle", () => ["verify", join(roll, "v1.polb"), "--key", join(roll, "k.pub.pem"), "--test"], 0, { out: /^ok: .*v1\.polb: policy refunds .* signed by ed25519:[0-9a-f]{16}, 2 sources, 1 suite; 4 cases in 1 suite passed\n$/ }],
  ["verify: a tampered bundle", () => ["verify", join(roll, "tampered.polb"), "--key", join(roll, "k.pub.pem")], 1, { err: /tampered\.polb` is refused: / }],
  ["verify: another signer", () => ["verify", join(roll, "v1.polb"), "--key", join(roll, "other.pub.pem")], 1, { err: /is signed by key `ed25519:[0-9a-f]{16}`, which is not a trusted verify key/ }],
  ["verify: --format json", () => ["verify", join(roll, "tampered.polb"), "--key", join(roll, "k.pub.pem"), "--format", "json"], 1, { out: /"ok": false/ }],
  ["verify: no --key", () => ["verify", join(roll, "v1.polb")], 2, { err: /required option '--key <file>'/ }],
  ["verify: a missing bundle", () => ["verify", join(roll, "nope.polb"), "--key", join(roll, "k.pub.pem")], 2, { err: /cannot read .*ENOENT/ }],
  ["verify: an RSA key", () => ["verify", join(roll, "v1.polb"), "--key", join(roll, "rsa.pem")], 2, { err: /rsa\.pem` is not an Ed25519 key \(its type is `rsa`\); pol signs bundles with Ed25519 keys: make one with `pol keygen`/ }],
  ["diff: the same policy", () => ["diff", join(roll, "v1.polb"), join(roll, "v1.polb"), "--calls", join(roll, "calls.jsonl"), "--fail-on-change"], 0, { out: /replayed 2 calls from .*: 0 decide differently/ }],
  ["diff: a change, reported", () => ["diff", join(roll, "v1.polb"), join(roll, "v2.polb"), "--calls", join(roll, "calls.jsonl")], 0, { out: /replayed 2 calls .*: 1 decides differently\n  refund +2 calls +1 differ\n +allow → approve +small → review/ }],
  ["diff: a change, --fail-on-change", () => ["diff", join(roll, "v1.polb"), join(roll, "v2.polb"), "--generated", "200", "--fail-on-change"], 1, { out: /generated 200 calls over the 2 tools either policy declares \(lookup, refund; 2 in both; seed 1\): [1-9]\d* decides? differently/ }],
  ["diff: signatures required", () => ["diff", join(roll, "v1.polb"), join(roll, "tampered.polb"), "--verify-key", join(roll, "k.pub.pem")], 2, { err: /tampered\.polb` is not a policy pol can load/ }],
  ["eval: a signed bundle, verified", () => ["eval", join(roll, "v1.polb"), "--verify-key", join(roll, "k.pub.pem"), "--call", refundCall(30), "--explain"], 0, { out: /^allow[\s\S]*small/ }],
  ["eval: a policy directory", () => ["eval", policyDirOf("v2"), "--call", refundCall(75), "--fail-on", "approve"], 1, { out: /^approve/ }],
  ["eval: a tampered bundle", () => ["eval", join(roll, "tampered.polb"), "--verify-key", join(roll, "k.pub.pem"), "--call", refundCall(30)], 2, { err: /tampered\.polb` is not a policy pol can load: / }],
  ["eval: a bundle with --interpreter", () => ["eval", join(roll, "v1.polb"), "--interpreter", "--call", refundCall(30)], 2, { err: /needs the policy's \.pol source/ }],
  ["inspect: a bundle", () => ["inspect", join(roll, "v1.polb")], 0, { out: /\nbundle [0-9a-f]{64}\n  signature not checked \(pass --verify-key\)\n  2 source file\(s\)\n/ }],
  ["inspect: a bundle, verified", () => ["inspect", join(roll, "v1.polb"), "--verify-key", join(roll, "k.pub.pem")], 0, { out: /\n  signed by ed25519:[0-9a-f]{16} \(verified\)\n/ }],
  ["inspect: a bundle, --format json", () => ["inspect", join(roll, "v1.polb"), "--verify-key", join(roll, "k.pub.pem"), "--format", "json"], 0, { out: /"bundle": \{\s*"hash": "[0-9a-f]{64}",\s*"signer": "ed25519:/ }],
  ["inspect: another signer", () => ["inspect", join(roll, "v1.polb"), "--verify-key", join(roll, "other.pub.pem")], 2, { err: /v1\.polb` is not a policy pol can load: .*not a trusted verify key/ }],
  ["diff: a missing calls file", () => ["diff", join(roll, "v1.polb"), join(roll, "v2.polb"), "--calls", join(roll, "nope.jsonl")], 2, { err: /no such file/ }],
  ["diff: calls that are not JSON", () => ["diff", join(roll, "v1.polb"), join(roll, "v2.polb"), "--calls", join(roll, "bad.jsonl")], 2, { err: /line 1 of .*bad\.jsonl` is not JSON/ }],
  ["diff: --generated -1", () => ["diff", join(roll, "v1.polb"), join(roll, "v2.polb"), "--generated", "-1"], 2, { err: /expected a whole number from 0 to 1000000/ }],
  ["shadow report: differences", () => ["shadow", "report", join(roll, "audit.jsonl")], 0, { out: /1 shadow difference in [\s\S]*live aaaaaaaaaaaa vs shadow bbbbbbbbbbbb\n  refund: 1\n +1  allow → approve +small → review\n +\{"time":"1970-01-01T00:00:00.000Z","tool":"refund","args":\{"amount":75\}\}/ }],
  ["shadow report: a missing log", () => ["shadow", "report", join(roll, "nope.jsonl")], 2, { err: /no audit log at/ }],
  ["shadow report: lines that are not JSON", () => ["shadow", "report", join(roll, "bad.jsonl")], 2, { err: /line 1 of .* is not JSON/ }],
  ["shadow report: --examples 1.5", () => ["shadow", "report", join(roll, "audit.jsonl"), "--examples", "1.5"], 2, { err: /expected a whole number from 0 to 1000/ }],

  ["mcp: no --policy", () => ["mcp", "--", "node", "server.js"], 2, { err: /name the policy with --policy/ }],
  ["mcp: neither a command nor --upstream", () => ["mcp", "--policy", POLICY, "--store", join(dir, "s.db")], 2, { err: /name the upstream MCP server: a command after `--`/ }],
  ["mcp: a bad --listen", () => ["mcp", "--policy", POLICY, "--listen", "8080", "--", "node"], 2, { err: /argument '8080' is invalid\. expected HOST:PORT/ }],
  ["mcp: a missing policy", () => ["mcp", "--policy", join(dir, "nope.wasm"), "--audit", join(dir, "a.jsonl"), "--", "node"], 2, { err: /cannot read/ }],
  ["import mcp: every tool declared", () => ["import", "mcp", "--from", "examples/mcp_catalogue/tools.json"], 0, { out: /tool "fs\/move_file"/ }],
  ["import mcp: a schema pol cannot type", () => ["import", "mcp", "--from", join(dir, "tuple.json")], 1, { err: /tool `t`: `\/properties\/m\/items`: tuple arrays have no pol type/ }],
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
