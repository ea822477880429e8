// `pol eval`: decide one call against a policy (.pol compiled on the fly, a
// .wasm, a bundle or a policy directory: cli/policy-file.ts) and print the decision; --explain lists every rule that targets the
// tool and whether it matched; --interpreter uses the reference interpreter.
// Exit 0 (1 when --fail-on matches the effect), 1 on policy errors, 2 on a bad
// call, an unreadable file or a module that does not load.

import { readFileSync } from "node:fs";
import type { Target } from "../language/ast.js";
import type { Decision } from "../language/call.js";
import { evaluate, metaFor } from "../language/interpret.js";
import type { PolicyMeta } from "../language/meta.js";
import { diagnosticsToJson, renderDiagnostics } from "../language/render.js";
import { anyTargetMatches } from "../language/targets.js";
import { compileFile } from "../compiler/compile-file.js";
import { WasmPolicy } from "../runtime/loader.js";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { openBuiltPolicy } from "./policy-file.js";
import { Problems } from "./problems.js";

interface EvalOpts { verifyKey?: string; call?: string; callFile?: string; explain?: boolean; format?: string; interpreter?: boolean; extraArgs?: string; failOn?: string }

/** Effects `--fail-on X` turns into exit 1: X and anything more restrictive. */
const FAIL_ON: Record<string, readonly string[]> = { deny: ["deny"], approve: ["approve", "deny"] };

type Engine = { meta: PolicyMeta; decide: (call: unknown) => Decision; sources: Map<string, string>; engine: string };

/** The call's JSON text, from --call, --call-file or stdin; a problem (exit 2) when unreadable or not JSON. */
async function readCall(opts: EvalOpts, io: Io, problems: Problems): Promise<{ call: unknown } | undefined> {
  if (opts.call !== undefined && opts.callFile !== undefined) {
    problems.add("give the call once: `--call` or `--call-file`, not both");
    return undefined;
  }
  let text: string;
  try {
    text = opts.call ?? (opts.callFile !== undefined ? readFileSync(opts.callFile, "utf8") : await io.stdin());
  } catch (e) {
    problems.add(`cannot read the call from \`${opts.callFile}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, opts.callFile);
    return undefined;
  }
  try {
    return { call: JSON.parse(text) };
  } catch (e) {
    problems.add(`the call is not valid JSON: ${(e as Error).message}`, opts.callFile);
    return undefined;
  }
}

async function openEngine(io: Io, file: string, opts: EvalOpts, problems: Problems): Promise<Engine | number> {
  const extraArgs = opts.extraArgs === "ignore" ? "ignore" : "deny";
  if (!file.endsWith(".pol")) {
    if (opts.interpreter) return problems.fail("`--interpreter` needs the policy's .pol source, not a compiled module or bundle");
    try {
      const built = await openBuiltPolicy(file, { load: { extraArgs }, ...(opts.verifyKey !== undefined ? { verifyKey: opts.verifyKey } : {}) });
      const p = built.policy;
      return { meta: p.meta, decide: (c) => p.evaluate(c), sources: built.sources, engine: "wasm" };
    } catch (e) {
      return problems.fail((e as Error).message, file);
    }
  }
  const c = await compileFile(file, opts.interpreter ? { cache: false } : {});
  const l = c.loaded;
  if (!l.checked || l.sink.hasErrors() || (!opts.interpreter && !c.wasm)) {
    if (opts.format === "json") {
      if (!l.checked) problems.list.push(...l.sink.errors.map((d) => ({ message: d.message, path: file })));
      io.out(JSON.stringify({ errors: problems.list, diagnostics: diagnosticsToJson(l.sink.errors) }, null, 2) + "\n");
    }
    else io.err(renderDiagnostics(l.sink.errors, { sources: l.sources, color: io.colorErr }) + "\n");
    // A missing file is reported by the front end as a diagnostic on the file itself.
    return l.checked ? EXIT.failed : EXIT.usage;
  }
  const checked = l.checked;
  if (opts.interpreter) return { meta: metaFor(checked), decide: (x) => evaluate(checked, x, { extraArgs }), sources: l.sources, engine: "interpreter" };
  const p = await WasmPolicy.fromBytes(c.wasm!, { extraArgs });
  return { meta: p.meta, decide: (x) => p.evaluate(x), sources: l.sources, engine: "wasm" };
}

function explain(e: Engine, tool: string, d: Decision): string[] {
  const lines: string[] = [];
  for (const r of e.meta.rules) {
    if (!anyTargetMatches(r.targets as Target[], tool, e.meta.tools.get(tool)?.toolClass)) continue;
    const src = e.sources.get(r.span.file)?.slice(r.span.start, r.span.end).replace(/\s+/g, " ");
    const hit = d.matched.includes(r.id);
    lines.push(`  ${hit ? "matched    " : "not matched"}  ${r.effect.padEnd(7)} ${r.id}${src ? `  ${src}` : ""}`);
  }
  if (lines.length === 0) lines.push("  no rule targets this tool");
  return lines;
}

function render(e: Engine, call: unknown, d: Decision, opts: EvalOpts): string {
  const tool = typeof call === "object" && call !== null ? String((call as { tool?: unknown }).tool) : "?";
  // The default a policy gets without a `default` line has no place in its source.
  const by = d.rules.map((r) => (r.span.file === "<none>" ? "no `default` line, so deny" : `${r.id} at ${r.span.file}:${r.span.line}`)).join(", ");
  const out = [`${d.effect}${by ? `  (${d.decidedBy}: ${by})` : `  (${d.decidedBy})`}`];
  for (const r of d.reasons) out.push(`  reason: ${r}`);
  if (d.approvers.length) out.push(`  approvers: ${d.approvers.join(", ")}`);
  for (const l of d.limits) out.push(`  limit: ${l.id} ${l.kind === "sum" ? `adds ${l.amount} of ${l.max}` : `counts 1 of ${l.max}`} per ${l.windowSeconds}s, bucket ${l.key}`);
  if (opts.explain) out.push(`rules for \`${tool}\` (engine: ${e.engine}):`, ...explain(e, tool, d));
  return out.join("\n") + "\n";
}

export async function evalCommand(io: Io, file: string, opts: EvalOpts): Promise<number> {
  const problems = new Problems(io, opts.format === "json");
  const read = await readCall(opts, io, problems);
  if (!read) return problems.fail();
  const e = await openEngine(io, file, opts, problems);
  if (typeof e === "number") return e;
  // As the Engine does: a policy that reads the clock gets the host's time when the call has none.
  const call = e.meta.readsClock && typeof read.call === "object" && read.call !== null && !Array.isArray(read.call) && !("time" in read.call) ? { ...read.call, time: Date.now() } : read.call;
  const d = e.decide(call);
  if (opts.format === "json") io.out(JSON.stringify({ ...d, engine: e.engine }, null, 2) + "\n");
  else io.out(render(e, call, d, opts));
  return opts.failOn !== undefined && FAIL_ON[opts.failOn]!.includes(d.effect) ? EXIT.failed : EXIT.ok;
}
