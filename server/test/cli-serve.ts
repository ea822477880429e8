// Starts `pol serve` as the CLI runs it (bin/pol.js, from dist/) for the tests that need the real
// process: the console end to end (console.e2e.test.ts) and the helper threads' priority
// (threads.test.ts). Not a test itself.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

/** Starts `pol serve <args>` in `cwd` and resolves with the process and its URL (from the line it prints). */
export function startCli(args: string[], cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const bin = join(ROOT, "bin", "pol.js");
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  const child = spawn(process.execPath, [bin, "serve", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`pol serve did not start within 60 s:\n${out}`)), 60_000);
    const read = (b: Buffer) => {
      out += b.toString();
      const m = / on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ child, url: m[1]! });
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => fail(new Error(`pol serve exited with ${code}:\n${out}`)));
  });
}

/** Stops a `pol serve` started by startCli (SIGTERM) and waits for it to exit. */
export async function stopCli(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}
