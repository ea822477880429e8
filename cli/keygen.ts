// `pol keygen [-o key.pem]`: an Ed25519 key pair for signing bundles: the private key (mode 0600,
// for `pol build --sign`) and `<name>.pub.pem` (for services' `verifyKey` and `pol verify --key`).
// Never overwrites a key unless --force. Exit 0, 2 when a file exists or cannot be written.

import { existsSync, writeFileSync } from "node:fs";
import { EXIT } from "./exit.js";
import type { Io } from "./io.js";
import { Problems } from "./problems.js";

export const publicKeyPath = (privatePath: string): string => (privatePath.endsWith(".pem") ? `${privatePath.slice(0, -4)}.pub.pem` : `${privatePath}.pub.pem`);

export async function keygenCommand(io: Io, opts: { out: string; force?: boolean }): Promise<number> {
  const problems = new Problems(io, false);
  const { generateKeyPair } = await import("../bundle/sign.js");
  const k = generateKeyPair();
  const pub = publicKeyPath(opts.out);
  // `wx` refuses an existing file: replacing a signing key by accident would orphan every bundle it signed.
  const flag = opts.force ? "w" : "wx";
  const taken = opts.force ? undefined : [opts.out, pub].find((f) => existsSync(f));
  if (taken !== undefined) return problems.fail(`\`${taken}\` exists: choose another name with -o, or pass --force to replace it`, taken);
  for (const [file, text, mode] of [[opts.out, k.privateKey, 0o600], [pub, k.publicKey, 0o644]] as const) {
    try {
      writeFileSync(file, text, { flag, mode });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return problems.fail(code === "EEXIST" ? `\`${file}\` exists: choose another name with -o, or pass --force to replace it` : `cannot write \`${file}\`: ${code ?? (e as Error).message}`, file);
    }
  }
  io.out(`${k.keyId}\n`);
  io.err(`wrote ${opts.out} (private: sign with it, keep it secret) and ${pub} (public: give it to services as verifyKey)\n`);
  return EXIT.ok;
}
