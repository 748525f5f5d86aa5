/**
 * Linear mixed-model fitting by REML or ML as lme4::lmer does it: minimise the profiled deviance /
 * REML criterion over the relative covariance factor θ (Bates et al. 2015, JSS 67(1);
 * docs/references/statistics.md §1), then report β, Var(β), σ, variance components, conditional modes,
 * log-likelihood, AIC/BIC and convergence/singularity diagnostics.
 */
import type { DataFrame } from '../data-frame.js';
import { buildModelFrame, designFromFrame, type Design, type DesignOptions } from '../design.js';
import { InputError } from '../../errors.js';
import { parseFormula } from '../formula.js';
import { minimizeBounded } from './optimize.js';
import {
  buildPlsSystem,
  buildReTerms,
  evaluatePls,
  objective,
  plsSolution,
  templateOf,
  thetaLayout,
  unscaledVcov,
  type PlsSystem,
} from './pls.js';

/** Options of fitLmm. */
export interface LmmOptions extends DesignOptions {
  /** REML (default true) or ML. */
  reml?: boolean;
  /** Start value of θ (lme4 order); default diagonal 1, off-diagonal 0. */
  thetaStart?: number[];
}

/** Standard deviation of one random effect (lme4 VarCorr row). */
export interface VarCorrSd {
  group: string;
  term: string;
  sd: number;
}
/** Correlation between two random effects of one term. */
export interface VarCorrCorr {
  group: string;
  term1: string;
  term2: string;
  corr: number;
}

/** A fitted linear mixed model (field names follow lme4 accessors). */
export interface LmmFit {
  formula: string;
  reml: boolean;
  nobs: number;
  /** Rows dropped for missing values (na.omit). */
  nDropped: number;
  /** Number of levels per grouping factor (lme4 ngrps). */
  ngroups: Record<string, number>;
  /** Relative covariance factor parameters in lme4's order (getME(fit, 'theta')). */
  theta: number[];
  /** Residual SD (sigma(fit)). */
  sigma: number;
  /** Fixed-effects names (R's model.matrix names) and estimates. */
  coefNames: string[];
  beta: number[];
  /** Var(β̂), p×p row-major (vcov(fit)). */
  vcov: Float64Array;
  /** Standard errors sqrt(diag(vcov)). */
  se: number[];
  /** Random-effect SDs per term (incl. the residual as group 'Residual') and correlations. */
  varcorr: { sd: VarCorrSd[]; corr: VarCorrCorr[] };
  /** log-likelihood (REML log-likelihood for REML fits), AIC, BIC, df (number of parameters). */
  logLik: number;
  aic: number;
  bic: number;
  df: number;
  /** REML criterion (REML fit) or ML deviance (ML fit) at θ̂. */
  criterion: number;
  /** Conditional modes per term: group, column names, levels and values (levels × columns). */
  ranef: { group: string; cnms: string[]; levels: string[]; values: number[][] }[];
  fitted: Float64Array;
  residuals: Float64Array;
  /** Columns dropped as aliased (lme4: "fixed-effect model matrix is rank deficient"). */
  aliased: string[];
  warnings: string[];
  /** Boundary (singular) fit: a diagonal θ below 1e-4 (lme4 isSingular). */
  singular: boolean;
  /**
   * Convergence diagnostics: evaluations, status, finite-difference gradient of the objective at θ̂ and
   * the Hessian-scaled gradient max|H⁻¹g| (lme4 warns above 2e-3).
   */
  optimizer: {
    evaluations: number;
    converged: boolean;
    message: string;
    gradient: number[];
    scaledGradient: number;
  };
  /** Internals used by inference (Satterthwaite, refitting). */
  internal: { sys: PlsSystem; design: Design; df: DataFrame; options: LmmOptions };
}

