/**
 * Kaplan–Meier estimator with Greenwood standard errors, pointwise confidence intervals and the median
 * with its confidence interval, as R's `survival::survfit` (3.5) computes them.
 *
 * NaN/null rules (NaN here, `null` in JSON, `NA` in R):
 * - `stdErr` is NaN where Ŝ = 0 (Greenwood's sum is infinite; R prints NaN).
 * - `lower`/`upper`: NaN where Ŝ = 0 (log, log-log, plain) and where Ŝ = 1 for log-log, exactly as
 *   `survfit_confint`; where the standard error is 0 the log and plain limits equal Ŝ.
 * - `median`, `medianLower`, `medianUpper`: NaN when the (lower/upper) curve never reaches 0.5.
 */
import { normalQuantileStd } from '../distributions.js';
import { InputError } from '../../errors.js';
import { factorCodes, factorLevels, labelInput, orderByTime, survInput } from './input.js';
import type { SurvFieldNames } from './input.js';

/** Confidence interval transformation (R `conf.type`). */
export type KmConfType = 'log' | 'log-log' | 'plain';

/** Options of `kaplanMeier`. */
export interface KmOptions {
  /** Merge times closer than √ε (R's `timefix = TRUE`, aeqSurv); default true. */
  timefix?: boolean;
  /** CI transformation: 'log' (R's default), 'log-log' or 'plain'. */
  confType?: KmConfType;
  /** Confidence level in (0, 1); default 0.95. */
  confLevel?: number;
  /** Reverse Kaplan–Meier (censorings are the events; median follow-up). Default false. */
  reverse?: boolean;
  /** Column names for error messages. */
  names?: SurvFieldNames;
}

/** One row of the Kaplan–Meier table: one distinct observed time (event or censoring). */
export interface KmRow {
  /** Distinct observed time (unit of the input). */
  time: number;
  /** Number at risk just before `time` (observations with time ≥ `time`). */
  nRisk: number;
  /** Events at `time`. */
  nEvent: number;
  /** Censorings at `time`. */
  nCensor: number;
  /** Ŝ(time), the survival probability just after `time`. */
  surv: number;
  /**
   * Greenwood standard error of Ŝ (not of log Ŝ): Ŝ·√Σ dᵢ/(nᵢ(nᵢ − dᵢ)), as `summary(survfit)$std.err`.
   * (The `survfit` object itself stores the SE of log Ŝ, i.e. this value divided by Ŝ.)
   */
  stdErr: number;
  /** Lower pointwise confidence limit of Ŝ(time). */
  lower: number;
  /** Upper pointwise confidence limit of Ŝ(time). */
  upper: number;
}

/** Result of `kaplanMeier`. */
export interface KmResult {
  /** Number of observations. */
  n: number;
  /** Number of events (for a reverse KM: number of censorings). */
  events: number;
  /** One row per distinct time, ascending (R: `summary(fit, censored = TRUE)`). */
  table: KmRow[];
  /** Median survival time (R's printed median: `print(survfit)` / `summary(fit)$table`). */
  median: number;
  /** Lower confidence limit of the median (the same rule on the lower curve). */
  medianLower: number;
  /** Upper confidence limit of the median (the same rule on the upper curve). */
  medianUpper: number;
  confType: KmConfType;
  confLevel: number;
}

/**
 * Kaplan–Meier estimate of the survival function (R: `survfit(Surv(time, status) ~ 1, conf.type=…)`).
 *
 * Ŝ(t) = Π_{tᵢ ≤ t} (nᵢ − dᵢ)/nᵢ; Greenwood variance of log Ŝ: Σ dᵢ/(nᵢ(nᵢ − dᵢ)).
 * CIs (z = Φ⁻¹(1 − (1 − confLevel)/2), se = SE of log Ŝ): log: exp(log Ŝ ± z·se), upper capped at 1;
 * log-log: exp(−exp(log(−log Ŝ) ∓ z·se/log Ŝ)); plain: Ŝ ± z·se·Ŝ clipped to [0, 1].
 * Median: first time with Ŝ < 0.5 + √ε; if Ŝ there equals 0.5 (within √ε) and the curve later drops
 * below it, the midpoint of that time and the time of the drop (R's `survmean`).
 * Times closer than √ε are merged first (R's `timefix = TRUE`; `opts.timefix = false` turns it off).
 *
 * @param time   follow-up times (any unit; returned times are in the same unit), finite, ≥ 0.
 * @param status 1 = event, 0 = censored.
 * @throws InputError for missing/negative times, status outside 0/1, length mismatch, bad confLevel.
 * Source: Kaplan & Meier (1958); Greenwood (1926); R survival `survfitKM`, `survfit_confint`, `survmean`.
 */
