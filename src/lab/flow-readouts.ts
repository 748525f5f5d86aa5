/**
 * The flow readouts of an experiment (docs/experiment-bundle.md "Flow readout kinds"): per gated FCS file, a
 * gate's % of parent or event count, bead-based cells/µL, a viability quadrant, a proliferation index, a
 * marker's % positive, or a senescence marker's % within each memory subset (src/flow/*). No I/O:
 * src/lab/read.ts reads the FCS files and gatings and calls these.
 */
import { InputError } from '../errors.js';
import { compensate } from '../flow/compensation.js';
import { absoluteCountPerUl } from '../flow/counts.js';
import { applyGates, type GateResult, type GatingStrategy } from '../flow/gates.js';
import { markerPositivity, senescenceByMemorySubset, type GatedEvents } from '../flow/markers.js';
import { fitDyeDilution, undividedPeakFromControl, type UndividedPeak } from '../flow/proliferation.js';
import { parameterIndex, type Column, type FlowEvents, type SpilloverMatrix } from '../flow/types.js';
import { viabilityQuadrants } from '../flow/viability.js';
import { unknownNameHint } from '../nearest-name.js';
import type { FlowReadoutSpec, MemorySubsetName } from './experiment.js';
import type { Readout } from './readouts.js';

/** A sample's events with its gate results, as the flow readouts read them. */
export interface GatedFlowSample {
  /** The FCS file (named in errors). */
  fcs: string;
  /** Events; detector columns compensated when the experiment asks for compensation. */
  events: FlowEvents;
  gates: Map<string, GateResult>;
}

/** Whether a readout reads channel values (not only gate counts). */
export function readsChannels(r: FlowReadoutSpec): boolean {
  return r.kind !== 'gate' && r.kind !== 'beadCount';
}

/** The message of an InputError without its location (formatMessage adds it again). */
function bareMessage(e: InputError): string {
  return e.message.replace(/^.*?field [^:]*: /, '').replace(/ \(value: .*\)$/, '');
}

/**
 * Gates one FCS file (Gating-ML 2.0 semantics, src/flow/gates.ts `applyGates`).
 * @param spillover compensation for the gates, and for the channel values when `compensateChannels`
 * @param compensateChannels compensate the detector columns the channel readouts read (src/flow/compensation.ts)
 * @throws InputError naming the FCS and gating file for a gate on a channel the file does not have
 */
export function gateFlowSample(
  events: FlowEvents,
  strategy: GatingStrategy,
  spillover: SpilloverMatrix | null,
  compensateChannels: boolean,
  where: { fcs: string; gating: string },
): GatedFlowSample {
  try {
    const results = applyGates(events, strategy, spillover);
    const ev = compensateChannels && spillover ? compensate(events, spillover) : events;
    return { fcs: where.fcs, events: ev, gates: new Map(results.map((r) => [r.id, r])) };
  } catch (e) {
    if (e instanceof InputError) {
      throw new InputError(`gating ${where.gating} on ${where.fcs}: ${bareMessage(e)}`, {
        file: where.fcs,
        ...(e.location.field !== undefined ? { field: e.location.field } : {}),
        ...(e.location.value !== undefined ? { value: e.location.value } : {}),
      });
    }
    throw e;
  }
}

/** Where flow readouts are computed, and the control samples they may need. */
export interface FlowReadoutContext {
  gating: string;
  experiment: string;
  /**
   * A control sample's gated events (an undivided or FMO control).
   * @throws InputError naming experiment.json `field` when the sample has no FCS file in flow.csv
   */
  control: (sample: string, field: string) => GatedFlowSample;
}

/**
 * The flow readouts of one gated FCS file, in `readouts` order (docs/experiment-bundle.md):
 * - `gate`: the gate's % of parent or event count (src/flow/gates.ts);
 * - `beadCount`: cells/µL = cell-gate events / bead-gate events × beadsPerTest / volumeUl × dilution
 *   (src/flow/counts.ts `absoluteCountPerUl`);
 * - `viability`: one Annexin V / dead-dye quadrant as % of the gate (src/flow/viability.ts `viabilityQuadrants`);
 * - `proliferation`: an index of the dye-dilution fit, the undivided peak from `undividedControl` when given
 *   (src/flow/proliferation.ts `fitDyeDilution`, `undividedPeakFromControl`);
 * - `percentPositive`: % of the gate ≥ the threshold, given or the `controlQuantile` of the FMO sample's values
 *   in the same gate (src/flow/markers.ts `markerPositivity`).
 * `gate` absent = all events.
 * @throws InputError naming experiment.json `assays.flow.readouts[i].<field>` for a gate not in the gating (with
 *   the nearest id); naming the FCS file and the readout field for a channel the file does not have (with the
 *   nearest channel), a bead gate without events, or what the assay function refuses (too few dye values …)
 */
