// `pol inspect`: print a compiled module's manifest (tools, rules, input
// slots, limits, hash; a bundle's hash and signer too) for people, or the raw
// manifest with --format json. Opens .wasm, .polb or a directory (cli/policy-file.ts).

import type { SlotJson } from "../compiler/manifest.js";
import { showType } from "../language/types.js";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { openBuiltPolicy, type BuiltPolicy } from "./policy-file.js";
import { Problems } from "./problems.js";

function slots(prefix: string, ss: SlotJson[], out: string[]): void {
  for (const s of ss) {
    const path = `${prefix}.${s.name}`.replace(/^\./, "");
    if (s.record) slots(path, s.record, out);
    else out.push(`  ${path.padEnd(28)} ${showType(s.type).padEnd(16)} @${s.offset}${s.presence !== undefined ? ` (present @${s.presence})` : ""}`);
    if (s.elem?.record) slots(`${path}[]`, s.elem.record, out);
  }
}

export async function inspectCommand(io: Io, file: string, opts: { format?: string; verifyKey?: string }): Promise<number> {
  const problems = new Problems(io, opts.format === "json");
  let built: BuiltPolicy;
  try {
    built = await openBuiltPolicy(file, opts.verifyKey !== undefined ? { verifyKey: opts.verifyKey } : {});
  } catch (e) {
    return problems.fail((e as Error).message, file);
  }
  const p = built.policy;
  const bundle = built.bundle;
  const m = p.manifest;
  if (opts.format === "json") {
    io.out(JSON.stringify({ hash: p.hash, ...(bundle ? { bundle } : {}), ...m, errors: [] }, null, 2) + "\n");
    return EXIT.ok;
  }
  const out = [`policy ${m.policy.name}${m.policy.description ? ` "${m.policy.description}"` : ""}`, `  source ${m.policy.file}`, `  sha256 ${p.hash}`, `  abi ${m.abi}`];
  if (bundle) out.push(`bundle ${bundle.hash}`, `  ${bundle.signer ? `signed by ${bundle.signer} (verified)` : "signature not checked (pass --verify-key)"}`, `  ${built.sources.size} source file(s)`);
  out.push("tools:");
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
