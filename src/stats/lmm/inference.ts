/**
 * Inference on fitted linear mixed models as lmerTest and lme4 do it: type III F tests with lmerTest's
 * (SAS-like) hypothesis matrices, least-squares means (lmerTest::ls_means) with back-transformation,
 * likelihood-ratio tests (lme4 anova(): REML fits refitted by ML) and AIC comparison of ML fits.
 */
import type { DataFrame, Cell } from '../data-frame.js';
import { buildModelFrame, termBlocks, type EvaluatedVariable } from '../design.js';
import { chisqUpper } from '../distributions.js';
import { InputError } from '../../errors.js';
import { exprColumns, parseFormula } from '../formula.js';
import { cholInPlace, cholInverse } from '../linalg.js';
import { projectionResidual, zapsmall } from './dense.js';
import { fitLmm, type LmmFit } from './fit.js';
import { contestMD, satterthwaite, type ContrastTest, type FTest } from './satterthwaite.js';

/** One row of the type III table. */
export interface AnovaRow extends FTest {
  term: string;
  /** The hypothesis matrix used (rows over fit.coefNames). */
  L: number[][];
}

/** lmerTest's doolittle(): unit lower-triangular L of an LDU decomposition (entries < 1e-6 zeroed). */
function doolittle(x: Float64Array, n: number): Float64Array {
  const eps = 1e-6;
  const L = new Float64Array(n * n);
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) L[i * n + i] = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let u = x[i * n + j]!;
      for (let k = 0; k < i; k++) u -= L[i * n + k]! * U[k * n + j]!;
      U[i * n + j] = u;
    }
    for (let j = i + 1; j < n; j++) {
      let l = x[j * n + i]!;
      for (let k = 0; k < i; k++) l -= L[j * n + k]! * U[k * n + i]!;
      L[j * n + i] = Math.abs(U[i * n + i]!) < eps ? 0 : l / U[i * n + i]!;
    }
  }
  return L.map((v) => (Math.abs(v) < eps ? 0 : v));
}

function crossprodX(X: Float64Array, n: number, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < p; a++) {
      const xa = X[i * p + a]!;
      if (xa === 0) continue;
      for (let b = 0; b < p; b++) out[a * p + b]! += xa * X[i * p + b]!;
    }
  }
  return out;
}

/**
 * lmerTest's type III hypothesis matrices (get_contrasts_type3 / extract_contrasts_type3 for treatment
 * contrasts; get_contrasts_type1 via doolittle for a model with a single term).
 * @returns one L (rows over fit.coefNames) per fixed-effects term, keyed by term label
 */
