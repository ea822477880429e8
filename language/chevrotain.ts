// Chevrotain's values (lexer, parser base class, token matcher), loaded from the single-file
// bundle its package ships (lib/chevrotain.mjs) rather than its package entry. The entry is some
// 600 ES modules (lodash-es) and took 340 ms to import here, the bundle 20 ms: most of
// `pol check`'s start-up. Same package, version and code. Every value import of chevrotain goes
// through this file so lexer, parser and formatter share one copy; types still come from
// "chevrotain" itself.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function load(): Promise<Chevrotain> {
  try {
    // The package entry is lib/src/api.js; the bundle sits at lib/chevrotain.mjs.
    const entry = createRequire(import.meta.url).resolve("chevrotain");
    return (await import(pathToFileURL(join(dirname(entry), "..", "chevrotain.mjs")).href)) as Chevrotain;
  } catch {
    return import("chevrotain"); // a chevrotain without the bundle: slower to load, same behaviour
  }
}

const chevrotain = await load();

export const { createToken, EmbeddedActionsParser, Lexer, tokenMatcher } = chevrotain;
