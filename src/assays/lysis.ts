/**
 * ⁵¹Cr release cytotoxicity: % specific lysis = 100 × (experimental − spontaneous) / (maximum − spontaneous)
 * (cpm; spontaneous = labelled targets in medium, maximum = targets lysed by detergent), per effector:target ratio
 * with replicate wells, spontaneous-release QC, and lytic units (LU_x per 10⁶ effectors).
 * Sources: Brunner et al., Immunology 1968;14:181 (⁵¹Cr release); Bryant et al., J Immunol Methods 1992;146:91
 * (lytic units).
 */
import { ComputationError, InputError } from '../errors.js';

/**
 * % specific lysis of one well.
 * @param experimentalCpm counts of the effector + target well
 * @param spontaneousCpm mean counts of targets alone
 * @param maximumCpm mean counts of detergent-lysed targets
 * @throws ComputationError when maximum ≤ spontaneous (no releasable label)
 */
export function percentSpecificLysis(
  experimentalCpm: number,
  spontaneousCpm: number,
  maximumCpm: number,
): number {
  if (!(maximumCpm > spontaneousCpm)) {
    throw new ComputationError('maximum release must exceed spontaneous release', {
      field: 'maximumCpm',
      value: [maximumCpm, spontaneousCpm],
    });
  }
  return (100 * (experimentalCpm - spontaneousCpm)) / (maximumCpm - spontaneousCpm);
}

/** Lysis at one E:T ratio. */
export interface LysisPoint {
  effectorToTarget: number;
  /** % specific lysis of each replicate well (against mean spontaneous and maximum). */
  replicates: number[];
  meanPercent: number;
  /** Sample SD of the replicate % lysis (NaN for one well). */
  sdPercent: number;
}

/** Result of a ⁵¹Cr assay. */
export interface LysisResult {
  spontaneousMeanCpm: number;
  maximumMeanCpm: number;
  /** 100 × spontaneous / maximum; > `maxSpontaneousPercent` fails QC. */
  spontaneousPercentOfMaximum: number;
  qcPassed: boolean;
  points: LysisPoint[];
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: number[]): number => {
  if (v.length < 2) return NaN;
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};

/**
 * Analyses a ⁵¹Cr release assay.
 * @param wells experimental wells: E:T ratio (effectors per target) and cpm
 * @param spontaneousCpm spontaneous-release wells (cpm)
 * @param maximumCpm maximum-release wells (cpm)
 * @param maxSpontaneousPercent QC limit for spontaneous/maximum in % (default 30)
 * @throws InputError for missing control wells or non-positive E:T
 */
export function analyseChromiumRelease(
  wells: { effectorToTarget: number; cpm: number }[],
  spontaneousCpm: number[],
  maximumCpm: number[],
  maxSpontaneousPercent = 30,
): LysisResult {
  if (spontaneousCpm.length === 0 || maximumCpm.length === 0) {
    throw new InputError('spontaneous and maximum release wells are required', { field: 'controls' });
  }
  const s = mean(spontaneousCpm);
  const m = mean(maximumCpm);
  const ratios = [...new Set(wells.map((w) => w.effectorToTarget))].sort((a, b) => b - a);
  const points = ratios.map((et) => {
    if (!(et > 0)) throw new InputError('E:T ratio must be > 0', { field: 'effectorToTarget', value: et });
    const reps = wells.filter((w) => w.effectorToTarget === et).map((w) => percentSpecificLysis(w.cpm, s, m));
    return { effectorToTarget: et, replicates: reps, meanPercent: mean(reps), sdPercent: sd(reps) };
  });
  const spontaneousPercentOfMaximum = (100 * s) / m;
  return {
    spontaneousMeanCpm: s,
    maximumMeanCpm: m,
    spontaneousPercentOfMaximum,
    qcPassed: spontaneousPercentOfMaximum <= maxSpontaneousPercent,
    points,
  };
}

/**
 * Lytic units: LU_x per 10⁶ effectors = 10⁶ / (E:T giving x % lysis × targets per well), with the E:T found by
 * linear interpolation of % lysis on ln(E:T) between the two bracketing ratios.
 * @param percent the lysis level x (e.g. 20 or 30)
 * @param targetsPerWell number of target cells per well (e.g. 5000)
 * @throws ComputationError when x % lysis is not reached or not bracketed by the measured ratios
 */
export function lyticUnits(points: LysisPoint[], percent: number, targetsPerWell: number): number {
  const pts = points.slice().sort((a, b) => a.effectorToTarget - b.effectorToTarget);
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[i + 1]!;
    if ((a.meanPercent - percent) * (b.meanPercent - percent) <= 0 && a.meanPercent !== b.meanPercent) {
      const t = (percent - a.meanPercent) / (b.meanPercent - a.meanPercent);
      const lnEt =
        Math.log(a.effectorToTarget) + t * (Math.log(b.effectorToTarget) - Math.log(a.effectorToTarget));
      return 1e6 / (Math.exp(lnEt) * targetsPerWell);
    }
  }
  throw new ComputationError(`${percent} % lysis is not bracketed by the measured E:T ratios`, {
    value: percent,
  });
}
