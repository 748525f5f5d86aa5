/**
 * T-cell phenotyping on gated events: memory subsets (naive, stem-cell memory, central memory, effector memory,
 * terminal effector) from CD45RA / CCR7 (± CD95, CD45RO), senescence markers (CD28lo, CD27lo, CD57+, KLRG1+) with
 * the number co-expressed, CD4/CD8 ratio, median fluorescence intensity and fold change vs a control sample.
 *
 * Definitions. docs/references/assays.md §7 (the lab study's panel), by CD45RA / CCR7 / CD45RO:
 *   naive RA+ CCR7+ RO−, stem-cell memory RA+ CCR7+ RO+, central memory RA− CCR7+ RO+, effector memory
 *   RA− CCR7− RO+, terminal effector RA+ CCR7− RO−.
 * Alternatively (Gattinoni et al., Nat Med 2017;23:18) TSCM is split from naive by CD95 (RA+ CCR7+ CD95+), chosen with
 * `scmMarker: 'CD95'`. Without CD45RO the RO conditions are dropped; cells matching no subset are `unclassified`.
 * A marker is positive when value ≥ its threshold (thresholds from FMO or isotype controls, in the same scale as the
 * events, e.g. compensated). "lo" markers (CD28lo, CD27lo) are value < threshold.
 */
import { InputError } from '../errors.js';
import { parameterIndex, type Column, type FlowEvents } from './types.js';

/** A marker channel and its positivity threshold. */
export interface MarkerThreshold {
  /** $PnN of the channel carrying the marker (e.g. "Comp-BV421-A"). */
  channel: string;
  /** Events with value ≥ threshold are positive. */
  threshold: number;
}

/** Count and percentage of a subset within its parent. */
export interface SubsetCount {
  count: number;
  /** 100 × count / parent count (NaN for an empty parent). */
  percentOfParent: number;
}

/** Memory-subset breakdown of a parent population (e.g. CAR+ CD8+ T cells). */
export interface MemorySubsets {
  parentCount: number;
  naive: SubsetCount | null;
  stemCellMemory: SubsetCount | null;
  /** CD45RA+ CCR7+ regardless of CD95 (reported always; = naive + TSCM when CD95 is given). */
  naiveLike: SubsetCount;
  centralMemory: SubsetCount;
  effectorMemory: SubsetCount;
  terminalEffector: SubsetCount;
  /** Cells in none of the subsets (e.g. RA− RO− when CD45RO is given). */
  unclassified: SubsetCount;
  /** Marker that separated stem-cell memory from naive (null when neither CD45RO nor CD95 was given). */
  scmMarker: 'CD45RO' | 'CD95' | null;
}

function channel(events: FlowEvents, name: string, field: string): Column {
  const i = parameterIndex(events, name);
  if (i < 0) throw new InputError('marker channel is not in the data', { field, value: name });
  return events.columns[i]!;
}

function parentMask(events: FlowEvents, parent: Uint8Array | null): Uint8Array {
  if (parent === null) return new Uint8Array(events.eventCount).fill(1);
  if (parent.length !== events.eventCount) {
    throw new InputError('parent membership length differs from the event count', { value: parent.length });
  }
  return parent;
}

const pct = (count: number, parentCount: number): SubsetCount => ({
  count,
  percentOfParent: parentCount > 0 ? (100 * count) / parentCount : NaN,
});

/**
 * Memory subsets within a parent population (see module doc for the definitions).
 * @param parent 0/1 membership of the parent gate (null = all events)
 * @param markers CD45RA and CCR7 required; CD45RO and/or CD95 optional
 * @param options.scmMarker marker splitting TSCM from naive: 'CD45RO' (docs/references/assays.md §7; default when CD45RO is given) or 'CD95'
 * @throws InputError for a channel that is not in the data, or a scmMarker whose channel is not given
 */
