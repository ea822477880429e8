// `pol eval`: decide one call against a policy (.pol compiled on the fly, or
// .wasm) and print the decision; --explain lists every rule that targets the
// tool and whether it matched; --interpreter uses the reference interpreter.

import { readFileSync } from "node:fs";
import type { Target } from "../language/ast.js";
import type { Decision } from "../language/call.js";
import { evaluate, metaFor } from "../language/interpret.js";
import { loadFile } from "../language/load.js";
import type { PolicyMeta } from "../language/meta.js";
import { renderDiagnostics } from "../language/render.js";
import { anyTargetMatches } from "../language/targets.js";
import { compileLoaded } from "../compiler/compile.js";
import { WasmPolicy } from "../runtime/loader.js";
import type { Io } from "./io.js";

interface EvalOpts { call?: string; callFile?: string; explain?: boolean; format?: string; interpreter?: boolean; extraArgs?: string }

type Engine = { meta: PolicyMeta; decide: (call: unknown) => Decision; sources: Map<string, string>; engine: string };

async function readCall(io: Io, opts: EvalOpts): Promise<unknown> {
  const text = opts.call ?? (opts.callFile ? readFileSync(opts.callFile, "utf8") : await io.stdin());
  return JSON.parse(text);
}

async function openEngine(io: Io, file: string, opts: EvalOpts): Promise<Engine | number> {
  const extraArgs = opts.extraArgs === "ignore" ? "ignore" : "deny";
  if (file.endsWith(".wasm")) {
    if (opts.interpreter) {
      io.err("error: `--interpreter` needs the policy's .pol source, not a .wasm\n");
      return 2;
    }
    const p = await WasmPolicy.fromBytes(readFileSync(file), { extraArgs });
    return { meta: p.meta, decide: (c) => p.evaluate(c), sources: new Map(), engine: "wasm" };
  }
  const l = loadFile(file);
  if (!l.checked || l.sink.hasErrors()) {
    io.err(renderDiagnostics(l.sink.errors, { sources: l.sources, color: io.color }) + "\n");
    return 1;
  }
  const checked = l.checked;
  if (opts.interpreter) return { meta: metaFor(checked), decide: (c) => evaluate(checked, c, { extraArgs }), sources: l.sources, engine: "interpreter" };
  const wasm = await compileLoaded(l);
  if (!wasm) {
    io.err(renderDiagnostics(l.sink.errors, { sources: l.sources, color: io.color }) + "\n");
    return 1;
  }
  const p = await WasmPolicy.fromBytes(wasm, { extraArgs });
  return { meta: p.meta, decide: (x) => p.evaluate(x), sources: l.sources, engine: "wasm" };
}

function explain(e: Engine, tool: string, d: Decision): string[] {
  const lines: string[] = [];
  for (const r of e.meta.rules) {
    if (!anyTargetMatches(r.targets as Target[], tool)) continue;
    const src = e.sources.get(r.span.file)?.slice(r.span.start, r.span.end).replace(/\s+/g, " ");
    const hit = d.matched.includes(r.id);
    lines.push(`  ${hit ? "matched    " : "not matched"}  ${r.effect.padEnd(7)} ${r.id}${src ? `  ${src}` : ""}`);
  }
  if (lines.length === 0) lines.push("  no rule targets this tool");
  return lines;
}

function render(e: Engine, call: unknown, d: Decision, opts: EvalOpts): string {
  const tool = typeof call === "object" && call !== null ? String((call as { tool?: unknown }).tool) : "?";
  const by = d.rules.map((r) => `${r.id} at ${r.span.file}:${r.span.line}`).join(", ");
  const out = [`${d.effect}${by ? `  (${d.decidedBy}: ${by})` : `  (${d.decidedBy})`}`];
  for (const r of d.reasons) out.push(`  reason: ${r}`);
  if (d.approvers.length) out.push(`  approvers: ${d.approvers.join(", ")}`);
  for (const l of d.limits) out.push(`  limit: ${l.id} ${l.kind === "sum" ? `adds ${l.amount} of ${l.max}` : `counts 1 of ${l.max}`} per ${l.windowSeconds}s, bucket ${l.key}`);
  if (opts.explain) out.push(`rules for \`${tool}\` (engine: ${e.engine}):`, ...explain(e, tool, d));
  return out.join("\n") + "\n";
}

export async function evalCommand(io: Io, file: string, opts: EvalOpts): Promise<number> {
  let call: unknown;
  try {
    call = await readCall(io, opts);
  } catch (err) {
    io.err(`error: the call is not valid JSON: ${(err as Error).message}\n`);
    return 2;
  }
  let e: Engine | number;
  try {
    e = await openEngine(io, file, opts);
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n`);
    return 2;
  }
  if (typeof e === "number") return e;
  const d = e.decide(call);
  if (opts.format === "json") io.out(JSON.stringify({ ...d, engine: e.engine }, null, 2) + "\n");
  else io.out(render(e, call, d, opts));
  return 0;
}
