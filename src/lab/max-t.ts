/**
 * The single-step (max-|t|) adjustment of a family of contrasts with any correlation, for contrast spaces of
 * dimension q ≤ 3 (e.g. the Dunnett or Tukey contrasts of up to four levels): the two-sided
 *   p(c) = P(max_i |T_i| ≥ c),  T_i = a_i·Z / S,  Z ~ N(0, I_q),  ν S² ~ χ²_ν,
 * where the unit vectors a_i factor the correlation matrix (R = A Aᵀ, from its eigen-decomposition; a singular
 * R, as Tukey's, has q < m). This is the probability multcomp::glht's "single-step" adjustment estimates by
 * quasi-Monte Carlo (mvtnorm::pmvt); here it is an integral computed to ~1e-10.
 *
 * Method. Let P = {z : |a_i·z| ≤ 1} (a bounded symmetric polytope) and ρ(u) its radius in direction u. Writing
 * Z = |Z| u (u uniform on the sphere, |Z|² ~ χ²_q independent of u), max_i |a_i·Z| ≥ cS ⟺ |Z|/S ≥ c ρ(u), and
 * |Z|²/(q S²) ~ F(q, ν), so p(c) = E_u[F̄_{q,ν}(c² ρ(u)² / q)].
 * - q = 1: p = F̄_{1,ν}(c²), the two-sided t p-value.
 * - q = 2: the polygon P; over each edge z(t) = v_j + t (v_{j+1} − v_j), dθ = (z × z′)/|z|² dt, so
 *   p = (1/2π) Σ_edges ∫₀¹ F̄_{2,ν}(c²|z|²/2) (z × z′)/|z|² dt.
 * - q = 3: over each face k (plane n_k·z = 1, foot point n_k) the solid angle is dΩ = dA/|z|³ and ρ = |z|; in polar
 *   coordinates about the foot point, with w = z − n_k and |z|² = 1 + |w|²,
 *   p = (1/4π) Σ_faces Σ_edges ∫₀¹ Ψ(|w(t)|) n_k·(w × w′)/|w|² dt,  Ψ(R) = ∫₁^{√(1+R²)} F̄_{3,ν}(c² r²/3) / r² dr.
 * Every integrand is smooth (analytic) on its interval: the edge integrals by adaptive Gauss–Kronrod (q = 2,
 * src/stats/dunnett.ts `adaptiveIntegral`) or two 15-point Gauss–Legendre panels (q = 3), Ψ from a cumulative
 * table of 15-point Gauss–Legendre panels ≤ 0.05 wide.
 * The vertices come from the intersections of the planes ±a_i·z = 1 (pairs for q = 2, triples for q = 3) that lie
 * in P. Checked against the exact Dunnett integral (product correlations, src/stats/dunnett.ts) and glht.
 * Larger contrast spaces (q > 3): the Genz–Bretz randomised lattice of src/stats/mvt.ts (`singleStepUpper` and
 * `singleStepCritical` choose).
 * No I/O.
 */
import { fUpper, tQuantileDf } from '../stats/distributions.js';
import { adaptiveIntegral } from '../stats/dunnett.js';
import { symEigen } from '../stats/lmm/dense.js';
import { mvtMaxAbsCritical, mvtMaxAbsUpper } from '../stats/mvt.js';
import { decreasingRoot } from '../stats/root.js';

type Vec = number[];
const dot = (a: Vec, b: Vec): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const sub = (a: Vec, b: Vec): Vec => a.map((x, i) => x - b[i]!);
const cross3 = (a: Vec, b: Vec): Vec => [
  a[1]! * b[2]! - a[2]! * b[1]!,
  a[2]! * b[0]! - a[0]! * b[2]!,
  a[0]! * b[1]! - a[1]! * b[0]!,
];
const REL = 1e-10;
/** Absolute floor of each edge integral (their sum is p × 2π or 4π; an edge's integral may be ~0). */
const ABS = 1e-13;

/** Unit vectors a_i (rows) with R = A Aᵀ, in the dimension q = rank(R). */
export function contrastDirections(corr: number[][]): Vec[] {
  const m = corr.length;
  const e = symEigen(corr.flat(), m);
  const keep = e.values.map((v, j) => [v, j] as const).filter(([v]) => v > 1e-9 * e.values[0]!);
  return corr.map((_, i) => {
    const a = keep.map(([v, j]) => e.vectors[i * m + j]! * Math.sqrt(v));
    const n = Math.sqrt(dot(a, a));
    return a.map((x) => x / n);
  });
}

