// `pol mcp` end to end, over both transports: the SDK's own Client talks to the real gateway
// process (bin/pol.js) in front of a real SDK McpServer (fixtures/server.mjs), deciding with the
// compiled fixture policy on a SQLite store. Allow, deny (the upstream never runs the call),
// approve without elicitation (resolved with `pol approvals`, then retried) and with it (the
// client's answer approves or rejects), everything else relayed (resources, prompts, the server's
// own elicitation, progress), identity per connection, schema drift (the tool is paused),
// upstream crash and timeout (error results, no hang), a signed bundle with --verify-key; the
// audit chain verifies afterwards.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildBundle } from "../../../bundle/build.js";
import { generateKeyPair } from "../../../bundle/sign.js";
import { verifyAudit } from "../../../runtime/index.js";
import { records } from "../../../runtime/test/helpers.js";
import { pol, POLICY, startGateway, textOf, type Gw, type Kind } from "./harness.js";

const refund = (amount: number) => ({ name: "refund", arguments: { amount, customer: "cus_1" } });
const approvalId = (text: string) => /approval `(apr_\w+)` is pending/.exec(text)?.[1];

async function finish(g: Gw): Promise<Record<string, unknown>[]> {
  await g.close();
  const v = await verifyAudit(g.audit);
  expect(v.ok, JSON.stringify(v)).toBe(true);
  return records(g.audit);
}

