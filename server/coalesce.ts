// The decision fast path's answers (fast-decide.ts), written together once per event-loop turn
// instead of each as soon as its decision is made. Requests that arrive together are decided in
// one turn (the stores answer within it), and their answers then leave back to back.
//
// Why: an answer written while the client sleeps wakes it, and on this VM that wake-up costs the
// writing thread about 25 µs (the cross-CPU interrupt, charged inside `writev`: 23% of pol
// serve's main thread at 5,000 requests/s, benchmarks/FINDINGS.md). Written back to back, only
// the first answer of a turn finds the client asleep. The delay is the rest of the turn's
// decisions, which a lone request does not have; under load it measured 20–35% less main-thread
// time per request.

import type { ServerResponse } from "node:http";

interface Answer {
  res: ServerResponse;
  status: number;
  headers: Record<string, string | number>;
  text: string;
}

let queued: Answer[] = [];
let spare: Answer[] = [];
let scheduled = false;

/** Writes the answer at the end of this event-loop turn (setImmediate), after the turn's other decisions. */
export function answerThisTurn(res: ServerResponse, status: number, headers: Record<string, string | number>, text: string): void {
  queued.push({ res, status, headers, text });
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  // Swapped, not copied: answers queued while these are written (none today) wait for the next turn.
  const batch = queued;
  queued = spare;
  spare = batch;
  for (const a of batch) {
    try {
      a.res.writeHead(a.status, a.headers).end(a.text);
    } catch {
      // This answer cannot be written (its connection is gone mid-write): cut it, and write the rest.
      a.res.destroy();
    }
  }
  batch.length = 0;
}
