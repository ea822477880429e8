// Options shared by several `pol` commands, with their validation: an option value that is not
// one of its choices, or not a number in range, is a usage error (exit 2) naming the option,
// never a silent default (`--coverage-min abc` once switched a CI gate off).

import { InvalidArgumentError, Option } from "commander";

export const formatOption = (): Option => new Option("--format <format>", "output format").choices(["text", "json"]).default("text");

export const storeOption = (): Option => new Option("--store <store>", "the state store: a SQLite file, redis:// or postgres:// url (default: $POL_STORE)");

/** A parser for numbers in [min, max]; `what` completes "expected ...". */
export function numberIn(min: number, max: number, what: string, opts: { aboveMin?: boolean; whole?: boolean } = {}): (value: string) => number {
  return (value) => {
    const n = value.trim() === "" ? NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (opts.aboveMin && n === min) || (opts.whole && !Number.isInteger(n))) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

/** `--examples <n>`: how many example calls a report shows per group. */
export const exampleCount = (): Option =>
  new Option("--examples <n>", "example calls shown per group").argParser(numberIn(0, 1000, "a whole number from 0 to 1000", { whole: true })).default(3);

export const percent = numberIn(0, 100, "a number from 0 to 100, without `%` (e.g. 90)");

/** A byte size: a number with an optional kb, mb or gb suffix (powers of 1024), from 1 KiB to 1 GiB. */
export function byteSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(value);
  const unit = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 }[(m?.[2] ?? "b").toLowerCase() as "b"];
  const n = m ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isFinite(n) || n < 1024 || n > 1024 ** 3) throw new InvalidArgumentError("expected a size from 1kb to 1gb, e.g. 1mb");
  return n;
}
