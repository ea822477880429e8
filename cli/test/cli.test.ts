// The CLI end to end through main(): exit codes and output of check, fmt,
// eval (wasm by default, --interpreter, --explain, json), compile, inspect.

import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../main.js";
import type { Io } from "../io.js";

function run(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => stdin, colorOut: false, colorErr: false };
  return main(args, io).then((code) => ({ code, out, err }));
}

const SKETCH = "examples/support_agent/support_agent.pol";
const call = (amount: number) => JSON.stringify({ tool: "stripe.refund", args: { amount, currency: "usd", customer: "c" }, agent: { id: "a", roles: [], trust: 90 }, env: "production" });

describe("pol check", () => {
  it("passes the sketch", async () => {
    const r = await run(["check", SKETCH]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("checked 1 file: 0 errors, 0 warnings");
  });
  it("fails on broken files with every error and a caret", async () => {
    const r = await run(["check", "language/test/golden/types.pol"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error E0203: unknown argument `amont`");
    expect(r.err).toContain("^^^^^");
    expect(r.err.match(/error E0/g)!.length).toBeGreaterThanOrEqual(7);
  });
  it("--format json is machine readable", async () => {
    const r = await run(["check", "--format", "json", "language/test/golden/declarations.pol"]);
    const j = JSON.parse(r.out);
    expect(j.diagnostics.some((d: { code: string; line: number }) => d.code === "E0304" && d.line === 4)).toBe(true);
  });
  it("warnings fail only with --strict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pol-"));
    writeFileSync(join(dir, "w.pol"), "let unused = 1\n");
    expect((await run(["check", dir])).code).toBe(0);
    expect((await run(["check", "--strict", dir])).code).toBe(1);
  });
  it("a missing path is exit 2", async () => expect((await run(["check", "nope.pol"])).code).toBe(2));
});

describe("pol eval", () => {
  it("decides through the compiled wasm with --explain", async () => {
    const r = await run(["eval", SKETCH, "--call", call(120), "--explain"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("approve  (rule: support_agent.pol:18");
    expect(r.out).toContain("approvers: finance");
    expect(r.out).toContain("engine: wasm");
    expect(r.out).toMatch(/matched +approve +support_agent.pol:18/);
    expect(r.out).toMatch(/not matched +allow +support_agent.pol:17/);
  });
  it("reads the call from stdin and prints json; the interpreter agrees", async () => {
    const a = JSON.parse((await run(["eval", SKETCH, "--format", "json"], call(301))).out);
    const b = JSON.parse((await run(["eval", SKETCH, "--format", "json", "--interpreter"], call(301))).out);
    expect(a.effect).toBe("deny");
    expect({ ...a, engine: "" }).toEqual({ ...b, engine: "" });
  });
  it("gives a policy that reads the clock the current time, as the Engine does, unless the call carries one", async () => {
    const travel = "examples/agentdojo/travel.pol";
    const stay = (start: string, extra = "") => `{"tool":"reserve_hotel","args":{"hotel":"Le Marais","start_day":"${start}","end_day":"2999-01-02"}${extra}}`;
    const past = JSON.parse((await run(["eval", travel, "--format", "json", "--call", stay("2000-01-01")])).out);
    expect(past).toMatchObject({ effect: "deny", reasons: ["a stay starts today or later and ends after it starts"] });
    const future = JSON.parse((await run(["eval", travel, "--format", "json", "--call", stay("2999-01-01")])).out);
    expect(future.reasons).not.toContain("a stay starts today or later and ends after it starts");
    // A call's own time is used: in 1999, a stay from 2000 starts in the future.
    const then = JSON.parse((await run(["eval", travel, "--format", "json", "--call", stay("2000-01-01", ',"time":"1999-06-01T00:00:00Z"')])).out);
    expect(then.reasons).not.toContain("a stay starts today or later and ends after it starts");
  });
  it("names the implicit default as such, not as a rule at `<none>:1`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pol-eval-"));
    writeFileSync(join(dir, "q.pol"), "policy q\ntool t { n: number }\nallow t if args.n > 1\n");
    const r = await run(["eval", join(dir, "q.pol"), "--call", '{"tool":"x","args":{}}']);
    expect(r.out).toMatch(/^deny {2}\(default: no `default` line, so deny\)\n/);
  });
  it("on a terminal, says how to end the call it reads from standard input instead of seeming to hang", () => {
    // `script` gives the command a real terminal (util-linux); the call, then Ctrl-D, is typed into it.
    const r = spawnSync("sh", ["-c", `(sleep 1; printf '{"tool":"x","args":{}}\\n\\004') | script -qec "${process.execPath} bin/pol.js eval ${SKETCH}" /dev/null`], { encoding: "utf8", timeout: 20_000 });
    expect(r.stdout).toContain("reading standard input from the terminal: type or paste it, then press Ctrl-D");
    expect(r.stdout).toContain("deny  (default: default at");
  });
  it("refuses --call together with --call-file, rather than silently using one", async () => {
    const r = await run(["eval", SKETCH, "--call", call(1), "--call-file", "x.json"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("give the call once: `--call` or `--call-file`, not both");
  });
  it("bad JSON is exit 2 with a message", async () => {
    const r = await run(["eval", SKETCH, "--call", "{nope"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("not valid JSON");
  });
});

describe("pol compile and inspect", () => {
  it("writes deterministic .wasm files that eval and inspect read", async () => {
    const out = mkdtempSync(join(tmpdir(), "pol-out-"));
    const r1 = await run(["compile", SKETCH, "-o", out]);
    expect(r1.code).toBe(0);
    const wasm = join(out, "support_agent.wasm");
    const first = readFileSync(wasm);
    await run(["compile", SKETCH, "-o", out]);
    expect(readFileSync(wasm).equals(first)).toBe(true);
    expect((await run(["eval", wasm, "--call", call(20)])).out).toMatch(/^allow/);
    const i = await run(["inspect", wasm]);
    expect(i.out).toContain("policy support_agent");
    expect(i.out).toContain("#1 stripe.refund (write)");
    expect(i.out).toContain("args.amount");
  });
  it("fails with diagnostics on a broken policy", async () => {
    const out = mkdtempSync(join(tmpdir(), "pol-out-"));
    const r = await run(["compile", "language/test/golden/types.pol", "-o", out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("E0203");
    expect(existsSync(join(out, "types.wasm"))).toBe(false);
  });
});
