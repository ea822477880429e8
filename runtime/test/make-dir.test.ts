// makeDir: parents made, an existing directory accepted, a file in the way and an impossible
// place refused at once (mkdirSync's recursive mode loops forever under /proc on Node 20).

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

  it("refuses a file in the way and a place no directory can be made, at once", () => {
    const f = join(tempDir(), "file");
    writeFileSync(f, "");
    expect(() => makeDir(join(f, "x"))).toThrow(/ENOTDIR/);
    expect(() => makeDir(f)).toThrow(/EEXIST/);
    if (process.platform === "linux") expect(() => makeDir("/proc/pol-nope/x")).toThrow(/ENOENT/);
  });
});
