// A clock that follows a server's time (Redis TIME, PostgreSQL clock_timestamp()), for fleets whose
// hosts' clocks may disagree. Built by the Redis and PostgreSQL stores (serverClock); openStore
// (open.ts) hands it to the Engine, which passes its `now` to every store call.
//
// Why not read the server's time inside each script instead: the store interface takes `now` from
// the caller (types.ts), so limits, approval expiry and the audit record's time all come from one
// clock, and tests can inject theirs. This clock keeps that contract while every host reads the same
// time: the local monotonic clock plus an offset to the server, measured at open and every
// `resyncMs` (round trips on loopback are ~0.1 ms, so hosts agree to well under a millisecond).
// Before the first measurement, and while the server cannot be reached, the last offset stands.

export interface SyncedClock {
  now(): number;
  /** The last measured offset from this host's monotonic clock (performance.now) to the server's time, in ms. */
  readonly offsetMs: number;
  /** Stops resyncing; the clock keeps its last offset. */
  stop(): void;
}

/** Reads the server's time (ms since the epoch) in one round trip. */
export type ServerTime = () => Promise<number>;

export const RESYNC_MS = 10_000;

/** Measures once (throwing when the server cannot be read), then keeps the offset fresh in the background. */
export async function serverClock(read: ServerTime, resyncMs = RESYNC_MS): Promise<SyncedClock> {
  let offset = await measure(read);
  let stopped = false;
  const timer = setInterval(() => {
    measure(read).then((o) => { if (!stopped) offset = o; }, () => { /* keep the last offset while the server is away */ });
  }, resyncMs);
  timer.unref();
  return {
    now: () => performance.now() + offset,
    get offsetMs() {
      return offset;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** The server's time minus the local monotonic time at the round trip's midpoint. */
async function measure(read: ServerTime): Promise<number> {
  const before = performance.now();
  const server = await read();
  const after = performance.now();
  return server - (before + after) / 2;
}
