// The server side of suite 7, in its own process so the load generator does not share its event
// loop: `sqlite` and `memory` run `pol serve` (startServer, from the sources, with the GC setting
// and the helper-thread priority of the `pol serve` command; the peers get the same priority) on
// the support_agent example with that state store and the JSONL audit log, re-verified every minute
// as `pol serve` does by default (since that check left the main thread; before, the suite set it to
// an hour so the check would not land in a round); `floor` is a plain node:http server that parses the JSON body and answers a fixed
// decision, the HTTP floor pol's figures are compared with; `work`
// is the floor spending the microseconds given after it of CPU per request (a busy loop that
// allocates nothing): how much work per request this machine tolerates at the target rate.
// Prints one JSON line {url, authorization} on stdout, then serves until killed.

import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyServeGc } from "../../server/gc.js";
import { startServer } from "../../server/serve.js";
import { lowerHelperThreads } from "../../server/threads.js";
import { EXAMPLE } from "../suites/bare.js";

const mode = process.argv[2];
if (mode === "floor" || mode === "work") {
  const workMs = mode === "work" ? Number(process.argv[3]) / 1000 : 0;
  const answer = JSON.stringify({ id: "x", effect: "allow", decidedBy: "rule", rule: "r", reasons: ["allowed"], approvers: [], trust: 100, policyHash: "h", latencyUs: 1 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const end = performance.now() + workMs; performance.now() < end; );
      res.writeHead(200, { "content-type": "application/json" }).end(answer);
    });
  });
  server.listen(0, "127.0.0.1", async () => {
    await lowerHelperThreads(); // as pol serve does: the peers get the same thread priorities
    const a = server.address() as { port: number };
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${a.port}`, authorization: "" }) + "\n");
  });
} else {
  applyServeGc(); // as `pol serve` does
  const dir = mkdtempSync(join(tmpdir(), "pol-bench-serve-"));
  const r = await startServer({ policy: EXAMPLE, store: mode === "memory" ? ":memory:" : join(dir, "pol.db"), audit: join(dir, "audit.jsonl"), listen: "127.0.0.1:0" });
  await lowerHelperThreads(); // as `pol serve` does
  process.stdout.write(JSON.stringify({ url: r.url, authorization: `Basic ${Buffer.from(`admin:${r.adminSecret}`).toString("base64")}` }) + "\n");
  // the store and the audit log (~45 MB a suite) go with the server
  process.on("SIGTERM", () => void r.close().then(() => rmSync(dir, { recursive: true, force: true })).finally(() => process.exit(0)));
}
