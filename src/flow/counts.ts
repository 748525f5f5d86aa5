/**
 * Cell counts of lab flow assays: absolute counts from counting beads, expansion folds over time and killing
 * kinetics (target-cell loss over time). Pure computations on gate counts; no I/O.
 *
 * Definitions (docs/references/assays.md §9):
 * - absolute count (cells/µL) = cell events / bead events × beads per test / sample volume (µL) × dilution,
 *   as BD Trucount tubes, FlowJo and flowCore-based workflows compute it;
 * - expansion fold at time t = cells(t) / cells(reference time);
 * - % lysis at t against a target-alone control = 100 × (1 − targets(t) / control targets(t));
 *   cumulative target loss against the initial population = 100 × (1 − targets(t) / targets(t₀)) (the lab
 *   study's Fig. 2e; negative values are target-cell growth).
 */
import { InputError } from '../errors.js';

/** Inputs of one bead-based absolute count. */
export interface BeadCountInput {
  /** Events in the cell gate (e.g. PI− eGFP+ CAR T cells). */
  cellEvents: number;
  /** Events in the counting-bead gate. */
  beadEvents: number;
  /**
   * Beads in the tube: the lot's beads per test for Trucount tubes, or bead concentration (beads/µL) × volume
   * of bead suspension added (µL) for CountBright / Precision Count beads.
   */
  beadsPerTest: number;
  /** Volume of sample (µL) stained in the tube. */
  sampleVolumeUl: number;
  /** Dilution of the sample before it went into the tube (default 1). */
  dilutionFactor?: number;
}

/**
 * Absolute count of a population from counting beads.
 * @returns cells per µL of the (undiluted) sample: cellEvents / beadEvents × beadsPerTest / sampleVolumeUl ×
 *   dilutionFactor (docs/references/assays.md §9; BD Trucount tubes package insert)
 * @throws InputError (field named) for a bead count that is not > 0, a cell count < 0, or beads per test,
 *   volume or dilution that are not finite and > 0
 */
export function absoluteCountPerUl(input: BeadCountInput): number {
  const { cellEvents, beadEvents, beadsPerTest, sampleVolumeUl } = input;
  const dilution = input.dilutionFactor ?? 1;
  const positive = (v: number, field: string): void => {
    if (!(Number.isFinite(v) && v > 0))
      throw new InputError('must be a finite number > 0', { field, value: v });
  };
  if (!(Number.isFinite(cellEvents) && cellEvents >= 0))
    throw new InputError('must be a count ≥ 0', { field: 'cellEvents', value: cellEvents });
  if (!(Number.isFinite(beadEvents) && beadEvents > 0))
    throw new InputError('no bead events: the absolute count needs beads in the bead gate', {
      field: 'beadEvents',
      value: beadEvents,
    });
  positive(beadsPerTest, 'beadsPerTest');
  positive(sampleVolumeUl, 'sampleVolumeUl');
  positive(dilution, 'dilutionFactor');
  return ((cellEvents / beadEvents) * beadsPerTest * dilution) / sampleVolumeUl;
}

/** One time point of a count series (e.g. CAR T cells/µL on day 0, 1, 2, 5, 7). */
export interface CountPoint {
  /** Time (any unit, e.g. days); unique within a series. */
  time: number;
  /** Cells (count or concentration, the same unit throughout the series). */
  count: number;
}

/** Expansion fold of each time point against the reference. */
export interface ExpansionPoint extends CountPoint {
  /** count / reference count. */
  fold: number;
}

/**
 * Expansion folds of a count series: fold(t) = count(t) / count(reference time).
 * @param referenceTime the time whose count is the reference (default: the earliest time)
 * @returns the points sorted by time, each with its fold
 * @throws InputError for an empty series, a repeated time, a non-finite or negative count, a reference time
 *   not in the series, or a reference count that is not > 0
 */
export function expansionFolds(points: readonly CountPoint[], referenceTime?: number): ExpansionPoint[] {
  const sorted = checkedSeries(points, 'count');
  const refTime = referenceTime ?? sorted[0]!.time;
  const ref = sorted.find((p) => p.time === refTime);
  if (!ref)
    throw new InputError('reference time is not in the series', { field: 'referenceTime', value: refTime });
  if (!(ref.count > 0))
    throw new InputError('reference count must be > 0 for a fold', { field: 'count', value: ref.count });
  return sorted.map((p) => ({ ...p, fold: p.count / ref.count }));
}

/** Target cells at one time point, with the target-alone control when there is one. */
export interface KillingPoint {
  time: number;
  /** Surviving target cells in the co-culture (e.g. PI− eFluor670+ events or cells/µL). */
  targetCount: number;
  /** Surviving target cells in the target-alone control at the same time (same unit). */
  controlCount?: number;
}

/** Killing at one time point. */
export interface KillingResult {
  time: number;
  targetCount: number;
  /** Null for `reference: 'initial'`. */
  controlCount: number | null;
  /**
   * 'control': % lysis = 100 × (1 − target / control); 'initial': cumulative target loss
   * = 100 × (1 − target(t) / target(t₀)) — negative when the targets grew.
   */
  percentKilled: number;
}

/**
 * Killing kinetics of a target population over time.
 * @param reference 'control' (each time point against its target-alone control) or 'initial' (against the
 *   target count at the earliest time, as the lab study's Fig. 2e)
 * @returns one result per time point, sorted by time
 * @throws InputError for an empty series, a repeated time, a negative or non-finite count, a missing or
 *   non-positive control count ('control'), or an initial count that is not > 0 ('initial')
 */
export function killingKinetics(
  points: readonly KillingPoint[],
  reference: 'control' | 'initial',
): KillingResult[] {
  const sorted = checkedSeries(
    points.map((p) => ({ ...p, count: p.targetCount })),
    'targetCount',
  );
  if (reference === 'initial') {
    const t0 = sorted[0]!;
    if (!(t0.count > 0))
      throw new InputError('initial target count must be > 0', {
        field: 'targetCount',
        value: t0.count,
      });
    return sorted.map((p) => ({
      time: p.time,
      targetCount: p.count,
      controlCount: null,
      percentKilled: 100 * (1 - p.count / t0.count),
    }));
  }
  return sorted.map((p) => {
    const c = p.controlCount;
    if (c === undefined || !(Number.isFinite(c) && c > 0))
      throw new InputError(`time ${p.time}: the target-alone control count must be > 0`, {
        field: 'controlCount',
        value: c,
      });
    return { time: p.time, targetCount: p.count, controlCount: c, percentKilled: 100 * (1 - p.count / c) };
  });
}

function checkedSeries<T extends { time: number; count: number }>(points: readonly T[], field: string): T[] {
  if (points.length === 0) throw new InputError('the series has no time points', { field: 'time' });
  const seen = new Set<number>();
  for (const p of points) {
    if (!Number.isFinite(p.time))
      throw new InputError('time must be a finite number', { field: 'time', value: p.time });
    if (seen.has(p.time)) throw new InputError('time point given twice', { field: 'time', value: p.time });
    seen.add(p.time);
    if (!(Number.isFinite(p.count) && p.count >= 0))
      throw new InputError(`time ${p.time}: count must be a finite number ≥ 0`, { field, value: p.count });
  }
  return [...points].sort((a, b) => a.time - b.time);
}
