// The diagnostics catalogue: every code pol can report, its severity and a
// one-line summary. Codes are stable: never renumber, only add. Read by the
// Sink (severity), docs/diagnostics.md and the golden tests.

import type { Severity } from "./diagnostics.js";

interface Entry { severity: Severity; summary: string }

const e = (summary: string): Entry => ({ severity: "error", summary });
const w = (summary: string): Entry => ({ severity: "warning", summary });

export const CODES = {
  // E01xx: lexing and parsing
  E0101: e("unexpected character"),
  E0102: e("unterminated string or regular expression"),
  E0103: e("syntax error"),
  E0104: e("invalid number literal"),
  E0105: e("invalid escape in string"),
  E0106: e("the `policy` header must come first"),
  E0107: e("invalid time window"),
  E0108: e("`{ ... }` value mixing record fields and map keys"),
  E0109: e("statement nested too deeply or too long to check"),
  // E02xx: names and types
  E0201: e("unknown name"),
  E0202: e("unknown input root"),
  E0203: e("unknown argument field"),
  E0204: e("type mismatch"),
  E0205: e("condition is not a boolean"),
  E0206: e("optional field read without a `has` guard"),
  E0207: e("unknown builtin function"),
  E0208: e("wrong number of arguments to a builtin"),
  E0209: e("field not shared by every target tool"),
  E0210: e("`args` read where no tool schema applies"),
  E0211: e("duplicate declaration"),
  E0213: e("name shadows another"),
  E0214: e("invalid regular expression"),
  E0215: e("regular expression construct a DFA cannot express"),
  E0216: e("invalid glob pattern"),
  E0217: e("recursive `let`"),
  E0218: e("comparison of values that cannot be compared"),
  E0219: e("unknown context field"),
  E0220: e("duplicate field"),
  E0221: e("CIDR range that `in_cidr` cannot read"),
  E0222: e("string compared with a value its enum cannot hold"),
  E0223: e("invalid map, record value or lookup"),
  // E03xx: declarations
  E0301: e("duplicate tool schema"),
  E0302: e("`by` on a rule that is not `approve`"),
  E0303: e("duplicate rule or limit label"),
  E0304: e("more than one policy-wide `default`"),
  E0305: e("invalid limit"),
  E0306: e("invalid redact path"),
  E0307: e("import not found or unreadable"),
  E0308: e("rules, limits and defaults are not allowed in an imported file"),
  E0309: e("import cycle"),
  E0310: e("invalid run state declaration"),
  E0311: e("invalid run state update"),
  // E09xx: internal
  E0901: e("internal compiler error"),
  E0902: e("cannot read file"),
  // W0xxx: warnings
  W0101: w("unknown tool in targets"),
  W0102: w("unused `let`"),
  W0103: w("rule can never match"),
  W0104: w("rule always matches its targets: its condition is always true"),
  W0105: w("pattern matches no declared tool"),
  W0106: w("`approve` rule outranks an `allow` rule on the same tool unconditionally"),
  W0107: w("`has` applied to a field that is always present"),
  W0108: w("limit reads `args` but its targets cover undeclared tools"),
  W0109: w("`deny` or `approve` rule that does not apply when a builtin cannot parse its input"),
  // W011x: red flags from deployment checklists (whole-policy lint, language/lint.ts)
  W0110: w("every tool is allowed without a condition"),
  W0111: w("`default allow` with no `deny` rule"),
  W0112: w("a write or destructive tool the agent may call with neither a limit nor an approval path"),
  W0113: w("tool declared but never targeted"),
} as const satisfies Record<string, Entry>;

export type Code = keyof typeof CODES;
