/**
 * Per-file quality control of flow acquisitions (docs/flow-plates.md "QC rules"; docs/references/assays.md §9):
 *
 * - Time-channel stability (the flow-rate check of flowAI, Monaco et al., Bioinformatics 2016;32:2473, and the
 *   idea of flowClean, Fletez-Brant et al., Cytometry A 2016;89:461): the acquisition time range is cut into
 *   equal bins (whole multiples of the time resolution) and the events per bin counted; with m the median rate
 *   (events per time unit) over the bins, a bin of duration d expects e = m·d events and is flagged when its
 *   count deviates from e by more than k Poisson SDs (k·√e, k = 4) AND by more than a fraction f of e (f = 0.2):
 *   significant and large. The Poisson term keeps counting noise of small bins from flagging; the relative term
 *   keeps the slight over-dispersion of real flow from flagging large bins. The median is robust to anomalies
 *   that cover less than half of the acquisition time. A clog or bubble shows as a run of low bins, a burst as
 *   high bins. The file is unstable when any bin is flagged or time decreases somewhere (a time-channel reset).
 * - Margin events: events at the upper limit of a channel's range, i.e. at the stored value $PnR − 1 (the
 *   largest value an integer channel holds; BD float files clip there too), scaled as the reader scales the
 *   channel ($PnE, $PnG). Saturated events carry no measurement in that channel (flowAI's dynamic-range check,
 *   flowCore `boundaryFilter`). The file fails when more than a set percentage of its events are at a margin.
 */
import { InputError } from '../errors.js';
import type { Column, FlowEvents } from './types.js';

/** Options of `timeStability`. */
export interface TimeStabilityOptions {
  /** Number of time bins aimed at (default: min(100, ⌊events / 100⌋), at least 1). */
  bins?: number;
  /** k of the flag rule: Poisson SDs (default 4). */
  maxDeviation?: number;
  /** f of the flag rule: relative deviation from the median rate (default 0.2). */
  minRelativeDeviation?: number;
}

/** One time bin. */
export interface TimeBin {
  start: number;
  /** Exclusive end (the last bin also holds the remainder shorter than a bin). */
  end: number;
  count: number;
  /** Median rate × this bin's duration. */
  expected: number;
  flagged: boolean;
}

/** Result of `timeStability`. */
export interface TimeStability {
  bins: TimeBin[];
  /** Median events per time unit over the full-width bins. */
  medianRate: number;
  /** Time resolution found (smallest step between successive distinct times; 0 when all times are equal). */
  timeStep: number;
  flaggedBins: number;
  /** Events in flagged bins, as % of all events. */
  flaggedEventPercent: number;
  /** Steps where time decreased. */
  timeResets: number;
  stable: boolean;
}

function median(a: readonly number[]): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

/**
 * Flow-rate stability of an acquisition from its time channel (module doc for the rule). Bins are whole
 * multiples of the time channel's resolution (so ticks are never split between bins), and each bin's count is
 * compared with the median rate × its duration: with e = m·d, a bin is flagged when |count − e| > k·√e and
 * |count − e| > f·e.
 * @param time the time channel (any unit), in event order
 * @throws InputError for bins or maxDeviation out of range, or a non-finite time value
 */
