// The compile cache: a second compile of unchanged sources is served from
// the cache with identical bytes; changing a source changes the key; the
// toolchain part of the key covers every file the compiler runs or reads.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheKey, reachableFiles, toolchainFiles } from "../cache.js";
import { compileText } from "../compile-file.js";

const SRC = "policy c\ntool t { n: number }\nallow t if args.n < 3\n";
const ROOT = join(import.meta.dirname, "..", "..");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pol-cache-"));
  process.env["POL_CACHE_DIR"] = dir;
});
afterAll(() => {
  delete process.env["POL_CACHE_DIR"];
});

describe("compile cache", () => {
  it("serves unchanged sources from the cache, byte for byte", async () => {
    const a = await compileText(SRC, "c.pol");
    expect(a.fromCache).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".wasm"))).toHaveLength(1);
    const b = await compileText(SRC, "c.pol");
    expect(b.fromCache).toBe(true);
    expect(Buffer.from(b.wasm!).equals(Buffer.from(a.wasm!))).toBe(true);
    expect(b.hash).toBe(a.hash);
  });
  it("compiles over a cache entry that is not this policy's (swapped, stale or truncated), never running it", async () => {
    const src = "policy c\ntool t { n: number }\ndeny t if args.n > 100\nallow t if args.n >= 0\n";
    const other = await compileText("policy c\ntool t { n: number }\ndefault allow\n", "c.pol");
    const first = await compileText(src, "c.pol");
    const entry = join(dir, `${cacheKey(first.loaded.sources)}.wasm`);
    for (const bad of [other.wasm!, first.wasm!.slice(0, 100), new TextEncoder().encode("not wasm")]) {
      writeFileSync(entry, bad);
      const again = await compileText(src, "c.pol");
      expect(again.fromCache).toBe(false);
      expect(Buffer.from(again.wasm!).equals(Buffer.from(first.wasm!))).toBe(true);
      // and the entry is this policy's again
      expect(Buffer.from(readFileSync(entry)).equals(Buffer.from(first.wasm!))).toBe(true);
    }
    expect((await compileText(src, "c.pol")).fromCache).toBe(true);
  });

  it("keys on every source text and name", () => {
    const k = cacheKey(new Map([["c.pol", SRC]]));
    expect(cacheKey(new Map([["c.pol", SRC + "\n"]]))).not.toBe(k);
    expect(cacheKey(new Map([["d.pol", SRC]]))).not.toBe(k);
    expect(cacheKey(new Map([["c.pol", SRC]]))).toBe(k);
  });
  it("does not cache a policy with errors", async () => {
    const c = await compileText("allow t if args.x\n", "bad.pol");
    expect(c.wasm).toBeUndefined();
    expect(c.loaded.sink.hasErrors()).toBe(true);
  });
});

describe("the toolchain part of the key", () => {
  const files = new Set(toolchainFiles().map((f) => relative(ROOT, f)));

  it("covers every AssemblyScript stdlib and ABI file, asconfig.json and the asc worker", () => {
    for (const d of ["stdlib/as", "wasm"]) {
      for (const f of readdirSync(join(ROOT, d)).filter((x) => x.endsWith(".ts"))) expect(files).toContain(`${d}/${f}`);
    }
    for (const f of ["asconfig.json", "compiler/asc-worker.mjs", "compiler/emit.ts", "compiler/lower.ts"]) expect(files).toContain(f);
  });

  it("covers the TypeScript builtins and the regex compiler the compiler folds and lowers with", () => {
    for (const d of ["stdlib/ts", "stdlib/regex"]) {
      for (const f of readdirSync(join(ROOT, d)).filter((x) => x.endsWith(".ts"))) expect(files).toContain(`${d}/${f}`);
    }
    expect(files).toContain("stdlib/signatures.ts");
  });

  it("follows static, dynamic and extensionless imports and `new URL` references", () => {
    const d = mkdtempSync(join(tmpdir(), "pol-graph-"));
    const write = (name: string, text: string) => writeFileSync(join(d, name), text);
    write("a.ts", 'import { b } from "./b.js";\nexport * from "./c.js";\nconst w = new URL("./w.mjs", import.meta.url);\nawait import("./d.js");\n');
    write("b.ts", 'import { e } from "./e";\n');
    write("c.ts", "");
    write("d.ts", "");
    write("e.ts", "");
    write("w.mjs", "");
    write("unused.ts", "");
    expect(reachableFiles([join(d, "a.ts")], ".ts").map((f) => relative(d, f))).toEqual(["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "w.mjs"]);
  });

  it("reads no file outside the package", () => {
    for (const f of files) expect(f.startsWith("..")).toBe(false);
    expect(readFileSync(join(ROOT, "asconfig.json"), "utf8")).toContain("optimizeLevel");
  });
});
