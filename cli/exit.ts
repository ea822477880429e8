// The one exit-code table every `pol` command follows (docs/cli.md prints it). Scripts and CI
// branch on these, so a command must never report success after an error of any kind.

export const EXIT = {
  /** Everything asked for was done and found in order. */
  ok: 0,
  /** The inputs were read, and the answer is "no": policy errors (warnings with --strict), unformatted files, failed tests or coverage below the minimum, a broken audit chain, an unknown approval, `pol eval --fail-on` matched. */
  failed: 1,
  /** The command could not do its job: bad usage or option values, a missing or unreadable file, a store or I/O error. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