describe.each<Kind>(["stdio", "http"])("pol mcp over %s", (kind) => {
  it("forwards what the policy allows and answers a deny with its reasons, never running the call", async () => {
    const g = await startGateway({ kind });
    expect((await g.client.listTools()).tools.map((t) => t.name)).toContain("refund");
    const ok = await g.client.callTool(refund(20));
    expect(ok.isError).toBeFalsy();
    expect(textOf(ok)).toBe("refunded 20 to cus_1");
    const denied = await g.client.callTool(refund(500));
    expect(denied).toMatchObject({ isError: true, content: [{ type: "text", text: "pol: refunds over 300 are never automatic" }] });
    expect(g.calls()).toEqual([{ name: "refund", args: { amount: 20, customer: "cus_1" } }]);
    const log = await finish(g);
    const decisions = log.filter((r) => r["type"] === "decision");
    expect(decisions.map((r) => [r["effect"], r["rule"]])).toEqual([["allow", "small"], ["deny", "big"]]);
    // The client's name is the agent; the run is the session.
    expect(decisions[0]).toMatchObject({ agent: "test-client", tool: "refund" });
    expect(typeof decisions[0]!["run"]).toBe("string");
    expect(log.find((r) => r["type"] === "outcome")).toMatchObject({ status: "succeeded", tool: "refund", decision: decisions[0]!["id"] });
  });

  it("names a pending approval an approver resolves with `pol approvals`, after which a retry goes through", async () => {
    const g = await startGateway({ kind });
    const first = await g.client.callTool(refund(120));
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/^pol: `refund` needs approval \(refunds over 50 need a person\); approval `apr_\w+` is pending: an approver runs `pol approvals approve apr_\w+ --store .*pol\.db`, then call the tool again with the same arguments$/);
    const id = approvalId(textOf(first))!;
    // A retry before anyone decides names the same approval and runs nothing.
    expect(approvalId(textOf(await g.client.callTool(refund(120))))).toBe(id);
    expect(g.calls()).toEqual([]);
    const approved = await pol(["approvals", "approve", id, "--store", g.store, "--by", "alice"]);
    expect(approved.code, approved.err).toBe(0);
    const retry = await g.client.callTool(refund(120));
    expect(textOf(retry)).toBe("refunded 120 to cus_1");
    expect(g.calls()).toHaveLength(1);
    const log = await finish(g);
    expect(log.filter((r) => r["type"] === "decision").map((r) => `${r["effect"]}:${r["decidedBy"]}`)).toEqual(["approve:rule", "approve:rule", "allow:approval"]);
  });

  it("asks the person through elicitation when the client offers it: approve runs the call, reject denies it", async () => {
    const answers = ["approve", "reject"];
    const messages: string[] = [];
    const g = await startGateway({ kind, elicit: (message) => {
      messages.push(message);
      return { action: "accept", content: { decision: answers.shift()!, note: "checked the ticket" } };
    } });
    expect(textOf(await g.client.callTool(refund(130)))).toBe("refunded 130 to cus_1");
    const rejected = await g.client.callTool(refund(140));
    expect(rejected.isError).toBe(true);
    expect(textOf(rejected)).toMatch(/^pol: approval `apr_\w+` was rejected by test-client user \(elicitation\): checked the ticket$/);
    expect(messages[0]).toContain("the agent wants to call `refund`, which needs approval: refunds over 50 need a person");
    expect(messages[0]).toContain('"amount": 130');
    expect(g.calls().map((c) => c.args["amount"])).toEqual([130]);
    const log = await finish(g);
    expect(log.filter((r) => r["type"] === "admin" && String(r["event"]).startsWith("approval.")).map((r) => r["event"])).toEqual(["approval.approved", "approval.rejected"]);
  });

  it("never forwards a call the client cancelled while a person was asked about it; one cancelled once forwarded is audited as maybe run", async () => {
    let asked = 0;
    const g = await startGateway({ kind, elicit: async () => {
      asked++;
      await new Promise((r) => setTimeout(r, 1500)); // the person answers after the client gave up
      return { action: "accept", content: { decision: "approve" } };
    } });
    // The SDK cancels a request it stops waiting for (notifications/cancelled).
    await expect(g.client.callTool(refund(120), undefined, { timeout: 300 })).rejects.toThrow(/timed out/i);
    await new Promise((r) => setTimeout(r, 2000));
    expect(asked).toBe(1);
    expect(g.calls()).toEqual([]);
    // A call cancelled once it was forwarded: the upstream may have run it, and the log says so.
    await expect(g.client.callTool({ name: "sleep", arguments: { ms: 800 } }, undefined, { timeout: 300 })).rejects.toThrow(/timed out/i);
    await new Promise((r) => setTimeout(r, 1000));
    const log = await finish(g);
    const outcomes = log.filter((r) => r["type"] === "outcome");
    expect(outcomes.map((r) => [r["tool"], r["status"]])).toEqual([["sleep", "failed"]]);
    expect(outcomes[0]!["error"]).toMatch(/^the client cancelled the call \(.*\) after it was forwarded; the upstream may have run it$/);
    // The approval the person was asked about stays pending: nothing consumed it.
    const decisions = log.filter((r) => r["type"] === "decision" && r["tool"] === "refund");
    expect(decisions.map((r) => r["effect"])).toEqual(["approve"]);
  });

  it("pauses a tool whose definition changed mid-session, so the Engine denies its calls", async () => {
    const g = await startGateway({ kind });
    expect(textOf(await g.client.callTool({ name: "lookup", arguments: { id: "c1" } }))).toBe("customer c1");
    expect(textOf(await g.client.callTool({ name: "drift", arguments: {} }))).toBe("drifted");
    const after = await g.client.callTool({ name: "lookup", arguments: { id: "c1" } });
    expect(after.isError).toBe(true);
    expect(textOf(after)).toMatch(/^pol: `lookup` is paused: the upstream MCP server changed the definition \(description or input schema\) of `lookup` since the gateway pinned it at .*\(pause-\w+, pausing `lookup`, by pol mcp\)$/);
    expect(textOf(await g.client.callTool({ name: "echo", arguments: { text: "still fine" } }))).toBe("still fine");
    expect(g.calls().filter((c) => c.name === "lookup")).toHaveLength(1);
    const log = await finish(g);
    expect(log.some((r) => r["event"] === "pause" && r["pattern"] === "lookup")).toBe(true);
    expect(log.filter((r) => r["type"] === "decision" && r["tool"] === "lookup").map((r) => r["decidedBy"])).toEqual(["rule", "pause"]);
  });
});

