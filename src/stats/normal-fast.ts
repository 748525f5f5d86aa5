/**
 * Fast standard normal Φ̄, Φ, Φ⁻¹ and the scale S = √(χ²_ν / ν) as a function of a normal quantile, for the inner
 * loop of the Genz–Bretz lattice (src/stats/mvt.ts calls them ~3 times per conditioning stage per lattice point):
 * - Φ̄(x), x ≥ 0: a degree-9 Taylor polynomial about the nearest node x0 = i/64 of a table on [0, 10] (from erfc),
 *   Φ̄(x0 + h) = Φ̄(x0) − φ(x0) Σ_{k=1..9} (−1)^{k−1} He_{k−1}(x0) h^k / k!  (He the Hermite polynomials,
 *   He_{k+1} = x He_k − k He_{k−1}; |h| ≤ 1/128), its coefficients tabulated per node and evaluated by Horner:
 *   ~1e-16 absolute, ~1e-14 relative; 0 beyond 10 (Φ̄(10) = 7.6e-24).
 * - Φ⁻¹(u): Wichura (1988), Algorithm AS 241 PPND16 (Appl Stat 37:477–484), ~1e-16 relative.
 * - s(z) = √(χ²_ν⁻¹(Φ(z)) / ν): log s tabulated on [−9, 9] in steps of 1/32 with its derivative, cubic Hermite
 *   interpolation in between (~1e-13 relative); the table per ν from a Newton solve on the regularised gamma.
 * Tested against erfc (test/stats/mvt.test.ts) and R's qnorm. No I/O.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import { normalUpper } from './distributions.js';
import { logGamma } from './studentized-range.js';

const PHI_SCALE = 64;
const PHI_NODES = 641;
const PHI_TERMS = 9;
/** Per node i: Φ̄(x0), then the Taylor coefficients c_1…c_9 (Φ̄(x0 + h) = Φ̄(x0) − h (c_1 + h (c_2 + …))). */
const PHI_TABLE = (() => {
  const t = new Float64Array(PHI_NODES * (PHI_TERMS + 1));
  for (let i = 0; i < PHI_NODES; i++) {
    const x0 = i / PHI_SCALE;
    const dens = Math.exp(-0.5 * x0 * x0 - 0.5 * Math.log(2 * Math.PI));
    const base = i * (PHI_TERMS + 1);
    t[base] = normalUpper(x0);
    let hePrev = 0; // He_{k-2}
    let he = 1; // He_{k-1}
    let fact = 1; // k!
    for (let k = 1; k <= PHI_TERMS; k++) {
      fact *= k;
      t[base + k] = (((k % 2 === 1 ? 1 : -1) * he) / fact) * dens;
      const next = x0 * he - (k - 1) * hePrev;
      hePrev = he;
      he = next;
    }
  }
  return t;
})();

/** Φ̄(x) = P(Z > x) for x ≥ 0 (module doc), ~1e-16 absolute; 0 for x ≥ 10. */
export function normalUpperFast(x: number): number {
  if (x >= 10) return 0;
  const i = (x * PHI_SCALE + 0.5) | 0;
  const h = x - i / PHI_SCALE;
  const b = i * (PHI_TERMS + 1);
  const t = PHI_TABLE;
  return (
    t[b]! -
    h *
      (t[b + 1]! +
        h *
          (t[b + 2]! +
            h *
              (t[b + 3]! +
                h *
                  (t[b + 4]! +
                    h * (t[b + 5]! + h * (t[b + 6]! + h * (t[b + 7]! + h * (t[b + 8]! + h * t[b + 9]!))))))))
  );
}

/** Φ(x), the standard normal distribution function, to ~1e-16 absolute (tested against erfc); NaN for NaN. */
export function fastNormalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? 1 - normalUpperFast(x) : normalUpperFast(-x);
}

/** Φ⁻¹(u), the standard normal quantile (AS 241, module doc), ±∞ at 0 and 1. */
export function fastNormalQuantile(u: number): number {
  const q = u - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301227 * r + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) *
          r +
          13731.69376550946) *
          r +
          1971.5909503065513) *
          r +
          133.14166789178438) *
          r +
          3.3871328727963665)) /
      (((((((5226.495278852854 * r + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) *
        r +
        5394.196021424751) *
        r +
        687.1870074920579) *
        r +
        42.31333070160091) *
        r +
        1)
    );
  }
  let r = q < 0 ? u : 1 - u;
  if (r <= 0) return q < 0 ? -Infinity : Infinity;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((0.0007745450142783414 * r + 0.022723844989269184) * r + 0.2417807251774506) * r +
        1.2704582524523684) *
        r +
        3.6478483247632045) *
        r +
        5.769497221460691) *
        r +
        4.630337846156546) *
        r +
        1.4234371107496835) /
      (((((((1.0507500716444169e-9 * r + 0.0005475938084995345) * r + 0.015198666563616457) * r +
        0.14810397642748008) *
        r +
        0.6897673349851) *
        r +
        1.6763848301838038) *
        r +
        2.053191626637759) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((2.0103343992922881e-7 * r + 2.7115555687434876e-5) * r + 0.0012426609473880784) * r +
        0.026532189526576124) *
        r +
        0.29656057182850487) *
        r +
        1.7848265399172913) *
        r +
        5.463784911164114) *
        r +
        6.657904643501103) /
      (((((((2.0442631033899397e-15 * r + 1.421511758316446e-7) * r + 1.8463183175100548e-5) * r +
        0.0007868691311456133) *
        r +
        0.014875361290850615) *
        r +
        0.1369298809227358) *
        r +
        0.599832206555888) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}

