// The console end to end in a real browser (Debian's chromium driven by playwright-core; no
// browser download) against `pol serve` started as the CLI runs it (bin/pol.js, from dist/):
// an agent's call waits; an approver signed in sees it appear without reloading and approves;
// the call proceeds; the run timeline shows it; a viewer's approve is refused; a pause from the
// console denies the next call. Screenshots of the queue and the timeline go to docs/console/
// with POL_UPDATE_SCREENSHOTS=1 (a temp dir otherwise). Without /usr/bin/chromium the suite
// skips with one line, or fails when POL_REQUIRE_BROWSER=1 (CI, after .ci/browser.sh).

import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../auth/secret.js";
import { ROOT, startCli, stopCli } from "./cli-serve.js";

const CHROMIUM = "/usr/bin/chromium";
const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const required = process.env["POL_REQUIRE_BROWSER"] === "1";
const present = existsSync(CHROMIUM);
if (!present && !required) console.log(`console e2e: skipped, ${CHROMIUM} is missing (apt-get install chromium, or .ci/browser.sh; POL_REQUIRE_BROWSER=1 makes this a failure)`);

const SHOTS = process.env["POL_UPDATE_SCREENSHOTS"] === "1" ? join(ROOT, "docs", "console") : mkdtempSync(join(tmpdir(), "pol-shots-"));
const T = 20_000;

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;

let dir: string;
let server: ChildProcess;
let url: string;
let browser: Browser;

const auth = (who: string) => ({ authorization: `Basic ${Buffer.from(`${who}:${who}-secret`).toString("base64")}` });
const agent = { id: "support-bot", roles: ["support"] };
const refund = (amount: number, customer: string, run = "run-e2e") => ({ tool: "stripe.refund", args: { amount, currency: "usd", customer }, agent, env: "production", run: { id: run } });

