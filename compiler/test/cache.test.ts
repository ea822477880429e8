// The compile cache: a second compile of unchanged sources is served from
// the cache with identical bytes; changing a source changes the key.

import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheKey } from "../cache.js";
import { compileLoaded } from "../compile.js";
import { loadText } from "../../language/load.js";

const SRC = "policy c\ntool t { n: number }\nallow t if args.n < 3\n";
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
    const a = await compileLoaded(loadText(SRC, "c.pol"));
    expect(readdirSync(dir).filter((f) => f.endsWith(".wasm"))).toHaveLength(1);
    const b = await compileLoaded(loadText(SRC, "c.pol"));
    expect(Buffer.from(b!).equals(Buffer.from(a!))).toBe(true);
  });
  it("keys on every source text and name", () => {
    const k = cacheKey(new Map([["c.pol", SRC]]));
    expect(cacheKey(new Map([["c.pol", SRC + "\n"]]))).not.toBe(k);
    expect(cacheKey(new Map([["d.pol", SRC]]))).not.toBe(k);
    expect(cacheKey(new Map([["c.pol", SRC]]))).toBe(k);
  });
  it("does not cache a policy with errors", async () => {
    expect(await compileLoaded(loadText("allow t if args.x\n", "bad.pol"))).toBeUndefined();
  });
});
