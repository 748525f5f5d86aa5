/**
 * qPCR analysis: standard curves (Ct = slope·log10(quantity) + intercept, efficiency 10^(−1/slope) − 1), absolute
 * quantities, copies per cell (CAR transgene ÷ single-copy reference gene × 2), ΔCt / ΔΔCt (Livak & Schmittgen 2001)
 * with error propagation for separate-tube and same-tube designs, the Pfaffl (2001) efficiency-corrected ratio, and
 * replicate handling with outlier flags.
 * Sources: Livak & Schmittgen, Methods 2001;25:402; Applied Biosystems User Bulletin #2; Pfaffl, NAR 2001;29:e45;
 * MIQE (Bustin et al., Clin Chem 2009;55:611); R package pcr (Ahmed & Kim, PeerJ 2018) for the conventions.
 */
import { ComputationError, InputError } from '../errors.js';
import { tQuantileDf, tTwoSidedP } from '../stats/distributions.js';

/** Mean and sample SD (n − 1) of finite values. */
export function meanSd(values: number[]): { mean: number; sd: number; n: number } {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  const mean = n > 0 ? v.reduce((s, x) => s + x, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, n };
}

/** A fitted qPCR standard curve. */
export interface StandardCurve {
  slope: number;
  intercept: number;
  rSquared: number;
  /** Amplification factor 10^(−1/slope) (2 = perfect doubling). */
  amplificationFactor: number;
  /** Efficiency in % = (10^(−1/slope) − 1)·100. */
  efficiencyPercent: number;
  n: number;
  /** MIQE acceptance: efficiency 90–110 % and R² ≥ 0.98. */
  acceptable: boolean;
}

/**
 * Standard curve by ordinary least squares of Ct on log10(quantity).
 * @param quantities known template amounts (copies, ng, or relative dilution; > 0)
 * @param ct measured Ct (cycles); non-finite Ct (undetermined wells) are dropped
 * @throws InputError for non-positive quantities or mismatched lengths; ComputationError with < 3 points or one level
 */
export function standardCurve(quantities: number[], ct: number[]): StandardCurve {
  if (quantities.length !== ct.length) throw new InputError('quantities and Ct differ in length');
  const pts: [number, number][] = [];
  quantities.forEach((q, i) => {
    if (!(q > 0))
      throw new InputError('standard quantity must be > 0', { row: i + 1, field: 'quantity', value: q });
    if (Number.isFinite(ct[i]!)) pts.push([Math.log10(q), ct[i]!]);
  });
  if (pts.length < 3)
    throw new ComputationError('a standard curve needs at least 3 wells with a Ct', { value: pts.length });
  const n = pts.length;
  const mx = pts.reduce((s, p) => s + p[0], 0) / n;
  const my = pts.reduce((s, p) => s + p[1], 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [a, b] of pts) {
    sxx += (a - mx) ** 2;
    sxy += (a - mx) * (b - my);
    syy += (b - my) ** 2;
  }
  if (sxx === 0) throw new ComputationError('a standard curve needs at least two different quantities');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const rSquared = syy > 0 ? (sxy * sxy) / (sxx * syy) : NaN;
  const amplificationFactor = 10 ** (-1 / slope);
  const efficiencyPercent = (amplificationFactor - 1) * 100;
  return {
    slope,
    intercept,
    rSquared,
    amplificationFactor,
    efficiencyPercent,
    n,
    acceptable: efficiencyPercent >= 90 && efficiencyPercent <= 110 && rSquared >= 0.98,
  };
}

/** Quantity of an unknown from its Ct: 10^((Ct − intercept)/slope) (same unit as the standards). */
export function quantityFromCt(curve: StandardCurve, ct: number): number {
  return 10 ** ((ct - curve.intercept) / curve.slope);
}

/**
 * Copies per cell (vector copy number) = target copies ÷ reference-gene copies × 2, for a single-copy reference
 * gene in a diploid genome (docs/references/assays.md §1; e.g. CAR transgene vs GATA2/albumin/RPP30).
 * @param targetCopies transgene copies (any unit, same as reference)
 * @param referenceCopies reference-gene copies in the same reaction volume
 * @throws InputError when the reference is not > 0
 */
export function copiesPerCell(
  targetCopies: number,
  referenceCopies: number,
  referenceCopiesPerCell = 2,
): number {
  if (!(referenceCopies > 0))
    throw new InputError('reference gene copies must be > 0', {
      field: 'referenceCopies',
      value: referenceCopies,
    });
  return (targetCopies / referenceCopies) * referenceCopiesPerCell;
}

/** Replicate summary with outlier flags. */
export interface ReplicateSummary {
  values: number[];
  /** true for replicates flagged as outliers (|Ct − median| > maxDeviation), or undetermined. */
  flagged: boolean[];
  mean: number;
  sd: number;
  /** Replicates used (not flagged). */
  n: number;
}

/**
 * Summarises technical replicates (e.g. triplicate Ct). A replicate is flagged when it differs from the median of
 * the finite replicates by more than `maxDeviation` cycles (default 0.5; needs ≥ 3 replicates), or is not finite
 * (undetermined). Mean/SD use the unflagged replicates unless `excludeFlagged` is false.
 */
