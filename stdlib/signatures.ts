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
  /**
   * Set when the builtin can fail on input it cannot parse: `run` then returns
   * null for the failure value ⊥ (the AssemblyScript function returns the BOT
   * ref, or 2 for a bool), and this says what it could not read, completing
   * "`args.url` is not ..." in decision reasons.
   */
  fails?: string;
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
      { name: "domain", params: ["string"], result: STR, doc: "the lower-cased domain of a string that is exactly one email address; fails (⊥) on anything else", run: impl.domain, asName: "std_domain", fails: "exactly one email address" },
      { name: "host", params: ["string"], result: STR, doc: "the host of a URL as a WHATWG parser reads it (lower-cased, IP addresses canonical); fails (⊥) on URLs without a host or that parsers read differently", run: impl.host, asName: "std_host", fails: "a URL pol can parse unambiguously" },
      { name: "in_cidr", params: ["string", "string"], result: BOOL, doc: "whether an IP address (any form a URL parser accepts) lies in a CIDR range such as `10.0.0.0/8`; false for a host name; fails (⊥) on anything else", run: impl.in_cidr, asName: "std_in_cidr", fails: "an IP address or host name pol can parse" },
      { name: "is_url", params: ["string"], result: BOOL, doc: "whether `host` can read the string (never fails)", run: impl.is_url, asName: "std_is_url" },
      { name: "is_ip", params: ["string"], result: BOOL, doc: "whether `in_cidr` reads the string as an IP address (never fails)", run: impl.is_ip, asName: "std_is_ip" },
      { name: "is_email", params: ["string"], result: BOOL, doc: "whether the whole string is an email address (exactly when `domain` does not fail)", run: impl.is_email, asName: "std_is_email" },
      { name: "has_pii", params: ["string"], result: BOOL, doc: "whether the text contains an email address, phone number, US SSN, payment card number (Luhn-checked) or API key", run: impl.has_pii, asName: "std_has_pii" },
      { name: "abs", params: ["number"], result: NUM, doc: "the absolute value", run: Math.abs, asName: "Math.abs" },
      { name: "floor", params: ["number"], result: NUM, doc: "the largest integer not above the number", run: Math.floor, asName: "Math.floor" },
      { name: "min", params: ["number", "number"], result: NUM, doc: "the smaller of two numbers", run: Math.min, asName: "Math.min" },
      { name: "max", params: ["number", "number"], result: NUM, doc: "the larger of two numbers", run: Math.max, asName: "Math.max" },
    ] satisfies Builtin[]
  ).map((b) => [b.name, b]),
);
