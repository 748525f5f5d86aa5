/**
 * The studentized range distribution (Tukey's HSD): P(Q < q) for the range of `nmeans` independent standard
 * normals divided by an independent s with ν·s² ~ χ²_ν, and the largest of `nranges` such ranges. R: `ptukey`,
 * `qtukey`.
 *
 * Method (Copenhaver & Holland, J Stat Comput Simul 1988;30:1–15, the algorithm R's nmath/ptukey.c implements):
 * - ν = ∞: P(W < w) = (2Φ(w/2) − 1)^k + 2k ∫_{w/2}^{8} φ(x)[Φ(x) − Φ(x − w)]^{k−1} dx (k = nmeans), the
 *   integral by 12-point Gauss–Legendre on 2 (w > 3) or 3 equal panels; then raised to the power `nranges`.
 * - finite ν: the ν = ∞ probability at q·s averaged over the density of u = 2s², by 16-point Gauss–Legendre on
 *   panels of width 2h in u (h = 1, ½, ¼, ⅛ for ν ≤ 100, ≤ 800, ≤ 5000, larger), stopping after the first
 *   panel past u = 2 whose contribution is ≤ 1e-14 (at most 50 panels); ν > 25 000 uses the ν = ∞ formula.
 * The panel layout, node counts and cut-offs are those of the paper, so results agree with R to rounding
 * (~1e-13 absolute; tested against R over a grid of q, nmeans, ν). The upper tail is 1 − P, so its relative
 * accuracy degrades below ~1e-10 as in R.
 * - Quantile: solved to 1e-12 relative by safeguarded secant/bisection on `ptukey`. R's `qtukey` stops its
 *   secant iteration when a step is below 1e-4, so R's quantiles differ from the exact root by up to ~1e-7;
 *   tests compare with the exact root of R's `ptukey` (uniroot) and with `qtukey` at that tolerance.
 */
import { normalUpper } from './distributions.js';

/** Gauss–Legendre nodes (ascending, on [−1, 1]) and weights, by Newton iteration on P_n. */
function gaussLegendre(n: number): { x: number[]; w: number[] } {
  const x: number[] = new Array<number>(n);
  const w: number[] = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

const GL12 = gaussLegendre(12);
const GL16 = gaussLegendre(16);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x), the standard normal lower tail, without cancellation for x > 0 beyond erfc's. */
function normalCdf(x: number): number {
  return normalUpper(-x);
}

/** log Γ(x) for x > 0: recurrence up to x ≥ 15, then Stirling's series (error < 1e-15). */
export function logGamma(x: number): number {
  if (!(x > 0)) return NaN;
  let shift = 0;
  let z = x;
  while (z < 15) {
    shift += Math.log(z);
    z += 1;
  }
  const z2 = 1 / (z * z);
  const series =
    (1 / z) *
    (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 * (1 / 1680 - z2 * (1 / 1188 - (z2 * 691) / 360360)))));
  return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** P(range of k standard normals < w), maximised over `nranges` independent ranges (ν = ∞). */
function rangeProbabilityNormal(w: number, nranges: number, k: number): number {
  const half = 0.5 * w;
  const upper = 8;
  if (half >= upper) return 1;
  // (2Φ(w/2) − 1)^k: all k values within ±w/2
  let pr = 1 - 2 * normalUpper(half);
  pr = pr >= 1 ? 1 : Math.pow(pr, k);
  const panels = w > 3 ? 2 : 3;
  const width = (upper - half) / panels;
  const cutoff = Math.exp(-30 / (k - 1));
  let integral = 0;
  for (let panel = 0; panel < panels; panel++) {
    const lo = half + panel * width;
    const mid = lo + 0.5 * width;
    const b = 0.5 * width;
    let sum = 0;
    for (let j = 0; j < 12; j++) {
      const x = mid + b * GL12.x[j]!;
      if (x * x > 60) break; // φ(x) < e^{−30}: the rest of the panel is negligible
      const inner = normalCdf(x) - normalCdf(x - w);
      if (inner >= cutoff) sum += GL12.w[j]! * Math.exp(-0.5 * x * x) * Math.pow(inner, k - 1);
    }
    integral += sum * 2 * b * k * INV_SQRT_2PI;
  }
  pr += integral;
  if (pr <= Math.exp(-30 / nranges)) return 0;
  pr = Math.pow(pr, nranges);
  return pr >= 1 ? 1 : pr;
}

