/**
 * The nearest known name to a misspelt one (a key of study.json, a CSV column), for "did you mean"
 * hints in error messages. Pure; no I/O.
 */

/**
 * Levenshtein edit distance (insertions, deletions, substitutions; each cost 1) between two strings,
 * compared as UTF-16 code units. O(|a|·|b|) time, O(|b|) memory.
 */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `name`: smallest edit distance ignoring case, ties broken by the
 * case-sensitive distance and then by the order of `known`. Returns null when `known` is empty or the
 * closest name is too far to be a misspelling (more than max(2, ⌊length/3⌋) edits, length = the
 * longer of the two names).
 */
export function nearestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestKey: [number, number] = [Infinity, Infinity];
  for (const k of known) {
    const key: [number, number] = [editDistance(name.toLowerCase(), k.toLowerCase()), editDistance(name, k)];
    if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
      best = k;
      bestKey = key;
    }
  }
  if (best === null) return null;
  const limit = Math.max(2, Math.floor(Math.max(name.length, best.length) / 3));
  return bestKey[0] <= limit ? best : null;
}

/**
 * The hint that ends an "unknown name" error: `did you mean \`x\`?` when a known name is near, else the
 * list of known names (`known: a, b, c`), or `nothing is allowed here` when there are none.
 */
export function unknownNameHint(name: string, known: readonly string[]): string {
  const near = nearestName(name, known);
  if (near !== null) return `did you mean \`${near}\`?`;
  return known.length > 0 ? `known: ${known.join(', ')}` : 'nothing is allowed here';
}
