// DFA minimization for the regex compiler: Hopcroft's partition refinement
// over the raw automaton from subset.ts, then dead-state marking. Called by
// buildDfa (dfa.ts); the result is what gets serialized (run.ts).

import { ACCEPT, ACCEPT_END, DEAD } from "./flags.js";

/**
 * A refinable partition of states 0..n-1: each block is a contiguous range of
 * `elems`; marked members of a block are swapped to its front so a split costs
 * only the marked part.
 */
class Partition {
  readonly elems: Int32Array;
  private readonly loc: Int32Array;
  readonly blockOf: Int32Array;
  readonly start: number[] = [];
  readonly end: number[] = [];
  private readonly markEnd: number[] = [];
  private readonly touched: number[] = [];

  constructor(groups: Iterable<number[]>, n: number) {
    this.elems = new Int32Array(n);
    this.loc = new Int32Array(n);
    this.blockOf = new Int32Array(n);
    let at = 0;
    for (const g of groups) {
      const b = this.start.length;
      this.start.push(at);
      this.markEnd.push(at);
      for (const s of g) {
        this.elems[at] = s;
        this.loc[s] = at++;
        this.blockOf[s] = b;
      }
      this.end.push(at);
    }
  }

  get count(): number {
    return this.start.length;
  }

  mark(s: number): void {
    const b = this.blockOf[s];
    const i = this.loc[s];
    const m = this.markEnd[b];
    if (i < m) return;
    if (m === this.start[b]) this.touched.push(b);
    const other = this.elems[m];
    this.elems[m] = s;
    this.loc[s] = m;
    this.elems[i] = other;
    this.loc[other] = i;
    this.markEnd[b] = m + 1;
  }

  /** Splits every block with marked and unmarked members; calls `onSplit(old, new)` for each. */
  splitMarked(onSplit: (b: number, nb: number) => void): void {
    for (const b of this.touched) {
      if (this.markEnd[b] === this.end[b]) {
        this.markEnd[b] = this.start[b];
        continue;
      }
      const nb = this.start.length;
      this.start.push(this.start[b]);
      this.end.push(this.markEnd[b]);
      this.markEnd.push(this.start[b]);
      for (let i = this.start[nb]; i < this.end[nb]; i++) this.blockOf[this.elems[i]] = nb;
      this.start[b] = this.end[nb];
      this.markEnd[b] = this.start[b];
      onSplit(b, nb);
    }
    this.touched.length = 0;
  }

  size(b: number): number {
    return this.end[b] - this.start[b];
  }
}

/**
 * Hopcroft's partition refinement over `n` states and `k` input classes
 * (`trans[s * k + c]`), starting from blocks of equal flags. Returns the block
 * (new state id) of every state. O(k n log n).
 */
export function hopcroft(n: number, k: number, trans: Int32Array, flags: number[]): { blockOf: Int32Array; count: number } {
  // Inverse transitions in CSR form, indexed by class * n + target.
  const invStart = new Int32Array(k * n + 1);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) invStart[c * n + trans[s * k + c] + 1]++;
  for (let i = 0; i < k * n; i++) invStart[i + 1] += invStart[i];
  const cursor = invStart.slice(0, k * n);
  const inv = new Int32Array(n * k);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) inv[cursor[c * n + trans[s * k + c]]++] = s;

  const byFlags = new Map<number, number[]>();
  for (let s = 0; s < n; s++) {
    const g = byFlags.get(flags[s]) ?? [];
    g.push(s);
    byFlags.set(flags[s], g);
  }
  const p = new Partition(byFlags.values(), n);
  const work: number[] = [];
  const inWork: boolean[] = [];
  for (let b = 0; b < p.count; b++) {
    work.push(b);
    inWork.push(true);
  }
  const onSplit = (b: number, nb: number) => {
    // A block waiting to split others must be replaced by both halves;
    // otherwise the smaller half suffices (the heart of the n log n bound).
    const add = inWork[b] || p.size(nb) <= p.size(b) ? nb : b;
    inWork[nb] = false;
    inWork[add] = true;
    work.push(add);
  };
  while (work.length > 0) {
    const a = work.pop()!;
    inWork[a] = false;
    const splitter = p.elems.slice(p.start[a], p.end[a]);
    for (let c = 0; c < k; c++) {
      for (const t of splitter) {
        for (let i = invStart[c * n + t]; i < invStart[c * n + t + 1]; i++) p.mark(inv[i]);
      }
      p.splitMarked(onSplit);
    }
  }
  return { blockOf: p.blockOf, count: p.count };
}

/** Marks DEAD every state from which no ACCEPT or ACCEPT_END state is reachable. */
export function markDead(n: number, k: number, trans: Int32Array, flags: number[]): void {
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) preds[trans[s * k + c]].push(s);
  const live = new Uint8Array(n);
  const stack: number[] = [];
  for (let s = 0; s < n; s++) {
    if (flags[s] & (ACCEPT | ACCEPT_END)) {
      live[s] = 1;
      stack.push(s);
    }
  }
  while (stack.length > 0) {
    for (const q of preds[stack.pop()!]) {
      if (!live[q]) {
        live[q] = 1;
        stack.push(q);
      }
    }
  }
  for (let s = 0; s < n; s++) if (!live[s]) flags[s] |= DEAD;
}
