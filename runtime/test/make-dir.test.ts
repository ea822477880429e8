// makeDir: parents made, an existing directory accepted, a file in the way and an impossible
// place refused at once (mkdirSync's recursive mode loops forever under /proc on Node 20).

import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDir } from "../make-dir.js";
import { tempDir } from "./helpers.js";

describe("makeDir", () => {
  it("makes missing parents, and accepts a directory already there", () => {
    const d = join(tempDir(), "a", "b", "c");
    makeDir(d);
    expect(existsSync(d)).toBe(true);
    makeDir(d);
  });

  it("lets processes racing on the same new nested directories all succeed (built module, 4 processes)", async () => {
    const base = tempDir();
    const mod = new URL("../../dist/runtime/make-dir.js", import.meta.url).href;
    const script = `const { makeDir } = await import(${JSON.stringify(mod)}); for (let i = 0; i < 200; i++) makeDir(${JSON.stringify(base)} + "/r" + i + "/a/b/c/d");`;
    const runs = Array.from({ length: 4 }, () => new Promise<number | null>((done) => spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" }).once("exit", done)));
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    expect(existsSync(join(base, "r199", "a", "b", "c", "d"))).toBe(true);
  });

  it("refuses a file in the way and a place no directory can be made, at once", () => {
    const f = join(tempDir(), "file");
    writeFileSync(f, "");
    expect(() => makeDir(join(f, "x"))).toThrow(/ENOTDIR/);
    expect(() => makeDir(f)).toThrow(/EEXIST/);
    if (process.platform === "linux") expect(() => makeDir("/proc/pol-nope/x")).toThrow(/ENOENT/);
  });
});
