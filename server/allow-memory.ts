// The allows pol serve gave, remembered until their outcome is reported, in a fixed block of typed
// arrays. Fed by Actions.decided (each allow /v1/decide answers); read by Actions.outcomeOf, so
// that `/v1/outcome` moves an agent's trust once per allow it was given (server/api.ts).
//
// Why not a Map of decision id → agent: at 5,000 decisions a second every entry lives long enough
// to be promoted, and the oldest are deleted as new ones come, so the old generation filled with
// dead entries (~100 bytes an allow) and brought back the mark-compacts benchmarks/FINDINGS.md
// measured at 3–17 ms each ("A seventh VM"). Here remembering allocates nothing.
//
// Each slot holds 64-bit fingerprints of the decision id and of the agent, and when it was
// remembered. Fingerprints are keyed by a random seed drawn at start, and never leave the
// process: a made-up decision id matches a live allow by chance with odds of about
// capacity / 2^64. Ids come only from this server's decisions, so nobody can crowd a bucket.

import { randomBytes } from "node:crypto";

/** Slots probed from a fingerprint's home slot: a lookup reads at most this many. */
const WINDOW = 16;

export class AllowMemory {
  private readonly mask: number;
  /** Two 32-bit halves of each slot's decision id fingerprint. */
  private readonly ids: Int32Array;
  /** Two 32-bit halves of each slot's agent fingerprint; 0, 0 is "no agent", which a real agent's never is. */
  private readonly agents: Int32Array;
  /** When each slot was filled, counted in allows remembered (from 1); 0 for empty or taken. */
  private readonly when: Float64Array;
  private count = 0;
  private readonly seeds: Int32Array;

  /** Remembers the last `capacity` allows (a few sooner in the rare bucket that fills first). */
  constructor(readonly capacity: number) {
    // At most 40% of the slots live: the window then almost never fills before its oldest expires.
    const slots = 2 ** Math.ceil(Math.log2(capacity * 2.5));
    this.mask = slots - 1;
    this.ids = new Int32Array(slots * 2);
    this.agents = new Int32Array(slots * 2);
    this.when = new Float64Array(slots);
    this.seeds = new Int32Array(randomBytes(16).buffer);
  }

  /** Remembers an allow for `agent` (null when the call named none). */
  remember(id: string, agent: string | null): void {
    const a = fingerprint(id, this.seeds[0]!);
    const b = fingerprint(id, this.seeds[1]!);
    const home = a & this.mask;
    const oldest = this.count - this.capacity;
    let slot = home;
    for (let i = 0; i < WINDOW; i++) {
      const s = (home + i) & this.mask;
      if (this.when[s] === 0 || this.when[s]! <= oldest) {
        slot = s;
        break;
      }
      if (this.when[s]! < this.when[slot]!) slot = s; // a full window forgets its oldest allow early
    }
    this.ids[slot * 2] = a;
    this.ids[slot * 2 + 1] = b;
    this.agents[slot * 2] = this.agentPrint(agent, 2);
    this.agents[slot * 2 + 1] = this.agentPrint(agent, 3);
    this.when[slot] = ++this.count;
  }

  /**
   * Takes the allow `id` for `agent`: true once, then false. An allow of another agent stays in
   * place and answers false too, so a caller cannot learn which ids are live allows of others.
   */
  take(id: string, agent: string | null): boolean {
    const a = fingerprint(id, this.seeds[0]!);
    const b = fingerprint(id, this.seeds[1]!);
    const home = a & this.mask;
    const oldest = this.count - this.capacity;
    const who0 = this.agentPrint(agent, 2);
    const who1 = this.agentPrint(agent, 3);
    for (let i = 0; i < WINDOW; i++) {
      const s = (home + i) & this.mask;
      if (this.ids[s * 2] !== a || this.ids[s * 2 + 1] !== b || this.when[s] === 0 || this.when[s]! <= oldest) continue;
      if (this.agents[s * 2] !== who0 || this.agents[s * 2 + 1] !== who1) continue;
      this.when[s] = 0;
      return true;
    }
    return false;
  }

  private agentPrint(agent: string | null, seed: number): number {
    return agent === null ? 0 : fingerprint(agent, this.seeds[seed]!) | 1;
  }
}

/** A seeded 32-bit hash of a string's UTF-16 code units (murmur3's mixing, one unit per round). */
export function fingerprint(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= s.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
