// Decision and approval ids: ULID-like (48-bit time, 80-bit random, Crockford base32), strictly
// increasing within a process so ids sort in decision order even within one millisecond.
// Used by engine.ts for decision ids and approvals.ts for approval ids.

import { randomFillSync } from "node:crypto";

const B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MAX_TIME = 2 ** 48 - 1;
const LO_LIMIT = 2 ** 40;

const CODES = Array.from(B32, (c) => c.charCodeAt(0));
/**
 * The id's 26 character codes, filled in place and made into one string: prepending one
 * character at a time made 26 strings per id (0.6 KB of garbage per decision, pol serve's
 * allocation profile).
 */
const ID_CODES: number[] = new Array<number>(26).fill(0);

/** Writes `value` as `chars` base32 digits into ID_CODES from `at`, most significant first. */
function encode(value: number, chars: number, at: number): void {
  for (let i = at + chars - 1; i >= at; i--) {
    ID_CODES[i] = CODES[value % 32]!;
    value = Math.floor(value / 32);
  }
}

/**
 * Random bytes drawn from the CSPRNG in blocks (as crypto.randomUUID does): one randomBytes(10)
 * per millisecond was 6-11% of Engine.decide, most of it the call into the CSPRNG, not the bytes.
 */
const POOL = Buffer.alloc(4096);
let used = POOL.length;

function random40x2(): [number, number] {
  if (used + 10 > POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const at = used;
  used += 10;
  return [POOL.readUIntBE(at, 5), POOL.readUIntBE(at + 5, 5)];
}

const VALUES = new Map(Array.from(B32, (c, i) => [c, i]));

/** The time (ms) an id was made at, from its first 10 characters; undefined for text that is not an id. */
export function idTime(id: string): number | undefined {
  if (id.length !== 26) return undefined;
  let t = 0;
  for (let i = 0; i < 26; i++) {
    const v = VALUES.get(id[i]!);
    if (v === undefined) return undefined;
    if (i < 10) t = t * 32 + v;
  }
  return t <= MAX_TIME ? t : undefined;
}

/** 26 characters; the time part comes from the caller's clock. */
export class IdGenerator {
  private lastMs = -1;
  // The 80 random bits as two 40-bit halves, so the increment below stays exact in a double.
  private hi = 0;
  private lo = 0;

  next(now: number): string {
    const ms = Math.min(MAX_TIME, Math.max(0, Math.floor(Number.isFinite(now) ? now : 0)));
    if (ms > this.lastMs) {
      // A fresh random start per millisecond: ids stay unguessable across milliseconds.
      [this.hi, this.lo] = random40x2();
      this.lastMs = ms;
    } else if (++this.lo === LO_LIMIT) {
      // Same (or an earlier, if the clock stepped back) millisecond: increment, so order holds.
      this.lo = 0;
      this.hi = (this.hi + 1) % LO_LIMIT;
    }
    encode(this.lastMs, 10, 0);
    encode(this.hi, 8, 10);
    encode(this.lo, 8, 18);
    return String.fromCharCode.apply(null, ID_CODES);
  }
}
