// The console's audit index (audit-index.ts, through audit-index-service.ts and audit-tail.ts)
// held to the linear readers of audit-read.ts, which define each view: random sealed logs written
// by the real JSONL writer, rotated into several files, read as they grow, with limits small
// enough that runs, agents and histories are dropped and come back; then a log rewritten under
// it; and the same questions through the index's own thread.

import { mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresAuditLog } from "../../runtime/audit/postgres.js";
import { asOwner, fleetServersReady, startPostgres, type PostgresServer } from "../../runtime/store/test/servers.js";
import { JsonlAuditLog } from "../../runtime/audit/jsonl.js";
import { chainFiles } from "../../runtime/audit/files.js";
import { agentHistory, latestRows, recentRuns, rowsBetween, runTimeline, seenAgents, type AuditRow } from "../audit-read.js";
import { Dropped, Recent } from "../audit-index.js";
import { IndexService, type ExportCursor, type IndexAnswer, type IndexQuery, type ServiceOptions } from "../audit-index-service.js";
import { AuditIndexThread } from "../audit-index-thread.js";
import { jsonlSource, parseRow, postgresSource, type AuditSource } from "../audit-source.js";
import { openTail } from "../audit-tail.js";
import { csvRow } from "../export.js";
import { refundCall, serve, signIn } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function logPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "pol-index-"));
  dirs.push(dir);
  return join(dir, "audit.jsonl");
}

/** A seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random records of every kind the views look at: decisions, errors, outcomes, approvals (with and without `run`), trust events, pauses. */
function records(seed: number, n: number, start: number): Record<string, unknown>[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const agents = Array.from({ length: 14 }, (_, i) => `agent-${i}`);
  const runs = Array.from({ length: 30 }, (_, i) => `run-${i}`);
  const approves: { id: string; approval: string; agent: string; run?: string }[] = [];
  const decisions: { id: string; agent?: string; run?: string }[] = [];
  const out: Record<string, unknown>[] = [];
  let t = start;
  for (let i = 0; i < n; i++) {
    // mostly forward in time, sometimes a little back (the clocks of a fleet's servers)
    t += Math.floor(r() * 5000) - (r() < 0.1 ? 8000 : 0);
    const time = new Date(t).toISOString();
    const agent = r() < 0.9 ? pick(agents) : undefined;
    const run = r() < 0.85 ? pick(runs) : undefined;
    const k = r();
    if (k < 0.55) {
      const effect = pick(["allow", "deny", "approve"] as const);
      const id = `dec-${seed}-${i}`;
      const d: Record<string, unknown> = { type: r() < 0.05 ? "error" : "decision", time, id, tool: pick(["refund", "email", "deploy"]), effect, decidedBy: "rule", reasons: [`reason ${i}`] };
      if (agent) d.agent = agent;
      if (run) d.run = run;
      if (effect === "approve") {
        d.approval = `ap-${seed}-${i}`;
        if (agent) approves.push({ id, approval: d.approval as string, agent, ...(run ? { run } : {}) });
      }
      decisions.push({ id, ...(agent ? { agent } : {}), ...(run ? { run } : {}) });
      out.push(d);
    } else if (k < 0.75 && decisions.length > 0) {
      const d = pick(decisions);
      const o: Record<string, unknown> = { type: "outcome", time, decision: d.id, tool: "refund", agent: d.agent ?? null, run: d.run ?? null, status: pick(["succeeded", "failed", "not-run"]) };
      if (r() < 0.5) o.trustDelta = 1;
      out.push(o);
    } else if (k < 0.85 && approves.length > 0) {
      const a = pick(approves);
      // logs written before approval records named their run: about half here
      out.push({ type: "admin", time, event: pick(["approval.approved", "approval.rejected"]), approval: a.approval, decision: a.id, tool: "refund", agent: a.agent, ...(a.run && r() < 0.5 ? { run: a.run } : {}), by: "alice" });
    } else if (k < 0.93) {
      out.push({ type: "admin", time, event: pick(["trust.report", "trust.restore"]), agent: pick(agents), by: "ops" });
    } else {
      out.push({ type: "admin", time, event: "pause", pattern: "*", reason: "test", by: "ops" });
    }
  }
  return out;
}

