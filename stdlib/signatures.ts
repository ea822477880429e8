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
  /** For a builtin that can fail: the builtin that is false exactly when it fails, on the same argument (W0109's guard). */
  guard?: string;
  /**
   * Set for `today()` and `now()`: they read the host's clock (the call's `time`), not an argument,
   * so they are never folded and the interpreter and codegen read the clock input instead of `run`.
   */
  clock?: "today" | "now";
}

const NUM: Type = { kind: "number" };
const STR: Type = { kind: "string" };
const BOOL: Type = { kind: "bool" };
const STRS: Type = { kind: "list", elem: STR };
const noClock = () => {
  throw new Error("internal error: a clock builtin is read from the call's time, not called");
};

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
      { name: "domain", params: ["string"], result: STR, doc: "the lower-cased domain of a string that is exactly one email address; fails (⊥) on anything else", run: impl.domain, asName: "std_domain", fails: "exactly one email address", guard: "is_email" },
      { name: "host", params: ["string"], result: STR, doc: "the host of a URL as a WHATWG parser reads it (lower-cased, IP addresses canonical); fails (⊥) on URLs without a host or that parsers read differently", run: impl.host, asName: "std_host", fails: "a URL pol can parse unambiguously", guard: "is_url" },
      { name: "in_cidr", params: ["string", "string"], result: BOOL, doc: "whether an IP address (any form a URL parser accepts) lies in a CIDR range such as `10.0.0.0/8`; false for a host name; fails (⊥) on anything else", run: impl.in_cidr, asName: "std_in_cidr", fails: "an IP address or host name pol can parse", guard: "is_ip" },
      { name: "is_url", params: ["string"], result: BOOL, doc: "whether `host` can read the string (never fails)", run: impl.is_url, asName: "std_is_url" },
      { name: "is_ip", params: ["string"], result: BOOL, doc: "whether `in_cidr` reads the string as an IP address (never fails)", run: impl.is_ip, asName: "std_is_ip" },
      { name: "is_email", params: ["string"], result: BOOL, doc: "whether the whole string is an email address (exactly when `domain` does not fail)", run: impl.is_email, asName: "std_is_email" },
      { name: "has_pii", params: ["string"], result: BOOL, doc: "whether the text contains an email address, phone number, US SSN, payment card number (Luhn-checked) or API key", run: impl.has_pii, asName: "std_has_pii" },
      { name: "urls", params: ["string"], result: STRS, doc: "the links written in a text, in order: `scheme://...` links as written, bare web addresses (`www.x.com/a`) with `http://` in front", run: impl.urls, asName: "std_urls" },
      { name: "emails", params: ["string"], result: STRS, doc: "the email addresses written in a text, in order, as written", run: impl.emails, asName: "std_emails" },
      { name: "date", params: ["string"], result: NUM, doc: "the day an ISO date names (`YYYY-MM-DD`, a time may follow), as days since 1970-01-01; fails (⊥) on anything else", run: impl.date, asName: "std_date", fails: "an ISO date (`YYYY-MM-DD`)", guard: "is_date" },
      { name: "time", params: ["string"], result: NUM, doc: "the instant an ISO date and time names (`YYYY-MM-DD HH:MM[:SS]`, UTC unless a zone follows), as seconds since 1970-01-01; fails (⊥) on anything else", run: impl.time, asName: "std_time", fails: "an ISO date and time (`YYYY-MM-DD HH:MM`)", guard: "is_time" },
      { name: "is_date", params: ["string"], result: BOOL, doc: "whether `date` can read the string (never fails)", run: impl.is_date, asName: "std_is_date" },
      { name: "is_time", params: ["string"], result: BOOL, doc: "whether `time` can read the string (never fails)", run: impl.is_time, asName: "std_is_time" },
      { name: "today", params: [], result: NUM, doc: "the current day (UTC) from the host's clock, as days since 1970-01-01 (compare with `date(...)`)", run: noClock, asName: "", clock: "today" },
      { name: "now", params: [], result: NUM, doc: "the current instant from the host's clock, as seconds since 1970-01-01 (compare with `time(...)`)", run: noClock, asName: "", clock: "now" },
      { name: "abs", params: ["number"], result: NUM, doc: "the absolute value", run: Math.abs, asName: "Math.abs" },
      { name: "floor", params: ["number"], result: NUM, doc: "the largest integer not above the number", run: Math.floor, asName: "Math.floor" },
      { name: "min", params: ["number", "number"], result: NUM, doc: "the smaller of two numbers", run: Math.min, asName: "Math.min" },
      { name: "max", params: ["number", "number"], result: NUM, doc: "the larger of two numbers", run: Math.max, asName: "Math.max" },
    ] satisfies Builtin[]
  ).map((b) => [b.name, b]),
);