export function timeStability(time: Column, options: TimeStabilityOptions = {}): TimeStability {
  const n = time.length;
  const B = options.bins ?? Math.max(1, Math.min(100, Math.floor(n / 100)));
  const k = options.maxDeviation ?? 4;
  const f = options.minRelativeDeviation ?? 0.2;
  if (!(f >= 0))
    throw new InputError('minRelativeDeviation must be ≥ 0', { field: 'minRelativeDeviation', value: f });
  if (!(Number.isInteger(B) && B >= 1))
    throw new InputError('time bins must be a whole number ≥ 1', { field: 'bins', value: B });
  if (!(k > 0)) throw new InputError('maxDeviation must be > 0', { field: 'maxDeviation', value: k });
  let lo = Infinity;
  let hi = -Infinity;
  let resets = 0;
  let step = Infinity;
  for (let i = 0; i < n; i++) {
    const t = time[i]!;
    if (!Number.isFinite(t))
      throw new InputError('time value is not a finite number', { field: 'Time', value: t });
    if (t < lo) lo = t;
    if (t > hi) hi = t;
    if (i > 0) {
      const d = t - time[i - 1]!;
      if (d < 0) resets++;
      else if (d > 0 && d < step) step = d;
    }
  }
  const empty = {
    medianRate: 0,
    flaggedBins: 0,
    flaggedEventPercent: 0,
    timeResets: resets,
    stable: resets === 0,
  };
  if (n === 0 || !(hi > lo)) return { bins: [], timeStep: 0, ...empty };
  // Time covered: each tick stands for one step of acquisition.
  const span = hi - lo + step;
  const width = Math.max(1, Math.round(span / step / B)) * step;
  // A remainder shorter than a full bin joins the last bin (the first and last ticks are only partly acquired).
  const nb = Math.max(1, Math.floor(span / width + 1e-9));
  const counts = new Array<number>(nb).fill(0);
  for (let i = 0; i < n; i++) counts[Math.min(nb - 1, Math.floor((time[i]! - lo) / width + 1e-9))]!++;
  const duration = counts.map((_, b) => (b === nb - 1 ? span - b * width : width));
  const rates = counts.map((c, b) => c / duration[b]!);
  const m = median(rates);
  let flaggedEvents = 0;
  const bins = counts.map((count, b) => {
    const d = duration[b]!;
    const expected = m * d;
    const dev = Math.abs(count - expected);
    const flagged = dev > k * Math.sqrt(expected) && dev > f * expected;
    if (flagged) flaggedEvents += count;
    return { start: lo + b * width, end: lo + b * width + d, count, expected, flagged };
  });
  const flaggedBins = bins.filter((b) => b.flagged).length;
  return {
    bins,
    medianRate: m,
    timeStep: step,
    flaggedBins,
    flaggedEventPercent: (100 * flaggedEvents) / n,
    timeResets: resets,
    stable: flaggedBins === 0 && resets === 0,
  };
}

/** What the margin check needs of a parameter (FcsParameter fields). */
export interface RangeParameter {
  name: string;
  /** $PnR. */
  range: number;
  /** $PnE f1 (0 = linear). */
  logDecades: number;
  /** $PnE f2 (0 read as 1). */
  logOffset: number;
  /** $PnG (1 when absent). */
  gain: number;
}

/**
 * The upper limit of a channel in the reader's scaled units: stored value $PnR − 1 after $PnE decoding
 * (10^(f1·(R−1)/R)·f2) or $PnG gain ((R−1)/gain).
 */
export function upperLimitScaled(p: RangeParameter): number {
  const top = p.range - 1;
  if (p.logDecades > 0) return 10 ** ((p.logDecades * top) / p.range) * (p.logOffset === 0 ? 1 : p.logOffset);
  return top / (p.gain || 1);
}

/** Margin events of one file. */
export interface MarginEvents {
  perChannel: { channel: string; upperLimit: number; count: number; percent: number }[];
  /** Events at the upper limit of at least one checked channel. */
  anyCount: number;
  anyPercent: number;
}

/**
 * Events at the upper limit of each channel (value ≥ limit × (1 − 1e-6), the tolerance covering float32
 * storage). The time channel and channels whose $PnR is not > 1 are skipped.
 * @param events scaled events whose `parameterNames` match `parameters` in order
 * @throws InputError when the parameters do not match the event columns
 */
export function marginEvents(events: FlowEvents, parameters: readonly RangeParameter[]): MarginEvents {
  if (parameters.length !== events.columns.length)
    throw new InputError('parameter list does not match the event columns', {
      field: 'parameters',
      value: parameters.length,
    });
  const n = events.eventCount;
  const any = new Uint8Array(n);
  const perChannel: MarginEvents['perChannel'] = [];
  parameters.forEach((p, j) => {
    if (p.name.trim().toLowerCase() === 'time' || !(p.range > 1)) return;
    const limit = upperLimitScaled(p);
    const cut = limit * (1 - 1e-6);
    const col = events.columns[j]!;
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (col[i]! >= cut) {
        c++;
        any[i] = 1;
      }
    }
    perChannel.push({ channel: p.name, upperLimit: limit, count: c, percent: n > 0 ? (100 * c) / n : 0 });
  });
  let anyCount = 0;
  for (let i = 0; i < n; i++) anyCount += any[i]!;
  return { perChannel, anyCount, anyPercent: n > 0 ? (100 * anyCount) / n : 0 };
}
