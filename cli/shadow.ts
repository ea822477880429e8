// `pol shadow report <audit log>`: what a shadow policy would have decided differently, from the
// `shadow.diff` records the Engine wrote (runtime/shadow.ts): grouped by policy pair, then tool,
// then rule pair and effect pair, with the first example calls (their arguments were redacted when
// recorded). Exit 0 with the report, 2 when the log cannot be read or holds lines that are not JSON.

import type { Command } from "commander";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { exampleCount, formatOption } from "./options.js";
import { Problems } from "./problems.js";

interface ReportOpts { examples?: number; format?: string }

interface Side { policy?: string; effect?: string; rule?: string | null; approvers?: string[] }
interface Diff { decision?: string; time?: string; tool?: string; agent?: string | null; run?: string | null; args?: unknown; live?: Side; shadow?: Side }

interface Group { live: string; shadow: string; tool: string; rules: string; effects: string; count: number; examples: Diff[] }

const short = (h: string | undefined) => (h ? h.slice(0, 12) : "?");
const rulePair = (d: Diff) => `${d.live?.rule ?? "none"} → ${d.shadow?.rule ?? "none"}`;
const effectPair = (d: Diff) => `${d.live?.effect ?? "?"} → ${d.shadow?.effect ?? "?"}`;

function example(d: Diff): Record<string, unknown> {
  const out: Record<string, unknown> = { decision: d.decision, time: d.time, tool: d.tool, args: d.args };
  if (d.agent) out["agent"] = d.agent;
  if (d.run) out["run"] = d.run;
  return out;
}

function textReport(file: string, total: number, groups: Group[]): string {
  if (total === 0) return `no shadow differences in ${file}\n`;
  const out = [`${total} shadow difference${total === 1 ? "" : "s"} in ${file}`];
  let pair = "";
  let tool = "";
  for (const g of groups) {
    if (`${g.live} ${g.shadow}` !== pair) {
      pair = `${g.live} ${g.shadow}`;
      tool = "";
      out.push("", `live ${short(g.live)} vs shadow ${short(g.shadow)}`);
    }
    if (g.tool !== tool) {
      tool = g.tool;
      const n = groups.filter((x) => x.live === g.live && x.shadow === g.shadow && x.tool === g.tool).reduce((a, x) => a + x.count, 0);
      out.push(`  ${g.tool}: ${n}`);
    }
    out.push(`    ${String(g.count).padStart(6)}  ${g.effects.padEnd(18)} ${g.rules}`);
    for (const e of g.examples) out.push(`            ${JSON.stringify(example(e))}`);
  }
  return out.join("\n") + "\n";
}

export async function shadowReportCommand(io: Io, path: string, opts: ReportOpts): Promise<number> {
  const json = opts.format === "json";
  const problems = new Problems(io, json);
  const { jsonlFiles, jsonLines } = await import("./records.js");
  let files: string[];
  try {
    files = jsonlFiles(path);
  } catch (e) {
    return problems.fail((e as Error).message, path);
  }
  if (files.length === 0) return problems.fail(`no audit log at \`${path}\``, path);
  const max = opts.examples ?? 3;
  const groups = new Map<string, Group>();
  let total = 0;
  for await (const l of jsonLines(files)) {
    if ("error" in l) {
      problems.add(l.error, l.file);
      continue;
    }
    const r = l.value as Diff & { event?: unknown };
    if (typeof r !== "object" || r === null || r.event !== "shadow.diff") continue;
    total++;
    const g: Group = { live: r.live?.policy ?? "", shadow: r.shadow?.policy ?? "", tool: r.tool ?? "?", rules: rulePair(r), effects: effectPair(r), count: 0, examples: [] };
    const key = JSON.stringify([g.live, g.shadow, g.tool, g.effects, g.rules]);
    const cur = groups.get(key) ?? groups.set(key, g).get(key)!;
    cur.count++;
    if (cur.examples.length < max) cur.examples.push(r);
  }
  // Policy pairs and tools in the order met; within a tool, the commonest difference first.
  const order = [...groups.values()];
  const firstOf = new Map<string, number>();
  order.forEach((g, i) => firstOf.has(`${g.live} ${g.shadow} ${g.tool}`) || firstOf.set(`${g.live} ${g.shadow} ${g.tool}`, i));
  order.sort((a, b) => firstOf.get(`${a.live} ${a.shadow} ${a.tool}`)! - firstOf.get(`${b.live} ${b.shadow} ${b.tool}`)! || b.count - a.count);
  if (json) {
    const out = order.map((g) => ({ live: g.live, shadow: g.shadow, tool: g.tool, effects: g.effects, rules: g.rules, count: g.count, examples: g.examples.map(example) }));
    io.out(JSON.stringify({ log: files, differences: total, groups: out, errors: problems.list }, null, 2) + "\n");
  } else io.out(textReport(path, total, order));
  return problems.any ? EXIT.usage : EXIT.ok;
}

export function registerShadow(program: Command, io: Io, done: (code: number) => void): void {
  const shadow = program.command("shadow").description("work with shadow policies");
  shadow.command("report").description("group a shadow policy's differences from the audit log by tool, rule pair and effect pair")
    .argument("<log>", "the audit log (audit.jsonl) or the directory holding it")
    .addOption(exampleCount())
    .addOption(formatOption())
    .action(async (path: string, o: ReportOpts) => done(await shadowReportCommand(io, path, o)));
}