// ---------------------------------------------------------------------------------------------------------------
// S = √(χ²_ν / ν) as a function of a standard normal quantile z.

const CHI_Z = 9;
const CHI_STEP = 1 / 32;

/** log s at the nodes z = −9 + i/32 and its slope d log s / dz = φ(z) / (s f_S(s)), for one ν. */
export interface ChiTable {
  logS: Float64Array;
  slope: Float64Array;
}
const chiTables = new Map<number, ChiTable>();

/** χ²_ν quantile at the normal quantile z (lower tail Φ(z) for z ≤ 0, upper tail Φ̄(z) above), by Newton. */
function chisqAtNormalQuantile(z: number, df: number): number {
  const lower = z <= 0;
  const logTarget = Math.log(normalUpper(Math.abs(z)));
  const a = df / 2;
  const logDensityX = (x: number): number => (a - 1) * Math.log(x) - x / 2 - a * Math.LN2 - logGamma(a);
  // Wilson–Hilferty start, then Newton on log P against log x (safeguarded by bisection on log x)
  const wh = 1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df));
  let t = Math.log(wh > 0.05 ? df * wh ** 3 : df * 1e-3);
  let lo = -800;
  let hi = 800;
  for (let it = 0; it < 200; it++) {
    const x = Math.exp(t);
    const tail = gammainc(x / 2, a, true, !lower);
    const g = Math.log(tail) - logTarget; // increasing in t for the lower tail, decreasing for the upper
    if (Math.abs(g) < 1e-14) break;
    if (lower === g > 0) hi = t;
    else lo = t;
    const slope = ((lower ? 1 : -1) * Math.exp(logDensityX(x) + t)) / tail;
    let next = t - g / slope;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = 0.5 * (lo + hi);
    if (Math.abs(next - t) < 1e-15 * Math.max(1, Math.abs(t))) break;
    t = next;
  }
  return Math.exp(t);
}

/** The table of log s for ν = df (cached per ν). */
export function chiTable(df: number): ChiTable {
  let tab = chiTables.get(df);
  if (tab) return tab;
  const n = Math.round((2 * CHI_Z) / CHI_STEP) + 1;
  const logS = new Float64Array(n);
  const slope = new Float64Array(n);
  const logC = Math.LN2 + 0.5 * df * Math.log(0.5 * df) - logGamma(0.5 * df);
  for (let i = 0; i < n; i++) {
    const z = -CHI_Z + i * CHI_STEP;
    const ls = 0.5 * Math.log(chisqAtNormalQuantile(z, df) / df);
    const s = Math.exp(ls);
    const logDensityS = logC + (df - 1) * ls - 0.5 * df * s * s;
    logS[i] = ls;
    slope[i] = Math.exp(-0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - logDensityS - ls);
  }
  tab = { logS, slope };
  chiTables.set(df, tab);
  return tab;
}

