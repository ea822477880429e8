// `pol diff <old> <new> [--calls <audit log or calls.jsonl>]`: decides recorded calls with both
// policies and prints, per tool, how many decide differently (by effect) with the first examples;
// then the same over calls generated for the tools both declare (policytest/gen/), so a change no
// recorded call exercises still shows. Policies: .wasm, .pol, a bundle (.polb) or a policy
// directory. Exit 0, 1 with --fail-on-change when any call decides differently, 2 usage or I/O.

import { readFileSync } from "node:fs";
import type { Decision } from "../language/call.js";
import type { CheckedPolicy } from "../language/checked.js";
import type { WasmPolicy } from "../runtime/loader.js";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { openBuiltPolicy } from "./policy-file.js";
import { Problems } from "./problems.js";

interface DiffOpts { calls?: string; generated: number; seed: number; examples: number; failOnChange?: boolean; verifyKey?: string; format?: string }

interface Loaded { path: string; policy: WasmPolicy; checked?: CheckedPolicy }

interface Example { call: unknown; old: { effect: string; rule: string | null }; new: { effect: string; rule: string | null } }
interface ToolStat { tool: string; calls: number; differ: number; examples: Example[] }

/** Per-tool counts of calls deciding differently under two policies. */
class Tally {
  readonly tools = new Map<string, ToolStat>();
  calls = 0;
  differ = 0;

  constructor(private readonly a: WasmPolicy, private readonly b: WasmPolicy, private readonly max: number, private readonly redactPaths: string[], private readonly view: typeof import("../runtime/audit-entries.js")) {}

  add(call: unknown): void {
    const da = this.a.evaluate(call);
    const db = this.b.evaluate(call);
    const tool = typeof call === "object" && call !== null && typeof (call as Record<string, unknown>)["tool"] === "string" ? ((call as Record<string, unknown>)["tool"] as string) : "(not a call)";
    const s = this.tools.get(tool) ?? this.tools.set(tool, { tool, calls: 0, differ: 0, examples: [] }).get(tool)!;
    this.calls++;
    s.calls++;
    if (da.effect === db.effect) return;
    this.differ++;
    s.differ++;
    if (s.examples.length < this.max) s.examples.push({ call: this.shown(call), old: side(da), new: side(db) });
  }

  /** The call as audit records show it: arguments redacted (both policies' paths and default secrets) and bounded. */
  private shown(call: unknown): unknown {
    if (typeof call !== "object" || call === null || Array.isArray(call)) return this.view.auditArgs(call, [], 256);
    const c = call as Record<string, unknown>;
    const agent = c["agent"] as Record<string, unknown> | undefined;
    const run = c["run"] as Record<string, unknown> | undefined;
    return this.view.compact({ tool: c["tool"], args: this.view.auditArgs(c["args"], this.redactPaths, 256), agent: this.view.auditText(agent?.["id"]) ?? undefined, run: this.view.auditText(run?.["id"]) ?? undefined, env: this.view.auditText(c["env"]) ?? undefined });
  }

  sorted(): ToolStat[] {
    return [...this.tools.values()].sort((x, y) => y.differ - x.differ || (x.tool < y.tool ? -1 : 1));
  }
}

const side = (d: Decision) => ({ effect: d.effect, rule: d.rules[0]?.id ?? null });

/** A policy to compare, with its checked source when it has one (for literals the generator leans on). */
async function open(path: string, opts: DiffOpts, problems: Problems): Promise<Loaded | undefined> {
  try {
    if (path.endsWith(".pol")) {
      const { WasmPolicy } = await import("../runtime/loader.js");
      const { compileErrors, compileFile } = await import("../compiler/compile-file.js");
      const c = await compileFile(path);
      if (!c.wasm) return void problems.add(`\`${path}\` does not compile:\n${compileErrors(c)}`, path);
      return { path, policy: await WasmPolicy.fromBytes(c.wasm), ...(c.loaded.checked ? { checked: c.loaded.checked } : {}) };
    }
    const built = await openBuiltPolicy(path, opts.verifyKey !== undefined ? { verifyKey: opts.verifyKey } : {});
    return { path, policy: built.policy, ...(built.checked ? { checked: built.checked } : {}) };
  } catch (e) {
    return void problems.add((e as Error).message, path);
  }
}

/** Strings and numbers found in replayed arguments: the generator tries them too (bounded). */
function collect(v: unknown, out: { strings: Set<string>; numbers: Set<number> }, depth = 0): void {
  if (depth > 8) return;
  if (typeof v === "string") {
    if (out.strings.size < 2000 && v.length <= 256) out.strings.add(v);
  } else if (typeof v === "number") {
    if (out.numbers.size < 2000 && Number.isFinite(v)) out.numbers.add(v);
  } else if (Array.isArray(v)) for (const x of v.slice(0, 50)) collect(x, out, depth + 1);
  else if (typeof v === "object" && v !== null) for (const x of Object.values(v).slice(0, 50)) collect(x, out, depth + 1);
}

