// Tests for globMatch and toolMatch: pinned examples, agreement with a
// glob-to-RegExp translation (test-only oracle) and a split-based restatement
// of dotted targets, and the wasm build equal to TS.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { globMatch, toolMatch } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";
import { text } from "./gen.js";

const RUNS = { numRuns: 2000 };

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

/** The documented glob rules as an anchored JS RegExp over code points. */
function globToRegExp(pattern: string, question: boolean): RegExp {
  let re = "";
  const cps = [...pattern];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (c === "*") re += "[^]*";
    else if (c === "?" && question) re += "[^]";
    else {
      const lit = c === "\\" && i + 1 < cps.length ? cps[++i] : c;
      re += lit.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`, "u");
}

function dottedSpec(pattern: string, name: string): boolean {
  const ps = pattern.split(".");
  const ns = name.split(".");
  return ps.length === ns.length && ps.every((p, i) => (p === "*" ? ns[i] !== "" : p === ns[i]));
}

const gChars = fc.constantFrom("a", "b", "*", "?", "\\", ".", "😀", "a", "b");
const sChars = fc.constantFrom("a", "b", ".", "😀", "*", "?", "\\", "\ud800");
const pattern = fc.string({ unit: gChars, maxLength: 10 });
const subject = fc.string({ unit: sChars, maxLength: 14 });
const segs = fc.array(fc.constantFrom("db", "*", "a", "", "read", "x*"), { minLength: 1, maxLength: 4 }).map((a) => a.join("."));
const names = fc.array(fc.constantFrom("db", "a", "", "read", "users", "*", "x*"), { minLength: 1, maxLength: 4 }).map((a) => a.join("."));

describe("globMatch", () => {
  it.each([
    ["*.pdf", "report.pdf", true],
    ["*.pdf", "report.pdf.exe", false],
    ["a?c", "abc", true],
    ["a?c", "a😀c", true], // ? is one code point
    ["a?c", "ac", false],
    ["a\\*c", "a*c", true],
    ["a\\*c", "abc", false],
    ["a\\", "a\\", true],
    ["*", "", true],
    ["", "", true],
    ["", "a", false],
    ["**a*b", "xxaxxbx", false],
    ["*a*b*", "xxaxxbx", true],
    ["/tmp/*", "/tmp/a/b", true],
  ])("globMatch(%j, %j) = %j", (p, s, want) => {
    expect(globMatch(p, s)).toBe(want);
    expect(wasm.globMatch(p, s)).toBe(want);
  });

  it("agrees with a RegExp translation, and wasm agrees with TS", () => {
    fc.assert(
      fc.property(fc.oneof(pattern, text), fc.oneof(subject, text), (p, s) => {
        expect(globMatch(p, s)).toBe(globToRegExp(p, true).test(s));
        expect(wasm.globMatch(p, s)).toBe(globMatch(p, s));
      }),
      RUNS,
    );
  });

  it("handles many stars on long subjects without blowing up", () => {
    const p = "*a".repeat(20) + "*b";
    const s = "a".repeat(20_000);
    expect(globMatch(p, s)).toBe(false);
    expect(wasm.globMatch(p, s)).toBe(false);
  });
});

describe("toolMatch", () => {
  it.each([
    ["db.*", false, "db.users", true],
    ["db.*", false, "db", false],
    ["db.*", false, "db.users.all", false],
    ["db.*", false, "db.", false],
    ["mcp.*.read", false, "mcp.files.read", true],
    ["mcp.*.read", false, "mcp.files.write", false],
    ["db*", false, "db.users", false],
    ["stripe.refund", false, "stripe.refund", true],
    ["delete:*", true, "delete:user", true],
    ["delete:*", true, "delete:", true],
    ["github/*", true, "github/create_issue", true],
    ["a?c", true, "abc", false], // `?` is literal in quoted targets
    ["a?c", true, "a?c", true],
    ["*", true, "anything.at/all", true],
  ])("toolMatch(%j, %j, %j) = %j", (p, q, n, want) => {
    expect(toolMatch(p, q, n)).toBe(want);
    expect(wasm.toolMatch(p, q, n)).toBe(want);
  });

  it("dotted targets follow the segment rule; quoted ones the glob rule without `?`", () => {
    fc.assert(
      fc.property(fc.oneof(segs, pattern), fc.oneof(names, subject), fc.boolean(), (p, n, quoted) => {
        const want = quoted ? globToRegExp(p, false).test(n) : dottedSpec(p, n);
        expect(toolMatch(p, quoted, n)).toBe(want);
        expect(wasm.toolMatch(p, quoted, n)).toBe(want);
      }),
      RUNS,
    );
  });
});