/** Solves the 2×2 or 3×3 system M x = b by Cramer's rule; null when singular. */
function solve(M: Vec[], b: Vec): Vec | null {
  if (M.length === 2) {
    const d = M[0]![0]! * M[1]![1]! - M[0]![1]! * M[1]![0]!;
    if (Math.abs(d) < 1e-12) return null;
    return [(b[0]! * M[1]![1]! - M[0]![1]! * b[1]!) / d, (M[0]![0]! * b[1]! - b[0]! * M[1]![0]!) / d];
  }
  const d = dot(M[0]!, cross3(M[1]!, M[2]!));
  if (Math.abs(d) < 1e-12) return null;
  const c = [cross3(M[1]!, M[2]!), cross3(M[2]!, M[0]!), cross3(M[0]!, M[1]!)];
  return [0, 1, 2].map((k) => (b[0]! * c[0]![k]! + b[1]! * c[1]![k]! + b[2]! * c[2]![k]!) / d);
}

/** Vertices of P = {z : |a_i·z| ≤ 1} (deduplicated) with the planes ±a_i each lies on. */
function polytopeVertices(a: Vec[]): Vec[] {
  const q = a[0]!.length;
  const planes = a.flatMap((x) => [x, x.map((v) => -v)]);
  const out: Vec[] = [];
  const rec = (start: number, chosen: number[]): void => {
    if (chosen.length === q) {
      const v = solve(
        chosen.map((k) => planes[k]!),
        chosen.map(() => 1),
      );
      if (!v || planes.some((p) => dot(p, v) > 1 + 1e-9)) return;
      if (!out.some((w) => Math.hypot(...sub(w, v)) < 1e-9)) out.push(v);
      return;
    }
    for (let k = start; k < planes.length; k++) rec(k + 1, [...chosen, k]);
  };
  rec(0, []);
  return out;
}

/** Vertices sorted counter-clockwise about `n` (around their centroid, in the plane normal to n). */
function ccw(vertices: Vec[], n: Vec): Vec[] {
  const c = vertices[0]!.map((_, k) => vertices.reduce((s, v) => s + v[k]!, 0) / vertices.length);
  const seed = Math.abs(n[0]!) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const e1 = cross3(n, seed);
  const e2 = cross3(n, e1);
  const angle = (v: Vec): number => Math.atan2(dot(sub(v, c), e2), dot(sub(v, c), e1));
  return [...vertices].sort((x, y) => angle(x) - angle(y));
}

// 15-point Gauss–Legendre nodes and weights on [−1, 1] (the Gauss points of the 31-point Kronrod rule are not
// needed: the panels below are short enough for 15 points to be exact to rounding).
const GL15 = (() => {
  const n = 15;
  const x: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x.push(z);
    w.push(2 / ((1 - z * z) * dp * dp));
  }
  return { x, w };
})();
const gauss15 = (f: (x: number) => number, a: number, b: number): number => {
  const c = 0.5 * (a + b);
  const h = 0.5 * (b - a);
  return h * GL15.x.reduce((s, x, i) => s + GL15.w[i]! * f(c + h * x), 0);
};

/**
 * x ↦ ∫_a^x f for x in [a, b] (f smooth): cumulative sums over panels of width ≤ 0.05, then one 15-point
 * Gauss–Legendre panel from the last breakpoint.
 */
function cumulativeIntegral(f: (x: number) => number, a: number, b: number): (x: number) => number {
  const k = Math.max(1, Math.ceil((b - a) / 0.05));
  const h = (b - a) / k;
  const cum = [0];
  for (let j = 0; j < k; j++) cum.push(cum[j]! + gauss15(f, a + j * h, a + (j + 1) * h));
  return (x) => {
    if (x <= a) return 0;
    const j = Math.min(k - 1, Math.floor((x - a) / h));
    return cum[j]! + gauss15(f, a + j * h, x);
  };
}

/**
 * P(max_i |T_i| ≥ c) for contrasts with correlation matrix `corr` (module doc).
 * @param c ≥ 0, observed |t|; @param corr m×m correlation matrix of rank ≤ 3; @param df residual df ν > 0
 * @returns the single-step adjusted p-value; NaN when the rank exceeds 3
 */
