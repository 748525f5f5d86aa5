/**
 * Dose–response and standard curves: log-logistic 3PL / 4PL / 5PL (R drc LL.3 / LL.4 / LL.5 parameterisation)
 * fitted by Levenberg–Marquardt with analytic Jacobians from several data-driven starts; Wald SEs and t CIs (as
 * R `nls`: σ²(JᵀJ)⁻¹); effective doses ED_p (drc `ED`, relative); inverse prediction (back-calculation) of
 * concentrations with delta-method SEs and limits of quantification from standards' recovery.
 *
 *   LL.4: f(x) = c + (d − c) / (1 + exp(b·(ln x − ln e)))          (b > 0: decreasing in x)
 *   LL.5: f(x) = c + (d − c) / (1 + exp(b·(ln x − ln e)))^f
 *   LL.3: LL.4 with c = 0
 * Sources: Ritz et al. (2015) PLoS ONE 10:e0146021 (drc); Gottschalk & Dunn (2005) Anal Biochem 343:54 (5PL).
 */
import { ComputationError, InputError } from '../errors.js';
import { tQuantileDf } from '../stats/distributions.js';
import { inverseNormalMatrix, levenbergMarquardt, type NlsProblem } from '../stats/nls/lm.js';

/** Curve model: 3PL (c = 0), 4PL, 5PL. */
export type CurveModel = '3pl' | '4pl' | '5pl';