export function kaplanMeier(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  opts: KmOptions = {},
): KmResult {
  const { time: t, status: s } = survInput(time, status, opts.names, opts.timefix !== false);
  const conf = confOptions(opts);
  if (opts.reverse) for (let i = 0; i < s.length; i++) s[i] = 1 - s[i]!;
  const order = orderByTime(t);
  return kmFromSorted(t, s, order, 0, order.length, conf.confType, conf.confLevel);
}

/**
 * Kaplan–Meier estimates per group (R: `survfit(Surv(time, status) ~ group)`).
 * @param group group label per observation; groups come out in R's `factor()` order for a character
 *   vector (numeric order if all labels are numbers, else R's sort() order, ICU) unless `opts.levels`.
 * @throws InputError as `kaplanMeier`, and for a missing group label.
 */
export function kaplanMeierByGroup(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  group: ArrayLike<string>,
  opts: KmOptions & { levels?: readonly string[] } = {},
): { strata: (KmResult & { group: string })[] } {
  const { time: t, status: s } = survInput(time, status, opts.names, opts.timefix !== false);
  const conf = confOptions(opts);
  const gField = opts.names?.group ?? 'group';
  const labels = labelInput(group, t.length, gField);
  const levels = factorLevels(labels, opts.levels, gField);
  const codes = factorCodes(labels, levels);
  if (opts.reverse) for (let i = 0; i < s.length; i++) s[i] = 1 - s[i]!;
  const order = orderByTime(t);
  // Stable partition of the time order by group.
  const counts = new Int32Array(levels.length + 1);
  for (let i = 0; i < codes.length; i++) counts[codes[i]! + 1]!++;
  for (let g = 1; g <= levels.length; g++) counts[g]! += counts[g - 1]!;
  const starts = counts.slice();
  const byGroup = new Uint32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    byGroup[counts[codes[i]!]!++] = i;
  }
  return {
    strata: levels.map((g, j) => ({
      group: g,
      ...kmFromSorted(t, s, byGroup, starts[j]!, starts[j + 1]!, conf.confType, conf.confLevel),
    })),
  };
}

/** Ŝ at each of `times` (right-continuous step function; 1 before the first time, last value after). */
export function survivalAt(km: KmResult, times: ArrayLike<number>): number[] {
  const out: number[] = [];
  const tab = km.table;
  for (let q = 0; q < times.length; q++) {
    const x = times[q]!;
    if (Number.isNaN(x)) {
      out.push(NaN);
      continue;
    }
    const k = lastAtOrBefore(tab, x);
    out.push(k < 0 ? 1 : tab[k]!.surv);
  }
  return out;
}

/** Number at risk at each of `times` (observations with time ≥ t; R `summary(fit, times, extend=TRUE)`). */
export function nRiskAt(km: KmResult, times: ArrayLike<number>): number[] {
  const out: number[] = [];
  const tab = km.table;
  for (let q = 0; q < times.length; q++) {
    const x = times[q]!;
    if (Number.isNaN(x)) {
      out.push(NaN);
      continue;
    }
    // first row with time ≥ x
    let lo = 0;
    let hi = tab.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tab[mid]!.time < x) lo = mid + 1;
      else hi = mid;
    }
    out.push(lo < tab.length ? tab[lo]!.nRisk : 0);
  }
  return out;
}

