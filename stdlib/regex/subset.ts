// Subset construction for the regex compiler: an NFA over UTF-16 code units
// (nfa.ts) to a DFA over intervals of code units that searches anywhere in
// the input. Called by buildDfa (dfa.ts), which minimizes the result.

import { ACCEPT, ACCEPT_END } from "./flags.js";
import { BOL, EOL, EPS, UNITS, type Nfa } from "./nfa.js";
import { RegexError } from "./parse.js";

export const MAX_DFA_STATES = 10_000;
/**
 * Budget of NFA states visited while building the DFA (one to two seconds of
 * work). A few small regexes with nested counted repetitions, such as
 * `(.{1,1000}){1,30}`, stay under the state cap but would take minutes.
 */
export const MAX_WORK = 20_000_000;

/** A DFA over the intervals of code units the NFA's edges distinguish. */
export interface RawDfa {
  /** Sorted interval starts; the first is 0. */
  bounds: number[];
  /** `trans[state * bounds.length + interval]`. */
  trans: Int32Array;
  flags: number[];
  start: number;
}

/** The interval (index into `bounds`) holding code unit `u`. */
export function intervalOf(bounds: number[], u: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid] <= u) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A compact string key for a sorted state list (two UTF-16 units per state). */
function keyOf(states: Int32Array): string {
  const units = new Uint16Array(states.buffer, states.byteOffset, states.length * 2);
  let key = "";
  for (let i = 0; i < units.length; i += 8192) key += String.fromCharCode.apply(null, Array.from(units.subarray(i, i + 8192)));
  return key;
}

/**
 * Subset construction for an unanchored search: a loop state reading any code
 * unit feeds the NFA's start at every position. `^` edges are followed only
 * in the initial state (position 0); `$` edges only when computing ACCEPT_END.
 * DFA states are sets of "important" NFA states (those that read input, have
 * a `$` edge, or accept), keyed by their sorted list.
 */
class SubsetConstruction {
  private readonly edges: number[][];
  private readonly loop: number;
  readonly bounds: number[];
  /** Per NFA state: flat [span, target] for its unit edges, span = firstInterval * span + lastInterval. */
  private readonly unitEdges: number[][];
  private readonly span: number;
  private readonly important: boolean[];
  // Generation-stamped marks and a reusable stack keep closures allocation-light.
  private readonly seen: Int32Array;
  private readonly picked: Int32Array;
  private readonly stack: Int32Array;
  private gen = 0;
  private work = 0;
  private readonly sets: Int32Array[] = [];
  private readonly atStarts: boolean[] = [];
  private readonly ids = new Map<string, number>();
  private readonly moveCache = new Map<string, number>();

  constructor(private readonly nfa: Nfa) {
    this.edges = nfa.edges.map((e) => e.slice());
    this.loop = this.edges.length;
    this.edges.push([UNITS, 0, 0xffff, this.loop, EPS, 0, 0, nfa.start]);
    const n = this.edges.length;
    const cuts = new Set<number>([0]);
    for (const e of this.edges) {
      for (let i = 0; i < e.length; i += 4) {
        if (e[i] !== UNITS) continue;
        cuts.add(e[i + 1]);
        if (e[i + 2] < 0xffff) cuts.add(e[i + 2] + 1);
      }
    }
    this.bounds = [...cuts].sort((a, b) => a - b);
    this.span = this.bounds.length + 1;
    this.unitEdges = this.edges.map((e) => {
      const out: number[] = [];
      for (let i = 0; i < e.length; i += 4) {
        if (e[i] !== UNITS) continue;
        out.push(intervalOf(this.bounds, e[i + 1]) * this.span + intervalOf(this.bounds, e[i + 2]), e[i + 3]);
      }
      return out;
    });
    this.important = this.edges.map(
      (e, st) => st === nfa.accept || e.some((v, i) => i % 4 === 0 && (v === UNITS || v === EOL)),
    );
    this.seen = new Int32Array(n);
    this.picked = new Int32Array(n);
    this.stack = new Int32Array(n);
  }

