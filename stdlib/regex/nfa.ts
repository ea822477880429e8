// Thompson construction: the regex AST (parse.ts) to an NFA whose edges read
// UTF-16 code units, astral code points becoming surrogate-pair paths (as RE2
// compiles UTF-8 ranges). Consumed by the subset construction (subset.ts).

import { withoutSurrogates, type CharSet } from "./charset.js";
import type { Node } from "./parse.js";
import { RegexError } from "./parse.js";

/** Edge kinds: an ε move, a code-unit range, or an ε move allowed only at the start / end of the input. */
export const EPS = 0;
export const UNITS = 1;
export const BOL = 2;
export const EOL = 3;

/** Largest NFA accepted; bounds compile time for nested repetitions like `(a{1000}){1000}`. */
export const MAX_NFA_STATES = 200_000;

export interface Nfa {
  /** Per state, flat edges `[kind, lo, hi, target, ...]` (lo/hi only meaningful for UNITS). */
  edges: number[][];
  start: number;
  accept: number;
}

interface Frag {
  start: number;
  end: number;
}

/**
 * Splits a code-point set into UTF-16 paths: `[lo, hi]` single units for the
 * BMP (surrogate code points are dropped) and `[hLo, hHi, lLo, lHi]` high/low
 * surrogate range pairs for astral code points.
 */
export function unitPaths(cps: CharSet): number[][] {
  // A written range such as `[\0-\u{10FFFF}]` spans the surrogates; drop them.
  const set = withoutSurrogates(cps);
  const out: number[][] = [];
  for (let i = 0; i < set.length; i += 2) {
    let lo = set[i];
    const hi = set[i + 1];
    if (lo <= 0xffff) {
      out.push([lo, Math.min(hi, 0xffff)]);
      if (hi <= 0xffff) continue;
      lo = 0x10000;
    }
    while (lo <= hi) {
      const hl = 0xd800 + ((lo - 0x10000) >> 10);
      const ll = 0xdc00 + ((lo - 0x10000) & 0x3ff);
      const hh = 0xd800 + ((hi - 0x10000) >> 10);
      const lh = 0xdc00 + ((hi - 0x10000) & 0x3ff);
      if (hl === hh) {
        out.push([hl, hl, ll, lh]);
        break;
      }
      if (ll !== 0xdc00) {
        // A partial first block of 1024 code points.
        out.push([hl, hl, ll, 0xdfff]);
        lo = 0x10000 + ((hl + 1 - 0xd800) << 10);
        continue;
      }
      if (lh === 0xdfff) {
        out.push([hl, hh, 0xdc00, 0xdfff]);
      } else {
        if (hh - 1 >= hl) out.push([hl, hh - 1, 0xdc00, 0xdfff]);
        out.push([hh, hh, 0xdc00, lh]);
      }
      break;
    }
  }
  return out;
}

class Builder {
  readonly edges: number[][] = [];

  state(): number {
    if (this.edges.length >= MAX_NFA_STATES) {
      throw new RegexError("unsupported", "the regex is too large to compile: reduce its repetition counts", 0);
    }
    this.edges.push([]);
    return this.edges.length - 1;
  }

  edge(from: number, kind: number, lo: number, hi: number, to: number): void {
    this.edges[from].push(kind, lo, hi, to);
  }

  build(node: Node): Frag {
    switch (node.kind) {
      case "set":
        return this.set(node.set);
      case "concat": {
        const start = this.state();
        let end = start;
        for (const item of node.items) {
          const f = this.build(item);
          this.edge(end, EPS, 0, 0, f.start);
          end = f.end;
        }
        return { start, end };
      }
      case "alt": {
        const start = this.state();
        const end = this.state();
        for (const item of node.items) {
          const f = this.build(item);
          this.edge(start, EPS, 0, 0, f.start);
          this.edge(f.end, EPS, 0, 0, end);
        }
        return { start, end };
      }
      case "repeat":
        return this.repeat(node.item, node.min, node.max);
      case "bol":
      case "eol": {
        const start = this.state();
        const end = this.state();
        this.edge(start, node.kind === "bol" ? BOL : EOL, 0, 0, end);
        return { start, end };
      }
    }
  }

  private set(set: CharSet): Frag {
    const start = this.state();
    const end = this.state();
    for (const p of unitPaths(set)) {
      if (p.length === 2) {
        this.edge(start, UNITS, p[0], p[1], end);
      } else {
        const mid = this.state();
        this.edge(start, UNITS, p[0], p[1], mid);
        this.edge(mid, UNITS, p[2], p[3], end);
      }
    }
    return { start, end };
  }

  /** `min` copies, then either a loop (max = -1) or `max - min` nested optional copies. */
  private repeat(item: Node, min: number, max: number): Frag {
    const start = this.state();
    let end = start;
    for (let i = 0; i < min; i++) {
      const f = this.build(item);
      this.edge(end, EPS, 0, 0, f.start);
      end = f.end;
    }
    if (max < 0) {
      const f = this.build(item);
      const out = this.state();
      this.edge(end, EPS, 0, 0, f.start);
      this.edge(end, EPS, 0, 0, out);
      this.edge(f.end, EPS, 0, 0, end);
      return { start, end: out };
    }
    const out = this.state();
    for (let i = min; i < max; i++) {
      const f = this.build(item);
      this.edge(end, EPS, 0, 0, f.start);
      this.edge(end, EPS, 0, 0, out);
      end = f.end;
    }
    this.edge(end, EPS, 0, 0, out);
    return { start, end: out };
  }
}

/** Builds the NFA for `node`. */
export function buildNfa(node: Node): Nfa {
  const b = new Builder();
  const f = b.build(node);
  return { edges: b.edges, start: f.start, accept: f.end };
}