export function typeIIIContrasts(fit: LmmFit): Map<string, number[][]> {
  const design = fit.internal.design;
  const { X, n, p, assign } = design;
  const f = design.formula;
  const termLabels = f.terms.map((t) => t.label);
  const out = new Map<string, number[][]>();
  const termCols = (k: number): number[] =>
    assign.map((a, j) => (a === k + 1 ? j : -1)).filter((j) => j >= 0);
  if (p <= 1 || termLabels.length <= 1) {
    if (p === 1) {
      if (!f.intercept) out.set(termLabels[0]!, [[1]]);
      return out;
    }
    const Ld = doolittle(crossprodX(X, n, p), p);
    termLabels.forEach((lab, k) => {
      out.set(
        lab,
        termCols(k).map((r) => Array.from({ length: p }, (_, c) => Ld[c * p + r]!)),
      );
    });
    return out;
  }
  // rank-deficient full-dummy design rdX (one block per term, intercept first)
  const mf = buildModelFrame(f, fit.internal.df, fit.internal.options);
  const rd: { name: string; col: Float64Array }[] = [];
  if (f.intercept) rd.push({ name: '(Intercept)', col: new Float64Array(n).fill(1) });
  for (const t of f.terms) {
    const b = termBlocks([t], false, mf.vars, n, true)[0]!;
    b.names.forEach((nm, j) => rd.push({ name: nm, col: b.cols[j]! }));
  }
  // L = t(ginv(X) rdX): r×p, row i = coefficients of rdX column i in the X basis
  const XtX = crossprodX(X, n, p);
  if (!cholInPlace(XtX, p, p)) throw new InputError('fixed-effects matrix is rank deficient');
  const XtXi = cholInverse(XtX, p, p);
  const r = rd.length;
  let Lcols: Float64Array[] = Array.from({ length: p }, () => new Float64Array(r));
  const xtc = new Float64Array(p);
  rd.forEach((rc, i) => {
    xtc.fill(0);
    for (let s = 0; s < n; s++) {
      const v = rc.col[s]!;
      if (v === 0) continue;
      for (let a = 0; a < p; a++) xtc[a]! += X[s * p + a]! * v;
    }
    for (let a = 0; a < p; a++) {
      let v = 0;
      for (let b = 0; b < p; b++) v += XtXi[a * p + b]! * xtc[b]!;
      Lcols[a]![i] = v;
    }
  });
  // zapsmall over the whole matrix
  {
    const flat = new Float64Array(r * p);
    Lcols.forEach((c, a) => c.forEach((v, i) => (flat[i * p + a] = v)));
    const z = zapsmall(flat);
    Lcols = Lcols.map((_, a) => Float64Array.from({ length: r }, (_, i) => z[i * p + a]!));
  }
  // containment: T1 contained in T2 when vars(T1) ⊂ vars(T2) strictly and the numeric vars are equal
  const isNum = (v: string): boolean => mf.vars.get(v)?.kind === 'numeric';
  const contains = f.terms.map((t1) =>
    f.terms
      .map((t2, k) => ({ t2, k }))
      .filter(({ t2 }) => {
        const sub = t1.variables.every((v) => t2.variables.includes(v));
        const strict = t2.variables.some((v) => !t1.variables.includes(v));
        const n1 = t1.variables.filter(isNum).sort().join('\u0000');
        const n2 = t2.variables.filter(isNum).sort().join('\u0000');
        return sub && strict && n1 === n2;
      })
      .map(({ k }) => k),
  );
  const orthOrder = f.terms
    .map((t, k) => ({ k, order: t.variables.length }))
    .sort((a, b) => b.order - a.order || a.k - b.k)
    .map((x) => x.k);
  for (const k of orthOrder) {
    if (contains[k]!.length === 0) continue;
    const A = contains[k]!.flatMap((c) => termCols(c).map((j) => Lcols[j]!));
    const cols = termCols(k);
    const res = projectionResidual(
      A,
      cols.map((j) => Lcols[j]!),
    );
    // zapsmall on the residual block
    const flat = new Float64Array(r * cols.length);
    res.forEach((c, a) => c.forEach((v, i) => (flat[i * cols.length + a] = v)));
    const z = zapsmall(flat);
    cols.forEach((j, a) => (Lcols[j] = Float64Array.from({ length: r }, (_, i) => z[i * cols.length + a]!)));
  }
  // keep rows of the X columns
  const rowIndex = design.columnNames.map((nm) => rd.findIndex((x) => x.name === nm));
  if (rowIndex.some((i) => i < 0)) throw new Error('internal: X column not found in rdX');
  termLabels.forEach((lab, k) => {
    const rows = termCols(k)
      .map((j) => rowIndex.map((ri) => Lcols[j]![ri]!))
      .filter((row) => row.reduce((s, v) => s + Math.abs(v), 0) > 1e-8);
    out.set(lab, rows);
  });
  return out;
}

/**
 * Type III ANOVA table with Satterthwaite denominator df (lmerTest `anova(fit, type = 3)`).
 * @returns one row per fixed-effects term: numDf, denDf, F, p and the hypothesis matrix
 */
export function anovaTypeIII(fit: LmmFit): AnovaRow[] {
  const Ls = typeIIIContrasts(fit);
  const rows: AnovaRow[] = [];
  for (const [term, L] of Ls) {
    if (L.length === 0) continue;
    rows.push({ term, L, ...contestMD(fit, L) });
  }
  return rows;
}

/** One least-squares mean or pairwise difference, with back-transformed values when requested. */
export interface EmmeanRow extends ContrastTest {
  /** Level name as lmerTest prints it (`timepointd2`, or `timepointd2 - timepointpre` for pairs). */
  name: string;
  /** exp(estimate), exp(ciLower), exp(ciUpper): geometric means (means) or ratios (pairs). */
  expEstimate?: number;
  expLower?: number;
  expUpper?: number;
}