async function write(path: string, entries: Record<string, unknown>[], rotateBytes = 40_000): Promise<void> {
  const log = await JsonlAuditLog.open(path, { rotateBytes });
  for (const e of entries) log.append(e as never);
  await log.close();
}

/** Every record line of the chain as stored, parsed alongside. */
function storedLines(path: string): { line: string; row: AuditRow }[] {
  const out: { line: string; row: AuditRow }[] = [];
  for (const f of chainFiles(path)) {
    for (const line of readFileSync(f, "utf8").split("\n")) {
      const row = line === "" ? null : parseRow(line);
      if (row) out.push({ line, row });
    }
  }
  return out;
}

async function ask<K extends string>(s: { answer(q: IndexQuery): Promise<IndexAnswer> }, q: IndexQuery, key: K): Promise<Extract<IndexAnswer, Record<K, unknown>>> {
  return (await s.answer(q)) as Extract<IndexAnswer, Record<K, unknown>>;
}

async function exported(s: IndexService, from: number, to: number, format: "jsonl" | "csv"): Promise<{ text: string; chunks: number }> {
  let text = "";
  let chunks = 0;
  let after: ExportCursor | undefined;
  do {
    const a = await ask(s, { kind: "export", from, to, format, ...(after ? { after } : {}) }, "chunk");
    text += a.chunk;
    chunks++;
    after = a.next;
  } while (after);
  return { text, chunks };
}

/** Every view the console shows, from the index and from a whole read of the chain, compared. */
async function compareAll(s: IndexService, path: string, limits: ServiceOptions): Promise<{ partial: number; chunks: number }> {
  return compareWith(s, jsonlSource(path), storedLines(path), limits);
}

/** compareAll, for any chain: its source for the whole reads, and its records as stored. */
async function compareWith(s: IndexService, source: AuditSource, stored: { line: string; row: AuditRow }[], limits: ServiceOptions): Promise<{ partial: number; chunks: number }> {
  const stats = { partial: 0, chunks: 0 };

  const allRuns = await recentRuns(source, Infinity);
  const runs = (await ask(s, { kind: "runs", limit: 100 }, "runs")).runs;
  // An index with room for every run lists them all; one that dropped some lists what it kept.
  if ((limits.runs ?? Infinity) >= allRuns.length && limits.positions === undefined) expect(runs).toEqual(allRuns.slice(0, 100));
  else expect(runs.length).toBeGreaterThanOrEqual(Math.min(3, allRuns.length));
  runs.forEach((got, i) => {
    const want = allRuns[i]!;
    expect(got.run).toBe(want.run);
    expect(got.last).toBe(want.last);
    if (got.partial) {
      stats.partial++;
      expect(got.decisions).toBeLessThanOrEqual(want.decisions);
    } else {
      expect(got).toEqual(want);
    }
  });
  for (const run of [...allRuns.map((x) => x.run), "run-never"]) {
    for (const limit of [Infinity, 7]) {
      const want = await runTimeline(source, run, limit);
      expect(await ask(s, { kind: "timeline", run, limit }, "steps"), `${run} ${limit}`).toEqual({ steps: want.rows, total: want.total });
    }
  }

  const allAgents = await seenAgents(source, Infinity);
  const agents = (await ask(s, { kind: "agents", limit: 200 }, "agents")).agents;
  if ((limits.agents ?? Infinity) >= allAgents.length) expect(agents).toEqual(allAgents.slice(0, 200));
  else expect(agents.length).toBe(Math.min(200, limits.agents!));
  agents.forEach((got, i) => {
    const want = allAgents[i]!;
    expect(got.agent).toBe(want.agent);
    if (got.partial) stats.partial++;
    else expect(got).toEqual(want);
  });
  for (const agent of [...allAgents.map((a) => a.agent), "agent-never"]) {
    for (const limit of [5, limits.history ?? 200, 200]) {
      expect(await ask(s, { kind: "history", agent, limit }, "rows"), `${agent} ${limit}`).toEqual({ rows: await agentHistory(source, agent, limit) });
    }
  }

  expect(await ask(s, { kind: "latest", n: 50 }, "rows")).toEqual({ rows: await latestRows(source, 50) });

  const times = stored.map((x) => Date.parse(x.row.time)).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  // The whole log, a middle third, and single instants at the times of records that start or
  // end an export block (blocks are 16 records at first and only ever double), whose edges are
  // where a block's time bounds matter.
  const edges = Array.from({ length: 12 }, (_, k) => [16 * k, 16 * (k + 1) - 1]).flat().filter((i) => i < stored.length).map((i) => Date.parse(stored[i]!.row.time));
  const ranges: [number, number][] = [
    [0, Date.now() + 1], [times[Math.floor(times.length / 3)]!, times[Math.floor((2 * times.length) / 3)]!],
    ...edges.flatMap((t): [number, number][] => [[t, t + 1], [t - 1, t]]),
  ];
  for (const [from, to] of ranges) {
    const inRange = stored.filter((x) => {
      const t = Date.parse(x.row.time);
      return t >= from && t < to;
    });
    const jsonl = await exported(s, from, to, "jsonl");
    expect(jsonl.text).toBe(inRange.map((x) => `${x.line}\n`).join(""));
    const csv = await exported(s, from, to, "csv");
    const rows: AuditRow[] = [];
    for await (const r of rowsBetween(source, from, to)) rows.push(r);
    expect(csv.text).toBe(rows.map(csvRow).join(""));
    stats.chunks += jsonl.chunks;
  }
  return stats;
}

