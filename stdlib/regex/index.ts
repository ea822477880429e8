// pol's regular expressions: source text compiled at policy compile time to a
// minimal DFA (parse.ts → nfa.ts → dfa.ts). Called by the checker/compiler for
// `=~ /re/` literals and by the interpreter through dfaSearch (run.ts).

import { buildDfa, type Dfa } from "./dfa.js";
import { buildNfa } from "./nfa.js";
import { parseRegex, RegexError } from "./parse.js";

export { ACCEPT, ACCEPT_END, DEAD, MAX_DFA_STATES, type Dfa } from "./dfa.js";
export { MAX_REPEAT } from "./parse.js";
export { classOf, deserializeDfa, dfaSearch, serializeDfa } from "./run.js";

export type CompileResult =
  | { ok: true; dfa: Dfa }
  | { ok: false; kind: "syntax" | "unsupported"; message: string; offset: number };

const KNOWN_JS_FLAGS = "dgmsuvy";

/**
 * Compiles `source` (JS regex syntax, without the slashes) with `flags` ("" or
 * "i") to a DFA. `s =~ /re/` is true iff some substring of `s` matches, as JS
 * `RegExp.prototype.test`, with these rules:
 * - Matching is over code points: a surrogate pair in the pattern or the
 *   input is one character (like JS's `u` flag), and lone surrogates in the
 *   input are never matched by anything.
 * - Syntax: literals; escapes `\d \w \s \D \W \S`, `\n \t \r \f \v \0`,
 *   `\cX`, `\xHH`, `\uXXXX` (two escapes forming a surrogate pair are one
 *   code point), `\u{...}`, and `\` before any of `^$\.*+?()[]{}|/`; `.` (any
 *   code point except `\n` — JS also excludes `\r`, U+2028 and U+2029);
 *   classes `[a-z]`, `[^...]` (with `\b` = backspace and `\-` inside);
 *   groups `(...)`, `(?:...)`, `(?<name>...)`; `|`; `* + ? {n} {n,} {n,m}`
 *   with n, m <= 1000 (a lazy `?` suffix is accepted and means the same for a
 *   yes/no match); `^` and `$` match only at the start and end of the whole
 *   string. Stray `{`, `}`, `]` must be escaped (as in JS's `u` mode).
 * - Flag `i`: a literal character or class member matches every character in
 *   its case orbit under the simple `lower`/`upper` mappings (`k`, `K` and
 *   U+212A KELVIN SIGN; `σ`, `ς`, `Σ`); `\d \w \s`, their negations and `.`
 *   are fixed sets. `[^...]` negates after case closure.
 * - Rejected as unsupported: backreferences, lookahead and lookbehind, `\b`
 *   and `\B`, `\p{...}`, inline modifiers, lone surrogate escapes, counts
 *   above 1000, and regexes whose automaton would exceed 10,000 states or the
 *   compile-time work budget. Flags other than `i` are rejected.
 * Errors carry a one-line lowercase message and an offset into `source`; a
 * bad flag's offset is `source.length + 1 + its index in flags`, i.e. its
 * position in `source + "/" + flags`.
 */
export function compileRegex(source: string, flags: string): CompileResult {
  let ignoreCase = false;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    const offset = source.length + 1 + i;
    if (f === "i" && !ignoreCase) ignoreCase = true;
    else if (f === "i") return { ok: false, kind: "syntax", message: "duplicate regex flag `i`", offset };
    else if (KNOWN_JS_FLAGS.includes(f)) {
      return { ok: false, kind: "unsupported", message: `regex flag \`${f}\` is not supported (only \`i\` is)`, offset };
    } else return { ok: false, kind: "syntax", message: `unknown regex flag \`${f}\``, offset };
  }
  try {
    return { ok: true, dfa: buildDfa(buildNfa(parseRegex(source, ignoreCase))) };
  } catch (e) {
    if (e instanceof RegexError) return { ok: false, kind: e.kind, message: e.message, offset: e.offset };
    throw e;
  }
}
