// Error lines a long-running command prints, with repeats folded: `pol serve` reports each of the
// Engine's internal errors (cli/serve.ts), and one fault can recur on every decision. A stalled
// audit disk, for one, denies each decision at once with the same error (runtime/audit/jsonl.ts),
// which at thousands of decisions a second would flood the server's log and the disk holding it.
// The first line of a kind is printed at once; its repeats are counted and summed up in one line
// per window while they go on.

/** Distinct lines remembered at once; past it the oldest is summed up and forgotten. */
const MAX_KINDS = 100;

interface Seen { repeats: number; since: number }

export class RepeatFolder {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;

  /** `write` gets whole lines (no newline); `windowMs` is how often repeats are summed up. */
  constructor(private readonly write: (line: string) => void, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  line(text: string): void {
    const s = this.seen.get(text);
    if (s) {
      s.repeats++;
      return;
    }
    if (this.seen.size >= MAX_KINDS) this.summarise(this.seen.keys().next().value!, true);
    this.seen.set(text, { repeats: 0, since: this.now() });
    this.write(text);
    this.timer ??= setInterval(() => this.flush(), this.windowMs).unref();
  }

  /** Sums up the repeats counted so far; lines that stopped recurring are forgotten, so their next occurrence prints in full. */
  flush(): void {
    for (const text of [...this.seen.keys()]) this.summarise(text, this.seen.get(text)!.repeats === 0);
    if (this.seen.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private summarise(text: string, forget: boolean): void {
    const s = this.seen.get(text)!;
    if (s.repeats > 0) {
      const secs = Math.max(1, Math.round((this.now() - s.since) / 1000));
      this.write(`${text} (${s.repeats} more time${s.repeats === 1 ? "" : "s"} in the last ${secs} s)`);
      s.repeats = 0;
      s.since = this.now();
    }
    if (forget) this.seen.delete(text);
  }
}
