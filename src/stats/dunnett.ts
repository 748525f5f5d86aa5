/**
 * Dunnett's many-to-one comparisons (Dunnett, J Am Stat Assoc 1955;50:1096–1121): two-sided multiplicity-adjusted
 * p-values and the simultaneous critical value for m treatments each compared with one control, with a pooled
 * residual variance on ν degrees of freedom.
 *
 * The statistics T_i = (ȳ_i − ȳ_0) / (s √(1/n_i + 1/n_0)) are jointly multivariate t with correlations
 * ρ_ij = λ_i λ_j, λ_i = √(n_i / (n_i + n_0)) (product structure). Writing Z_i = λ_i Z_0 + √(1 − λ_i²) E_i with
 * independent standard normals and S = √(χ²_ν / ν), the adjusted p-value of an observed |t| = c is
 *   p(c) = P(max_i |T_i| ≥ c) = ∫₀^∞ f_ν(s) ∫ φ(z) [1 − Π_i (1 − q_i(z, cs))] dz ds,
 *   q_i(z, x) = Φ̄((x − λ_i z) / √(1 − λ_i²)) + Φ̄((x + λ_i z) / √(1 − λ_i²)),
 * f_ν the density of S (ν = ∞: S ≡ 1). The complement form keeps the relative accuracy of small p-values
 * (1 − Π(1 − q_i) is evaluated as −expm1(Σ log1p(−q_i))). Both integrals are computed by globally adaptive
 * 15-point Gauss–Kronrod quadrature (the inner one is symmetric in z) to 1e-11 relative (absolute floor
 * 1e-15). This is the exact distribution; multcomp::glht's "single-step" p-values estimate the same
 * probability by randomised quasi-Monte Carlo (mvtnorm::pmvt, error ~1e-4).
 */
import { normalUpper, tQuantileDf } from './distributions.js';
import { logGamma } from './studentized-range.js';
import { decreasingRoot } from './root.js';

// 7-point Gauss / 15-point Kronrod nodes on [0, 1] (symmetric; the last node is 0) and weights.
const XGK = [
  0.9914553711208126, 0.9491079123427585, 0.8648644233597691, 0.7415311855993945, 0.5860872354676911,
  0.4058451513773972, 0.20778495500789848, 0,
];
const WGK = [
  0.022935322010529224, 0.06309209262997856, 0.10479001032225019, 0.14065325971552592, 0.1690047266392679,
  0.19035057806478542, 0.20443294007529889, 0.20948214108472782,
];
const WG = [0.1294849661688697, 0.27970539148927664, 0.3818300505051189, 0.4179591836734694];

/** 15-point Kronrod estimate of ∫_a^b f and |Kronrod − Gauss| as its error. */
function kronrod15(f: (x: number) => number, a: number, b: number): { value: number; error: number } {
  const c = 0.5 * (a + b);
  const h = 0.5 * (b - a);
  const fc = f(c);
  let k = WGK[7]! * fc;
  let g = WG[3]! * fc;
  for (let j = 0; j < 7; j++) {
    const s = f(c - h * XGK[j]!) + f(c + h * XGK[j]!);
    k += WGK[j]! * s;
    if (j % 2 === 1) g += WG[(j - 1) / 2]! * s;
  }
  return { value: k * h, error: Math.abs((k - g) * h) };
}

/**
 * Globally adaptive Gauss–Kronrod quadrature of f over the panels between consecutive `breaks`: bisects the
 * panel with the largest error estimate until the summed estimate is ≤ max(absTol, relTol·|∫|) (or 2000 panels).
 */
export function adaptiveIntegral(
  f: (x: number) => number,
  breaks: number[],
  relTol: number,
  absTol: number,
): number {
  const panels: { a: number; b: number; value: number; error: number }[] = [];
  for (let i = 0; i + 1 < breaks.length; i++) {
    panels.push({ a: breaks[i]!, b: breaks[i + 1]!, ...kronrod15(f, breaks[i]!, breaks[i + 1]!) });
  }
  for (let it = 0; it < 2000; it++) {
    let total = 0;
    let err = 0;
    let worst = 0;
    panels.forEach((p, i) => {
      total += p.value;
      err += p.error;
      if (p.error > panels[worst]!.error) worst = i;
    });
    if (err <= Math.max(absTol, relTol * Math.abs(total))) return total;
    const p = panels[worst]!;
    const mid = 0.5 * (p.a + p.b);
    panels.splice(
      worst,
      1,
      { a: p.a, b: mid, ...kronrod15(f, p.a, mid) },
      { a: mid, b: p.b, ...kronrod15(f, mid, p.b) },
    );
  }
  return panels.reduce((s, p) => s + p.value, 0);
}

