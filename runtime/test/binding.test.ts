// What an approval is bound to (runtime/callhash.ts), through the real Engine, compiled wasm,
// SQLite store and JSONL log: env, ctx, roles and the run fields the policy reads; the deciding
// rule and approver groups, across a new version of the policy; a keyed hash the audit log cannot
// be searched with; and the full call shown to approvers.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileText } from "../../compiler/compile-file.js";
import { Engine } from "../engine.js";
import { WasmPolicy } from "../loader.js";
import { FakeClock, records, tempDir } from "./helpers.js";

const DEPLOY_V1 = `policy deploy
tool deploy { service: string, version: string }
context { region: string }
staging: approve deploy by "oncall" if env == "staging"
production: approve deploy by "release-managers" if env == "production"
`;
/** v2 keeps `staging` for staging and moves eu production deploys to oncall. */
const DEPLOY_V2 = `policy deploy
tool deploy { service: string, version: string }
context { region: string }
staging: approve deploy by "oncall" if env == "staging"
production: approve deploy by "release-managers" if env == "production" and ctx.region != "eu"
eu_production: approve deploy by "oncall" if env == "production" and ctx.region == "eu"
`;
const RUN_READ = `policy runs
tool export { table: string }
approve export by "dpo" if run.calls < 100
`;

async function policy(text: string, name: string): Promise<WasmPolicy> {
  const c = await compileText(text, name);
  if (!c.wasm) throw new Error(c.loaded.sink.errors.map((d) => d.message).join("\n"));
  return WasmPolicy.fromBytes(c.wasm);
}

async function engine(text: string, dir: string, name = "deploy.pol"): Promise<Engine> {
  return Engine.load(await policy(text, name), { store: join(dir, "state.db"), audit: join(dir, `${name}.audit.jsonl`), clock: new FakeClock(), approvalPollMs: 20 });
}

const deploy = (env: string, extra: Record<string, unknown> = {}) => ({
  tool: "deploy", args: { service: "api", version: "1.2.3" }, agent: { id: "ci-bot", roles: ["deployer"] }, env, run: { id: "run-1" }, ctx: { region: "eu" }, ...extra,
});