async function api(path: string, body?: unknown, who = "svc"): Promise<Record<string, unknown>> {
  const r = await fetch(url + path, { method: body === undefined ? "GET" : "POST", headers: auth(who), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return (await r.json()) as Record<string, unknown>;
}

async function signIn(who: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  await page.goto(`${url}/queue`);
  await page.fill("input[name=name]", who);
  await page.fill("input[name=secret]", `${who}-secret`);
  await Promise.all([page.waitForURL(`${url}/queue`, { timeout: T }), page.click("button[type=submit]")]);
  return page;
}

describe.skipIf(!present && !required)("the console in a browser", () => {
  beforeAll(async () => {
    if (!present) throw new Error(`POL_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: run .ci/browser.sh (apt-get install chromium)`);
    dir = mkdtempSync(join(tmpdir(), "pol-e2e-"));
    const users = ["users:"];
    for (const [name, role, groups] of [["alice", "approver", "[finance]"], ["vera", "viewer", "[]"], ["oscar", "operator", "[]"], ["svc", "agent", "[]"]] as const) {
      users.push(`  - { name: ${name}, roles: [${role}], groups: ${groups}, secret: "${await hashSecret(`${name}-secret`)}" }`);
    }
    writeFileSync(join(dir, "users.yaml"), users.join("\n") + "\n");
    ({ child: server, url } = await startCli(["--policy", join(ROOT, "examples/support_agent/support_agent.pol"), "--store", "pol.db", "--audit", "audit.jsonl", "--users", "users.yaml", "--listen", "127.0.0.1:0", "--queue-poll", "3600"], dir));
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stopCli(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an approver sees a waiting call appear live, approves it, and the call proceeds; the run timeline shows it", async () => {
    const page = await signIn("alice");
    await page.waitForSelector("text=Nothing is waiting for a human.", { timeout: T });
    // The queue re-reads the store only hourly here (--queue-poll 3600), so a card that appears
    // came over server-sent events. A marker on the window: gone if the page reloads or navigates.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.waitForSelector("#queue[sse-connect], [sse-connect] #queue", { state: "attached", timeout: T });

    const first = await api("/v1/decide", refund(120, "cus_4411"));
    expect(first).toMatchObject({ effect: "approve", approvers: ["finance"] });
    const waiting = api(`/v1/approvals/${String(first.approval)}?waitMs=30000`);

    const card = page.locator(`article.approval[id="${String(first.approval)}"]`);
    await card.waitFor({ timeout: T });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await card.locator(".reasons").textContent()).toContain("refunds from $51 to $300 need finance sign-off");
    expect(await card.locator(".who-may").textContent()).toContain("finance");
    expect(await card.locator("pre").textContent()).toContain('"customer": "cus_4411"');
    expect(await card.locator(".left").textContent()).toMatch(/\d+m \d\ds left/);
    await page.screenshot({ path: join(SHOTS, "queue.png"), fullPage: true });

    await card.locator("input[name=note]").fill("matches ticket 4411");
    await card.locator("button.approve").click();
    await page.locator("#flash .flash.ok").waitFor({ timeout: T });
    expect(await page.locator("#flash").textContent()).toContain(`${String(first.approval)} approved by alice`);
    await page.locator("text=Nothing is waiting for a human.").waitFor({ timeout: T });

    expect(await waiting).toMatchObject({ status: "approved", resolvedBy: "alice", note: "matches ticket 4411" });
    const second = await api("/v1/decide", refund(120, "cus_4411"));
    expect(second).toMatchObject({ effect: "allow", decidedBy: "approval", approval: first.approval });
    expect(await api("/v1/outcome", { decision: second.id, tool: "stripe.refund", agent: "support-bot", run: "run-e2e", status: "succeeded", sideEffectId: "re_3PqX", durationMs: 84 })).toEqual({ recorded: true, trust: { changed: true } });

    await page.goto(`${url}/runs/run-e2e`);
    const rows = page.locator("table.timeline tbody tr");
    await page.waitForFunction(() => document.querySelectorAll("table.timeline tbody tr").length === 4, undefined, { timeout: T });
    const text = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, " "));
    expect(text[0]).toMatch(/decision stripe\.refund approve rule support_agent\.pol:18 .*µs|ms/);
    expect(text[1]).toMatch(/approval stripe\.refund approved .*by alice · “matches ticket 4411”/);
    expect(text[2]).toMatch(/decision stripe\.refund allow approval .*approved by alice/);
    expect(text[3]).toMatch(/outcome stripe\.refund succeeded .*84 ms.*side effect re_3PqX/);
    await page.screenshot({ path: join(SHOTS, "timeline.png"), fullPage: true });
  });

  it("a viewer sees the queue but cannot approve, even by posting the form herself", async () => {
    const pending = await api("/v1/decide", refund(200, "cus_77", "run-viewer"));
    const page = await signIn("vera");
    const card = page.locator(`article.approval[id="${String(pending.approval)}"]`);
    await card.waitFor({ timeout: T });
    expect(await card.locator("button.approve").count()).toBe(0);
    expect(await card.locator(".cannot").textContent()).toContain("`vera` (viewer) may not do this");
    const status = await page.evaluate(async (id) => {
      const headers = JSON.parse(document.body.getAttribute("hx-headers")!) as Record<string, string>;
      const r = await fetch(`/approvals/${id}/approve`, { method: "POST", headers: { ...headers, "hx-request": "true" } });
      return { status: r.status, text: await r.text() };
    }, String(pending.approval));
    expect(status.status).toBe(403);
    expect(status.text).toContain("approving needs the approver or admin role");
    expect(await api(`/v1/approvals/${String(pending.approval)}`, undefined, "vera")).toMatchObject({ status: "pending" });
  });

  it("a pause from the console denies the next call", async () => {
    expect(await api("/v1/decide", refund(20, "cus_1", "run-pause"))).toMatchObject({ effect: "allow" });
    const page = await signIn("oscar");
    await page.goto(`${url}/pauses`);
    await page.fill("form.pause input[name=pattern]", "stripe.*");
    await page.fill("form.pause input[name=reason]", "incident 7: duplicate refunds");
    await page.click("form.pause button[type=submit]");
    await page.locator("table.pauses").waitFor({ timeout: T });
    expect(await page.locator("table.pauses").textContent()).toContain("incident 7: duplicate refunds");
    const denied = await api("/v1/decide", refund(20, "cus_1", "run-pause"));
    expect(denied).toMatchObject({ effect: "deny", decidedBy: "pause" });
    expect((denied.reasons as string[])[0]).toMatch(/`stripe\.refund` is paused: incident 7: duplicate refunds .*by oscar/);
    await page.click("table.pauses button[type=submit]");
    await page.locator("text=Nothing is paused").waitFor({ timeout: T });
    expect(await api("/v1/decide", refund(20, "cus_1", "run-pause"))).toMatchObject({ effect: "allow" });
  });
});

if (SHOTS.startsWith(tmpdir())) afterAll(() => rmSync(SHOTS, { recursive: true, force: true }));
else mkdirSync(SHOTS, { recursive: true });