/** s = √(χ²_ν⁻¹(u) / ν) through the table of ν (u in (0, 1), the lattice coordinate). */
export function chiScale(u: number, tab: ChiTable): number {
  const z = Math.min(CHI_Z, Math.max(-CHI_Z, fastNormalQuantile(u)));
  const x = (z + CHI_Z) / CHI_STEP;
  const i = Math.min(tab.logS.length - 2, Math.floor(x));
  const t = x - i;
  const t2 = t * t;
  const t3 = t2 * t;
  const v =
    (2 * t3 - 3 * t2 + 1) * tab.logS[i]! +
    (t3 - 2 * t2 + t) * CHI_STEP * tab.slope[i]! +
    (-2 * t3 + 3 * t2) * tab.logS[i + 1]! +
    (t3 - t2) * CHI_STEP * tab.slope[i + 1]!;
  return Math.exp(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Φ⁻¹ and s(u) on [1/64, 63/64] by quintic Hermite interpolation (value, first and second derivative at both ends of
// each cell of a uniform grid in u): p(t) = f₀ + f₀′t + f₀″t²/2 + a₃t³ + a₄t⁴ + a₅t⁵ with
// a₃ = 10(f₁ − f₀) − 6f₀′ − 4f₁′ − (3f₀″ − f₁″)/2, a₄ = −15(f₁ − f₀) + 8f₀′ + 7f₁′ + (3f₀″ − 2f₁″)/2,
// a₅ = 6(f₁ − f₀) − 3f₀′ − 3f₁′ − (f₀″ − f₁″)/2 (derivatives in t = (u − u_i)/h). Error ≲ h⁶ max|f⁽⁶⁾| / 46080.

const U_CELLS = 4096;
const U_EDGE = 1 / 64;

/** The 6 polynomial coefficients per cell from the values and u-derivatives at the nodes i/U_CELLS (filled range). */
function quinticTable(node: (u: number) => [number, number, number]): Float64Array {
  const h = 1 / U_CELLS;
  const first = U_CELLS * U_EDGE;
  const t = new Float64Array(U_CELLS * 6);
  let [f0, d0, s0] = node(first * h);
  for (let i = first; i <= U_CELLS - first; i++) {
    const [f1, d1u, s1u] = node((i + 1) * h);
    const [g0, g1, c0, c1] = [d0 * h, d1u * h, s0 * h * h, s1u * h * h];
    const df = f1 - f0;
    const b = i * 6;
    t[b] = f0;
    t[b + 1] = g0;
    t[b + 2] = c0 / 2;
    t[b + 3] = 10 * df - 6 * g0 - 4 * g1 - (3 * c0 - c1) / 2;
    t[b + 4] = -15 * df + 8 * g0 + 7 * g1 + (3 * c0 - 2 * c1) / 2;
    t[b + 5] = 6 * df - 3 * g0 - 3 * g1 - (c0 - c1) / 2;
    [f0, d0, s0] = [f1, d1u, s1u];
  }
  return t;
}

const evalQuintic = (t: Float64Array, u: number): number => {
  const x = u * U_CELLS;
  const i = x | 0;
  const r = x - i;
  const b = i * 6;
  return t[b]! + r * (t[b + 1]! + r * (t[b + 2]! + r * (t[b + 3]! + r * (t[b + 4]! + r * t[b + 5]!))));
};

/** Φ⁻¹ on the grid: z, dz/du = 1/φ(z), d²z/du² = z (dz/du)². */
const QUANTILE_TABLE = quinticTable((u) => {
  const z = fastNormalQuantile(u);
  const d = Math.sqrt(2 * Math.PI) * Math.exp(0.5 * z * z);
  return [z, d, z * d * d];
});

/**
 * Φ⁻¹(u) for the inner loop: the quintic interpolant of AS 241 on [1/64, 63/64] (~1e-13 absolute, tested against
 * `fastNormalQuantile`), AS 241 itself outside.
 */
export function normalQuantileKernel(u: number): number {
  return u >= U_EDGE && u <= 1 - U_EDGE ? evalQuintic(QUANTILE_TABLE, u) : fastNormalQuantile(u);
}

/** Per ν, s(u) on the grid: s, ds/du = 1/f_S(s), d²s/du² = −(f_S′/f_S)(s) / f_S(s)², f_S′/f_S = (ν − 1)/s − ν s. */
const chiKernelTables = new Map<number, Float64Array>();

function chiKernelTable(df: number): Float64Array {
  let t = chiKernelTables.get(df);
  if (t) return t;
  const logC = Math.LN2 + 0.5 * df * Math.log(0.5 * df) - logGamma(0.5 * df);
  t = quinticTable((u) => {
    const s = Math.sqrt(chisqAtNormalQuantile(fastNormalQuantile(u), df) / df);
    const dens = Math.exp(logC + (df - 1) * Math.log(s) - 0.5 * df * s * s);
    return [s, 1 / dens, -((df - 1) / s - df * s) / (dens * dens)];
  });
  chiKernelTables.set(df, t);
  return t;
}

/** s(u) = √(χ²_ν⁻¹(u) / ν) for the inner loop of one ν: a quintic table on [1/64, 63/64], `chiScale` outside. */
export interface ChiKernel {
  table: Float64Array;
  tails: ChiTable;
}

/** The inner-loop scale of ν = df (tables cached per ν). */
export function chiKernel(df: number): ChiKernel {
  return { table: chiKernelTable(df), tails: chiTable(df) };
}

/** s(u) through a `ChiKernel` (~1e-13 relative, tested against `chiScale`). */
export function chiScaleKernel(u: number, k: ChiKernel): number {
  return u >= U_EDGE && u <= 1 - U_EDGE ? evalQuintic(k.table, u) : chiScale(u, k.tails);
}