export function memorySubsets(
  events: FlowEvents,
  parent: Uint8Array | null,
  markers: {
    CD45RA: MarkerThreshold;
    CCR7: MarkerThreshold;
    CD95?: MarkerThreshold;
    CD45RO?: MarkerThreshold;
  },
  options: { scmMarker?: 'CD45RO' | 'CD95' } = {},
): MemorySubsets {
  const mask = parentMask(events, parent);
  const ra = channel(events, markers.CD45RA.channel, 'CD45RA');
  const ccr7 = channel(events, markers.CCR7.channel, 'CCR7');
  const cd95 = markers.CD95 ? channel(events, markers.CD95.channel, 'CD95') : null;
  const ro = markers.CD45RO ? channel(events, markers.CD45RO.channel, 'CD45RO') : null;
  const scmMarker = options.scmMarker ?? (ro ? 'CD45RO' : cd95 ? 'CD95' : null);
  if (scmMarker === 'CD45RO' && !ro)
    throw new InputError('scmMarker CD45RO needs a CD45RO channel', { field: 'scmMarker' });
  if (scmMarker === 'CD95' && !cd95)
    throw new InputError('scmMarker CD95 needs a CD95 channel', { field: 'scmMarker' });
  const tRa = markers.CD45RA.threshold;
  const tCcr7 = markers.CCR7.threshold;
  const t95 = markers.CD95?.threshold ?? 0;
  const tRo = markers.CD45RO?.threshold ?? 0;
  let parentCount = 0;
  let naive = 0;
  let scm = 0;
  let naiveLike = 0;
  let cm = 0;
  let em = 0;
  let temra = 0;
  let other = 0;
  for (let i = 0; i < events.eventCount; i++) {
    if (!mask[i]) continue;
    parentCount++;
    const raPos = ra[i]! >= tRa;
    const ccr7Pos = ccr7[i]! >= tCcr7;
    const roPos = ro ? ro[i]! >= tRo : null;
    if (raPos && ccr7Pos) {
      naiveLike++;
      if (scmMarker === 'CD45RO') {
        if (roPos) scm++;
        else naive++;
      } else if (scmMarker === 'CD95') {
        if (roPos === true) other++;
        else if (cd95![i]! >= t95) scm++;
        else naive++;
      }
    } else if (!raPos && ccr7Pos) {
      if (roPos !== false) cm++;
      else other++;
    } else if (!raPos && !ccr7Pos) {
      if (roPos !== false) em++;
      else other++;
    } else if (roPos !== true) temra++;
    else other++;
  }
  return {
    parentCount,
    naive: scmMarker ? pct(naive, parentCount) : null,
    stemCellMemory: scmMarker ? pct(scm, parentCount) : null,
    naiveLike: pct(naiveLike, parentCount),
    centralMemory: pct(cm, parentCount),
    effectorMemory: pct(em, parentCount),
    terminalEffector: pct(temra, parentCount),
    unclassified: pct(other, parentCount),
    scmMarker,
  };
}

/** Senescence phenotype of a parent population. */
export interface SenescenceProfile {
  parentCount: number;
  /** Per marker: events meeting its senescence criterion (CD28lo, CD27lo, CD57+, KLRG1+). */
  markers: Record<string, SubsetCount>;
  /** coExpressed[k] = events meeting exactly k of the given criteria (k = 0 … number of markers). */
  coExpressed: SubsetCount[];
}

/**
 * Senescence markers and how many are co-expressed per cell.
 * @param markers any of CD28 / CD27 (senescent when < threshold: "lo") and CD57 / KLRG1 (senescent when ≥ threshold)
 * @throws InputError when no marker is given or a channel is missing
 */
export function senescenceProfile(
  events: FlowEvents,
  parent: Uint8Array | null,
  markers: {
    CD28?: MarkerThreshold;
    CD27?: MarkerThreshold;
    CD57?: MarkerThreshold;
    KLRG1?: MarkerThreshold;
  },
): SenescenceProfile {
  const mask = parentMask(events, parent);
  const defs = (['CD28', 'CD27', 'CD57', 'KLRG1'] as const)
    .filter((k) => markers[k] !== undefined)
    .map((k) => ({
      key: k === 'CD28' || k === 'CD27' ? `${k}lo` : `${k}+`,
      col: channel(events, markers[k]!.channel, k),
      thr: markers[k]!.threshold,
      low: k === 'CD28' || k === 'CD27',
    }));
  if (defs.length === 0) throw new InputError('no senescence marker given', { field: 'markers' });
  const perMarker = new Array<number>(defs.length).fill(0);
  const co = new Array<number>(defs.length + 1).fill(0);
  let parentCount = 0;
  for (let i = 0; i < events.eventCount; i++) {
    if (!mask[i]) continue;
    parentCount++;
    let k = 0;
    defs.forEach((d, j) => {
      const v = d.col[i]!;
      if (d.low ? v < d.thr : v >= d.thr) {
        perMarker[j]!++;
        k++;
      }
    });
    co[k]!++;
  }
  return {
    parentCount,
    markers: Object.fromEntries(defs.map((d, j) => [d.key, pct(perMarker[j]!, parentCount)])),
    coExpressed: co.map((c) => pct(c, parentCount)),
  };
}

/**
 * Median fluorescence intensity of a channel within a gate (the median, as FlowJo's "Median"; NaN when empty).
 * @throws InputError for a missing channel
 */
export function medianFluorescence(events: FlowEvents, gate: Uint8Array | null, channelName: string): number {
  const mask = parentMask(events, gate);
  const col = channel(events, channelName, 'channel');
  const vals: number[] = [];
  for (let i = 0; i < events.eventCount; i++) if (mask[i]) vals.push(col[i]!);
  if (vals.length === 0) return NaN;
  const a = Float64Array.from(vals).sort();
  const n = a.length;
  return n % 2 ? a[(n - 1) / 2]! : 0.5 * (a[n / 2 - 1]! + a[n / 2]!);
}

/**
 * CD4/CD8 ratio from gate counts.
 * @returns cd4Count / cd8Count (Infinity when CD8 is 0 and CD4 > 0; NaN when both are 0)
 */
export function cd4Cd8Ratio(cd4Count: number, cd8Count: number): number {
  if (cd8Count === 0) return cd4Count > 0 ? Infinity : NaN;
  return cd4Count / cd8Count;
}

/**
 * Fold change of a sample value (MFI, % of parent, count) vs the control sample's value.
 * @throws InputError when the control value is not > 0
 */
export function foldChange(value: number, controlValue: number): number {
  if (!(controlValue > 0))
    throw new InputError('control value must be > 0 for a fold change', {
      field: 'control',
      value: controlValue,
    });
  return value / controlValue;
}
