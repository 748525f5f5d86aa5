/**
 * Flow cytometry of a study: from one sample's events and gates to the per-patient, per-day phenotype values the
 * study stores (docs/study-bundle.md "Flow cytometry: flow.csv"). No I/O: the pipeline reads the FCS and gating
 * files (src/pipeline/flow.ts) and calls `phenotypeFlowSample` per file.
 *
 * Per sample: every gate's count and % of parent (`applyGates`, Gating-ML 2.0 semantics, compensation-ref "FCS" =
 * the file's own spillover when compensation is on); then for each configured population its event count, memory
 * subsets (`memorySubsets`, docs/references/assays.md §7), senescence markers with the number co-expressed (`senescenceProfile`), median
 * fluorescence intensity of chosen markers, and the CD4/CD8 ratio of two gates. Markers are evaluated on the
 * compensated events when the sample is compensated (thresholds in compensated, untransformed units).
 */
import { InputError } from '../errors.js';
import { compensate } from './compensation.js';
import { applyGates, type GatingStrategy } from './gates.js';
import {
  cd4Cd8Ratio,
  medianFluorescence,
  memorySubsets,
  senescenceProfile,
  type MarkerThreshold,
} from './phenotype.js';
import type { FlowEvents, SpilloverMatrix } from './types.js';

/** Markers the phenotyping understands (memory: CD45RA, CCR7, CD45RO, CD95; senescence: CD28, CD27, CD57, KLRG1). */
export const FLOW_MARKERS = ['CD45RA', 'CCR7', 'CD45RO', 'CD95', 'CD28', 'CD27', 'CD57', 'KLRG1'] as const;
export type FlowMarker = (typeof FLOW_MARKERS)[number];

/** `study.json` `flow`: how a study's flow samples are compensated and phenotyped. */
export interface FlowStudySettings {
  /** Compensate with the file's own $SPILLOVER/SPILL (or the workspace's matrix) when it has one. */
  compensate: boolean;
  /** Gate ids whose counts form the CD4/CD8 ratio (both or neither). */
  cd4Gate: string | null;
  cd8Gate: string | null;
  /** Populations to phenotype: a label for the analyte names and the gate id holding them. */
  populations: { label: string; gate: string }[];
  /** Marker → channel ($PnN) and positivity threshold (compensated, untransformed units). */
  markers: Partial<Record<FlowMarker, MarkerThreshold>>;
  /** Markers whose median fluorescence intensity is reported per population. */
  mfi: FlowMarker[];
}

/** One gate's result in one file. */
export interface FlowGateRow {
  patientId: string;
  day: number;
  file: string;
  gateId: string;
  /** Path from the root, "/"-joined (e.g. "Lymphocytes/CD3/CD8"). */
  path: string;
  count: number;
  parentCount: number;
  /** 100 × count / parent count (NaN for an empty parent). */
  percentOfParent: number;
}

/** What one flow sample contributes to the study. */
export interface FlowSampleResult {
  patientId: string;
  day: number;
  file: string;
  eventCount: number;
  /** Whether the events were compensated (the file or workspace had a matrix and compensation is on). */
  compensated: boolean;
  gates: FlowGateRow[];
  /** Phenotype values as lab analytes `flow_…` (docs/study-bundle.md). */
  labs: { patientId: string; day: number; analyte: string; value: number }[];
}

/** One flow sample: its events (pre-processed, $PnN-named), gates and spillover. */
export interface FlowSampleInput {
  patientId: string;
  day: number;
  /** The FCS file, for results and error messages. */
  file: string;
  events: FlowEvents;
  strategy: GatingStrategy;
  /** The spillover to use for compensation (file's own, or the workspace's), null when none. */
  spillover: SpilloverMatrix | null;
}

/**
 * Gate counts and phenotype values of one flow sample.
 * @throws InputError naming the file when a configured gate id is not in the gating, or a marker channel is not in
 *   the data; InputError from `applyGates` (absent parameter, unknown reference) with the file added
 */