export function flowReadoutValues(
  sample: GatedFlowSample,
  readouts: FlowReadoutSpec[],
  ctx: FlowReadoutContext,
): number[] {
  return readouts.flatMap((ro, i): number | number[] => {
    const field = (f: string): string => `assays.flow.readouts[${i}].${f}`;
    const gate = (g: GatedFlowSample, id: string, f: string): GateResult => {
      const r = g.gates.get(id);
      if (!r)
        throw new InputError(`gate is not in ${ctx.gating} (${unknownNameHint(id, [...g.gates.keys()])})`, {
          file: ctx.experiment,
          field: field(f),
          value: id,
        });
      return r;
    };
    const parent = (g: GatedFlowSample, id: string | undefined): Uint8Array | null =>
      id === undefined ? null : gate(g, id, 'gate').membership;
    const channel = (g: GatedFlowSample, name: string, f: string): Column => {
      const k = parameterIndex(g.events, name);
      if (k < 0)
        throw new InputError(
          `channel is not in the FCS file (${unknownNameHint(name, g.events.parameterNames)})`,
          { file: g.fcs, field: field(f), value: name },
        );
      return g.events.columns[k]!;
    };
    try {
      switch (ro.kind) {
        case 'gate': {
          const g = gate(sample, ro.gate, 'gate');
          return ro.statistic === 'count' ? g.count : g.percentOfParent;
        }
        case 'beadCount': {
          const cells = gate(sample, ro.cellGate, 'cellGate');
          const beads = gate(sample, ro.beadGate, 'beadGate');
          if (beads.count === 0)
            throw new InputError('the bead gate has no events: no absolute count without beads', {
              file: sample.fcs,
              field: field('beadGate'),
              value: ro.beadGate,
            });
          return absoluteCountPerUl({
            cellEvents: cells.count,
            beadEvents: beads.count,
            beadsPerTest: ro.beadsPerTest,
            sampleVolumeUl: ro.volumeUl,
            dilutionFactor: ro.dilution,
          });
        }
        case 'viability': {
          channel(sample, ro.annexin.channel, 'annexin.channel');
          channel(sample, ro.dead.channel, 'dead.channel');
          const q = viabilityQuadrants(sample.events, parent(sample, ro.gate), {
            annexinV: ro.annexin,
            deadDye: ro.dead,
          });
          return q[ro.fraction].percentOfParent;
        }
        case 'proliferation': {
          const values = channel(sample, ro.channel, 'channel');
          let undividedPeak: UndividedPeak | undefined;
          if (ro.undividedControl !== undefined) {
            const c = ctx.control(ro.undividedControl, field('undividedControl'));
            undividedPeak = undividedPeakFromControl(channel(c, ro.channel, 'channel'), parent(c, ro.gate));
          }
          const fit = fitDyeDilution(values, parent(sample, ro.gate), {
            generations: ro.generations,
            ...(undividedPeak ? { undividedPeak } : {}),
          });
          return fit.indices[ro.index];
        }
        case 'percentPositive': {
          channel(sample, ro.channel, 'channel');
          let control: GatedEvents | undefined;
          if (ro.fmoSample !== undefined) {
            const c = ctx.control(ro.fmoSample, field('fmoSample'));
            channel(c, ro.channel, 'channel');
            control = { events: c.events, parent: parent(c, ro.gate) };
          }
          const [m] = markerPositivity({ events: sample.events, parent: parent(sample, ro.gate) }, [
            {
              marker: ro.id,
              channel: ro.channel,
              ...(ro.threshold !== undefined ? { threshold: ro.threshold } : {}),
              ...(control ? { control, controlQuantile: ro.controlQuantile } : {}),
            },
          ]);
          return m!.percentPositive;
        }
        case 'senescence':
          return senescenceWithinSubsets(sample.events, parent(sample, ro.gate), ro);
      }
    } catch (e) {
      if (e instanceof InputError && e.location.file === undefined)
        throw new InputError(`readout ${ro.id}: ${bareMessage(e)}`, {
          file: sample.fcs,
          field: field(e.location.field ?? 'kind'),
          ...(e.location.value !== undefined ? { value: e.location.value } : {}),
        });
      throw e;
    }
  });
}