/** The section for `t`; with `quiet`, tools without differences are summed in one line (generated names are mostly noise). */
function textSection(title: string, t: Tally, quiet = false): string[] {
  const out = [`${title}: ${t.differ} decide${t.differ === 1 ? "s" : ""} differently`];
  const all = t.sorted();
  const rest = quiet ? all.filter((s) => s.differ === 0) : [];
  for (const s of all.filter((x) => !rest.includes(x))) {
    out.push(`  ${s.tool.padEnd(24)} ${String(s.calls).padStart(7)} call${s.calls === 1 ? " " : "s"} ${String(s.differ).padStart(7)} differ`);
    for (const e of s.examples) out.push(`      ${`${e.old.effect} → ${e.new.effect}`.padEnd(18)} ${`${e.old.rule ?? "none"} → ${e.new.rule ?? "none"}`.padEnd(28)} ${JSON.stringify(e.call)}`);
  }
  if (rest.length) out.push(`  ${rest.reduce((n, s) => n + s.calls, 0)} calls to ${rest.length} other tool names: none differ`);
  return out;
}

const jsonSection = (t: Tally) => ({ calls: t.calls, differ: t.differ, tools: t.sorted() });

export async function diffCommand(io: Io, oldPath: string, newPath: string, opts: DiffOpts): Promise<number> {
  const json = opts.format === "json";
  const problems = new Problems(io, json);
  const [a, b] = [await open(oldPath, opts, problems), await open(newPath, opts, problems)];
  if (!a || !b) return problems.fail();
  const view = await import("../runtime/audit-entries.js");
  const redactPaths = [...new Set([...a.policy.meta.redact, ...b.policy.meta.redact])];
  const seen = { strings: new Set<string>(), numbers: new Set<number>() };
  let replayed: Tally | undefined;
  if (opts.calls !== undefined) {
    const { callOf, jsonlFiles, jsonLines } = await import("./records.js");
    let files: string[];
    try {
      files = jsonlFiles(opts.calls);
    } catch (e) {
      return problems.fail((e as Error).message, opts.calls);
    }
    if (files.length === 0) return problems.fail(`no such file \`${opts.calls}\``, opts.calls);
    replayed = new Tally(a.policy, b.policy, opts.examples, redactPaths, view);
    for await (const l of jsonLines(files)) {
      if ("error" in l) {
        problems.add(l.error, l.file);
        continue;
      }
      const call = callOf(l.value);
      if (!call) continue;
      collect(call["args"], seen);
      replayed.add(call);
    }
  }
  const { eitherTools, generatedCalls, sharedTools } = await import("../policytest/gen/spec.js");
  const generated = new Tally(a.policy, b.policy, opts.examples, redactPaths, view);
  const shared = sharedTools(a.policy.meta, b.policy.meta);
  const either = eitherTools(a.policy.meta, b.policy.meta);
  const sides = [a, b].map((x) => ({ meta: x.policy.meta, ...(x.checked ? { checked: x.checked } : {}) }));
  for (const call of generatedCalls(sides[0]!, sides[1]!, { count: opts.generated, seed: opts.seed, ...seen })) generated.add(call);
  const changed = (replayed?.differ ?? 0) + generated.differ > 0;
  const who = (x: Loaded) => ({ path: x.path, name: x.policy.meta.name, hash: x.policy.hash });
  if (json) {
    io.out(JSON.stringify({ old: who(a), new: who(b), ...(replayed ? { replayed: { source: opts.calls, ...jsonSection(replayed) } } : {}), generated: { seed: opts.seed, over: either, shared, ...jsonSection(generated) }, changed, errors: problems.list }, null, 2) + "\n");
  } else {
    const out = [`old ${a.path} (${a.policy.meta.name}, sha256 ${a.policy.hash.slice(0, 12)})`, `new ${b.path} (${b.policy.meta.name}, sha256 ${b.policy.hash.slice(0, 12)})`, ""];
    if (replayed) out.push(...textSection(`replayed ${replayed.calls} call${replayed.calls === 1 ? "" : "s"} from ${opts.calls}`, replayed), "");
    if (opts.generated <= 0) out.push("generated calls: off (--generated 0)");
    else if (either.length === 0) out.push("generated calls: none, neither policy declares a tool");
    else out.push(...textSection(`generated ${generated.calls} calls over the ${either.length} tool${either.length === 1 ? "" : "s"} either policy declares (${either.join(", ")}; ${shared.length} in both; seed ${opts.seed})`, generated, true));
    io.out(out.join("\n") + "\n");
  }
  if (problems.any) return EXIT.usage;
  return opts.failOnChange && changed ? EXIT.failed : EXIT.ok;
}
