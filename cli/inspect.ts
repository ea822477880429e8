// `pol inspect`: print a compiled module's manifest (tools, rules, input
// slots, limits, hash) for people, or the raw manifest with --format json.

import { readFileSync } from "node:fs";
import { WasmPolicy } from "../runtime/loader.js";
import type { SlotJson } from "../compiler/manifest.js";
import { showType } from "../language/types.js";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";

function slots(prefix: string, ss: SlotJson[], out: string[]): void {
  for (const s of ss) {
    const path = `${prefix}.${s.name}`.replace(/^\./, "");
    if (s.record) slots(path, s.record, out);
    else out.push(`  ${path.padEnd(28)} ${showType(s.type).padEnd(16)} @${s.offset}${s.presence !== undefined ? ` (present @${s.presence})` : ""}`);
    if (s.elem?.record) slots(`${path}[]`, s.elem.record, out);
  }
}

export async function inspectCommand(io: Io, file: string, opts: { format?: string }): Promise<number> {
  const problems = new Problems(io, opts.format === "json");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return problems.fail(`cannot read \`${file}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  let p: WasmPolicy;
  try {
    p = await WasmPolicy.fromBytes(bytes);
  } catch (e) {
    return problems.fail(`\`${file}\` is not a loadable policy: ${(e as Error).message}`, file);
  }
  const m = p.manifest;
  if (opts.format === "json") {
    io.out(JSON.stringify({ hash: p.hash, ...m, errors: [] }, null, 2) + "\n");
    return EXIT.ok;
  }
  const out = [`policy ${m.policy.name}${m.policy.description ? ` "${m.policy.description}"` : ""}`, `  source ${m.policy.file}`, `  sha256 ${p.hash}`, `  abi ${m.abi}`, "tools:"];
  for (const t of m.tools) out.push(`  #${t.id} ${t.name}${t.declared ? ` (${t.toolClass})` : " (no schema)"}`);
  out.push(`  #0 any other tool`, "rules:");
  for (const r of m.rules) out.push(`  ${r.effect.padEnd(7)} ${r.id.padEnd(24)} ${r.targets.map((t) => t.text).join(", ")}${r.because ? `  "${r.because}"` : ""}`);
  out.push("defaults:", `  ${m.defaultRule.effect} (policy)`);
  for (const d of m.defaultsFor) out.push(`  ${d.effect} for ${d.targets!.map((t) => t.text).join(", ")}`);
  if (m.limits.length) out.push("limits:");
  for (const l of m.limits) out.push(`  ${l.id}: ${l.kind} max ${l.max} per ${l.windowSeconds}s on ${l.targets.map((t) => t.text).join(", ")}`);
  out.push(`input slots (${m.layout.fixedSize} bytes at ${p.inputAt}):`);
  for (const [root, ss] of [["", m.layout.top], ["args", m.layout.args], ["ctx", m.layout.ctx], ["agent", m.layout.agent], ["run", m.layout.run]] as const) slots(root, ss, out);
  if (m.redact.length) out.push(`redact: ${m.redact.join(", ")}`);
  io.out(out.join("\n") + "\n");
  return EXIT.ok;
}