/**
 * Cumulative distribution of the studentized range, P(Q < q) (R `ptukey(q, nmeans, df, nranges)`).
 * @param q range statistic ≥ 0 (q = |ȳ_i − ȳ_j| / √(MSE/2 · (1/n_i + 1/n_j)) for Tukey–Kramer)
 * @param nmeans number of means k ≥ 2; @param df ν ≥ 2 (Infinity allowed); @param nranges ≥ 1 (default 1)
 * @returns the probability in [0, 1]; NaN for invalid arguments (never throws)
 */
export function ptukey(q: number, nmeans: number, df: number, nranges = 1): number {
  if (Number.isNaN(q) || !(nmeans >= 2) || !(df >= 2) || !(nranges >= 1)) return NaN;
  if (q <= 0) return 0;
  if (!Number.isFinite(q)) return 1;
  if (df > 25000) return rangeProbabilityNormal(q, nranges, nmeans);
  const f2 = 0.5 * df;
  const h = df <= 100 ? 1 : df <= 800 ? 0.5 : df <= 5000 ? 0.25 : 0.125;
  // log density of u = 2s² (ν s² ~ χ²_ν) is logC + (f2 − 1) log u − u ν/4; logC includes the panel half-width h
  const logC = f2 * Math.log(df) - df * Math.LN2 - logGamma(f2) + Math.log(h);
  let total = 0;
  for (let i = 1; i <= 50; i++) {
    let panelSum = 0;
    const centre = (2 * i - 1) * h;
    for (let j = 0; j < 16; j++) {
      const u = centre + h * GL16.x[j]!;
      const logDensity = logC + (f2 - 1) * Math.log(u) - u * df * 0.25;
      if (logDensity >= -30) {
        const pr = rangeProbabilityNormal(q * Math.sqrt(0.5 * u), nranges, nmeans);
        panelSum += pr * GL16.w[j]! * Math.exp(logDensity);
      }
    }
    if (i * h >= 1 && panelSum <= 1e-14) break;
    total += panelSum;
  }
  return total > 1 ? 1 : total;
}

/** Upper tail P(Q ≥ q) = 1 − ptukey (R `ptukey(q, nmeans, df, lower.tail = FALSE)`); the Tukey HSD p-value. */
export function ptukeyUpper(q: number, nmeans: number, df: number, nranges = 1): number {
  return 1 - ptukey(q, nmeans, df, nranges);
}

/**
 * Quantile of the studentized range: the q with ptukey(q) = p (R `qtukey(p, nmeans, df, nranges)`), solved to
 * 1e-12 relative by a bracketing secant (Illinois) iteration.
 * @param p probability in (0, 1); other arguments as `ptukey`
 * @returns q ≥ 0; NaN for invalid arguments
 */
export function qtukey(p: number, nmeans: number, df: number, nranges = 1): number {
  if (!(p > 0 && p < 1)) return p === 0 ? 0 : p === 1 ? Infinity : NaN;
  const g = (x: number): number => ptukey(x, nmeans, df, nranges) - p;
  let lo = 0;
  let glo = -p;
  let hi = 4;
  let ghi = g(hi);
  while (ghi < 0) {
    lo = hi;
    glo = ghi;
    hi *= 2;
    ghi = g(hi);
    if (hi > 1e6) return NaN;
  }
  let side = 0;
  for (let it = 0; it < 200; it++) {
    let x = (lo * ghi - hi * glo) / (ghi - glo);
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    const gx = g(x);
    if (gx === 0) return x;
    if (gx < 0) {
      lo = x;
      glo = gx;
      if (side === -1) ghi /= 2;
      side = -1;
    } else {
      hi = x;
      ghi = gx;
      if (side === 1) glo /= 2;
      side = 1;
    }
    if (hi - lo <= 1e-12 * hi) break;
  }
  return (lo * ghi - hi * glo) / (ghi - glo);
}