/** Named parameters (drc letters); c = 0 and f = 1 where the model fixes them. */
export interface CurveParams {
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

/** A fitted curve. */
export interface CurveFit {
  model: CurveModel;
  /** Names of the free parameters, in `estimates` order (e.g. ["b","c","d","e"]). */
  parameterNames: string[];
  estimates: number[];
  params: CurveParams;
  /** Standard errors √diag(σ²(JᵀJ)⁻¹) (R nls). */
  standardErrors: number[];
  /** 95 % Wald CIs estimate ± t(0.975, df)·SE. */
  ci95: [number, number][];
  covariance: number[][];
  /** Residual standard error σ = √(SSE/df). */
  residualStandardError: number;
  df: number;
  sse: number;
  /** Gaussian log-likelihood at the ML σ² = SSE/n (as R logLik for nls/drc). */
  logLik: number;
  n: number;
  fitted: number[];
  /** Unweighted residuals yᵢ − f(xᵢ). */
  residuals: number[];
  /** Whether the fit used weights (then SSE/RSE are of the weighted residuals). */
  weighted: boolean;
  iterations: number;
  /** How many starting points were tried, and how many converged. */
  starts: { tried: number; converged: number };
}

const NAMES: Record<CurveModel, (keyof CurveParams)[]> = {
  '3pl': ['b', 'd', 'e'],
  '4pl': ['b', 'c', 'd', 'e'],
  '5pl': ['b', 'c', 'd', 'e', 'f'],
};

function toParams(model: CurveModel, t: ArrayLike<number>): CurveParams {
  const p: CurveParams = { b: NaN, c: 0, d: NaN, e: NaN, f: 1 };
  NAMES[model].forEach((k, i) => (p[k] = t[i]!));
  return p;
}

/** u = (x/e)^b with the limits at x = 0 (0 for b > 0, ∞ for b < 0). */
function powRatio(x: number, b: number, e: number): number {
  if (x === 0) return b > 0 ? 0 : b < 0 ? Infinity : 1;
  return Math.exp(b * (Math.log(x) - Math.log(e)));
}

/**
 * Curve value f(x) for given parameters.
 * @param x concentration/dose (≥ 0, linear scale)
 */
export function curveValue(p: CurveParams, x: number): number {
  const u = powRatio(x, p.b, p.e);
  if (!Number.isFinite(u)) return p.c;
  return p.c + (p.d - p.c) / (1 + u) ** p.f;
}

/** Gradient of f(x) with respect to the free parameters (analytic). */
function curveGradient(model: CurveModel, p: CurveParams, x: number, out: Float64Array): void {
  const u = powRatio(x, p.b, p.e);
  const names = NAMES[model];
  const D = 1 + u;
  const finite = Number.isFinite(u);
  const Df = finite ? D ** -p.f : 0; // D^(−f)
  const lnRatio = x > 0 ? Math.log(x) - Math.log(p.e) : 0;
  const common = finite && u > 0 ? ((p.d - p.c) * p.f * Df * u) / D : 0; // (d−c)·f·D^(−f−1)·u
  names.forEach((k, i) => {
    switch (k) {
      case 'b':
        out[i] = -common * lnRatio;
        break;
      case 'c':
        out[i] = 1 - Df;
        break;
      case 'd':
        out[i] = Df;
        break;
      case 'e':
        out[i] = (common * p.b) / p.e;
        break;
      case 'f':
        out[i] = finite ? -(p.d - p.c) * Df * Math.log(D) : 0;
        break;
    }
  });
}

/** Options of `fitCurve`. */
export interface CurveFitOptions {
  /** Extra starting points (free parameters in model order), tried besides the data-driven ones. */
  starts?: number[][];
  /** Confidence level of the CIs (default 0.95). */
  level?: number;
  /**
   * Weights of the least-squares criterion Σ wᵢ(yᵢ − f(xᵢ))²: none (default), '1/y^2' (relative error, common for
   * MFI/OD standard curves) or one positive weight per point. SEs, RSE and logLik then follow R nls(weights = w).
   */
  weights?: 'none' | '1/y^2' | number[];
}

/**
 * Fits a 3PL/4PL/5PL log-logistic curve by least squares.
 * @param x concentrations/doses (≥ 0; linear scale; 0 allowed, e.g. blanks/controls)
 * @param y responses (e.g. MFI, OD, root length)
 * @throws InputError for mismatched lengths, negative or non-finite x, too few points;
 *   ComputationError when the data cannot be fitted (flat response, no start converges, singular Jacobian)
 */
export function fitCurve(
  x: number[],
  y: number[],
  model: CurveModel,
  options: CurveFitOptions = {},
): CurveFit {
  if (x.length !== y.length)
    throw new InputError('x and y differ in length', { value: [x.length, y.length] });
  const names = NAMES[model];
  const n = x.length;
  if (n <= names.length) {
    throw new InputError(`a ${model} fit needs more than ${names.length} points`, { value: n });
  }
  x.forEach((v, i) => {
    if (!(v >= 0) || !Number.isFinite(v))
      throw new InputError('concentration must be finite and ≥ 0', { row: i + 1, field: 'x', value: v });
    if (!Number.isFinite(y[i]!))
      throw new InputError('response must be finite', { row: i + 1, field: 'y', value: y[i] });
  });
  const yMin = Math.min(...y);
  const yMax = Math.max(...y);
  if (!(yMax > yMin))
    throw new ComputationError('curve cannot be fitted: the response is flat (all y equal)', { value: yMin });
  const distinctX = new Set(x.filter((v) => v > 0)).size;
  if (distinctX < names.length - 1) {
    throw new ComputationError(`curve cannot be fitted: only ${distinctX} distinct positive concentrations`, {
      value: distinctX,
    });
  }
  const p = names.length;
  const g = new Float64Array(p);
  const w = curveWeights(y, options.weights ?? 'none');
  const sw = w.map(Math.sqrt);
  const problem: NlsProblem = {
    nParams: p,
    nResiduals: n,
    residuals(t, out) {
      const pp = toParams(model, t);
      for (let i = 0; i < n; i++) out[i] = sw[i]! * (y[i]! - curveValue(pp, x[i]!));
    },
    jacobian(t, out) {
      const pp = toParams(model, t);
      for (let i = 0; i < n; i++) {
        curveGradient(model, pp, x[i]!, g);
        for (let j = 0; j < p; j++) out[i * p + j] = -sw[i]! * g[j]!;
      }
    },
  };
  const starts = [...startingValues(x, y, model), ...(options.starts ?? [])];
  let best: ReturnType<typeof levenbergMarquardt> | null = null;
  let nConv = 0;
  for (const s of starts) {
    let fit;
    try {
      fit = levenbergMarquardt(problem, s);
    } catch {
      continue;
    }
    const pp = toParams(model, fit.params);
    const ok = fit.converged && Number.isFinite(fit.sse) && pp.e > 0 && (model !== '5pl' || pp.f > 0);
    if (!ok) continue;
    nConv++;
    if (best === null || fit.sse < best.sse) best = fit;
  }
  if (best === null) {
    throw new ComputationError(`curve cannot be fitted: none of ${starts.length} starting points converged`, {
      value: model,
    });
  }
  const theta = Float64Array.from(best.params);
  if (model === '4pl' && theta[1]! > theta[2]!) {
    // LL.4 is symmetric under (b, c, d) → (−b, d, c): report drc's convention d > c (b < 0 for rising curves).
    const cOld = theta[1]!;
    theta[0] = -theta[0]!;
    theta[1] = theta[2]!;
    theta[2] = cOld;
    best = { ...best, params: Array.from(theta) };
  }
  const J = new Float64Array(n * p);
  problem.jacobian(theta, J);
  let covUnscaled: number[][];
  try {
    covUnscaled = inverseNormalMatrix(J, n, p);
  } catch {
    throw new ComputationError(
      'curve cannot be fitted: parameters are not identifiable (singular Jacobian)',
      { value: model },
    );
  }
  const df = n - p;
  const sigma2 = best.sse / df;
  const covariance = covUnscaled.map((row) => row.map((v) => v * sigma2));
  const se = covariance.map((row, i) => Math.sqrt(row[i]!));
  if (se.some((s) => !Number.isFinite(s))) {
    throw new ComputationError('curve cannot be fitted: parameter covariance is not finite', {
      value: model,
    });
  }
  const level = options.level ?? 0.95;
  const q = tQuantileDf(1 - (1 - level) / 2, df);
  const params = toParams(model, theta);
  const fitted = x.map((xi) => curveValue(params, xi));
  return {
    model,
    parameterNames: names.slice(),
    estimates: best.params,
    params,
    standardErrors: se,
    ci95: best.params.map((v, i) => [v - q * se[i]!, v + q * se[i]!]),
    covariance,
    residualStandardError: Math.sqrt(sigma2),
    df,
    sse: best.sse,
    // R logLik.nls: −n/2·(log 2π + 1 − log n + log Σwr²) + Σ log(w)/2
    logLik:
      -0.5 * n * (Math.log(2 * Math.PI) + Math.log(best.sse / n) + 1) +
      0.5 * w.reduce((s, v) => s + Math.log(v), 0),
    n,
    fitted,
    residuals: y.map((yi, i) => yi - fitted[i]!),
    weighted: (options.weights ?? 'none') !== 'none',
    iterations: best.iterations,
    starts: { tried: starts.length, converged: nConv },
  };
}

function curveWeights(y: number[], spec: 'none' | '1/y^2' | number[]): number[] {
  if (spec === 'none') return y.map(() => 1);
  if (spec === '1/y^2') {
    return y.map((v, i) => {
      if (v === 0)
        throw new InputError('weights 1/y^2 need non-zero responses', { row: i + 1, field: 'y', value: v });
      return 1 / (v * v);
    });
  }
  if (spec.length !== y.length)
    throw new InputError('one weight per point is needed', { field: 'weights', value: spec.length });
  spec.forEach((v, i) => {
    if (!(v > 0) || !Number.isFinite(v))
      throw new InputError('weights must be finite and > 0', { row: i + 1, field: 'weights', value: v });
  });
  return spec.slice();
}

/** Data-driven starting points: asymptotes from the extremes, b and e from a logit regression, both signs of b. */
function startingValues(x: number[], y: number[], model: CurveModel): number[][] {
  const yMin = Math.min(...y);
  const yMax = Math.max(...y);
  const span = yMax - yMin;
  const pos = x.map((v, i) => [v, y[i]!] as const).filter(([v]) => v > 0);
  const xs = [...new Set(pos.map(([v]) => v))].sort((a, b) => a - b);
  const median = xs[Math.floor(xs.length / 2)]!;
  const out: number[][] = [];
  for (const pad of [0.05, 0.2]) {
    const c0 = model === '3pl' ? 0 : yMin - pad * span;
    const d0 = yMax + pad * span;
    // logit: ln((d − y)/(y − c)) = b ln x − b ln e
    const pts = pos
      .filter(([, yy]) => yy > c0 && yy < d0)
      .map(([v, yy]) => [Math.log(v), Math.log((d0 - yy) / (yy - c0))] as const);
    let b0 = 1;
    let e0 = median;
    if (pts.length >= 2) {
      const mx = pts.reduce((s, [a]) => s + a, 0) / pts.length;
      const my = pts.reduce((s, [, v]) => s + v, 0) / pts.length;
      let sxx = 0;
      let sxy = 0;
      for (const [a, v] of pts) {
        sxx += (a - mx) ** 2;
        sxy += (a - mx) * (v - my);
      }
      if (sxx > 0 && sxy !== 0) {
        b0 = sxy / sxx;
        e0 = Math.exp(mx - my / b0);
        if (!Number.isFinite(e0) || e0 <= 0) e0 = median;
      }
    }
    for (const b of [b0, -b0]) {
      for (const e of [e0, median]) {
        const all: Record<keyof CurveParams, number> = { b, c: c0, d: d0, e, f: 1 };
        // a rising curve (b < 0) has its upper asymptote d at low x reversed: swap c and d
        if (b < 0 && model !== '3pl') {
          all.c = d0;
          all.d = c0;
        }
        out.push(NAMES[model].map((k) => all[k]));
      }
    }
  }
  return out;
}

/**
 * Effective dose ED_p (relative, drc `ED(type = "relative")`): the x where the response has moved p % of the way
 * from d (at x → 0) to c, with its delta-method SE.
 * @param p percentage in (0, 100)
 */
export function effectiveDose(fit: CurveFit, p: number): { estimate: number; se: number } {
  if (!(p > 0 && p < 100)) throw new InputError('ED percentage must be in (0, 100)', { value: p });
  const { b, e, f } = fit.params;
  // Solve (1 + u)^(−f) = 1 − p/100 for u: u = (1 − p/100)^(−1/f) − 1;  x = e·u^(1/b)
  const target = 1 - p / 100;
  const u = target ** (-1 / f) - 1;
  const estimate = e * u ** (1 / b);
  // gradient w.r.t. free parameters
  const grad = fit.parameterNames.map((name) => {
    if (name === 'e') return estimate / e;
    if (name === 'b') return (-estimate * Math.log(u)) / (b * b);
    if (name === 'f') {
      const du = (target ** (-1 / f) * Math.log(target)) / (f * f);
      return (estimate / (b * u)) * du;
    }
    return 0;
  });
  return { estimate, se: Math.sqrt(quadForm(fit.covariance, grad)) };
}

function quadForm(S: number[][], g: number[]): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) for (let j = 0; j < g.length; j++) s += g[i]! * S[i]![j]! * g[j]!;
  return s;
}