describe("an approval is bound to everything the decision depended on", () => {
  it("a staging grant does not authorise the same call in production", async () => {
    const e = await engine(DEPLOY_V1, tempDir());
    const staging = await e.decide(deploy("staging"));
    expect(staging).toMatchObject({ effect: "approve", approvers: ["oncall"] });
    await e.approvals.resolve(staging.approval!, { approve: true, by: "olga" });
    const prod = await e.decide(deploy("production"));
    expect(prod).toMatchObject({ effect: "approve", approvers: ["release-managers"] });
    expect(prod.approval).not.toBe(staging.approval);
    expect((await e.decide(deploy("staging"))).effect).toBe("allow");
    await e.close();
  });

  it("nor a call with other ctx or other roles", async () => {
    const e = await engine(DEPLOY_V1, tempDir());
    const first = await e.decide(deploy("staging"));
    await e.approvals.resolve(first.approval!, { approve: true, by: "olga" });
    expect((await e.decide(deploy("staging", { ctx: { region: "us" } }))).effect).toBe("approve");
    expect((await e.decide(deploy("staging", { agent: { id: "ci-bot", roles: ["deployer", "admin"] } }))).effect).toBe("approve");
    expect((await e.decide(deploy("staging", { agent: { id: "CI-BOT", roles: ["deployer"] } }))).effect).toBe("approve");
    expect((await e.decide(deploy("staging"))).effect).toBe("allow");
    await e.close();
  });

  it("binds the run fields the policy reads, and only those", async () => {
    const dir = tempDir();
    const e = await engine(RUN_READ, dir, "runs.pol");
    const call = (calls: number) => ({ tool: "export", args: { table: "users" }, agent: { id: "bot" }, run: { id: "r", calls } });
    const first = await e.decide(call(3));
    await e.approvals.resolve(first.approval!, { approve: true, by: "dana" });
    expect((await e.decide(call(4))).effect).toBe("approve");
    expect((await e.decide(call(3))).effect).toBe("allow");
    await e.close();
    // A policy that does not read run.calls does not bind it.
    const e2 = await engine(DEPLOY_V1, tempDir());
    const a = await e2.decide(deploy("staging", { run: { id: "run-1", calls: 1 } }));
    await e2.approvals.resolve(a.approval!, { approve: true, by: "olga" });
    expect((await e2.decide(deploy("staging", { run: { id: "run-1", calls: 2 } }))).effect).toBe("allow");
    await e2.close();
  });

  it("a grant made under an older policy authorises a call the new one sends to the same rule and groups, and no other", async () => {
    const dir = tempDir();
    const v1 = await engine(DEPLOY_V1, dir);
    const staging = await v1.decide(deploy("staging"));
    const prod = await v1.decide(deploy("production"));
    await v1.approvals.resolve(staging.approval!, { approve: true, by: "olga" });
    await v1.approvals.resolve(prod.approval!, { approve: true, by: "rita" });
    await v1.close();
    // The same store and secret (the key file beside it), a new policy.
    const v2 = await engine(DEPLOY_V2, dir);
    expect(v2.policyHash).not.toBe(v1.policyHash);
    const stagingAgain = await v2.decide(deploy("staging"));
    expect(stagingAgain).toMatchObject({ effect: "allow", decidedBy: "approval", approval: staging.approval });
    // v2 sends eu production deploys to oncall: rita's release-manager grant does not carry over.
    const prodAgain = await v2.decide(deploy("production"));
    expect(prodAgain).toMatchObject({ effect: "approve", approvers: ["oncall"] });
    expect(prodAgain.approval).not.toBe(prod.approval);
    await v2.close();
  });
});

