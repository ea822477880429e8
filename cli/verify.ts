// `pol verify <bundle> --key <public key>`: checks a bundle as an engine with `verifyKey` would
// (signature, every file against the manifest, the module loads), and with --test runs its suites
// as a reload would. Exit 0 when it would be accepted, 1 when it would be refused (saying why),
// 2 when the bundle or key cannot be read or the key is not an Ed25519 key.

import { readFileSync } from "node:fs";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";

interface VerifyOpts { key: string; test?: boolean; format?: string }

export async function verifyCommand(io: Io, file: string, opts: VerifyOpts): Promise<number> {
  const json = opts.format === "json";
  const problems = new Problems(io, json);
  const { openBundle } = await import("../bundle/open.js");
  const { publicKeysOf } = await import("../bundle/sign.js");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return problems.fail(`cannot read \`${file}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  try {
    // A key that cannot be read is a usage error (2), not a verdict on the bundle.
    publicKeysOf(opts.key);
  } catch (e) {
    return problems.fail((e as Error).message, opts.key);
  }
  const refused = (why: string) => {
    if (json) io.out(JSON.stringify({ ok: false, file, reason: why, errors: [] }, null, 2) + "\n");
    else io.err(`\`${file}\` is refused: ${why}\n`);
    return EXIT.failed;
  };
  let b;
  try {
    b = openBundle(bytes, opts.key);
    const { WasmPolicy } = await import("../runtime/loader.js");
    await WasmPolicy.fromBytes(b.module);
  } catch (e) {
    return refused((e as Error).message);
  }
  let tests: string | undefined;
  if (opts.test) {
    const { runBundledSuites, suitesLine } = await import("../bundle/suites.js");
    const o = await runBundledSuites(b.module, b.suites, b.manifest.policy.file, new Set(b.sources.keys()));
    tests = suitesLine(o);
    if (o.failed > 0 || o.errors > 0 || o.suites === 0) return refused(o.suites === 0 ? "the bundle holds no suite, so --test has nothing to run" : `its suites fail: ${tests}`);
  }
  const m = b.manifest;
  if (json) {
    io.out(JSON.stringify({ ok: true, file, bundle: b.hash, signer: b.signer, policy: m.policy, files: m.files, ...(tests ? { tests } : {}), errors: [] }, null, 2) + "\n");
  } else {
    const n = (role: string) => {
      const k = m.files.filter((f) => f.role === role).length;
      return `${k} ${role}${k === 1 ? "" : "s"}`;
    };
    io.out(`ok: ${file}: policy ${m.policy.name} (sha256 ${m.policy.hash.slice(0, 12)}), signed by ${b.signer}, ${n("source")}, ${n("suite")}${tests ? `; ${tests}` : ""}\n`);
  }
  return EXIT.ok;
}