/** Back-calculated concentration of one response. */
export interface InversePrediction {
  response: number;
  /** Concentration, or null outside the curve's range / the quantification limits. */
  concentration: number | null;
  /** Delta-method SE from parameter uncertainty (null when no concentration). */
  se: number | null;
  /** "ok", below/above the limits of quantification, or outside the asymptotes. */
  flag: 'ok' | '<LLOQ' | '>ULOQ' | 'below-curve' | 'above-curve';
}

/** Limits of quantification (concentrations). */
export interface QuantificationLimits {
  lloq: number;
  uloq: number;
}

/**
 * Inverse prediction x̂ with f(x̂) = y: 4PL x = e·((d−c)/(y−c) − 1)^(1/b); 5PL x = e·(((d−c)/(y−c))^(1/f) − 1)^(1/b).
 * SE by the delta method: ∂x̂/∂θ = −(∂f/∂θ)/(∂f/∂x) at x̂.
 * @param limits optional LLOQ/ULOQ: concentrations outside are flagged "<LLOQ"/">ULOQ" and not reported
 */
export function inversePredict(
  fit: CurveFit,
  response: number,
  limits?: QuantificationLimits,
): InversePrediction {
  const { b, c, d, e, f } = fit.params;
  const lo = Math.min(c, d);
  const hi = Math.max(c, d);
  if (!(response > lo && response < hi)) {
    const below = response <= lo;
    const flag = below ? 'below-curve' : 'above-curve';
    return { response, concentration: null, se: null, flag };
  }
  const ratio = (d - c) / (response - c);
  const u = ratio ** (1 / f) - 1;
  const x = e * u ** (1 / b);
  if (limits) {
    if (x < limits.lloq) return { response, concentration: null, se: null, flag: '<LLOQ' };
    if (x > limits.uloq) return { response, concentration: null, se: null, flag: '>ULOQ' };
  }
  const g = new Float64Array(fit.parameterNames.length);
  curveGradient(fit.model, fit.params, x, g);
  const uu = powRatio(x, b, e);
  const dfdx = (-(d - c) * f * (1 + uu) ** (-f - 1) * b * uu) / x;
  const grad = Array.from(g, (v) => -v / dfdx);
  return { response, concentration: x, se: Math.sqrt(quadForm(fit.covariance, grad)), flag: 'ok' };
}

