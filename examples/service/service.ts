// An example service embedding pol: a fake refund tool and an email tool wrapped with
// engine.guard, driven by a scripted agent session that hits allow, approve (granted and
// expired), deny, a limit and a pause; then `pol audit verify` checks the log it wrote.
// Run: npx tsx examples/service/service.ts [dir]   (tested by service.test.ts)

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { Engine, PolicyDenied, type Clock } from "../../runtime/index.js";

const here = dirname(fileURLToPath(import.meta.url));

interface Refund { amount: number; customer: string; reason?: string }
interface Email { to: string; subject: string; body: string }

/** Real time, plus an offset the script moves to stand for "fifteen minutes later". */
class ScriptClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  skip(ms: number): void {
    this.offset += ms;
  }
}

export interface SessionResult {
  transcript: string[];
  auditPath: string;
  storePath: string;
  verify: { code: number; out: string };
}

/** Runs the whole session with its state and audit log in `dir`. */
export async function runSession(dir: string, log: (line: string) => void = () => {}): Promise<SessionResult> {
  const transcript: string[] = [];
  const say = (line: string) => {
    transcript.push(line);
    log(line);
  };
  const clock = new ScriptClock();
  const storePath = join(dir, "state.db");
  const auditPath = join(dir, "audit.jsonl");
  const engine = await Engine.load(join(here, "service.pol"), { store: storePath, audit: auditPath, clock, approvalPollMs: 20 });

  // The tools: fakes that return the id of what they did, which the audit log records.
  let refunds = 0;
  const refund = engine.guard("refund", (a: Refund) => ({ id: `re_${++refunds}`, amount: a.amount }));
  const sendEmail = engine.guard("email.send", (e: Email) => ({ id: `msg_${e.to}` }));

  // The finance approver: a bot standing in for a chat integration. It grants refunds up to
  // $150 and leaves bigger ones unanswered ("gone to lunch") until they expire.
  const stopApprover = engine.approvals.onChange((c) => {
    if (c.type !== "created") return;
    const args = (c.approval.call as { args: { amount: number } }).args;
    setTimeout(() => {
      if (args.amount <= 150) void engine.approvals.resolve(c.approval.id, { approve: true, by: "fin-alice", note: "matches the ticket" });
      else clock.skip(16 * 60_000);
    }, 10);
  });

  const agent = { agent: { id: "support-bot" }, run: { id: "run-1" } };
  const attempt = async (label: string, call: () => Promise<{ id: string }>) => {
    try {
      say(`${label} -> done: ${(await call()).id}`);
    } catch (e) {
      if (!(e instanceof PolicyDenied)) throw e;
      say(`${label} -> denied (${e.decision.decidedBy}): ${e.reasons[0]}`);
    }
  };

  await attempt("refund $20", () => refund({ amount: 20, customer: "cus_1" }, agent));
  await attempt("email alice@acme.com", () => sendEmail({ to: "alice@acme.com", subject: "refund", body: "done" }, agent));
  await attempt("refund $120", () => refund({ amount: 120, customer: "cus_2" }, agent));
  await attempt("refund $250", () => refund({ amount: 250, customer: "cus_3" }, agent));
  await attempt("refund $900", () => refund({ amount: 900, customer: "cus_4" }, agent));
  await attempt("refund $30", () => refund({ amount: 30, customer: "cus_5" }, agent));
  await attempt("refund $10", () => refund({ amount: 10, customer: "cus_6" }, agent));
  await engine.pause("email.*", "phishing campaign under investigation", "sec-oncall");
  await attempt("email bob@acme.com", () => sendEmail({ to: "bob@acme.com", subject: "hi", body: "hello" }, agent));
  await engine.resume("email.*", "sec-oncall");
  await attempt("email bob@acme.com", () => sendEmail({ to: "bob@acme.com", subject: "hi", body: "hello" }, agent));
  stopApprover();
  await engine.close();

  let out = "";
  const code = await main(["audit", "verify", auditPath], { out: (s) => void (out += s), err: (s) => void (out += s), stdin: async () => "", colorOut: false, colorErr: false });
  say(`pol audit verify ${auditPath} -> exit ${code}: ${out.trim()}`);
  return { transcript, auditPath, storePath, verify: { code, out } };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "pol-service-"));
  const r = await runSession(dir, (line) => console.log(line));
  process.exitCode = r.verify.code;
}
