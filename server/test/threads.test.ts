// The helper threads' priority (server/threads.ts) in `pol serve` as the CLI runs it: once it
// has started, every thread but the main one (V8's helpers, libuv's pool, the audit writer, the
// compiler worker) is at nice 19 and the main thread is untouched; `--helper-nice 0` leaves them
// all alone. Read from /proc: Linux only, where the setting applies (elsewhere it does nothing
// and this suite skips with one line).

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lowerHelperThreads } from "../threads.js";
import { ROOT, startCli, stopCli } from "./cli-serve.js";

const linux = process.platform === "linux";
if (!linux) console.log(`helper threads: skipped on ${process.platform}, where pol serve leaves thread priorities alone`);

/** Each thread's nice value, the main thread's under `main`. */
function niceOf(pid: number): { main: number; helpers: number[] } {
  const helpers: number[] = [];
  let main = NaN;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
    } catch {
      continue; // a thread that ended between the listing and the read
    }
    // field 19 of stat, counted after the parenthesised command name ends field 2
    const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    if (Number(t) === pid) main = nice;
    else helpers.push(nice);
  }
  return { main, helpers };
}

const POLICY = join(ROOT, "examples/support_agent/support_agent.pol");

describe.skipIf(!linux)("pol serve's helper threads", () => {
  let dir: string;
  const started: ChildProcess[] = [];
  const serve = async (...extra: string[]) => {
    const { child } = await startCli(["--policy", POLICY, "--store", "pol.db", "--audit", "audit.jsonl", "--listen", "127.0.0.1:0", ...extra], dir);
    started.push(child);
    return child;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pol-threads-"));
  });
  afterAll(async () => {
    for (const c of started) await stopCli(c);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts pol serve with `extra` and checks its main thread is at 0 and every helper at `nice`,
   * as it starts and a second later: the audit verifier's thread starts with the first check,
   * which may come after the listing, and must take the same priority by itself.
   */
  const expectNice = async (nice: number, ...extra: string[]) => {
    const child = await serve(...extra);
    for (const wait of [0, 1000]) {
      await new Promise((r) => setTimeout(r, wait));
      const { main, helpers } = niceOf(child.pid!);
      expect(main).toBe(0);
      // V8's platform workers and libuv's four pool threads at least, besides the audit writer
      expect(helpers.length).toBeGreaterThanOrEqual(9);
      expect(helpers).toEqual(helpers.map(() => nice));
    }
    await stopCli(child);
  };

  it("run at nice 19 once the server has started; the main thread keeps its priority", () => expectNice(19), 90_000);

  it("are left alone with --helper-nice 0", () => expectNice(0, "--helper-nice", "0", "--audit", "audit-0.jsonl", "--store", "pol-0.db"), 90_000);
});

describe("lowerHelperThreads", () => {
  it("refuses a nice value outside 0–19 before touching any thread", async () => {
    for (const bad of [-1, 20, 1.5, Number.NaN]) await expect(lowerHelperThreads(bad)).rejects.toThrow(/helper nice must be a whole number from 0 to 19/);
  });
});