  /** The important states reachable from `seeds` by ε moves (and `^` / `$` moves when allowed), sorted. */
  private closure(seeds: ArrayLike<number>, atStart: boolean, viaEol: boolean): Int32Array {
    const { seen, stack, edges } = this;
    const gen = ++this.gen;
    this.work += seeds.length;
    let top = 0;
    const out: number[] = [];
    for (let i = 0; i < seeds.length; i++) {
      if (seen[seeds[i]] !== gen) {
        seen[seeds[i]] = gen;
        stack[top++] = seeds[i];
      }
    }
    while (top > 0) {
      const st = stack[--top];
      this.work++;
      if (this.important[st]) out.push(st);
      const e = edges[st];
      for (let i = 0; i < e.length; i += 4) {
        const kind = e[i];
        if (kind === EPS || (kind === BOL && atStart) || (kind === EOL && viaEol)) {
          const t = e[i + 3];
          if (seen[t] !== gen) {
            seen[t] = gen;
            stack[top++] = t;
          }
        }
      }
    }
    if (this.work > MAX_WORK) {
      throw new RegexError("unsupported", "the regex is too complex to compile: reduce its nested repetition counts", 0);
    }
    return Int32Array.from(out).sort();
  }

  private addState(set: Int32Array, atStart: boolean): number {
    // The initial state is keyed apart: the same set means something else at position 0.
    const key = (atStart ? "^" : "") + keyOf(set);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      if (id >= MAX_DFA_STATES) {
        throw new RegexError(
          "unsupported",
          `the regex needs more than ${MAX_DFA_STATES} automaton states: simplify it or bound its repetitions`,
          0,
        );
      }
      this.ids.set(key, id);
      this.sets.push(set);
      this.atStarts.push(atStart);
    }
    return id;
  }

  /** The state reached from the NFA states `targets` (deduplicated, unsorted). */
  private move(targets: number[]): number {
    const sorted = Int32Array.from(targets).sort();
    const key = keyOf(sorted);
    let to = this.moveCache.get(key);
    if (to === undefined) {
      to = this.addState(this.closure(sorted, false, false), false);
      this.moveCache.set(key, to);
    }
    return to;
  }

  /** Fills the transition row of DFA state `d`, one segment of intervals at a time. */
  private fillRow(d: number, row: Int32Array): void {
    const k = this.bounds.length;
    // Group the targets by interval span: few distinct spans, however many states.
    const spans = new Map<number, number[]>();
    for (const st of this.sets[d]) {
      const u = this.unitEdges[st];
      for (let i = 0; i < u.length; i += 2) {
        const list = spans.get(u[i]);
        if (list) list.push(u[i + 1]);
        else spans.set(u[i], [u[i + 1]]);
      }
    }
    const cuts = new Set<number>([0, k]);
    for (const span of spans.keys()) {
      cuts.add(Math.floor(span / this.span));
      cuts.add((span % this.span) + 1);
    }
    const segs = [...cuts].sort((a, b) => a - b);
    for (let j = 0; j + 1 < segs.length; j++) {
      const pos = segs[j];
      const gen = ++this.gen;
      const targets: number[] = [];
      for (const [span, list] of spans) {
        if (Math.floor(span / this.span) > pos || span % this.span < pos) continue;
        for (const t of list) {
          if (this.picked[t] !== gen) {
            this.picked[t] = gen;
            targets.push(t);
          }
        }
      }
      row.fill(this.move(targets), pos, segs[j + 1]);
    }
  }

  run(): RawDfa {
    const k = this.bounds.length;
    const start = this.addState(this.closure([this.loop, this.nfa.start], true, false), true);
    const rows: Int32Array[] = [];
    const flags: number[] = [];
    for (let d = 0; d < this.sets.length; d++) {
      const set = this.sets[d];
      const row = new Int32Array(k);
      rows.push(row);
      let f = 0;
      if (set.includes(this.nfa.accept)) f |= ACCEPT;
      else if (this.closure(set, this.atStarts[d], true).includes(this.nfa.accept)) f |= ACCEPT_END;
      flags.push(f);
      if (f & ACCEPT) row.fill(d);
      else this.fillRow(d, row);
    }
    const trans = new Int32Array(rows.length * k);
    rows.forEach((r, d) => trans.set(r, d * k));
    return { bounds: this.bounds, trans, flags, start };
  }
}

/** Builds the (unminimized) searching DFA for `nfa`; throws RegexError past the size or work caps. */
export function subsetConstruct(nfa: Nfa): RawDfa {
  return new SubsetConstruction(nfa).run();
}
