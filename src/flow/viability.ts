/**
 * Viability by Annexin V and a DNA dye that only enters cells with a broken membrane (7-AAD, PI or DAPI): four
 * quadrants of a parent population (docs/references/assays.md §9):
 *   live: Annexin V− dye−; early apoptotic: Annexin V+ dye−; late apoptotic: Annexin V+ dye+;
 *   necrotic: Annexin V− dye+.
 * A marker is positive at value ≥ its threshold (set on unstained / single-stain controls), as in phenotype.ts.
 */
import { InputError } from '../errors.js';
import type { MarkerThreshold, SubsetCount } from './phenotype.js';
import { parameterIndex, type Column, type FlowEvents } from './types.js';

/** Viability quadrants of a parent population. */
export interface ViabilityQuadrants {
  parentCount: number;
  live: SubsetCount;
  earlyApoptotic: SubsetCount;
  lateApoptotic: SubsetCount;
  necrotic: SubsetCount;
}

function column(events: FlowEvents, m: MarkerThreshold, field: string): Column {
  const i = parameterIndex(events, m.channel);
  if (i < 0) throw new InputError('viability channel is not in the data', { field, value: m.channel });
  if (!Number.isFinite(m.threshold))
    throw new InputError('threshold must be a finite number', {
      field: `${field}.threshold`,
      value: m.threshold,
    });
  return events.columns[i]!;
}

/**
 * Annexin V / dead-cell-dye quadrants.
 * @param parent 0/1 membership of the parent gate (null = all events)
 * @param markers `annexinV` and `deadDye` (7-AAD, PI or DAPI) channels with their thresholds
 * @returns counts and % of parent (NaN for an empty parent); the four quadrants sum to the parent
 * @throws InputError for a channel not in the data, a non-finite threshold, or a parent mask of the wrong length
 */
export function viabilityQuadrants(
  events: FlowEvents,
  parent: Uint8Array | null,
  markers: { annexinV: MarkerThreshold; deadDye: MarkerThreshold },
): ViabilityQuadrants {
  if (parent !== null && parent.length !== events.eventCount)
    throw new InputError('parent membership length differs from the event count', { value: parent.length });
  const a = column(events, markers.annexinV, 'annexinV');
  const d = column(events, markers.deadDye, 'deadDye');
  const ta = markers.annexinV.threshold;
  const td = markers.deadDye.threshold;
  const q = [0, 0, 0, 0]; // index = 2·dead + annexin
  for (let i = 0; i < events.eventCount; i++) {
    if (parent !== null && !parent[i]) continue;
    q[(d[i]! >= td ? 2 : 0) + (a[i]! >= ta ? 1 : 0)]!++;
  }
  const n = q[0]! + q[1]! + q[2]! + q[3]!;
  const pct = (count: number): SubsetCount => ({ count, percentOfParent: n > 0 ? (100 * count) / n : NaN });
  return {
    parentCount: n,
    live: pct(q[0]!),
    earlyApoptotic: pct(q[1]!),
    lateApoptotic: pct(q[3]!),
    necrotic: pct(q[2]!),
  };
}
