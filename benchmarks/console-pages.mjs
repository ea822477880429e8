// What a console page costs pol serve on a large audit log, per build: a log of N decisions is
// written through the build's own Engine (N/20 runs, 40 agents, one decision a simulated second),
// then a server of that build opens it and a signed-in admin loads each page twice. For each load:
// the wall time, and the CPU the server's main thread spent on it (from /proc, Linux only),
// which is what a page takes from the decisions the same thread answers. Builds are measured one
// after the other on logs made alike. Plain JavaScript against the builds (`node
// scripts/build.mjs --bench` first). Usage:
//   node benchmarks/console-pages.mjs [--dist=dist,/tmp/before/dist] [--records=100000]
// docs/console.md ("Run timelines and the audit log") quotes its figures.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const ROOT = new URL("..", import.meta.url).pathname;
const DISTS = arg("dist", "dist").split(",").map((d) => resolve(ROOT, d));
const RECORDS = Number(arg("records", 100_000));
const POLICY = join(ROOT, "examples/support_agent/support_agent.pol");
const PAGES = ["/runs", "/runs/run-7", "/agents", "/agents/bot-3", "/audit", "/audit/export?format=jsonl&from=2030-01-01T10:00&to=2030-01-01T11:00"];

/** CPU milliseconds of this process's main thread so far (its utime and stime, in 1/100 s). */
function mainThreadMs() {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

const call = (i) => ({
  tool: "stripe.refund", args: { amount: 5 + (i % 300), currency: "usd", customer: `cus_${i % 50}` },
  agent: { id: `bot-${i % 40}`, roles: ["support"], trust: 90 }, env: "production", run: { id: `run-${i % Math.max(1, Math.floor(RECORDS / 20))}`, calls: 1 },
});

const cookieOf = (r, name) => r.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith(`${name}=`));

async function measure(dist) {
  const { Engine } = await import(pathToFileURL(join(dist, "runtime/index.js")).href);
  const { startServer } = await import(pathToFileURL(join(dist, "server/serve.js")).href);
  const dir = mkdtempSync(join(tmpdir(), "pol-console-pages-"));
  const audit = join(dir, "audit.jsonl");
  try {
    const clock = { t: Date.UTC(2030, 0, 1), now() { return this.t; } };
    const engine = await Engine.load(POLICY, { store: ":memory:", audit, clock });
    for (let i = 0; i < RECORDS; i++) {
      clock.t += 1000;
      await engine.decide(call(i));
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    await engine.close();
    const s = await startServer({ policy: POLICY, store: join(dir, "pol.db"), audit, listen: "127.0.0.1:0", verifyEveryMs: 3_600_000 });
    try {
      const login = await fetch(`${s.url}/login`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())[1];
      const signedIn = await fetch(`${s.url}/login`, {
        method: "POST", redirect: "manual", headers: { cookie: cookieOf(login, "pol_login"), "content-type": "application/x-www-form-urlencoded", origin: s.url },
        body: new URLSearchParams({ _csrf: csrf, name: "admin", secret: s.adminSecret, next: "/queue" }),
      });
      const cookie = cookieOf(signedIn, "pol_session");
      for (const round of ["first", "again"]) {
        for (const p of PAGES) {
          const [t0, c0] = [performance.now(), mainThreadMs()];
          const r = await fetch(`${s.url}${p}`, { headers: { cookie } });
          const bytes = (await r.arrayBuffer()).byteLength;
          if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
          console.log(`${dist} ${round.padEnd(5)} ${p.padEnd(28).slice(0, 28)} ${String(Math.round(performance.now() - t0)).padStart(6)} ms, main thread ${String(mainThreadMs() - c0).padStart(5)} ms, ${bytes} bytes`);
        }
      }
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const d of DISTS) await measure(d);