/**
 * Least-squares (estimated marginal) means of a factor term with Satterthwaite CIs, and all pairwise
 * differences, as lmerTest::ls_means (numeric covariates at their mean, equal weights over the other
 * factors' levels). A numeric covariate enters at the mean of its data column(s) over the used rows, so
 * `log(volume_ml)` is evaluated at log(mean(volume_ml)) as the emmeans package does (lmerTest's own
 * ls_means cannot evaluate such terms). With opts.exp the estimates and limits are exponentiated: geometric means for a
 * log-scale response and ratios of geometric means for the pairs.
 * @param by a factor term of the model (`timepoint` or `timepoint:cohort`)
 * @throws InputError when `by` is not a factor term of the model
 */
export function emmeans(
  fit: LmmFit,
  by: string,
  opts: { exp?: boolean; level?: number } = {},
): { means: EmmeanRow[]; pairs: EmmeanRow[] } {
  const design = fit.internal.design;
  const f = design.formula;
  const term = f.terms.find(
    (t) => t.label === by || [...t.variables].sort().join(':') === by.split(':').sort().join(':'),
  );
  const mf = buildModelFrame(f, fit.internal.df, fit.internal.options);
  if (!term || term.variables.some((v) => mf.vars.get(v)?.kind !== 'factor')) {
    const facTerms = f.terms.filter((t) => t.variables.every((v) => mf.vars.get(v)?.kind === 'factor'));
    throw new InputError(
      `'${by}' is not a factor term of the model (factor terms: ${facTerms.map((t) => t.label).join(', ') || 'none'})`,
      {
        field: 'by',
        value: by,
      },
    );
  }
  // grid: every combination of factor levels (first factor fastest), numeric data columns at their mean
  const fixedVars = new Set(f.terms.flatMap((t) => t.variables));
  const factors = [...mf.vars.values()].filter(
    (v): v is EvaluatedVariable & { kind: 'factor' } => v.kind === 'factor' && fixedVars.has(v.label),
  );
  const numericColumns = new Set<string>();
  for (const v of f.variables) {
    if (fixedVars.has(v.label) && mf.vars.get(v.label)?.kind === 'numeric')
      for (const c of exprColumns(v.expr)) numericColumns.add(c);
  }
  const colMeans = new Map<string, number>();
  for (const c of numericColumns) {
    const col = fit.internal.df.data[c]!;
    let s = 0;
    for (const i of design.rowsUsed) s += Number(col[i]);
    colMeans.set(c, s / design.rowsUsed.length);
  }
  const sizes = factors.map((fv) => fv.levels.length);
  const G = sizes.reduce((a, b) => a * b, 1);
  const factorColumn = new Map<string, string>();
  for (const fv of factors) {
    const e = f.variables.find((v) => v.label === fv.label)!.expr;
    const cols = exprColumns(e);
    if (cols.length !== 1)
      throw new InputError('factor variable must be a single column', { field: fv.label });
    factorColumn.set(fv.label, cols[0]!);
  }
  const data: Record<string, Cell[]> = {};
  const gridCodes: number[][] = [];
  for (let g = 0; g < G; g++) {
    let rem = g;
    gridCodes.push(
      sizes.map((s) => {
        const c = rem % s;
        rem = Math.floor(rem / s);
        return c;
      }),
    );
  }
  factors.forEach((fv, a) => {
    const src = fit.internal.df.data[factorColumn.get(fv.label)!]!;
    const numericSource = src.every((v) => v === null || typeof v === 'number');
    data[factorColumn.get(fv.label)!] = gridCodes.map((c) =>
      numericSource ? Number(fv.levels[c[a]!]) : fv.levels[c[a]!]!,
    );
  });
  for (const [c, mean] of colMeans) data[c] = new Array<Cell>(G).fill(mean);
  if (f.response)
    for (const c of exprColumns(f.response)) if (!(c in data)) data[c] = new Array<Cell>(G).fill(1);
  const grid: DataFrame = { columns: Object.keys(data), data, nrow: G };
  const ref: Record<string, string> = {};
  for (const fv of factors) ref[fv.label] = fv.levels[0]!;
  const fixedOnly = {
    ...f,
    random: [],
    strata: [],
    cluster: [],
    variables: f.variables.filter((v) => fixedVars.has(v.label)),
  };
  const gmf = buildModelFrame(fixedOnly, grid, { ...fit.internal.options, ref });
  // uX = model matrix of the fixed part on the grid, same columns as the fit (aliased ones dropped)
  const blocks = termBlocks(f.terms, f.intercept, gmf.vars, G);
  const named = new Map<string, Float64Array>();
  for (const b of blocks) b.names.forEach((nm, j) => named.set(nm, b.cols[j]!));
  const uX = fit.coefNames.map((nm) => {
    const c = named.get(nm);
    if (!c) throw new Error(`internal: grid column ${nm} missing`);
    return c;
  });
  // level indicator of `term` (full coding) and averaging weights
  const tb = termBlocks([term], false, gmf.vars, G, true)[0]!;
  const means: EmmeanRow[] = [];
  const Lrows: number[][] = [];
  tb.cols.forEach((ind, lvl) => {
    const w = ind.reduce((s, v) => s + v, 0);
    const L = uX.map((col) => col.reduce((s, v, g) => s + (v * ind[g]!) / w, 0));
    Lrows.push(L);
    means.push({ name: tb.names[lvl]!, ...satterthwaite(fit, L, opts.level) });
  });
  const pairs: EmmeanRow[] = [];
  for (let a = 0; a < Lrows.length; a++) {
    for (let b = a + 1; b < Lrows.length; b++) {
      const L = Lrows[a]!.map((v, i) => v - Lrows[b]![i]!);
      pairs.push({ name: `${tb.names[a]!} - ${tb.names[b]!}`, ...satterthwaite(fit, L, opts.level) });
    }
  }
  if (opts.exp) {
    for (const r of [...means, ...pairs]) {
      r.expEstimate = Math.exp(r.estimate);
      r.expLower = Math.exp(r.ciLower);
      r.expUpper = Math.exp(r.ciUpper);
    }
  }
  return { means, pairs };
}

