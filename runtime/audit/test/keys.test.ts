// Where the audit key comes from: a KeyProvider, POL_AUDIT_KEY, a key file elsewhere; what each
// refuses; a key file made whole or not at all under a concurrent reader; and the once-per-process
// warning when a writer's key file sits beside its log. Tests chain.ts loadKey and readKeyFile
// through JsonlAuditLog.open and verifyAudit, and secret.ts's separation.
// Order matters in the last block: the warning is emitted once per process (per test file here).

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { engineSecret } from "../../secret.js";
import { AUDIT_KEY_ENV, KEY_BESIDE_LOG, readKeyFile } from "../chain.js";
import { JsonlAuditLog } from "../jsonl.js";
import { verifyAudit } from "../verify.js";
import { decision, KEY, KEY_HEX, tempDir } from "./helpers.js";

const OTHER_HEX = "5a".repeat(32);

async function writeLog(path: string, opts: Parameters<typeof JsonlAuditLog.open>[1]): Promise<void> {
  const log = await JsonlAuditLog.open(path, opts);
  log.append(decision(1));
  await log.close();
}

/** The process warnings with the beside-the-log code emitted while `fn` runs (and the tick after). */
async function besideWarnings(fn: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const listen = (w: Error): void => {
    if ((w as Error & { code?: string }).code === KEY_BESIDE_LOG) seen.push(w);
  };
  process.on("warning", listen);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // emitWarning delivers on the next tick
  } finally {
    process.off("warning", listen);
  }
  return seen;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("a key provider", () => {
  it("supplies the key as bytes or hex, and nothing is written beside the log", async () => {
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, { keyProvider: () => KEY });
    expect(existsSync(`${path}.key`)).toBe(false);
    expect(await verifyAudit(path, { keyProvider: () => KEY_HEX })).toMatchObject({ ok: true, count: 1 });
    expect(await verifyAudit(path, { keyProvider: () => OTHER_HEX })).toMatchObject({ ok: false, error: { kind: "forged" } });
  });

  it("that fails or returns no usable key stops the open with one line", async () => {
    const path = join(tempDir(), "audit.jsonl");
    const cases: Array<[unknown, string]> = [
      [() => { throw new Error("vault is down"); }, "the audit key provider failed: vault is down"],
      [async () => KEY, "the audit key provider must return the key as a Uint8Array or hex string, not a promise (it must be synchronous)"],
      [() => 42, "the audit key provider must return the key as a Uint8Array or hex string, not number"],
      [() => "abcd", "audit key in the key provider is too short: need at least 16 bytes"],
      ["not a function", "keyProvider must be a function returning the audit key"],
    ];
    for (const [keyProvider, message] of cases) {
      await expect(JsonlAuditLog.open(path, { keyProvider: keyProvider as never })).rejects.toThrow(message);
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe(`$${AUDIT_KEY_ENV}`, () => {
  it("holds the key when no option names one, for the writer and the verifier", async () => {
    vi.stubEnv(AUDIT_KEY_ENV, KEY_HEX);
    const path = join(tempDir(), "audit.jsonl");
    await writeLog(path, {});
    expect(existsSync(`${path}.key`)).toBe(false);
    expect(await verifyAudit(path)).toMatchObject({ ok: true, count: 1 });
    expect(await verifyAudit(path, { key: KEY })).toMatchObject({ ok: true });
    // an explicit key file wins over the environment
    const other = join(tempDir(), "other.key");
    writeFileSync(other, OTHER_HEX);
    expect(await verifyAudit(path, { keyFile: other })).toMatchObject({ ok: false, error: { kind: "forged" } });
  });

  it("is refused when it is not a key", async () => {
    vi.stubEnv(AUDIT_KEY_ENV, "not hex");
    await expect(JsonlAuditLog.open(join(tempDir(), "audit.jsonl"), {})).rejects.toThrow(`audit key in ${AUDIT_KEY_ENV} must be hex`);
  });

  it("never becomes the engine secret", () => {
    const store = join(tempDir(), "pol.db");
    const secret = engineSecret(undefined, { kind: "file", path: store }, { [AUDIT_KEY_ENV]: KEY_HEX });
    expect(secret.source).toBe(`${store}.key`);
    expect(Buffer.from(secret.key).equals(KEY)).toBe(false);
  });
});

describe("a key file made on first use", () => {
  const racer = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "key-racer.ts");

  it("is never seen half made by another process", async () => {
    // Regression (CI): an exclusive create then a write let a second engine read an empty key.
    const dir = tempDir();
    const startAt = String(Date.now() + 1500); // after both children have loaded tsx
    const run = (mode: string) => promisify(execFile)(process.execPath, ["--import", "tsx", racer, mode, dir, "3000", startAt]);
    const [, watcher] = await Promise.all([run("make"), run("watch")]);
    expect(JSON.parse(watcher.stdout)).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]); // no drafts left behind
  }, 30_000);
});

describe("a key file beside the log", () => {
  it("draws no warning when the key lives elsewhere, or when a log is only verified", async () => {
    const dir = tempDir();
    const keys = join(tempDir(), "keys");
    mkdirSync(keys);
    writeFileSync(join(keys, "audit.key"), KEY_HEX);
    vi.stubEnv(AUDIT_KEY_ENV, KEY_HEX);
    const warnings = await besideWarnings(async () => {
      await writeLog(join(dir, "a.jsonl"), { keyFile: join(keys, "audit.key") });
      await writeLog(join(dir, "b.jsonl"), {});
      await writeLog(join(dir, "c.jsonl"), { keyProvider: () => KEY });
      await writeLog(join(dir, "d.jsonl"), { key: KEY });
      writeFileSync(join(dir, "d.jsonl.key"), KEY_HEX);
      await verifyAudit(join(dir, "d.jsonl"), { keyFile: join(dir, "d.jsonl.key") });
    });
    expect(warnings).toEqual([]);
  });

  it("draws one warning per process, with a stable code, also through a symbolic link", async () => {
    const dir = tempDir();
    const link = join(tempDir(), "link");
    symlinkSync(dir, link);
    writeFileSync(join(dir, "audit.key"), KEY_HEX);
    const first = await besideWarnings(() => writeLog(join(dir, "a.jsonl"), { keyFile: join(link, "audit.key") }));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      name: "PolAuditWarning",
      code: KEY_BESIDE_LOG,
      message: `the audit key ${join(link, "audit.key")} is in the same directory as the log ${join(dir, "a.jsonl")}, so whoever can edit the log can also re-seal it`,
    });
    expect((first[0] as Error & { detail?: string }).detail).toMatch(/^move the key to a directory .* `--audit-key <file>` on pol's command line; `keyFile`, POL_AUDIT_KEY \(hex\) or a `keyProvider` in code/);
    const again = await besideWarnings(() => writeLog(join(dir, "b.jsonl"), {}));
    expect(again).toEqual([]);
  });
});
