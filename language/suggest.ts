// "Did you mean" suggestions for misspelt names. Fed the misspelling and the
// names in scope by the checker; its result goes into a diagnostic's `help`.

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = prev[j]!;
      prev[j] = next;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within an edit distance of about a third of the word, if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): { help?: string } {
  const c = closest(word, candidates);
  return c === undefined ? {} : { help: `did you mean \`${c}\`?` };
}