export function maxAbsTUpper(c: number, corr: number[][], df: number): number {
  const a = contrastDirections(corr);
  const q = a[0]!.length;
  if (c <= 0) return 1;
  if (q === 1) return fUpper(c * c, 1, df);
  if (q > 3) return NaN;
  const V = polytopeVertices(a);
  const tail = (r2: number): number => fUpper((c * c * r2) / q, q, df);
  let total = 0;
  if (q === 2) {
    const poly = [...V].sort((x, y) => Math.atan2(x[1]!, x[0]!) - Math.atan2(y[1]!, y[0]!));
    poly.forEach((v, j) => {
      const d = sub(poly[(j + 1) % poly.length]!, v);
      const f = (t: number): number => {
        const z = [v[0]! + t * d[0]!, v[1]! + t * d[1]!];
        const r2 = dot(z, z);
        return (tail(r2) * (z[0]! * d[1]! - z[1]! * d[0]!)) / r2;
      };
      total += adaptiveIntegral(f, [0, 0.5, 1], REL, ABS);
    });
    return Math.min(1, Math.max(0, total / (2 * Math.PI)));
  }
  const psi = cumulativeIntegral(
    (r) => tail(r * r) / (r * r),
    1,
    Math.max(...V.map((v) => Math.sqrt(dot(v, v)))),
  );
  for (const n of a.flatMap((x) => [x, x.map((v) => -v)])) {
    const face = V.filter((v) => Math.abs(dot(n, v) - 1) < 1e-9);
    if (face.length < 3) continue;
    const poly = ccw(face, n);
    poly.forEach((v, j) => {
      const d = sub(poly[(j + 1) % poly.length]!, v);
      const w0 = sub(v, n);
      const f = (t: number): number => {
        const w = w0.map((x, k) => x + t * d[k]!);
        const w2 = dot(w, w);
        if (w2 < 1e-30) return 0;
        return (psi(Math.sqrt(1 + w2)) * dot(n, cross3(w, d))) / w2;
      };
      total += gauss15(f, 0, 0.5) + gauss15(f, 0.5, 1);
    });
  }
  return Math.min(1, Math.max(0, total / (4 * Math.PI)));
}

/**
 * The two-sided simultaneous critical value c with P(max_i |T_i| ≥ c) = 1 − level, to 1e-9 relative, bracketed
 * by the single-test and Bonferroni t quantiles (Illinois regula falsi, as src/stats/dunnett.ts).
 */
export function maxAbsTCritical(corr: number[][], df: number, level: number): number {
  const alpha = 1 - level;
  const g = (x: number): number => maxAbsTUpper(x, corr, df) - alpha;
  const lo = tQuantileDf(1 - alpha / 2, df);
  if (corr.length === 1) return lo;
  return decreasingRoot(g, lo, tQuantileDf(1 - alpha / (2 * corr.length), df), 1e-9);
}

/** A single-step probability or critical value with its absolute error (0: the integral, ~1e-10). */
export interface SingleStep {
  value: number;
  /** 99 % error bound of the lattice estimate (of p; for a critical value, of p at it); 0 for the integral. */
  error: number;
}

/**
 * P(max_i |T_i| ≥ c) for any family: the integral above for a contrast space of dimension ≤ 3, else the Genz–Bretz
 * lattice (src/stats/mvt.ts, absolute error ≤ ~1e-6, stated).
 * @param c observed |t|; @param corr m×m correlation matrix (may be singular); @param df ν > 0 (Infinity allowed)
 */
export function singleStepUpper(c: number, corr: number[][], df: number): SingleStep {
  if (contrastDirections(corr)[0]!.length <= 3) return { value: maxAbsTUpper(c, corr, df), error: 0 };
  const r = mvtMaxAbsUpper(c, corr, df);
  return { value: r.value, error: r.error };
}

/**
 * The simultaneous critical value c with P(max_i |T_i| ≥ c) = 1 − level: `maxAbsTCritical` for dimension ≤ 3, else
 * the lattice's root (src/stats/mvt.ts `mvtMaxAbsCritical`; error = that of p at c).
 */
export function singleStepCritical(corr: number[][], df: number, level: number): SingleStep {
  if (contrastDirections(corr)[0]!.length <= 3) return { value: maxAbsTCritical(corr, df, level), error: 0 };
  const r = mvtMaxAbsCritical(corr, df, level);
  return { value: r.value, error: r.error };
}
