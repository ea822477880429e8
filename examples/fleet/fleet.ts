// The example fleet: replicas of one service (replica.ts), each a process with its own Engine, on
// one Redis and one PostgreSQL, plus an operator using the `pol` command line against the same
// servers. Shows a shared refund budget, an approval asked in one replica and granted from the
// command line, a kill switch thrown for every replica, and one verified audit chain.
// Run: npx tsx examples/fleet/fleet.ts <redis url> <postgres url>   (tested by fleet.test.ts,
// which starts both servers itself)

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { compilePolicy } from "../../compiler/index.js";
import { loadFile } from "../../language/load.js";
import type { ReplicaConfig } from "./replica.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Runs `pol <argv>` in this process and returns what it printed. */
async function pol(argv: string[]): Promise<string> {
  let out = "";
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (out += s), stdin: async () => "", colorOut: false, colorErr: false };
  const code = await main(argv, io);
  if (code !== 0) throw new Error(`pol ${argv[0]} exited ${code}: ${out}`);
  return out.trim();
}

interface Child { lines: Promise<Record<string, unknown>[]>; next: () => Promise<Record<string, unknown>> }

/** Starts a replica; `next()` resolves with each JSON line it prints, in order. */
function replica(c: ReplicaConfig): Child {
  const p = spawn(process.execPath, ["--import", "tsx", join(here, "replica.ts"), JSON.stringify(c)], { cwd: join(here, "../.."), stdio: ["ignore", "pipe", "pipe"] });
  const seen: Record<string, unknown>[] = [];
  const waiting: ((l: Record<string, unknown>) => void)[] = [];
  let buf = "";
  let err = "";
  let read = 0;
  p.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      seen.push(line);
      waiting.shift()?.(line);
    }
  });
  p.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const lines = new Promise<Record<string, unknown>[]>((res, rej) => p.on("close", (code) => (code === 0 ? res(seen) : rej(new Error(`replica ${c.name} exited ${code}: ${err}`)))));
  return {
    lines,
    next: () => (read < seen.length ? Promise.resolve(seen[read++]!) : new Promise((res) => waiting.push((l) => { read++; res(l); }))),
  };
}

export interface FleetRun { transcript: string[]; verify: string }

export async function runFleet(redis: string, postgres: string, dir = mkdtempSync(join(tmpdir(), "pol-fleet-example-")), log: (line: string) => void = () => {}): Promise<FleetRun> {
  const transcript: string[] = [];
  const say = (line: string) => {
    transcript.push(line);
    log(line);
  };
  // Every replica and the verifier share one audit key; in production it comes from a secret store.
  const keyFile = join(dir, "audit.key");
  writeFileSync(keyFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  const l = loadFile(join(here, "fleet.pol"));
  const compiled = l.checked && (await compilePolicy(l.checked, l.sink));
  if (!compiled) throw new Error("fleet.pol does not compile");
  const wasm = join(dir, "fleet.wasm");
  writeFileSync(wasm, compiled.wasm);
  const base = { wasm, redis, postgres, keyFile, secret: randomBytes(32).toString("hex") };

  // 1. A replica asks for a $500 refund; finance approves it from the command line; the replica,
  //    waiting, wakes at once and its retry goes through.
  const asker = replica({ ...base, name: "a", mode: "approval" });
  const asked = await asker.next();
  say(`replica a: refund $500 -> ${String(asked["effect"])}: ${String(asked["reason"])}`);
  await pol(["approvals", "approve", String(asked["approval"]), "--group", "finance", "--store", postgres, "--by", "ana@finance"]);
  say(`operator: pol approvals approve ${String(asked["approval"]).replace(/_\w+$/, "_…")} --group finance --store postgres://… --by ana@finance`);
  const retried = await asker.next();
  say(`replica a: woke (${String(retried["approval"])} by ${String(retried["by"])}), retry -> ${String(retried["retry"])} (${String(retried["decidedBy"])})`);
  await asker.lines;

  // 2. Three replicas ask for 30 refunds of $10 each: the $1,000 daily budget, $500 of it used by
  //    the approved refund, admits exactly 50 of the 90 between them.
  const workers = ["b", "c", "d"].map((name) => replica({ ...base, name, mode: "refunds", count: 30, amount: 10 }));
  const tallies = (await Promise.all(workers.map((w) => w.lines))).map((ls) => ls[0]!);
  const allowed = tallies.reduce((n, t) => n + Number(t["allowed"] ?? 0), 0);
  const limited = tallies.reduce((n, t) => n + Number(t["limit"] ?? 0), 0);
  say(`replicas b, c, d: 90 refunds of $10 -> ${allowed} allowed ($${allowed * 10}), ${limited} denied by the shared limit`);
  const why = Object.keys(tallies.find((t) => t["limit"]) ?? {}).find((k) => k.startsWith("why: "));
  if (why) say(`  ${why.slice(5)}`);

  // 3. The kill switch, thrown once from the command line, holds in every replica.
  await pol(["pause", "refund", "--store", redis, "--reason", "refund fraud under investigation", "--by", "sec-oncall"]);
  say("operator: pol pause refund --store redis://… --reason \"refund fraud under investigation\"");
  const paused = (await replica({ ...base, name: "e", mode: "refunds", count: 1, amount: 10 }).lines)[0]!;
  say(`replica e: refund $10 -> ${paused["pause"] ? "denied (pause)" : "allowed"}: ${String(Object.keys(paused).find((k) => k.startsWith("why: "))?.slice(5))}`);
  await pol(["resume", "refund", "--store", redis]);

  // 4. Every replica's decisions are in one chain, and it verifies.
  const verify = await pol(["audit", "verify", postgres, "--key-file", keyFile]);
  say(`operator: pol audit verify postgres://… -> ${verify}`);
  return { transcript, verify };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [redis, postgres] = process.argv.slice(2);
  if (!redis || !postgres) {
    process.stderr.write("usage: npx tsx examples/fleet/fleet.ts <redis url> <postgres url>\n");
    process.exit(2);
  }
  await runFleet(redis, postgres, undefined, (line) => process.stdout.write(`${line}\n`));
}
