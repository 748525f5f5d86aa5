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

/** Memory-subset markers: CD45RA and CCR7 required; CD45RO and/or CD95 optional. */
export interface MemoryMarkers {
  CD45RA: MarkerThreshold;
  CCR7: MarkerThreshold;
  CD95?: MarkerThreshold;
  CD45RO?: MarkerThreshold;
}

// Per-event subset codes: the five subsets, "other", RA+CCR7+ not split (no scmMarker), and "other" that is
// RA+CCR7+ (RO+ when TSCM is split by CD95).
const NAIVE = 0;
const SCM = 1;
const CM = 2;
const EM = 3;
const TE = 4;
const OTHER = 5;
const NAIVE_LIKE_UNSPLIT = 6;
const OTHER_NAIVE_LIKE = 7;

/** The per-event classifier of `memorySubsets` (module doc): a subset code per event index. */
function memoryClassifier(
  events: FlowEvents,
  markers: MemoryMarkers,
  options: { scmMarker?: 'CD45RO' | 'CD95' },
): { scmMarker: 'CD45RO' | 'CD95' | null; classify: (i: number) => number } {
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
  const classify = (i: number): number => {
    const raPos = ra[i]! >= tRa;
    const ccr7Pos = ccr7[i]! >= tCcr7;
    const roPos = ro ? ro[i]! >= tRo : null;
    if (raPos && ccr7Pos) {
      if (scmMarker === 'CD45RO') return roPos ? SCM : NAIVE;
      if (scmMarker === 'CD95') return roPos === true ? OTHER_NAIVE_LIKE : cd95![i]! >= t95 ? SCM : NAIVE;
      return NAIVE_LIKE_UNSPLIT;
    }
    if (!raPos && ccr7Pos) return roPos !== false ? CM : OTHER;
    if (!raPos && !ccr7Pos) return roPos !== false ? EM : OTHER;
    return roPos !== true ? TE : OTHER;
  };
  return { scmMarker, classify };
}

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
  markers: MemoryMarkers,
  options: { scmMarker?: 'CD45RO' | 'CD95' } = {},
): MemorySubsets {
  const mask = parentMask(events, parent);
  const { scmMarker, classify } = memoryClassifier(events, markers, options);
  const c = new Array<number>(8).fill(0);
  let parentCount = 0;
  for (let i = 0; i < events.eventCount; i++) {
    if (!mask[i]) continue;
    parentCount++;
    c[classify(i)]!++;
  }
  return {
    parentCount,
    naive: scmMarker ? pct(c[NAIVE]!, parentCount) : null,
    stemCellMemory: scmMarker ? pct(c[SCM]!, parentCount) : null,
    naiveLike: pct(c[NAIVE]! + c[SCM]! + c[NAIVE_LIKE_UNSPLIT]! + c[OTHER_NAIVE_LIKE]!, parentCount),
    centralMemory: pct(c[CM]!, parentCount),
    effectorMemory: pct(c[EM]!, parentCount),
    terminalEffector: pct(c[TE]!, parentCount),
    unclassified: pct(c[OTHER]! + c[OTHER_NAIVE_LIKE]!, parentCount),
    scmMarker,
  };
}

/** 0/1 memberships of each memory subset within a parent (same definitions and arguments as `memorySubsets`). */
export interface MemorySubsetMasks {
  scmMarker: 'CD45RO' | 'CD95' | null;
  /** Null when no marker splits TSCM from naive (then only `naiveLike`). */
  naive: Uint8Array | null;
  stemCellMemory: Uint8Array | null;
  naiveLike: Uint8Array;
  centralMemory: Uint8Array;
  effectorMemory: Uint8Array;
  terminalEffector: Uint8Array;
  unclassified: Uint8Array;
}

/**
 * The events of each memory subset within a parent, as 0/1 masks (e.g. to phenotype within each subset).
 * @throws InputError as `memorySubsets`
 */
export function memorySubsetMasks(
  events: FlowEvents,
  parent: Uint8Array | null,
  markers: MemoryMarkers,
  options: { scmMarker?: 'CD45RO' | 'CD95' } = {},
): MemorySubsetMasks {
  const mask = parentMask(events, parent);
  const { scmMarker, classify } = memoryClassifier(events, markers, options);
  const n = events.eventCount;
  const m = Array.from({ length: 8 }, () => new Uint8Array(n));
  const naiveLike = new Uint8Array(n);
  const unclassified = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const k = classify(i);
    m[k]![i] = 1;
    if (k === NAIVE || k === SCM || k === NAIVE_LIKE_UNSPLIT || k === OTHER_NAIVE_LIKE) naiveLike[i] = 1;
    if (k === OTHER || k === OTHER_NAIVE_LIKE) unclassified[i] = 1;
  }
  return {
    scmMarker,
    naive: scmMarker ? m[NAIVE]! : null,
    stemCellMemory: scmMarker ? m[SCM]! : null,
    naiveLike,
    centralMemory: m[CM]!,
    effectorMemory: m[EM]!,
    terminalEffector: m[TE]!,
    unclassified,
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