describe.each<Kind>(["stdio", "http"])("pol mcp relays everything else over %s", (kind) => {
  it("resources, prompts, the server's own elicitation and its progress notifications", async () => {
    const g = await startGateway({ kind, elicit: () => ({ action: "accept", content: { name: "ada" } }) });
    expect((await g.client.listResources()).resources.map((r) => r.uri)).toEqual(["fixture://greeting"]);
    expect((await g.client.readResource({ uri: "fixture://greeting" })).contents).toEqual([{ uri: "fixture://greeting", text: "hello" }]);
    expect((await g.client.getPrompt({ name: "review", arguments: { topic: "pol" } })).messages).toEqual([{ role: "user", content: { type: "text", text: "review pol" } }]);
    expect(textOf(await g.client.callTool({ name: "ask", arguments: {} }))).toBe("hello ada");
    const progress: number[] = [];
    const counted = await g.client.callTool({ name: "count", arguments: { steps: 3 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    expect(textOf(counted)).toBe("counted 3");
    expect(progress).toEqual([1, 2, 3]);
    await finish(g);
  });
});

describe("pol mcp identity and failures", () => {
  it("takes the agent from the X-Pol-Agent header (HTTP), and from --agent over anything", async () => {
    const g = await startGateway({ kind: "http", agentHeader: "billing-bot" });
    await g.client.callTool(refund(10));
    expect((await finish(g)).find((r) => r["type"] === "decision")).toMatchObject({ agent: "billing-bot" });
    const h = await startGateway({ kind: "stdio", flags: ["--agent", "ops-bot", "--env", "production"] });
    await h.client.callTool(refund(10));
    expect((await finish(h)).find((r) => r["type"] === "decision")).toMatchObject({ agent: "ops-bot", env: "production" });
  });

  it("does not elicit approvals for a group the person is not declared in, unless --elicit-groups says so", async () => {
    let asked = 0;
    const elicit = () => {
      asked++;
      return { action: "accept" as const, content: { decision: "approve" } };
    };
    const g = await startGateway({ kind: "stdio", elicit });
    expect(textOf(await g.client.callTool({ name: "payout", arguments: { amount: 5 } }))).toMatch(/approval `apr_\w+` is pending/);
    expect(asked).toBe(0);
    await finish(g);
    const h = await startGateway({ kind: "stdio", elicit, flags: ["--elicit-groups", "finance"] });
    expect(textOf(await h.client.callTool({ name: "payout", arguments: { amount: 5 } }))).toBe("paid out 5");
    expect(asked).toBe(1);
    await finish(h);
  });

  it("answers an upstream that exits mid-call with error results, then keeps answering (stdio)", async () => {
    const g = await startGateway({ kind: "stdio" });
    const r = await g.client.callTool({ name: "crash", arguments: {} });
    expect(r).toMatchObject({ isError: true, content: [{ text: "pol: the upstream MCP server closed the connection (it exited or was stopped)" }] });
    expect(textOf(await g.client.callTool(refund(10)))).toBe("pol: the upstream MCP server closed the connection (it exited or was stopped)");
    await expect(g.client.listTools()).rejects.toThrow(/pol gateway: the upstream MCP server closed the connection/);
    const log = await finish(g);
    expect(log.find((r) => r["type"] === "outcome")).toMatchObject({ tool: "crash", status: "failed" });
  });

  it("answers calls in flight when an HTTP upstream dies with error results, not a hang", async () => {
    const g = await startGateway({ kind: "http", flags: ["--timeout", "120000"] });
    // The first progress notification arrives on the call's response stream: it is open upstream.
    let streaming: () => void = () => {};
    const open = new Promise<void>((r) => (streaming = r));
    const pending = g.client.callTool({ name: "sleep", arguments: { ms: 60_000 } }, undefined, { timeout: 100_000, onprogress: () => streaming() });
    await open;
    g.upstream!.kill("SIGKILL");
    const r = await pending;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^pol: the upstream MCP server's response stream broke \(.+\); it may have crashed$/);
    const next = await g.client.callTool({ name: "echo", arguments: { text: "x" } });
    expect(textOf(next)).toMatch(/^pol: the upstream MCP server could not be reached: /);
    await finish(g);
  });

  it("answers every request with the reason when the server command cannot start", async () => {
    const g = startGateway({ kind: "stdio", upstream: ["/nonexistent/mcp-server"] });
    await expect(g).rejects.toThrow(/pol gateway: the upstream MCP server could not be started: spawn \/nonexistent\/mcp-server ENOENT/);
  });

  it("stops on SIGTERM, closing the upstream and flushing the audit log", async () => {
    const g = await startGateway({ kind: "stdio" });
    await g.client.callTool(refund(10));
    await g.signal("SIGTERM");
    expect((await verifyAudit(g.audit)).ok).toBe(true);
    expect(records(g.audit).filter((r) => r["type"] === "decision")).toHaveLength(1);
  });

  it("lets a call in flight finish when the HTTP gateway is stopped (SIGTERM), then closes", async () => {
    const g = await startGateway({ kind: "http" });
    let streaming: () => void = () => {};
    const open = new Promise<void>((r) => (streaming = r));
    const pending = g.client.callTool({ name: "sleep", arguments: { ms: 1500 } }, undefined, { onprogress: () => streaming() });
    await open;
    const exited = new Promise((r) => g.gateway!.once("exit", (code) => r(code)));
    g.gateway!.kill("SIGTERM");
    expect(textOf(await pending)).toBe("slept 1500");
    expect(await exited).toBe(0);
    const log = await finish(g);
    expect(log.find((x) => x["type"] === "outcome" && x["tool"] === "sleep")).toMatchObject({ status: "succeeded" });
  });

  it("answers a request the upstream does not answer in time with an error, and cancels it upstream", async () => {
    // Long enough for the upstream to start and answer initialize on a loaded machine.
    const g = await startGateway({ kind: "stdio", flags: ["--timeout", "5000"] });
    const r = await g.client.callTool({ name: "sleep", arguments: { ms: 60_000 } });
    expect(r).toMatchObject({ isError: true, content: [{ text: "pol: the upstream MCP server did not answer within 5s" }] });
    expect(textOf(await g.client.callTool({ name: "echo", arguments: { text: "next" } }))).toBe("next");
    // The gateway told the upstream to stop (notifications/cancelled aborts the handler's signal).
    while (!g.calls().some((c) => c.name === "cancelled")) await new Promise((r) => setTimeout(r, 20));
    const log = await finish(g);
    expect(log.find((x) => x["type"] === "outcome" && x["tool"] === "sleep")).toMatchObject({ status: "failed", error: "the upstream MCP server did not answer within 5s" });
  });

  it("serves a signed bundle with --verify-key, naming its signer in the audit, and refuses a tampered one", async () => {
    const keys = generateKeyPair();
    const built = await buildBundle(POLICY, { signKey: keys.privateKey, test: false });
    let paths: { bundle: string; pub: string } | undefined;
    const g = await startGateway({
      kind: "stdio",
      policy: async (dir) => {
        paths = { bundle: join(dir, "gateway.polb"), pub: join(dir, "release.pub.pem") };
        writeFileSync(paths.bundle, built.bytes);
        writeFileSync(paths.pub, keys.publicKey);
        return paths.bundle;
      },
      flags: ["--verify-key", join("{dir}", "release.pub.pem")],
    });
    expect(textOf(await g.client.callTool(refund(20)))).toBe("refunded 20 to cus_1");
    const log = await finish(g);
    expect(log.find((r) => r["event"] === "engine.start")).toMatchObject({ signer: built.signer, bundle: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const tampered = Buffer.from(built.bytes);
    tampered[tampered.length - 40]! ^= 1;
    writeFileSync(paths!.bundle, tampered);
    const r = await pol(["mcp", "--policy", paths!.bundle, "--verify-key", paths!.pub, "--audit", join(g.dir, "b.jsonl"), "--", "node"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: `.*gateway\.polb`: /);
  });

  it("exits 2 with the fix when started wrong", async () => {
    expect(await pol(["mcp", "--", "node", "x.mjs"])).toMatchObject({ code: 2, err: "error: name the policy with --policy <file.wasm|file.pol|bundle.polb>\n" });
    expect((await pol(["mcp", "--policy", "p.wasm", "--store", "s.db"])).err).toMatch(/name the upstream MCP server: a command after `--` \(pol mcp ... -- node server.js\) or --upstream <url>/);
    expect((await pol(["mcp", "--policy", "p.wasm", "--", "node"])).err).toMatch(/name the audit log with --audit/);
    expect((await pol(["mcp", "--policy", "p.wasm", "--listen", "nope", "--", "node"])).err).toMatch(/expected HOST:PORT/);
  });
});
