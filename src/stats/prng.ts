/**
 * The one seeded pseudo-random number generator: xoshiro128** (Blackman & Vigna 2018, "Scrambled
 * linear pseudorandom number generators") seeded through SplitMix32, with normal deviates by the
 * Box–Muller transform. Deterministic for a seed on every platform (32-bit integer arithmetic only), so
 * the same seed gives byte-identical simulated bundles (src/sim) and the same Monte Carlo draws
 * (src/stats/mvt.ts). A numerics kernel: it lives in src/stats so that statistics never import the
 * simulator.
 */

/** SplitMix32 step (used to expand a seed into the xoshiro state). */
function splitMix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hashes a string label to a 32-bit integer (FNV-1a), for deriving independent sub-streams. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded random stream. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  /**
   * @param seed any integer (only its low 32 bits matter) — the trial seed.
   * @param stream optional label of an independent sub-stream (e.g. `images/P01-pre`), so that
   *   adding draws in one part of the simulator does not shift the draws of another.
   */
  constructor(seed: number, stream = '') {
    const st = { s: (seed ^ hashLabel(stream)) | 0 };
    this.a = splitMix32(st);
    this.b = splitMix32(st);
    this.c = splitMix32(st);
    this.d = splitMix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53-bit resolution. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform on [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** Standard normal deviate (Box–Muller, polar-free form; the second deviate is cached). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u <= 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Normal deviate with mean `mu` and standard deviation `sd`. */
  gauss(mu: number, sd: number): number {
    return mu + sd * this.normal();
  }

  /** Log-normal deviate: exp(N(log(median), sdLog²)). */
  logNormal(median: number, sdLog: number): number {
    return median * Math.exp(sdLog * this.normal());
  }

  /** Exponential deviate with the given rate (1/mean). */
  exponential(rate: number): number {
    let u = 0;
    while (u <= 0) u = this.uniform();
    return -Math.log(u) / rate;
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.uniform() * items.length)]!;
  }

  /** Index drawn with probabilities proportional to `weights`. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((s, w) => s + w, 0);
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher–Yates shuffle of a copy of `items`. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