export function summariseReplicates(
  values: number[],
  options: { maxDeviation?: number; excludeFlagged?: boolean } = {},
): ReplicateSummary {
  const maxDev = options.maxDeviation ?? 0.5;
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const k = finite.length;
  const median = k % 2 ? finite[(k - 1) / 2]! : 0.5 * (finite[k / 2 - 1]! + finite[k / 2]!);
  const flagged = values.map((v) => !Number.isFinite(v) || (k >= 3 && Math.abs(v - median) > maxDev));
  const used =
    options.excludeFlagged === false
      ? values.filter((v) => Number.isFinite(v))
      : values.filter((_, i) => !flagged[i]);
  const { mean, sd, n } = meanSd(used);
  return { values: values.slice(), flagged, mean, sd, n };
}

/** ΔCt / ΔΔCt result for one group. */
export interface DeltaDeltaCtRow {
  group: string;
  meanTarget: number;
  sdTarget: number;
  meanReference: number;
  sdReference: number;
  /** ΔCt = Ct(target) − Ct(reference). */
  dCt: number;
  sdDCt: number;
  /** ΔΔCt = ΔCt(group) − ΔCt(calibrator). */
  ddCt: number;
  /** 2^−ΔΔCt. */
  fold: number;
  /** 2^−(ΔΔCt + sd), 2^−(ΔΔCt − sd) (Livak & Schmittgen; sd = the group's ΔCt SD). */
  foldLower: number;
  foldUpper: number;
}

/**
 * Livak 2^−ΔΔCt with error propagation.
 * Separate tubes: sd(ΔCt) = √(sd_target² + sd_reference²). Same tube (multiplex): ΔCt per well, sd of the
 * differences. The calibrator's ΔΔCt is 0 by definition; its SD is not propagated into other groups (as in the
 * ABI bulletin and R pcr).
 * @param rows one well per row: group, target Ct, reference Ct
 * @param calibrator the reference group (e.g. "control", "brain")
 * @throws InputError when the calibrator is absent or a group has no finite Ct
 */
export function deltaDeltaCt(
  rows: { group: string; target: number; reference: number }[],
  calibrator: string,
  mode: 'separate-tube' | 'same-tube' = 'separate-tube',
): DeltaDeltaCtRow[] {
  const groups = [...new Set(rows.map((r) => r.group))];
  if (!groups.includes(calibrator))
    throw new InputError('calibrator group not in the data', { field: 'calibrator', value: calibrator });
  const base = groups.map((g) => {
    const rs = rows.filter((r) => r.group === g);
    const t = meanSd(rs.map((r) => r.target));
    const ref = meanSd(rs.map((r) => r.reference));
    if (t.n === 0 || ref.n === 0)
      throw new InputError('group has no finite Ct', { field: 'group', value: g });
    let dCt: number;
    let sdDCt: number;
    if (mode === 'separate-tube') {
      dCt = t.mean - ref.mean;
      sdDCt = Math.sqrt(t.sd ** 2 + ref.sd ** 2);
    } else {
      const d = meanSd(rs.map((r) => r.target - r.reference));
      dCt = d.mean;
      sdDCt = d.sd;
    }
    return {
      group: g,
      meanTarget: t.mean,
      sdTarget: t.sd,
      meanReference: ref.mean,
      sdReference: ref.sd,
      dCt,
      sdDCt,
    };
  });
  const cal = base.find((b) => b.group === calibrator)!;
  return base.map((b) => {
    const ddCt = b.dCt - cal.dCt;
    return {
      ...b,
      ddCt,
      fold: 2 ** -ddCt,
      foldLower: 2 ** -(ddCt + b.sdDCt),
      foldUpper: 2 ** -(ddCt - b.sdDCt),
    };
  });
}

/**
 * Pfaffl efficiency-corrected expression ratio:
 * ratio = E_target^(Ct_target,control − Ct_target,sample) / E_ref^(Ct_ref,control − Ct_ref,sample).
 * @param eTarget amplification factor of the target (e.g. 1.97; 2 = 100 % efficiency)
 * @param eReference amplification factor of the reference gene
 * @throws InputError when an amplification factor is not in (1, 2.5]
 */
export function pfafflRatio(
  eTarget: number,
  eReference: number,
  ct: { targetControl: number; targetSample: number; referenceControl: number; referenceSample: number },
): number {
  for (const [k, e] of [
    ['eTarget', eTarget],
    ['eReference', eReference],
  ] as const) {
    if (!(e > 1 && e <= 2.5))
      throw new InputError('amplification factor must be in (1, 2.5]', { field: k, value: e });
  }
  return (
    eTarget ** (ct.targetControl - ct.targetSample) / eReference ** (ct.referenceControl - ct.referenceSample)
  );
}

/** Welch two-sample t-test on ΔCt (sample − calibrator), as R `t.test(var.equal = FALSE)`. */
export function welchTTest(
  a: number[],
  b: number[],
  level = 0.95,
): { estimate: number; t: number; df: number; pValue: number; ci: [number, number] } {
  const x = meanSd(a);
  const y = meanSd(b);
  if (x.n < 2 || y.n < 2) throw new ComputationError('Welch t-test needs at least 2 values per group');
  const va = x.sd ** 2 / x.n;
  const vb = y.sd ** 2 / y.n;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (x.n - 1) + vb ** 2 / (y.n - 1));
  const estimate = x.mean - y.mean;
  const t = estimate / se;
  const q = tQuantileDf(1 - (1 - level) / 2, df);
  return { estimate, t, df, pValue: tTwoSidedP(t, df), ci: [estimate - q * se, estimate + q * se] };
}