describe("the call hash", () => {
  it("is keyed: the audit log's hash cannot be recomputed from a guess without the engine's secret", async () => {
    const dir = tempDir();
    const e = await engine(DEPLOY_V1, dir);
    const d = await e.decide(deploy("staging"));
    await e.close();
    const rec = records(join(dir, "deploy.pol.audit.jsonl")).find((r) => r["id"] === d.id)!;
    const hash = rec["callHash"] as string;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    // The old binding: plain SHA-256 over tool, args, agent and run.
    const guess = createHash("sha256").update(JSON.stringify({ agent: "ci-bot", args: { service: "api", version: "1.2.3" }, run: "run-1", tool: "deploy" })).digest("hex");
    expect(hash).not.toBe(guess);
    // The secret lives beside the store, not beside the log.
    expect(readFileSync(join(dir, "state.db.key"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it("engines on one store file share the secret, so one can use a grant the other requested", async () => {
    const dir = tempDir();
    const a = await engine(DEPLOY_V1, dir);
    const b = await Engine.load(await policy(DEPLOY_V1, "deploy.pol"), { store: join(dir, "state.db"), audit: join(dir, "b.jsonl"), clock: new FakeClock() });
    const req = await a.decide(deploy("staging"));
    await a.approvals.resolve(req.approval!, { approve: true, by: "olga" });
    expect((await b.decide(deploy("staging"))).effect).toBe("allow");
    await a.close();
    await b.close();
  });
});

describe("approvers see the call whole", () => {
  const BIG = `policy notes
tool note.send { body: string, to: list<string> }
approve note.send by "comms"
`;
  it("shows every character of a long argument, and env, ctx and roles", async () => {
    const dir = tempDir();
    const e = await engine(BIG, dir, "notes.pol");
    const body = "x".repeat(20_000) + "END";
    const d = await e.decide({ tool: "note.send", args: { body, to: ["a@acme.com"] }, agent: { id: "bot", roles: ["comms"] }, env: "prod", run: { id: "r" } });
    const a = (await e.approvals.get(d.approval!))!;
    expect(a.call).toEqual({ tool: "note.send", args: { body, to: ["a@acme.com"] }, agent: "bot", roles: ["comms"], env: "prod", run: "r" });
    await e.close();
  });

  it("refuses to send a call too large to show for approval, with a reason", async () => {
    const e = await engine(BIG, tempDir(), "notes.pol");
    const d = await e.decide({ tool: "note.send", args: { body: "y".repeat(300_000), to: [] }, agent: { id: "bot" } });
    expect(d).toMatchObject({ effect: "deny", decidedBy: "schema" });
    expect(d.reasons[0]).toMatch(/^the call is too large to show an approver in full \(\d+ characters; at most 262144\), so it cannot be sent for approval$/);
    expect(await e.approvals.list()).toEqual([]);
    await e.close();
  });
});

describe("approval requests", () => {
  it("record the policy hash and rule they were asked under", async () => {
    const e = await engine(DEPLOY_V1, tempDir());
    const d = await e.decide(deploy("staging"));
    expect(await e.approvals.get(d.approval!)).toMatchObject({ policyHash: e.policyHash, rule: "staging", groups: ["oncall"] });
    await e.close();
  });

  it("are capped per agent: a flood of requests is denied, saying why, until approvers catch up", async () => {
    const dir = tempDir();
    const c = await compileText(DEPLOY_V1, "deploy.pol");
    const e = await Engine.load(await WasmPolicy.fromBytes(c.wasm!), { store: join(dir, "state.db"), audit: join(dir, "a.jsonl"), clock: new FakeClock(), maxPendingPerAgent: 5 });
    const ask = (n: number, agent = "ci-bot") => e.decide({ ...deploy("staging"), args: { service: `svc${n}`, version: "1" }, agent: { id: agent, roles: [] } });
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await ask(i));
    expect(first.map((d) => d.effect)).toEqual(["approve", "approve", "approve", "approve", "approve"]);
    const over = await ask(5);
    expect(over).toMatchObject({ effect: "deny", decidedBy: "limit" });
    expect(over.reasons[0]).toBe("agent `ci-bot` already has 5 pending approvals, the most allowed; resolve or let some expire first");
    // The same call again reuses its pending request; another agent has its own cap.
    expect((await ask(0)).approval).toBe(first[0]!.approval);
    expect((await ask(5, "other-bot")).effect).toBe("approve");
    await e.approvals.resolve(first[0]!.approval!, { approve: false, by: "olga" });
    expect((await ask(5)).effect).toBe("approve");
    await e.close();
    await expect(Engine.load(await WasmPolicy.fromBytes(c.wasm!), { audit: false, maxPendingPerAgent: 0 })).rejects.toThrow("maxPendingPerAgent must be a whole number of 1 or more, got `0`");
  });
});

describe("the engine secret", () => {
  it("must be given when approvals live on a server: Engine.load refuses before connecting", async () => {
    const c = await compileText(DEPLOY_V1, "deploy.pol");
    const saved = process.env["POL_SECRET"];
    delete process.env["POL_SECRET"];
    try {
      for (const store of ["redis://127.0.0.1:1", { default: ":memory:", approvals: "postgres://pol@127.0.0.1:1/pol" }] as const) {
        await expect(Engine.load(await WasmPolicy.fromBytes(c.wasm!), { store, audit: false })).rejects.toThrow(
          "engines sharing approvals through a server must share the engine secret: pass `secret` or set POL_SECRET (hex, at least 16 bytes, e.g. from `openssl rand -hex 32`)",
        );
      }
      await expect(Engine.load(await WasmPolicy.fromBytes(c.wasm!), { audit: false, secret: "abcd" })).rejects.toThrow("engine secret in the `secret` option is too short");
    } finally {
      if (saved !== undefined) process.env["POL_SECRET"] = saved;
    }
  });
});
