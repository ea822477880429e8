// Stopping `pol serve` under load (server/drain.ts): the requests in flight are answered and
// audited, none is decided and then cut, an approval long-poll answers at once with the approval
// as it stands, and a connection still busy at the deadline is cut and counted.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SHOP, wasmFile } from "../../runtime/test/helpers.js";
import { startServer, type RunningServer } from "../serve.js";
import { refundCall } from "./helpers.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function start(drainMs?: number): Promise<{ s: RunningServer; auth: string; audit: string }> {
  dir = mkdtempSync(join(tmpdir(), "pol-drain-"));
  const audit = join(dir, "audit.jsonl");
  const s = await startServer({ policy: await wasmFile(SHOP, dir), store: join(dir, "state.db"), audit, listen: "127.0.0.1:0", ...(drainMs !== undefined ? { drainMs } : {}) });
  return { s, auth: `Bearer admin:${s.adminSecret}`, audit };
}

/** POST /v1/decide on a keep-alive connection: the decision id, or the error the client saw. */
function decide(url: string, agent: Agent, auth: string, amount: number): Promise<{ id?: string; error?: string }> {
  return new Promise((done) => {
    const req = request(`${url}/v1/decide`, { method: "POST", agent, headers: { authorization: auth, "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => done(res.statusCode === 200 ? { id: (JSON.parse(text) as { id: string }).id } : { error: `HTTP ${res.statusCode}` }));
      res.on("error", (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    req.end(JSON.stringify(refundCall(amount)));
  });
}

describe("stopping pol serve", () => {
  it("answers the decisions in flight and audits exactly those; a long-poll answers at once, still pending", async () => {
    const { s, auth, audit } = await start();
    const pending = await (await fetch(`${s.url}/v1/decide`, { method: "POST", headers: { authorization: auth }, body: JSON.stringify(refundCall(120)) })).json() as { approval: string };
    const poll = fetch(`${s.url}/v1/approvals/${pending.approval}?waitMs=60000`, { headers: { authorization: auth } });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const answered: string[] = [];
    const errors: string[] = [];
    let stop = false;
    // Clients keep sending until the server stops taking connections (ECONNREFUSED ends a loop).
    const loops = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const r = await decide(s.url, agent, auth, 10);
        if (r.id) answered.push(r.id);
        else if (r.error === "ECONNREFUSED") return;
        else errors.push(r.error!);
      }
    });
    while (answered.length < 200) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    const closing = s.close();
    const polled = await poll;
    const pollMs = performance.now() - t0;
    expect(await closing).toEqual({ cut: 0 });
    stop = true;
    await Promise.all(loops);
    agent.destroy();

    expect(polled.status).toBe(200);
    expect(await polled.json()).toMatchObject({ id: pending.approval, status: "pending" });
    expect(pollMs).toBeLessThan(10_000); // answered by the drain, not by its deadline or the 60 s wait
    const decided = readFileSync(audit, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; id: string }).filter((r) => r.type === "decision" && r.id !== undefined);
    const logged = new Set(decided.map((r) => r.id));
    // Every answer is in the log, and every decision in the log (but the pending one) was answered: none decided and then cut.
    expect(answered.filter((id) => !logged.has(id))).toEqual([]);
    expect(decided.length).toBe(answered.length + 1);
    // Nobody was reset: answers in flight went out with `Connection: close`, and a request sent on
    // an idle keep-alive connection during the drain was answered the same way.
    expect(errors).toEqual([]);
  }, 60_000);

  it("cuts a connection still busy at the deadline, and says how many it cut", async () => {
    const { s, auth } = await start(300);
    // A request whose body never finishes: in flight for as long as the client likes.
    const sock = connect(Number(new URL(s.url).port), "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.write(`POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tool":`);
    const ended = new Promise((r) => sock.once("close", r));
    sock.resume(); // read, so the socket sees the server's close
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    expect(await s.close()).toEqual({ cut: 1 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    await ended;
  });
});