export function phenotypeFlowSample(sample: FlowSampleInput, settings: FlowStudySettings): FlowSampleResult {
  const { patientId, day, file } = sample;
  const spill = settings.compensate ? sample.spillover : null;
  const withFile = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof InputError && e.location.file === undefined) {
        throw new InputError(`${what}: ${e.message}`, { ...e.location, file });
      }
      throw e;
    }
  };
  const results = withFile('gating', () => applyGates(sample.events, sample.strategy, spill));
  const byId = new Map(results.map((r) => [r.id, r]));
  const gate = (id: string, field: string) => {
    const r = byId.get(id);
    if (!r) {
      throw new InputError(`gate "${id}" is not in the gating (gates: ${[...byId.keys()].join(', ')})`, {
        file,
        field,
        value: id,
      });
    }
    return r;
  };
  const events = spill ? withFile('compensation', () => compensate(sample.events, spill)) : sample.events;
  const labs: FlowSampleResult['labs'] = [];
  // A value that is not a number (an empty population's percentages or MFI, a ratio over 0 CD8 cells) is not
  // stored; the population's count (0) is.
  const put = (analyte: string, value: number): void => {
    if (Number.isFinite(value)) labs.push({ patientId, day, analyte, value });
  };
  if (settings.cd4Gate !== null && settings.cd8Gate !== null) {
    const cd4 = gate(settings.cd4Gate, 'flow.cd4Gate');
    const cd8 = gate(settings.cd8Gate, 'flow.cd8Gate');
    put('flow_cd4_cd8_ratio', cd4Cd8Ratio(cd4.count, cd8.count));
  }
  const m = settings.markers;
  for (const [k, pop] of settings.populations.entries()) {
    const g = gate(pop.gate, `flow.populations[${k}].gate`);
    const p = `flow_${pop.label}`;
    put(`${p}_count`, g.count);
    if (m.CD45RA && m.CCR7) {
      const ms = withFile('memory subsets', () =>
        memorySubsets(events, g.membership, {
          CD45RA: m.CD45RA!,
          CCR7: m.CCR7!,
          ...(m.CD45RO ? { CD45RO: m.CD45RO } : {}),
          ...(m.CD95 ? { CD95: m.CD95 } : {}),
        }),
      );
      if (ms.naive && ms.stemCellMemory) {
        put(`${p}_naive_pct`, ms.naive.percentOfParent);
        put(`${p}_scm_pct`, ms.stemCellMemory.percentOfParent);
      } else put(`${p}_naive_like_pct`, ms.naiveLike.percentOfParent);
      put(`${p}_cm_pct`, ms.centralMemory.percentOfParent);
      put(`${p}_em_pct`, ms.effectorMemory.percentOfParent);
      put(`${p}_te_pct`, ms.terminalEffector.percentOfParent);
    }
    const sen = { CD28: m.CD28, CD27: m.CD27, CD57: m.CD57, KLRG1: m.KLRG1 };
    const given = Object.fromEntries(Object.entries(sen).filter(([, v]) => v !== undefined));
    if (Object.keys(given).length > 0) {
      const sp = withFile('senescence', () => senescenceProfile(events, g.membership, given));
      for (const [key, c] of Object.entries(sp.markers)) {
        const name = key.endsWith('lo') ? key.toLowerCase() : `${key.slice(0, -1).toLowerCase()}pos`;
        put(`${p}_${name}_pct`, c.percentOfParent);
      }
      const twoPlus = sp.coExpressed.slice(2).reduce((s, c) => s + c.count, 0);
      put(`${p}_senescent2plus_pct`, sp.parentCount > 0 ? (100 * twoPlus) / sp.parentCount : NaN);
    }
    for (const marker of settings.mfi) {
      const t = m[marker];
      if (!t)
        throw new InputError('MFI marker has no channel in flow.markers', {
          field: 'flow.mfi',
          value: marker,
        });
      put(
        `${p}_mfi_${marker.toLowerCase()}`,
        withFile('MFI', () => medianFluorescence(events, g.membership, t.channel)),
      );
    }
  }
  return {
    patientId,
    day,
    file,
    eventCount: sample.events.eventCount,
    compensated: spill !== null,
    gates: results.map((r) => ({
      patientId,
      day,
      file,
      gateId: r.id,
      path: r.path.join('/'),
      count: r.count,
      parentCount: r.parentCount,
      percentOfParent: r.percentOfParent,
    })),
    labs,
  };
}