/**
 * Fits a linear mixed model as lme4::lmer.
 * @param formula R formula with at least one random term, e.g. `log(suvpeak) ~ timepoint * cohort + (1 | patient)`
 * @param df data frame (src/stats/data-frame.ts)
 * @param opts.reml REML (default) or ML; opts.ref reference levels; opts.types column type overrides
 * @returns LmmFit (θ, σ, β, vcov, variance components, logLik/AIC/BIC, BLUPs, diagnostics)
 * @throws InputError for bad formulas/data (missing column, non-numeric response, one-level grouping factor,
 *   more random effects than observations, no random term)
 * Source: lme4 lmer (Bates et al. 2015), lme4pureR pls.R; singular check as lme4::isSingular (tol 1e-4).
 */
export function fitLmm(formula: string, df: DataFrame, opts: LmmOptions = {}): LmmFit {
  const reml = opts.reml ?? true;
  const parsed = parseFormula(formula);
  if (parsed.random.length === 0) {
    throw new InputError('formula has no random-effects term such as (1 | patient)', {
      field: 'formula',
      value: formula,
    });
  }
  if (!parsed.response) throw new InputError('formula has no response', { field: 'formula', value: formula });
  const mf = buildModelFrame(parsed, df, opts);
  const design = designFromFrame(mf);
  const warnings: string[] = [];
  if (design.aliased.length > 0) {
    warnings.push(
      `fixed-effect model matrix is rank deficient so dropping ${design.aliased.length} column${design.aliased.length > 1 ? 's' : ''}: ${design.aliased.join(', ')}`,
    );
  }
  const y = design.y;
  if (!y)
    throw new InputError('the response must be a single numeric variable', {
      field: 'formula',
      value: formula,
    });
  const terms = buildReTerms(mf);
  const sys = buildPlsSystem(terms, design.X, design.p, y);
  const { lower, start } = thetaLayout(terms);
  if (sys.n <= sys.p) throw new InputError(`only ${sys.n} observations for ${sys.p} fixed effects`);
  const f = (theta: number[]): number => {
    try {
      return objective(sys, evaluatePls(sys, theta), reml);
    } catch {
      return Infinity;
    }
  };
  const fCoarse = (theta: number[]): number => {
    try {
      return objective(sys, evaluatePls(sys, theta, false), reml);
    } catch {
      return Infinity;
    }
  };
  const opt = minimizeBounded(f, opts.thetaStart ?? start, lower, fCoarse);
  if (!opt.converged) warnings.push(`optimizer: ${opt.message}`);
  if (opt.scaledGradient > 2e-3) {
    warnings.push(
      `Model failed to converge with max|grad| = ${opt.scaledGradient.toPrecision(3)} (tol = 0.002)`,
    );
  }
  return assembleFit(
    formula,
    df,
    opts,
    reml,
    design,
    sys,
    opt.x,
    {
      evaluations: opt.evaluations,
      converged: opt.converged,
      message: opt.message,
      gradient: opt.gradient,
      scaledGradient: opt.scaledGradient,
    },
    warnings,
  );
}