function lastAtOrBefore(tab: KmRow[], x: number): number {
  let lo = 0;
  let hi = tab.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tab[mid]!.time <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function confOptions(opts: KmOptions): { confType: KmConfType; confLevel: number } {
  const confType = opts.confType ?? 'log';
  if (confType !== 'log' && confType !== 'log-log' && confType !== 'plain') {
    throw new InputError('confType must be log, log-log or plain', { field: 'confType', value: confType });
  }
  const confLevel = opts.confLevel ?? 0.95;
  if (!(confLevel > 0 && confLevel < 1)) {
    throw new InputError('confLevel must lie in (0, 1)', { field: 'confLevel', value: confLevel });
  }
  return { confType, confLevel };
}

/** KM over order[from..to) (indices sorted by time). */
function kmFromSorted(
  t: Float64Array,
  s: Uint8Array,
  order: Uint32Array,
  from: number,
  to: number,
  confType: KmConfType,
  confLevel: number,
): KmResult {
  const z = normalQuantileStd(1 - (1 - confLevel) / 2);
  const table: KmRow[] = [];
  let atRisk = to - from;
  let surv = 1;
  let varLog = 0;
  let events = 0;
  let k = from;
  while (k < to) {
    const tk = t[order[k]!]!;
    let d = 0;
    let c = 0;
    while (k < to && t[order[k]!] === tk) {
      if (s[order[k]!] === 1) d++;
      else c++;
      k++;
    }
    if (d > 0) {
      surv *= (atRisk - d) / atRisk;
      varLog += atRisk > d ? d / (atRisk * (atRisk - d)) : Infinity;
    }
    const seLog = Math.sqrt(varLog);
    const [lower, upper] = confLimits(surv, seLog, z, confType);
    table.push({ time: tk, nRisk: atRisk, nEvent: d, nCensor: c, surv, stdErr: surv * seLog, lower, upper });
    events += d;
    atRisk -= d + c;
  }
  const med = medianRule(table, (r) => r.surv);
  return {
    n: to - from,
    events,
    table,
    median: med,
    medianLower: medianRule(table, (r) => r.lower),
    medianUpper: medianRule(table, (r) => r.upper),
    confType,
    confLevel,
  };
}

/** R `survfit_confint(p, se, logse = TRUE, conf.type)` for one point. */
function confLimits(p: number, se: number, z: number, type: KmConfType): [number, number] {
  if (type === 'plain') {
    const se2 = se * p * z;
    return [Math.max(p - se2, 0), Math.min(p + se2, 1)];
  }
  if (type === 'log') {
    if (p === 0) return [NaN, NaN];
    const se2 = z * se;
    return [Math.exp(Math.log(p) - se2), Math.min(Math.exp(Math.log(p) + se2), 1)];
  }
  if (p === 0 || p === 1) return [NaN, NaN];
  const lp = Math.log(p);
  const se2 = (z * se) / lp;
  const ll = Math.log(-lp);
  return [Math.exp(-Math.exp(ll - se2)), Math.exp(-Math.exp(ll + se2))];
}

/** R survmean's `minmin(y, x)`: the median rule applied to a curve y over the table times. */
function medianRule(table: KmRow[], y: (r: KmRow) => number): number {
  const tol = Math.sqrt(Number.EPSILON);
  let first = -1;
  for (let i = 0; i < table.length; i++) {
    const v = y(table[i]!);
    if (!Number.isNaN(v) && v < 0.5 + tol) {
      first = i;
      break;
    }
  }
  if (first < 0) return NaN;
  const y1 = y(table[first]!);
  const x1 = table[first]!.time;
  if (Math.abs(y1 - 0.5) < tol) {
    for (let i = first + 1; i < table.length; i++) {
      const v = y(table[i]!);
      if (!Number.isNaN(v) && v < y1) return (x1 + table[i]!.time) / 2;
    }
  }
  return x1;
}

/**
 * Median follow-up by the reverse Kaplan–Meier method (Schemper & Smith 1996): the median of the
 * KM curve with censorings as events (R: `survfit(Surv(time, 1 - status) ~ 1)`, printed median).
 * @param time follow-up times (any unit; the result is in the same unit), ≥ 0.
 * @param status 1 = event, 0 = censored (of the ORIGINAL outcome).
 * @returns median follow-up with its confidence limits (NaN when not reached).
 * @throws InputError as `kaplanMeier`.
 */
export function medianFollowUp(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  opts: Omit<KmOptions, 'reverse'> = {},
): { median: number; lower: number; upper: number } {
  const km = kaplanMeier(time, status, { ...opts, reverse: true });
  return { median: km.median, lower: km.medianLower, upper: km.medianUpper };
}
