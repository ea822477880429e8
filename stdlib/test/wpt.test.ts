// host() against the WHATWG URL test data of web-platform-tests
// (stdlib/test/data/urltestdata.json, copied from web-platform-tests, 601 cases), in both engines: pol either
// gives the standard's hostname or fails, and every failure where the
// standard gives a host falls in a refusal class documented in docs/language.md.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { REFUSAL, host, lastRefusal } from "../ts/index.js";
import { AsStdlib } from "./as-harness.js";

interface Entry { input: string; base: string | null; failure?: boolean; hostname?: string }

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATA = `${ROOT}stdlib/test/data/urltestdata.json`;
const entries = (JSON.parse(readFileSync(DATA, "utf8")) as unknown[]).filter((x): x is Entry => typeof x === "object" && x !== null);

const whatwg = (input: string, base?: string): string | null => {
  try {
    return new URL(input, base).hostname;
  } catch {
    return null;
  }
};

/**
 * The hostname a parser with no base gives: the test data's own answer when
 * the base does not change it, else Node's parse without the base (Node is
 * checked against the data below). host() has no base: a relative URL fails.
 */
function expected(e: Entry): string | null {
  const own = e.failure ? null : e.hostname!;
  if (e.base === null || whatwg(e.input) === whatwg(e.input, e.base)) return own;
  return whatwg(e.input);
}

/**
 * Where the standard gives a host and pol refuses, by refusal class. These
 * counts are the table in docs/language.md ("host() and the WHATWG test
 * data"); a change to the parser that moves them must update the docs.
 */
const REFUSED: Partial<Record<keyof typeof REFUSAL, number>> = {
  NO_HOST: 54,
  SLASHES: 30,
  CONTROL: 17,
  PERCENT: 10,
  IDN: 8,
  BACKSLASH: 5,
  USERINFO: 3,
  SEVERAL_AT: 3,
  TRAILING_DOT: 3,
  HOST_CHARS: 2,
};

let wasm: AsStdlib;
beforeAll(async () => {
  wasm = await AsStdlib.load();
});

describe("host() and the WHATWG URL test data", () => {
  it("reads the whole data set", () => {
    expect(entries.length).toBe(601);
  });

  it("Node's URL, the oracle for cases whose base matters, passes every case of the data", () => {
    const wrong = entries.filter((e) => whatwg(e.input, e.base ?? undefined) !== (e.failure ? null : e.hostname));
    expect(wrong.map((e) => e.input)).toEqual([]);
  });

  it("gives the standard's hostname or fails, in both engines alike, and every refusal has a documented class", () => {
    const names = Object.fromEntries(Object.entries(REFUSAL).map(([k, v]) => [v, k]));
    const refused: Record<string, number> = {};
    let same = 0;
    const wrong: string[] = [];
    for (const e of entries) {
      const want = expected(e);
      const got = host(e.input);
      const why = got === null ? lastRefusal() : 0;
      expect(wasm.host(e.input), JSON.stringify(e.input)).toBe(got);
      if (got === null) expect(wasm.lastRefusal(), JSON.stringify(e.input)).toBe(why);
      if (got === want) same++;
      else if (got !== null) wrong.push(`${JSON.stringify(e.input)}: pol ${JSON.stringify(got)}, WHATWG ${JSON.stringify(want)}`);
      else {
        const k = names[why];
        expect(k, `refusal of ${JSON.stringify(e.input)}`).toBeDefined();
        refused[k!] = (refused[k!] ?? 0) + 1;
      }
    }
    expect(wrong).toEqual([]);
    console.log(`WPT urltestdata: ${same} of ${entries.length} as the standard, refused: ${JSON.stringify(refused)}`);
    expect(refused).toEqual(REFUSED);
    expect(same + Object.values(refused).reduce((a, b) => a + b, 0)).toBe(entries.length);
  });

  it("documents every refusal class and the counts", () => {
    const doc = readFileSync(`${ROOT}docs/language.md`, "utf8");
    for (const k of Object.keys(REFUSAL)) expect(doc, `docs/language.md names ${k}`).toContain(`\`${k}\``);
    for (const [k, n] of Object.entries(REFUSED)) expect(doc, `docs/language.md counts ${k}`).toMatch(new RegExp(`\`${k}\`[^\\n]*\\| ${n} \\|`));
  });
});
