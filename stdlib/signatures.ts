// The one table of pol's builtin functions: their parameter and result types
// (read by the checker), their TypeScript implementation (called by the
// reference interpreter) and their AssemblyScript name (called by codegen).

import type { Type } from "../language/types.js";
import * as impl from "./ts/index.js";

/** A parameter accepts a type; `"list"` accepts any list, `"string|list"` a string or any list. */
export type ParamKind = "number" | "string" | "bool" | "list" | "string|list";

export interface Builtin {
  name: string;
  params: ParamKind[];
  result: Type;
  /** One line for docs and `help` texts. */
  doc: string;
  /** Reference implementation used by the interpreter. Arguments are already type-checked. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: (...args: any[]) => unknown;
  /**
   * The AssemblyScript function in stdlib/as that codegen calls. Strings cross
   * as i64 string refs (see wasm/abi.md); `len` of a list is lowered inline.
   */
  asName: string;
}

const NUM: Type = { kind: "number" };
const STR: Type = { kind: "string" };
const BOOL: Type = { kind: "bool" };

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map(
  (
    [
      { name: "lower", params: ["string"], result: STR, doc: "the string with each letter mapped to lower case (simple per-code-point mapping)", run: impl.lower, asName: "std_lower" },
      { name: "upper", params: ["string"], result: STR, doc: "the string with each letter mapped to upper case (simple per-code-point mapping)", run: impl.upper, asName: "std_upper" },
      { name: "trim", params: ["string"], result: STR, doc: "the string without leading and trailing white space", run: impl.trim, asName: "std_trim" },
      { name: "len", params: ["string|list"], result: NUM, doc: "the number of characters (code points) in a string, or of items in a list", run: impl.len, asName: "std_len" },
      { name: "starts_with", params: ["string", "string"], result: BOOL, doc: "whether the first string starts with the second", run: impl.starts_with, asName: "std_starts_with" },
      { name: "ends_with", params: ["string", "string"], result: BOOL, doc: "whether the first string ends with the second", run: impl.ends_with, asName: "std_ends_with" },
      { name: "contains", params: ["string", "string"], result: BOOL, doc: "whether the first string contains the second", run: impl.contains, asName: "std_contains" },
      { name: "domain", params: ["string"], result: STR, doc: "the lower-cased domain of an email address (`\"\"` when there is no `@`)", run: impl.domain, asName: "std_domain" },
      { name: "host", params: ["string"], result: STR, doc: "the lower-cased host of a URL (`\"\"` when there is none)", run: impl.host, asName: "std_host" },
      { name: "in_cidr", params: ["string", "string"], result: BOOL, doc: "whether an IPv4 or IPv6 address lies in a CIDR range such as `10.0.0.0/8`", run: impl.in_cidr, asName: "std_in_cidr" },
      { name: "is_email", params: ["string"], result: BOOL, doc: "whether the whole string is an email address", run: impl.is_email, asName: "std_is_email" },
      { name: "has_pii", params: ["string"], result: BOOL, doc: "whether the text contains an email address, phone number, US SSN, payment card number (Luhn-checked) or API key", run: impl.has_pii, asName: "std_has_pii" },
      { name: "abs", params: ["number"], result: NUM, doc: "the absolute value", run: Math.abs, asName: "Math.abs" },
      { name: "floor", params: ["number"], result: NUM, doc: "the largest integer not above the number", run: Math.floor, asName: "Math.floor" },
      { name: "min", params: ["number", "number"], result: NUM, doc: "the smaller of two numbers", run: Math.min, asName: "Math.min" },
      { name: "max", params: ["number", "number"], result: NUM, doc: "the larger of two numbers", run: Math.max, asName: "Math.max" },
    ] satisfies Builtin[]
  ).map((b) => [b.name, b]),
);