/** Refits a REML fit by ML (as lme4's anova(refit = TRUE)); ML fits are returned unchanged. */
export function refitMl(fit: LmmFit): LmmFit {
  if (!fit.reml) return fit;
  return fitLmm(fit.formula, fit.internal.df, { ...fit.internal.options, reml: false });
}

/** Likelihood-ratio test between two nested models (lme4 anova.merMod). */
export interface LrtResult {
  chisq: number;
  df: number;
  p: number;
  /** ML AIC of fitA and fitB (argument order). */
  aic: [number, number];
  logLik: [number, number];
  npar: [number, number];
}

/**
 * Likelihood-ratio test of two nested mixed models fitted to the same rows; REML fits are refitted by
 * ML first, as lme4's anova() does. χ² = 2·(ℓ_big − ℓ_small) (floored at 0), df = difference in the number
 * of parameters, p = upper χ² tail.
 * @throws InputError when the models use different numbers of observations or have the same npar
 */
export function lrt(fitA: LmmFit, fitB: LmmFit): LrtResult {
  const a = refitMl(fitA);
  const b = refitMl(fitB);
  if (a.nobs !== b.nobs) {
    throw new InputError(
      `models were not all fitted to the same size of dataset (${a.nobs} vs ${b.nobs} rows)`,
    );
  }
  if (a.df === b.df) throw new InputError('the two models have the same number of parameters: not nested');
  const [small, big] = a.df < b.df ? [a, b] : [b, a];
  const chisq = 2 * Math.max(0, big.logLik - small.logLik);
  const df = big.df - small.df;
  return {
    chisq,
    df,
    p: chisqUpper(chisq, df),
    aic: [a.aic, b.aic],
    logLik: [a.logLik, b.logLik],
    npar: [a.df, b.df],
  };
}

/**
 * AIC comparison of a set of models, each refitted by ML when needed (AIC of REML fits is not comparable
 * across fixed effects). Rows sorted by AIC with ΔAIC and Akaike weights.
 */
export function compareAic(fits: LmmFit[]): {
  formula: string;
  aic: number;
  bic: number;
  logLik: number;
  npar: number;
  deltaAic: number;
  weight: number;
}[] {
  const ml = fits.map(refitMl);
  const n0 = ml[0]?.nobs;
  if (ml.some((m) => m.nobs !== n0)) throw new InputError('models were not all fitted to the same rows');
  const best = Math.min(...ml.map((m) => m.aic));
  const w = ml.map((m) => Math.exp(-(m.aic - best) / 2));
  const ws = w.reduce((s, v) => s + v, 0);
  return ml
    .map((m, i) => ({
      formula: m.formula,
      aic: m.aic,
      bic: m.bic,
      logLik: m.logLik,
      npar: m.df,
      deltaAic: m.aic - best,
      weight: w[i]! / ws,
    }))
    .sort((x, y) => x.aic - y.aic);
}

/** Re-export for callers that only need the formula parser's term list. */
export { parseFormula };
