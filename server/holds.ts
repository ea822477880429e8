// How many long-lived requests one principal, and the whole server, may hold at once: the
// console's live event streams (events.ts) and agents' approval long-polls (api.ts). Each holds a
// connection, and a long-poll reads the store every poll interval, so neither may grow without
// bound; past a cap the request is refused with a 429 and a Retry-After, and the caller tries
// again later. Counted when the request is admitted, before any await, so simultaneous requests
// cannot all pass the check.

/** When a refused request should try again, in seconds. */
export const RETRY_AFTER_S = 30;

export class Holds {
  /** Held by principal name (lower case, as names compare). */
  private readonly held = new Map<string, number>();
  private total = 0;

  /** `what` names the requests in a refusal (`live console streams`). */
  constructor(readonly perPrincipal: number, readonly max: number, private readonly what: string) {}

  /** Admits one more for `who`: the function that lets it go (call it once), or why not (a sentence). */
  take(who: string): (() => void) | string {
    const name = who.toLowerCase();
    const mine = this.held.get(name) ?? 0;
    if (mine >= this.perPrincipal) return `${who} already holds ${mine} ${this.what} (at most ${this.perPrincipal}); try again in ${RETRY_AFTER_S} s`;
    if (this.total >= this.max) return `the server already holds ${this.max} ${this.what}; try again in ${RETRY_AFTER_S} s`;
    this.held.set(name, mine + 1);
    this.total++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.total--;
      const n = (this.held.get(name) ?? 1) - 1;
      if (n > 0) this.held.set(name, n);
      else this.held.delete(name);
    };
  }
}
