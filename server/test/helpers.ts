// Scaffolding for the server tests: a real `pol serve` (startServer) on a loopback port over the
// engine tests' shop policy, a real SQLite store and JSONL log in a temp dir, and a users file
// with one principal per role; clients for the API (HTTP Basic) and the console (a signed-in
// cookie session with its CSRF token). Not a test itself.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashSecret } from "../auth/secret.js";
import { startServer, type RunningServer, type ServeConfig } from "../serve.js";
import { SHOP, wasmFile } from "../../runtime/test/helpers.js";

/** name → [roles, groups, agents]; every secret is `<name>-secret`. */
export const PEOPLE = {
  ada: [["admin"], [], []],
  alice: [["approver"], ["finance"], []],
  olga: [["approver"], ["ops"], []],
  // Runs agent `Bot`: may never approve requests of `bot` (names compare ignoring case).
  bob: [["approver"], ["finance"], ["Bot"]],
  oscar: [["operator"], [], []],
  vera: [["viewer"], [], []],
  svc: [["agent"], [], ["bot"]],
  // A service for any agent: sends the calls the approval tests resolve.
  fleet: [["agent"], [], []],
} as const;
export type Person = keyof typeof PEOPLE;

let usersYaml: Promise<string> | undefined;

/** The users file text (hashing is slow on purpose, so it is done once per test file). */
function users(): Promise<string> {
  usersYaml ??= (async () => {
    const lines = ["users:"];
    for (const [name, [roles, groups, agents]] of Object.entries(PEOPLE)) {
      lines.push(`  - name: ${name}`, `    roles: [${roles.join(", ")}]`, `    groups: [${groups.join(", ")}]`, `    agents: [${agents.join(", ")}]`, `    secret: "${await hashSecret(`${name}-secret`)}"`);
    }
    return lines.join("\n") + "\n";
  })();
  return usersYaml;
}

export interface Served extends RunningServer {
  dir: string;
  audit: string;
  api(path: string, opts?: { as?: Person | null; method?: string; body?: unknown; raw?: BodyInit; headers?: Record<string, string> }): Promise<Response>;
}

export async function serve(cfg: Partial<ServeConfig> = {}): Promise<Served> {
  // Not the engine helpers' tempDir: that one is emptied after each test, and a server lives for a whole file.
  const dir = mkdtempSync(join(tmpdir(), "pol-serve-"));
  const usersFile = join(dir, "users.yaml");
  writeFileSync(usersFile, await users());
  const audit = join(dir, "audit.jsonl");
  const running = await startServer({ policy: await wasmFile(SHOP, dir), store: join(dir, "state.db"), audit, listen: "127.0.0.1:0", users: usersFile, ...cfg });
  const api: Served["api"] = (path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const as = o.as === undefined ? "ada" : o.as;
    if (as) headers["authorization"] = `Basic ${Buffer.from(`${as}:${as}-secret`).toString("base64")}`;
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    return fetch(running.url + path, { method: o.method ?? (body === undefined ? "GET" : "POST"), headers, ...(body !== undefined ? { body } : {}) });
  };
  const close = running.close;
  return Object.assign(running, { dir, audit, api, close: () => close().finally(() => rmSync(dir, { recursive: true, force: true })) });
}

/** A call of the shop policy: refunds up to 50 allowed, 51–300 need finance, above denied. */
export const refundCall = (amount: number, agent = "bot", run = "run-1") => ({ tool: "refund", args: { amount, customer: "cus_1" }, agent: { id: agent }, run: { id: run } });

/** A console session: the cookie and CSRF token of a signed-in person, and a fetch that sends them. */
export interface ConsoleClient {
  csrf: string;
  cookie: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, form: Record<string, string>, opts?: { csrf?: string | null; origin?: string; htmx?: boolean }): Promise<Response>;
}

const cookieOf = (r: Response, name: string) => r.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.startsWith(`${name}=`));

/** One post of the sign-in form, with its login cookie and CSRF token, as a browser sends it. */
export async function signInAttempt(s: Served, name: string, secret: string): Promise<Response> {
  const page = await fetch(`${s.url}/login`);
  const login = cookieOf(page, "pol_login")!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return fetch(`${s.url}/login`, {
    method: "POST", redirect: "manual", headers: { cookie: login, "content-type": "application/x-www-form-urlencoded", origin: s.url },
    body: new URLSearchParams({ _csrf: token, name, secret, next: "/queue" }),
  });
}

export async function signIn(s: Served, who: Person): Promise<ConsoleClient> {
  const r = await signInAttempt(s, who, `${who}-secret`);
  if (r.status !== 303) throw new Error(`sign-in as ${who} failed: ${r.status} ${await r.text()}`);
  const cookie = cookieOf(r, "pol_session")!;
  const queue = await (await fetch(`${s.url}/queue`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(queue)![1]!;
  return {
    csrf, cookie,
    get: (path, headers = {}) => fetch(s.url + path, { redirect: "manual", headers: { cookie, ...headers } }),
    post: (path, form, o = {}) => fetch(s.url + path, {
      method: "POST", redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: o.origin ?? s.url, ...(o.htmx ? { "hx-request": "true" } : {}) },
      body: new URLSearchParams({ ...form, ...(o.csrf === null ? {} : { _csrf: o.csrf ?? csrf }) }),
    }),
  };
}