/** Builds all reported quantities at a given θ (used after optimisation and for tests at R's θ). */
export function assembleFit(
  formula: string,
  df: DataFrame,
  opts: LmmOptions,
  reml: boolean,
  design: Design,
  sys: PlsSystem,
  theta: number[],
  optimizer: LmmFit['optimizer'],
  warnings: string[] = [],
): LmmFit {
  const ev = evaluatePls(sys, theta);
  const crit = objective(sys, ev, reml);
  const n = sys.n;
  const p = sys.p;
  const sigma = Math.sqrt(ev.pwrss / (reml ? n - p : n));
  const sol = plsSolution(sys, ev, theta);
  const V = unscaledVcov(sys, ev).map((v) => v * sigma * sigma);
  const terms = sys.terms;
  const sd: VarCorrSd[] = [];
  const corr: VarCorrCorr[] = [];
  const seenGroups = new Map<string, number>();
  for (const t of terms) {
    const count = seenGroups.get(t.group) ?? 0;
    seenGroups.set(t.group, count + 1);
    const gname = count === 0 ? t.group : `${t.group}.${count}`;
    const T = templateOf(t, theta);
    const cov = new Float64Array(t.p * t.p);
    for (let a = 0; a < t.p; a++) {
      for (let b = 0; b < t.p; b++) {
        let v = 0;
        for (let k = 0; k < t.p; k++) v += T[a * t.p + k]! * T[b * t.p + k]!;
        cov[a * t.p + b] = v * sigma * sigma;
      }
    }
    for (let a = 0; a < t.p; a++)
      sd.push({ group: gname, term: t.cnms[a]!, sd: Math.sqrt(cov[a * t.p + a]!) });
    for (let a = 0; a < t.p; a++) {
      for (let b = a + 1; b < t.p; b++) {
        const den = Math.sqrt(cov[a * t.p + a]! * cov[b * t.p + b]!);
        corr.push({
          group: gname,
          term1: t.cnms[a]!,
          term2: t.cnms[b]!,
          corr: den > 0 ? cov[a * t.p + b]! / den : NaN,
        });
      }
    }
  }
  sd.push({ group: 'Residual', term: '', sd: sigma });
  const fitted = new Float64Array(n);
  const X = design.X;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < p; c++) v += X[i * p + c]! * sol.beta[c]!;
    fitted[i] = v;
  }
  terms.forEach((t, ti) => {
    const b = sol.b[ti]!;
    for (let i = 0; i < n; i++) {
      const l = t.codes[i]!;
      let v = 0;
      for (let c = 0; c < t.p; c++) v += t.z[c]![i]! * b[l * t.p + c]!;
      fitted[i]! += v;
    }
  });
  const y = design.y!;
  const residuals = y.map((v, i) => v - fitted[i]!);
  const nPar = p + theta.length + 1;
  const logLik = -crit / 2;
  const ngroups: Record<string, number> = {};
  for (const t of terms) ngroups[t.group] = t.levels.length;
  const { lower } = thetaLayout(terms);
  const singular = theta.some((v, i) => lower[i] === 0 && Math.abs(v) < 1e-4);
  if (singular) warnings.push('boundary (singular) fit: see help("isSingular")');
  return {
    formula,
    reml,
    nobs: n,
    nDropped: design.nDropped,
    ngroups,
    theta: [...theta],
    sigma,
    coefNames: design.columnNames,
    beta: Array.from(sol.beta),
    vcov: V,
    se: design.columnNames.map((_, j) => Math.sqrt(V[j * p + j]!)),
    varcorr: { sd, corr },
    logLik,
    aic: -2 * logLik + 2 * nPar,
    bic: -2 * logLik + Math.log(n) * nPar,
    df: nPar,
    criterion: crit,
    ranef: terms.map((t, ti) => ({
      group: t.group,
      cnms: t.cnms,
      levels: t.levels,
      values: t.levels.map((_, l) => Array.from(sol.b[ti]!.subarray(l * t.p, (l + 1) * t.p))),
    })),
    fitted,
    residuals,
    aliased: design.aliased,
    warnings,
    singular,
    optimizer,
    internal: { sys, design, df, options: opts },
  };
}

/**
 * The profiled objective (REML criterion or ML deviance) of a model at a given θ, without optimising
 * (lme4: `lmer(..., devFunOnly = TRUE)(theta)`). Used to check the PLS evaluation against R.
 */
export function profiledObjective(
  formula: string,
  df: DataFrame,
  theta: number[],
  opts: LmmOptions = {},
): number {
  const mf = buildModelFrame(parseFormula(formula), df, opts);
  const design = designFromFrame(mf);
  const sys = buildPlsSystem(buildReTerms(mf), design.X, design.p, design.y!);
  return objective(sys, evaluatePls(sys, theta), opts.reml ?? true);
}