/**
 * Limits of quantification from standards: LLOQ/ULOQ = lowest/highest nominal concentration whose mean
 * back-calculated recovery is within [recoveryMin, recoveryMax] % and (with replicates) whose CV of the responses
 * is ≤ maxCvPercent — the usual bioanalytical rule (FDA 2018 BMV guidance: 80–120 %, CV ≤ 20 % at the limits).
 * @param standards nominal concentration and measured response per well (replicates share a concentration)
 * @throws ComputationError when no standard meets the criteria
 */
export function quantificationLimits(
  fit: CurveFit,
  standards: { concentration: number; response: number }[],
  criteria: { recoveryMin?: number; recoveryMax?: number; maxCvPercent?: number } = {},
): QuantificationLimits & {
  recoveries: {
    concentration: number;
    recoveryPercent: number | null;
    cvPercent: number | null;
    ok: boolean;
  }[];
} {
  const rMin = criteria.recoveryMin ?? 80;
  const rMax = criteria.recoveryMax ?? 120;
  const cvMax = criteria.maxCvPercent ?? 20;
  const groups = new Map<number, number[]>();
  for (const s of standards) {
    if (s.concentration > 0)
      groups.set(s.concentration, [...(groups.get(s.concentration) ?? []), s.response]);
  }
  const recoveries = [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([conc, ys]) => {
      const back = ys.map((yy) => inversePredict(fit, yy).concentration);
      const valid = back.filter((v): v is number => v !== null);
      const recoveryPercent =
        valid.length === ys.length ? (100 * valid.reduce((s, v) => s + v, 0)) / valid.length / conc : null;
      let cvPercent: number | null = null;
      if (ys.length > 1) {
        const m = ys.reduce((s, v) => s + v, 0) / ys.length;
        const sd = Math.sqrt(ys.reduce((s, v) => s + (v - m) ** 2, 0) / (ys.length - 1));
        cvPercent = (100 * sd) / Math.abs(m);
      }
      const ok =
        recoveryPercent !== null &&
        recoveryPercent >= rMin &&
        recoveryPercent <= rMax &&
        (cvPercent === null || cvPercent <= cvMax);
      return { concentration: conc, recoveryPercent, cvPercent, ok };
    });
  const okOnes = recoveries.filter((r) => r.ok);
  if (okOnes.length === 0)
    throw new ComputationError('no standard meets the recovery/CV criteria: no quantification range');
  return { lloq: okOnes[0]!.concentration, uloq: okOnes[okOnes.length - 1]!.concentration, recoveries };
}