/** The src/flow/phenotype.ts subset behind each senescence readout subset. */
const SUBSET_KEY: Record<MemorySubsetName, string> = {
  naive: 'naive',
  tscm: 'stemCellMemory',
  tcm: 'centralMemory',
  tem: 'effectorMemory',
  temra: 'terminalEffector',
};
const SUBSET_TITLE: Record<MemorySubsetName, string> = {
  naive: 'naive',
  tscm: 'TSCM',
  tcm: 'TCM',
  tem: 'TEM',
  temra: 'TEMRA',
};

/**
 * % of each memory subset of the parent meeting the senescence criterion (CD28lo / CD27lo: < threshold; CD57+ /
 * KLRG1+: ≥ threshold), in `subsets` order (src/flow/markers.ts `senescenceByMemorySubset`). `naive` is CD45RA⁺
 * CCR7⁺ without a CD45RO/CD95 split (naive-like), else the naive subset of that split. NaN for an empty subset.
 * @throws InputError (from src/flow) for a memory or marker channel the events do not have
 */
export function senescenceWithinSubsets(
  events: FlowEvents,
  parent: Uint8Array | null,
  ro: Extract<FlowReadoutSpec, { kind: 'senescence' }>,
): number[] {
  const r = senescenceByMemorySubset(events, parent, ro.memory, {
    [ro.marker]: { channel: ro.channel, threshold: ro.threshold },
  });
  const criterion = ro.marker === 'CD28' || ro.marker === 'CD27' ? `${ro.marker}lo` : `${ro.marker}+`;
  return ro.subsets.map((sub) => {
    const profile = r.subsets[SUBSET_KEY[sub]] ?? (sub === 'naive' ? r.subsets['naiveLike'] : undefined);
    return profile?.markers[criterion]?.percentOfParent ?? NaN;
  });
}

/** Readout id, title and unit of each value a flow readout gives (one, or one per memory subset). */
function describeFlowReadout(s: FlowReadoutSpec): { id: string; title: string; unit: string }[] {
  const within = (gate: string | undefined): string => (gate !== undefined ? ` of ${gate}` : '');
  if (s.kind === 'senescence') {
    const crit = s.marker === 'CD28' || s.marker === 'CD27' ? `${s.marker}lo` : `${s.marker}+`;
    return s.subsets.map((sub) => ({
      id: `${s.id}_${sub}`,
      title: `${s.title ?? crit} within ${SUBSET_TITLE[sub]}${within(s.gate)}`,
      unit: '% of subset',
    }));
  }
  const one = describeOne(s);
  return [{ id: s.id, title: s.title ?? one.title, unit: one.unit }];
}

/** Title and unit of a single-valued flow readout. */
function describeOne(s: Exclude<FlowReadoutSpec, { kind: 'senescence' }>): { title: string; unit: string } {
  const within = (gate: string | undefined): string => (gate !== undefined ? ` of ${gate}` : '');
  switch (s.kind) {
    case 'gate': {
      const unit = s.statistic === 'count' ? 'events' : '% of parent';
      return { title: `${s.gate} (${unit})`, unit };
    }
    case 'beadCount':
      return { title: `${s.cellGate} per µL (counting beads)`, unit: 'cells/µL' };
    case 'viability':
      return { title: `${s.fraction}${within(s.gate)} (Annexin V / ${s.dead.channel})`, unit: '% of parent' };
    case 'proliferation':
      return {
        title: `${s.index}${within(s.gate)} (${s.channel} dye dilution)`,
        unit: s.index === 'percentDivided' ? '%' : 'index',
      };
    case 'percentPositive':
      return { title: `${s.channel}+${within(s.gate)}`, unit: '% positive' };
  }
}

/**
 * Flow readouts as `Readout`s from per-sample values (`flowReadoutValues`: in `specs` order, a senescence spec
 * one value per subset, readout `<id>_<subset>`); non-finite values left out.
 */
export function flowReadouts(specs: FlowReadoutSpec[], perSample: Map<string, number[]>): Readout[] {
  return specs.flatMap(describeFlowReadout).map((d, k) => {
    const values = new Map<string, number>();
    for (const [sample, v] of perSample) if (Number.isFinite(v[k])) values.set(sample, v[k]!);
    return { ...d, assay: 'flow' as const, values, notes: [] };
  });
}
