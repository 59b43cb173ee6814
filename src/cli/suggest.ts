/** "Did you mean …?" for a mistyped command or option, worded as commander worded it. */

// More edits than this and the guess is more likely wrong than helpful.
const MAX_DISTANCE = 3;
const MIN_SIMILARITY = 0.4;

/**
 * The closest candidates to `word` as a line to append to an error (`\n(Did you mean x?)`), or
 * "" when none is close. Options (`--x`) are compared without their dashes.
 */
export function suggestSimilar(word: string, candidates: readonly string[]): string {
  const searchingOptions = word.startsWith("--");
  const strip = (text: string) => searchingOptions ? text.slice(2) : text;
  const typed = strip(word);
  let similar: string[] = [];
  let bestDistance = MAX_DISTANCE;
  for (const candidate of new Set(candidates.map(strip))) {
    if (candidate.length <= 1) continue; // one character is no basis for a guess
    const distance = editDistance(typed, candidate);
    const length = Math.max(typed.length, candidate.length);
    if ((length - distance) / length <= MIN_SIMILARITY) continue;
    if (distance < bestDistance) {
      bestDistance = distance;
      similar = [candidate];
    } else if (distance === bestDistance) {
      similar.push(candidate);
    }
  }
  similar.sort((a, b) => a.localeCompare(b));
  if (searchingOptions) similar = similar.map((candidate) => `--${candidate}`);
  if (similar.length > 1) return `\n(Did you mean one of ${similar.join(", ")}?)`;
  if (similar.length === 1) return `\n(Did you mean ${similar[0]}?)`;
  return "";
}

/** Optimal string alignment distance: insertions, deletions, substitutions and transpositions. */
export function editDistance(a: string, b: string): number {
  // Too far apart to matter: the worst case is enough, and cheaper.
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
