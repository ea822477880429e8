// `pol serve`'s error log, on the real process (bin/pol.js): an audit log that fails under the
// server denies every decision with the same error, which the log prints once and then sums up
// (cli/repeats.ts) instead of once per decision; `--audit-wait` reaches the log.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullFifo, whileDraining } from "../../runtime/audit/test/helpers.js";
import { CLOSE_GRACE_S } from "../../cli/serve.js";
import { hashSecret } from "../auth/secret.js";
import { ROOT, startCli } from "./cli-serve.js";

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pol-error-log-"));
  mkdirSync(join(dir, "keys"));
  writeFileSync(join(dir, "users.yaml"), `users:\n  - { name: svc, roles: [agent], secret: "${await hashSecret("svc-secret")}" }\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One decision, as the service `svc` asks for it. */
const decide = (url: string) => fetch(`${url}/v1/decide`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from("svc:svc-secret").toString("base64")}` },
  body: JSON.stringify({ tool: "email.send", args: { to: ["ops@acme.com"], subject: "Ticket 4411", body: "Refunded." }, agent: { id: "support-bot", roles: ["support"] }, env: "production" }),
});

describe("pol serve's error log", () => {
  it("prints an error that every decision repeats once, then sums it up, while each decision is denied", async () => {
    const log = join(dir, "audit.jsonl");
    const { child, url } = await startCli(["--policy", join(ROOT, "examples/support_agent/support_agent.pol"), "--store", ":memory:", "--audit", log, "--audit-key", join(dir, "keys", "audit.key"), "--audit-sync", "--audit-wait", "2", "--users", "users.yaml", "--listen", "127.0.0.1:0"], dir);
    let err = "";
    child.stderr!.on("data", (b: Buffer) => void (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      // The writer replaces the head file through `<log>.head.tmp`: a directory there fails it, for real.
      mkdirSync(`${log}.head.tmp`);
      const reasons: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await decide(url);
        const d = (await r.json()) as { effect: string; reasons: string[] };
        expect(d.effect).toBe("deny");
        reasons.push(d.reasons[0]!);
      }
      expect(new Set(reasons)).toEqual(new Set([`the audit log failed, so the call is denied: cannot write audit log ${log} (EISDIR)`]));
    } finally {
      child.kill("SIGTERM");
    }
    await exited;
    const lines = err.split("\n").filter((l) => l.includes(`cannot write audit log ${log} (EISDIR)`) && l.startsWith("pol serve: audit: "));
    expect(lines).toEqual([`pol serve: audit: cannot write audit log ${log} (EISDIR)`, expect.stringMatching(new RegExp(`^pol serve: audit: cannot write audit log .* \\(EISDIR\\) \\(19 more times in the last \\d+ s\\)$`))]);
  }, 60_000);

  it("ends a close that a stalled disk holds up, saying so", async () => {
    const log = join(dir, "stalled.jsonl");
    const fd = fullFifo(log);
    const { child, url } = await startCli(["--policy", join(ROOT, "examples/support_agent/support_agent.pol"), "--store", ":memory:", "--audit", log, "--audit-key", join(dir, "keys", "stalled.key"), "--drain-timeout", "0", "--users", "users.yaml", "--listen", "127.0.0.1:0"], dir);
    let err = "";
    child.stderr!.on("data", (b: Buffer) => void (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const r = await decide(url);
    expect(r.status).toBe(200); // queued, not yet written: the disk takes nothing
    child.kill("SIGTERM");
    const said = `error: closing: not done after ${CLOSE_GRACE_S} s (an audit disk or a store that stopped answering?): exiting anyway; audit records not yet written are lost, and the log's next open resumes after its last whole record`;
    for (let i = 0; i < 400 && !err.includes(said); i++) await new Promise((res) => setTimeout(res, 100));
    expect(err).toContain(said);
    // The exit code is set, but threads blocked on the stalled file (the writer in write(), then the
    // audit verifier reading it) keep any process from exiting until they return: end it here.
    child.kill("SIGKILL");
    await whileDraining(fd, () => exited);
  }, 90_000);
});
