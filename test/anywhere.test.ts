// The built CLI and runtime work from any directory: compiling, testing and Engine.load(".pol")
// from a subdirectory of the repository and from a directory outside it, where the AssemblyScript
// stdlib can only be found relative to the package itself. Runs the real bin (dist/, which
// `npm test` builds first) in child processes with their own working directories.

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "bin", "pol.js");

function pol(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", POL_CACHE: "0" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let outside: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
  outside = mkdtempSync(join(tmpdir(), "pol-anywhere-"));
  for (const f of ["payments.pol", "payments.test.yaml"]) copyFileSync(join(ROOT, "examples", "payments", f), join(outside, f));
});

describe("the CLI from any working directory", () => {
  it("compiles from a subdirectory of the repository", () => {
    const out = mkdtempSync(join(tmpdir(), "pol-sub-"));
    const r = pol(join(ROOT, "examples", "payments"), "compile", "payments.pol", "-o", out);
    expect(r.err).not.toContain("E0901");
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "payments.wasm")).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it("compiles, evaluates and tests from a directory outside the package", () => {
    expect(pol(outside, "compile", "payments.pol", "-o", "out")).toMatchObject({ code: 0 });
    const call = JSON.stringify({ tool: "stripe.refund", args: { amount: 120, currency: "usd", customer: "c" }, agent: { id: "a" } });
    expect(pol(outside, "eval", "payments.pol", "--call", call).out).toMatch(/^approve/);
    expect(pol(outside, "eval", "out/payments.wasm", "--call", call).out).toMatch(/^approve/);
    const t = pol(outside, "test", ".", "--coverage-min", "100");
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/\d+ passed, 0 failed/);
  });

  it("Engine.load(\"x.pol\") compiles from outside the package", () => {
    const script = `const { Engine } = await import(${JSON.stringify(join(ROOT, "dist", "runtime", "index.js"))});
const e = await Engine.load("payments.pol", { audit: false });
const d = await e.decide({ tool: "stripe.refund", args: { amount: 20, currency: "usd", customer: "c" }, agent: { id: "a" } });
await e.close();
console.log(d.effect);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: outside, encoding: "utf8", env: { ...process.env, POL_CACHE: "0" } });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("allow");
  });
});
