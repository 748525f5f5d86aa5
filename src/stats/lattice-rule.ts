/**
 * Randomised rank-1 Korobov lattice rules for the Genz–Bretz multivariate t (src/stats/mvt.ts): N points
 * x_k = {k z / N + Δ}, z = (1, a, a², …) mod N, N the largest prime ≤ 2^(10 + level), with SHIFTS uniform random
 * shifts Δ from a fixed seed (every rule, hence every estimate, is a deterministic function of its inputs).
 * The generator a: the smallest Korobov P₂ figure of merit with product weights γ_j = 1/j² among CANDIDATES drawn
 * from the seed (Sloan & Joe 1994, "Lattice Methods for Multiple Integration", §4.3), cached per (dimension, level).
 * No I/O.
 */
import { Rng } from './prng.js';

/** The number of independent random shifts of a rule (the error estimate is over their means). */
export const SHIFTS = 10;
const SEED = 20021101;
const CANDIDATES = 40;

const isPrime = (n: number): boolean => {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n > 1;
};
/** Lattice sizes: the largest prime ≤ 2^k, k = 10 … 20 (index = level). */
export const SIZES = Array.from({ length: 11 }, (_, i) => {
  let n = 2 ** (10 + i);
  while (!isPrime(n)) n--;
  return n;
});

/** A rank-1 Korobov lattice rule: N points k z / N (mod 1), z = (1, a, a², …) mod N, and its random shifts. */
export interface LatticeRule {
  n: number;
  z: Float64Array;
  shifts: Float64Array[];
}
const rules = new Map<string, LatticeRule>();

/**
 * Korobov's P₂ with weights γ_j = 1/j²: P₂ = −1 + (1/N) Σ_k Π_j (1 + γ_j 2π² B₂({k z_j / N})), B₂(x) = x² − x + 1/6
 * (Sloan & Joe 1994 §4.3). The residues k z_j mod N are advanced by integer addition (exact, as (k z_j) mod N).
 */
function p2(n: number, z: Float64Array): number {
  const dim = z.length;
  const res = new Float64Array(dim);
  const den = Float64Array.from({ length: dim }, (_, j) => (j + 1) * (j + 1));
  const twoPi2 = 2 * Math.PI * Math.PI;
  let s = 0;
  for (let k = 0; k < n; k++) {
    let prod = 1;
    for (let j = 0; j < dim; j++) {
      const x = res[j]! / n;
      prod *= 1 + (twoPi2 * (x * x - x + 1 / 6)) / den[j]!;
      const next = res[j]! + z[j]!;
      res[j] = next >= n ? next - n : next;
    }
    s += prod;
  }
  return s / n - 1;
}

/**
 * The rule of size SIZES[level] in `dim` dimensions (module doc; cached).
 * @param dim ≥ 1; @param level 0 … SIZES.length − 1
 */
export function latticeRule(dim: number, level: number): LatticeRule {
  const key = `${dim}/${level}`;
  const cached = rules.get(key);
  if (cached) return cached;
  const n = SIZES[level]!;
  const rng = new Rng(SEED, `mvt-korobov-${key}`);
  let best: Float64Array | null = null;
  let bestP2 = Infinity;
  for (let t = 0; t < (dim === 1 ? 1 : CANDIDATES); t++) {
    const a = 2 + Math.floor(rng.uniform() * (n / 2 - 2));
    const z = new Float64Array(dim);
    z[0] = 1;
    for (let j = 1; j < dim; j++) z[j] = (z[j - 1]! * a) % n;
    const v = dim === 1 ? 0 : p2(n, z);
    if (v < bestP2) [best, bestP2] = [z, v];
  }
  const shifts = Array.from({ length: SHIFTS }, () =>
    Float64Array.from({ length: dim }, () => rng.uniform()),
  );
  const rule = { n, z: best!, shifts };
  rules.set(key, rule);
  return rule;
}
