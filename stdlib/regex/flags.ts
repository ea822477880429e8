// State flags shared by the regex DFA builder (dfa.ts, subset.ts,
// minimize.ts), the TS runner (run.ts) and, as numbers, the wasm runner
// (stdlib/as/dfa.ts) through the serialized table (FORMAT.md).

/** Some substring ending here matches. ACCEPT states are absorbing: the search stops there with true. */
export const ACCEPT = 1;
/** The state accepts if the input ends here (a `$` is satisfied). */
export const ACCEPT_END = 2;
/** No input leads to acceptance from here: the search stops with false. */
export const DEAD = 4;