describe("the console's audit index", () => {
  it("answers every view as a whole read of the chain does, as the log grows and rotates, with runs, agents and histories dropped and back", async () => {
    const path = logPath();
    const limits: ServiceOptions = { runs: 12, steps: 60, positions: 400, agents: 9, history: 12, latest: 50, approvalRuns: 25, block: 16, blocks: 12, chunk: 4000 };
    const s = new IndexService({ kind: "jsonl", path }, limits);
    // Room for every run and agent, but short histories and few steps kept: full ones, never
    // dropped, asked for more than they keep (and, for a run's last 7 steps, not).
    const roomy: ServiceOptions = { runs: 100, agents: 100, history: 5, steps: 10, block: 16, chunk: 4000 };
    const r = new IndexService({ kind: "jsonl", path }, roomy);
    let start = Date.UTC(2026, 0, 1);
    let seen = { partial: 0, chunks: 0 };
    try {
      for (let batch = 0; batch < 3; batch++) {
        const entries = records(1000 + batch, 800, start);
        start += 800 * 2500;
        await write(path, entries);
        const st = await compareAll(s, path, limits);
        seen = { partial: seen.partial + st.partial, chunks: seen.chunks + st.chunks };
        expect((await compareAll(r, path, roomy)).partial).toBe(0);
      }
      expect(chainFiles(path).length).toBeGreaterThan(3);
      expect(s.indexed).toBe(storedLines(path).length);
      // the limits were small enough to drop things, so the fallbacks were exercised too
      expect(seen.partial).toBeGreaterThan(0);
      expect(s.scans).toBeGreaterThan(0);
      expect(r.scans).toBeGreaterThan(0); // its short histories, asked for more than they keep
      expect(seen.chunks).toBeGreaterThan(12);
    } finally {
      await s.close();
      await r.close();
    }
  });

  it("with the default limits, after a log written in one go", async () => {
    const path = logPath();
    await write(path, records(7, 3000, Date.UTC(2026, 5, 1)), 200_000);
    const s = new IndexService({ kind: "jsonl", path });
    try {
      await compareAll(s, path, {});
    } finally {
      await s.close();
    }
  });

  it("starts again when the log is rewritten under it, and refuses to go on with an export across the rewrite", async () => {
    const path = logPath();
    await write(path, records(11, 400, Date.UTC(2026, 2, 1)), 1_000_000);
    const s = new IndexService({ kind: "jsonl", path }, { chunk: 2000 });
    try {
      await compareAll(s, path, {});
      const first = await ask(s, { kind: "export", from: 0, to: Date.now(), format: "jsonl" }, "chunk");
      expect(first.next).toBeDefined();
      // cut the log short (a restore from an older backup, or tampering): positions read before mean nothing now
      const size = readFileSync(path).length;
      truncateSync(path, Math.floor(size / 2));
      const cut = readFileSync(path, "utf8");
      writeFileSync(path, cut.slice(0, cut.lastIndexOf("\n") + 1));
      await compareAll(s, path, {});
      await expect(s.answer({ kind: "export", from: 0, to: Date.now(), format: "jsonl", after: first.next! })).rejects.toThrow(/the audit log was rewritten during the export.*download again/);
      // a new log in its place
      rmSync(path);
      await write(path, records(12, 300, Date.UTC(2026, 3, 1)), 1_000_000);
      await compareAll(s, path, {});
    } finally {
      await s.close();
    }
  });

  it("reads lines longer than its buffer, multi-byte text across its reads, and a rotated file's unterminated last line, as a whole read does", async () => {
    const path = logPath();
    const dir = path.slice(0, path.lastIndexOf("/"));
    let seq = 0;
    const line = (run: string, text: string) => JSON.stringify({ seq: ++seq, type: "decision", time: new Date(Date.UTC(2026, 6, 1) + seq * 1000).toISOString(), id: `d${seq}`, run, agent: "bot", effect: "deny", reasons: [text] });
    // Hand-made lines (the index reads, it does not verify): "é€𝄞" around the 1 MiB read size,
    // a 3 MB line, and a rotated file cut short without its newline, as a crash leaves one.
    const first = [line("run-a", "x".repeat((1 << 20) - 180) + "é€𝄞".repeat(20)), line("run-a", "é€𝄞".repeat(1_000_000)), line("run-b", "short")];
    writeFileSync(join(dir, "audit.000001.jsonl"), first.join("\n") + "\n" + line("run-a", "cut short"));
    writeFileSync(path, [line("run-a", "after"), line("run-b", "𝄞".repeat(300_000))].join("\n") + "\n" + '{"seq":99,"type":"decision","ti');
    const s = new IndexService({ kind: "jsonl", path }, { chunk: 100_000 });
    try {
      await compareAll(s, path, {});
      expect((await ask(s, { kind: "timeline", run: "run-a", limit: 1000 }, "steps")).steps.map((r) => r.seq)).toEqual([1, 2, 4, 5]);
      // the current file's unterminated line is a write in progress: not a record yet
      expect(s.indexed).toBe(6);
    } finally {
      await s.close();
    }
  });

  it("notices a log cut short and grown again past where it had read, with the same start", async () => {
    const path = logPath();
    const old = records(31, 300, Date.UTC(2026, 7, 1));
    await write(path, old, 10_000_000);
    const s = new IndexService({ kind: "jsonl", path });
    try {
      await compareAll(s, path, {});
      // an older copy of the log comes back (the same first records), and new records follow it
      const text = readFileSync(path, "utf8");
      const keep = text.split("\n").slice(0, 100).join("\n") + "\n";
      writeFileSync(path, keep);
      await write(path, records(32, 400, Date.UTC(2026, 8, 1)), 10_000_000);
      expect(readFileSync(path).length).toBeGreaterThan(text.length);
      await compareAll(s, path, {});
    } finally {
      await s.close();
    }
  });

  it("reads a record again only from the file it indexed it in: after a rotation its old path gives nothing, not another record", async () => {
    const path = logPath();
    await write(path, records(41, 50, Date.UTC(2026, 9, 1)), 10_000_000);
    const tail = openTail({ kind: "jsonl", path });
    const at: number[] = [];
    await tail.follow((row, pos) => {
      if (row) at.push(pos);
    });
    const before = await tail.lines(at);
    expect(before.every((l) => l !== null)).toBe(true);
    renameSync(path, join(path.slice(0, path.lastIndexOf("/")), "audit.000001.jsonl"));
    writeFileSync(path, readFileSync(join(path.slice(0, path.lastIndexOf("/")), "audit.000001.jsonl")));
    expect(await tail.lines(at)).toEqual(at.map(() => null));
    // after a follow it finds the file under its new name
    await tail.follow(() => {});
    expect(await tail.lines(at)).toEqual(before);
    await tail.close();
  });

  it("takes a rotation that lands between its listing of the files and its checks for what it is, not a rewrite", async () => {
    const path = logPath();
    const dir = path.slice(0, path.lastIndexOf("/"));
    await write(path, records(43, 50, Date.UTC(2026, 9, 2)), 10_000_000);
    let stale: string[] | null = null;
    const tail = openTail({ kind: "jsonl", path }, (p) => {
      const fresh = chainFiles(p);
      const out = stale ?? fresh;
      stale = null;
      return out;
    });
    const seen: number[] = [];
    expect(await tail.follow((row, pos) => void (row && seen.push(pos)))).toBe("ok");
    // The listing is taken, then the writer rotates: the current file is renamed and a new one begins.
    stale = chainFiles(path);
    renameSync(path, join(dir, "audit.000001.jsonl"));
    await write(path, records(44, 20, Date.UTC(2026, 9, 3)), 10_000_000);
    expect(await tail.follow((row, pos) => void (row && seen.push(pos)))).toBe("ok");
    expect(seen).toHaveLength(70);
    expect(new Set(seen).size).toBe(seen.length);
    // A real rewrite is still one: every fresh listing then disagrees.
    writeFileSync(path, "");
    expect(await tail.follow(() => {})).toBe("reset");
    await tail.close();
  });

  it("exports the chain as it was when the export began, whatever is appended while it streams", async () => {
    const path = logPath();
    await write(path, records(61, 300, Date.UTC(2026, 11, 1)), 10_000_000);
    const s = new IndexService({ kind: "jsonl", path }, { chunk: 5000 });
    try {
      const before = storedLines(path).map((x) => `${x.line}\n`).join("");
      const first = await ask(s, { kind: "export", from: 0, to: Date.UTC(2100, 0, 1), format: "jsonl" }, "chunk");
      await write(path, records(62, 100, Date.UTC(2026, 11, 2)), 10_000_000);
      let text = first.chunk;
      for (let after = first.next; after; ) {
        const a = await ask(s, { kind: "export", from: 0, to: Date.UTC(2100, 0, 1), format: "jsonl", after }, "chunk");
        text += a.chunk;
        after = a.next;
      }
      expect(text).toBe(before);
      // a cursor from another index (a restarted thread) is refused, not read against other positions
      const other = new IndexService({ kind: "jsonl", path }, { chunk: 5000 });
      await expect(other.answer({ kind: "export", from: 0, to: Date.UTC(2100, 0, 1), format: "jsonl", after: first.next! })).rejects.toThrow(/rewritten during the export/);
      await other.close();
    } finally {
      await s.close();
    }
  });

  it("remembers what it let go in a filter that never forgets and stays under 1% wrong as it grows", () => {
    const d = new Dropped();
    const n = 600_000;
    for (let i = 0; i < n; i++) d.add(`run-${i}`);
    let missed = 0;
    for (let i = 0; i < n; i++) if (!d.has(`run-${i}`)) missed++;
    expect(missed).toBe(0);
    let wrong = 0;
    for (let i = 0; i < 100_000; i++) if (d.has(`other-${i}`)) wrong++;
    expect(wrong / 100_000).toBeLessThan(0.01);
  });

  it("a run longer than a page shows its last 1,000 steps on its page, and says how many there are in all", async () => {
    const served = await serve();
    try {
      for (let i = 0; i < 1003; i++) await served.engine.decide(refundCall(1, "bot", "run-long"));
      await served.engine.flush();
      const viewer = await signIn(served, "vera");
      const page = await (await viewer.get("/runs/run-long")).text();
      expect(page).toContain("the last 1000 of 1003 steps, oldest first, from the audit log; the 3 before");
      expect(page.match(/<tr class="decision /g)?.length).toBe(1000);
    } finally {
      await served.close();
    }
  });

  it("remembers each key it let go once, however often runs taking turns past its limit are dropped", () => {
    const r = new Recent<number>(100);
    for (let i = 0; i < 20_000; i++) r.use(`run-${i % 101}`, i);
    expect(r.gone.keys).toBe(101);
  });

  it("places an approval's resolution by the run of the decision that asked, past repeats of the waiting call and a run id the decision record cut short", async () => {
    const path = logPath();
    const long = "r".repeat(300);
    const cut = `${long.slice(0, 255)}…`; // as a decision record carries a run id longer than 256 characters
    const t = (k: number) => new Date(Date.UTC(2026, 11, 5) + k * 1000).toISOString();
    const entries = [
      { type: "decision", time: t(1), id: "d1", run: cut, agent: "bot", tool: "refund", effect: "approve", approval: "ap1", reasons: ["needs finance"] },
      { type: "decision", time: t(2), id: "d2", run: cut, agent: "bot", tool: "refund", effect: "approve", approval: "ap1", reasons: ["still waiting"] },
      { type: "admin", time: t(3), event: "approval.approved", approval: "ap1", decision: "d1", agent: "bot", run: long, by: "alice" },
      { type: "decision", time: t(4), id: "d3", run: cut, agent: "bot", tool: "refund", effect: "allow", decidedBy: "approval", approval: "ap1", reasons: ["approved"] },
    ];
    await write(path, entries);
    const s = new IndexService({ kind: "jsonl", path });
    try {
      const want = await runTimeline(jsonlSource(path), cut);
      expect(want.total).toBe(4);
      expect(await ask(s, { kind: "timeline", run: cut, limit: 1000 }, "steps")).toEqual({ steps: want.rows, total: 4 });
    } finally {
      await s.close();
    }
  });

  it("answers through its own thread, and a stopped thread's question fails while the next starts a new one", async () => {
    const path = logPath();
    await write(path, records(21, 500, Date.UTC(2026, 4, 1)));
    const source = jsonlSource(path);
    const thread = new AuditIndexThread({ kind: "jsonl", path });
    try {
      expect(await thread.recentRuns()).toEqual(await recentRuns(source));
      expect(await thread.runTimeline("run-3")).toEqual(await runTimeline(source, "run-3", 1000));
      expect(await thread.seenAgents()).toEqual(await seenAgents(source));
      expect(await thread.agentHistory("agent-2")).toEqual(await agentHistory(source, "agent-2"));
      expect(await thread.latestRows()).toEqual(await latestRows(source, 50));
      let text = "";
      for await (const chunk of thread.exportRange(0, Date.now(), "jsonl")) text += chunk;
      expect(text).toBe(storedLines(path).map((x) => `${x.line}\n`).join(""));
      const pending = thread.recentRuns();
      thread.stop();
      await expect(pending).rejects.toThrow("the audit index was stopped");
      expect(await thread.recentRuns()).toEqual(await recentRuns(source));
    } finally {
      thread.stop();
    }
  });
});

const ready = fleetServersReady();
let postgres: PostgresServer | null = null;

describe.skipIf(!ready)("the console's audit index on a PostgreSQL chain", () => {
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(() => postgres?.destroy());

  it("answers as a whole read of the chain does as it grows, and starts again when the database goes back to an earlier point and grows past it", async () => {
    const url = `${postgres!.url}?schema=indexed`;
    const key = randomBytes(32).toString("hex");
    const append = async (entries: Record<string, unknown>[]) => {
      const log = await PostgresAuditLog.open(url, { key });
      for (const e of entries) log.append(e as never);
      await log.close();
    };
    const owner = (sql: string) => asOwner(postgres!, "indexed", sql);
    const stored = async () => (await owner("SELECT record FROM audit_records WHERE chain = 'main' ORDER BY seq")).rows.map((r) => ({ line: r.record as string, row: parseRow(r.record as string)! }));
    const source = postgresSource(url);
    const s = new IndexService({ kind: "postgres", url, chain: "main" }, { runs: 12, agents: 9, history: 12, block: 16, chunk: 3000 });
    try {
      await append(records(51, 600, Date.UTC(2026, 10, 1)));
      await compareWith(s, source, await stored(), { runs: 12, agents: 9, history: 12 });
      await append(records(52, 300, Date.UTC(2026, 10, 2)));
      await compareWith(s, source, await stored(), { runs: 12, agents: 9, history: 12 });
      // a restore to an earlier point (the owner, past the append-only triggers), then new appends past where the index had read
      await owner("SET session_replication_role = replica; DELETE FROM audit_records WHERE chain = 'main' AND seq > 200");
      await owner("SET session_replication_role = replica; UPDATE audit_heads SET seq = 200, hash = (SELECT record::json->>'hash' FROM audit_records WHERE chain = 'main' AND seq = 200) WHERE chain = 'main'");
      await append(records(53, 900, Date.UTC(2026, 10, 3)));
      const now = await stored();
      expect(now.length).toBe(1100); // seq 900, where the index had stopped, is there again, another record
      await compareWith(s, source, now, { runs: 12, agents: 9, history: 12 });
    } finally {
      await s.close();
      await source.close();
    }
  });
});
