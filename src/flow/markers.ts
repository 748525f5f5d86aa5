/**
 * Surface markers of a gated population: %-positive and MFI of each marker (PD-L1, PD-L2, ICAM-1, VCAM-1,
 * LFA-3 on MSCs; PD-1, HLA-DR on T cells …) with a threshold given or set on an FMO / isotype control, and the
 * senescence markers within each memory subset (docs/references/assays.md §7 and §9).
 *
 * A marker is positive at value ≥ threshold (as phenotype.ts). A control threshold is the q-quantile (default
 * 0.99, "1 % of the control positive", the usual FMO convention) of the control's values in the same gate; the
 * quantile is the order statistic at ⌈q·n⌉ (type 1).
 */
import { InputError } from '../errors.js';
import { medianInPlace } from '../imaging/voi-stats.js';
import {
  memorySubsetMasks,
  senescenceProfile,
  type MarkerThreshold,
  type MemoryMarkers,
  type SenescenceProfile,
} from './phenotype.js';
import { parameterIndex, type Column, type FlowEvents } from './types.js';

/** Events of a sample within a gate (null = all events). */
export interface GatedEvents {
  events: FlowEvents;
  parent: Uint8Array | null;
}

/** One marker to score: a threshold, or a control to set it from. */
export interface MarkerSpec {
  /** Marker name for the results (e.g. "PD-L1"). */
  marker: string;
  /** $PnN of its channel. */
  channel: string;
  /** Positivity threshold (same scale as the events); or give `control`. */
  threshold?: number;
  /** FMO or isotype control, gated like the sample: the threshold is its `controlQuantile` quantile. */
  control?: GatedEvents;
  /** Quantile of the control that sets the threshold (default 0.99). */
  controlQuantile?: number;
}

/** %-positive of one marker. */
export interface MarkerPositivity {
  marker: string;
  channel: string;
  threshold: number;
  thresholdSource: 'given' | 'control';
  parentCount: number;
  positiveCount: number;
  /** 100 × positive / parent (NaN for an empty parent). */
  percentPositive: number;
  /** Median of the channel over the parent (NaN when empty). */
  mfi: number;
  /** Median of the channel over the positive events (NaN when none). */
  mfiPositive: number;
}

function channelOf(events: FlowEvents, name: string, marker: string): Column {
  const i = parameterIndex(events, name);
  if (i < 0)
    throw new InputError(`marker ${marker}: channel is not in the data`, { field: 'channel', value: name });
  return events.columns[i]!;
}

function gatedValues(g: GatedEvents, col: Column): Float64Array {
  if (g.parent !== null && g.parent.length !== g.events.eventCount)
    throw new InputError('parent membership length differs from the event count', { value: g.parent.length });
  if (g.parent === null) return Float64Array.from(col);
  const out: number[] = [];
  for (let i = 0; i < col.length; i++) if (g.parent[i]) out.push(col[i]!);
  return Float64Array.from(out);
}

/**
 * Threshold from a control: the q-quantile (type 1: the ⌈q·n⌉-th smallest value) of the control's channel
 * within its gate.
 * @throws InputError for a channel not in the data, q outside (0, 1), or an empty control gate
 */
export function thresholdFromControl(
  control: GatedEvents,
  channel: string,
  q = 0.99,
  marker = channel,
): number {
  if (!(q > 0 && q < 1))
    throw new InputError('control quantile must be in (0, 1)', { field: 'controlQuantile', value: q });
  const v = gatedValues(control, channelOf(control.events, channel, marker)).sort();
  if (v.length === 0)
    throw new InputError(`marker ${marker}: the control has no events in the gate`, {
      field: 'control',
      value: 0,
    });
  return v[Math.max(0, Math.ceil(q * v.length) - 1)]!;
}

/**
 * %-positive and MFI of each marker within a gated population.
 * @throws InputError for a channel not in the data (naming the marker), a marker with neither or both of
 *   threshold and control, a non-finite threshold, or an empty control gate
 */
export function markerPositivity(sample: GatedEvents, markers: readonly MarkerSpec[]): MarkerPositivity[] {
  return markers.map((m) => {
    if ((m.threshold === undefined) === (m.control === undefined))
      throw new InputError(`marker ${m.marker}: give either a threshold or a control`, {
        field: 'threshold',
        value: m.threshold,
      });
    const threshold =
      m.threshold ?? thresholdFromControl(m.control!, m.channel, m.controlQuantile ?? 0.99, m.marker);
    if (!Number.isFinite(threshold))
      throw new InputError(`marker ${m.marker}: threshold must be finite`, {
        field: 'threshold',
        value: threshold,
      });
    const v = gatedValues(sample, channelOf(sample.events, m.channel, m.marker));
    const pos = v.filter((x) => x >= threshold);
    return {
      marker: m.marker,
      channel: m.channel,
      threshold,
      thresholdSource: m.threshold !== undefined ? 'given' : 'control',
      parentCount: v.length,
      positiveCount: pos.length,
      percentPositive: v.length > 0 ? (100 * pos.length) / v.length : NaN,
      mfi: medianInPlace(v),
      mfiPositive: medianInPlace(pos),
    };
  });
}

/** Senescence markers (phenotype.ts `senescenceProfile`) in the whole parent and in each memory subset. */
export interface SenescenceBySubset {
  global: SenescenceProfile;
  /** Keyed naive, stemCellMemory, centralMemory, effectorMemory, terminalEffector (naiveLike when unsplit). */
  subsets: Record<string, SenescenceProfile>;
}

/**
 * Senescence markers within each memory subset of a parent (the lab study's Fig. 4: CD28lo, CD27lo, CD57+,
 * KLRG1+ within naive, TSCM, CM, EM and TE of CD4+ and CD8+ T cells). A subset without events has parentCount 0
 * and NaN percentages.
 * @throws InputError as `memorySubsets` and `senescenceProfile` (missing channels, no senescence marker)
 */
export function senescenceByMemorySubset(
  events: FlowEvents,
  parent: Uint8Array | null,
  memory: MemoryMarkers,
  senescence: {
    CD28?: MarkerThreshold;
    CD27?: MarkerThreshold;
    CD57?: MarkerThreshold;
    KLRG1?: MarkerThreshold;
  },
  options: { scmMarker?: 'CD45RO' | 'CD95' } = {},
): SenescenceBySubset {
  const masks = memorySubsetMasks(events, parent, memory, options);
  const subsets: Record<string, SenescenceProfile> = {};
  const named: [string, Uint8Array | null][] = [
    ['naive', masks.naive],
    ['stemCellMemory', masks.stemCellMemory],
    ['centralMemory', masks.centralMemory],
    ['effectorMemory', masks.effectorMemory],
    ['terminalEffector', masks.terminalEffector],
  ];
  if (masks.scmMarker === null) named.unshift(['naiveLike', masks.naiveLike]);
  for (const [k, mask] of named) if (mask) subsets[k] = senescenceProfile(events, mask, senescence);
  return { global: senescenceProfile(events, parent, senescence), subsets };
}