/**
 * λ_i = √(n_i / (n_i + n_0)) of Dunnett's product correlation structure.
 * @param nControl n_0 ≥ 1; @param nTreatments n_i ≥ 1 per treatment group
 */
export function dunnettLambdas(nControl: number, nTreatments: number[]): number[] {
  return nTreatments.map((n) => Math.sqrt(n / (n + nControl)));
}

const REL_TOL = 1e-11;
const ABS_TOL = 1e-15;

/** G(x) = P(max_i |Z_i| ≥ x) for the normal part (ν = ∞) at threshold x = c·s. */
function normalExceedance(x: number, lambdas: number[]): number {
  const r = lambdas.map((l) => Math.sqrt(1 - l * l));
  const integrand = (z: number): number => {
    let logAllInside = 0;
    for (let i = 0; i < lambdas.length; i++) {
      const q = normalUpper((x - lambdas[i]! * z) / r[i]!) + normalUpper((x + lambdas[i]! * z) / r[i]!);
      logAllInside += Math.log1p(-Math.min(q, 1));
    }
    return Math.exp(-0.5 * z * z) * -Math.expm1(logAllInside);
  };
  const breaks = [0, 0.5, 1, 2, 3, 4.5, 6.5, 9, 13, 20, 39];
  return (2 / Math.sqrt(2 * Math.PI)) * adaptiveIntegral(integrand, breaks, REL_TOL * 0.1, ABS_TOL * 0.1);
}

/**
 * Two-sided Dunnett-adjusted p-value P(max_i |T_i| ≥ |t|) for an observed statistic t (exact integral, see the
 * module doc). With one treatment it equals the two-sided t p-value.
 * @param t observed t statistic of a treatment-vs-control comparison
 * @param lambdas λ_i of all m treatments (`dunnettLambdas`), each in (0, 1)
 * @param df residual degrees of freedom ν > 0 (Infinity allowed)
 * @returns p in [0, 1]; NaN for invalid arguments (never throws)
 */
export function dunnettAdjustedP(t: number, lambdas: number[], df: number): number {
  if (Number.isNaN(t) || !(df > 0) || lambdas.length === 0 || lambdas.some((l) => !(l > 0 && l < 1)))
    return NaN;
  const c = Math.abs(t);
  if (c === 0) return 1;
  if (!Number.isFinite(df)) return Math.min(1, normalExceedance(c, lambdas));
  // density of S = √(χ²_ν/ν): f(s) = 2 (ν/2)^{ν/2} s^{ν−1} e^{−ν s²/2} / Γ(ν/2)
  const logC = Math.LN2 + 0.5 * df * Math.log(0.5 * df) - logGamma(0.5 * df);
  const density = (s: number): number =>
    s <= 0 ? 0 : Math.exp(logC + (df - 1) * Math.log(s) - 0.5 * df * s * s);
  const sMax = Math.sqrt((df + 10 * Math.sqrt(2 * df) + 80) / df);
  const sd = 1 / Math.sqrt(2 * df);
  const breaks = [0];
  for (const z of [-6, -3, -1.5, 0, 1.5, 3, 6]) {
    const s = 1 + z * sd;
    if (s > breaks[breaks.length - 1]! && s < sMax) breaks.push(s);
  }
  breaks.push(sMax);
  const p = adaptiveIntegral((s) => density(s) * normalExceedance(c * s, lambdas), breaks, REL_TOL, ABS_TOL);
  return Math.min(1, Math.max(0, p));
}

/**
 * Two-sided simultaneous critical value c with P(max_i |T_i| < c) = level (Dunnett's d), for CIs
 * diff ± c·se. Solved to 1e-10 relative inside the bracket [t_{1−α/2}, t_{1−α/(2m)}] (single-test and Bonferroni
 * quantiles).
 * @param level confidence level in (0, 1); other arguments as `dunnettAdjustedP`
 */
export function dunnettCriticalValue(level: number, lambdas: number[], df: number): number {
  const alpha = 1 - level;
  if (!(alpha > 0 && alpha < 1) || lambdas.length === 0) return NaN;
  const g = (c: number): number => dunnettAdjustedP(c, lambdas, df) - alpha;
  const lo = tQuantileDf(1 - alpha / 2, df);
  const hi = tQuantileDf(1 - alpha / (2 * lambdas.length), df);
  if (lambdas.length === 1) return lo;
  return decreasingRoot(g, lo, hi, 1e-10);
}
