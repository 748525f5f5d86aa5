/**
 * The readouts of an experiment: from each assay's raw table (docs/experiment-bundle.md) to one value per
 * sample and readout. No I/O: src/lab/read.ts reads the tables and FCS files and calls these.
 *
 * - ⁵¹Cr release (`cytotoxicity.csv`): % specific lysis per sample, target and E:T (src/assays/lysis-study.ts).
 * - Cytokine plates (`cytokines.csv`): pg/mL from each plate's standard curve (src/assays/cytokine-study.ts).
 * - qPCR wells (`qpcr.csv`): expression relative to the reference gene, 2^−(Ct_target − Ct_reference) of the
 *   replicate-mean Ct (replicates > 0.5 cycles from the median left out; src/assays/qpcr.ts), as Towers et al. 2024 report
 *   "expression levels relative to that of GAPDH".
 * - Flow (`flow.csv`): per FCS file, a gate's % of parent or event count (src/flow/gates.ts), bead-based cells/µL,
 *   a viability quadrant, a proliferation index or a marker's % positive (src/flow/*; `flowReadoutValues`).
 * - Cell counts (`counts.csv`): cells/mL as counted.
 * The assay functions key results by patient and day; here the sample ID takes the patient's place.
 */
import {
  cytokineAnalyteName,
  cytokineConcentrations,
  labNameStem,
  type CytokineWell,
} from '../assays/cytokine-study.js';
import { lysisAnalyteName, lysisOfStudy, type LysisWell } from '../assays/lysis-study.js';
import { summariseReplicates } from '../assays/qpcr.js';
import { InputError } from '../errors.js';
import { compensate } from '../flow/compensation.js';
import { absoluteCountPerUl } from '../flow/counts.js';
import { applyGates, type GateResult, type GatingStrategy } from '../flow/gates.js';
import { markerPositivity, type GatedEvents } from '../flow/markers.js';
import { fitDyeDilution, undividedPeakFromControl, type UndividedPeak } from '../flow/proliferation.js';
import { parameterIndex, type Column, type FlowEvents, type SpilloverMatrix } from '../flow/types.js';
import { viabilityQuadrants } from '../flow/viability.js';
import type { CsvTable } from '../io/csv.js';
import { unknownNameHint } from '../nearest-name.js';
import { RowReader, type TableSpec } from '../study/row-reader.js';
import type { FlowReadoutSpec, Sample } from './experiment.js';

/** The assays an experiment bundle can hold. */
export type LabAssay = 'cytotoxicity' | 'cytokines' | 'qpcr' | 'flow' | 'counts';

/** One readout: a value per sample. */
export interface Readout {
  /** Stable id (`ifng_pg_ml`, `lysis_t2_et10_pct`, `ido1_rel_gapdh`, a flow readout id, `cells_per_ml`). */
  id: string;
  assay: LabAssay;
  title: string;
  unit: string;
  /** Value per sample ID (samples without a value are absent). */
  values: Map<string, number>;
  /** What the assay flagged (QC failures, values below the LLOQ …). */
  notes: string[];
}

/** Table columns (docs/experiment-bundle.md). */
export const LAB_TABLES: Record<LabAssay, TableSpec> = {
  cytotoxicity: {
    name: 'cytotoxicity',
    required: ['plate', 'target', 'role', 'cpm'],
    optional: ['sample', 'effector_target_ratio'],
  },
  cytokines: {
    name: 'cytokines',
    required: ['plate', 'role', 'analyte', 'signal'],
    optional: ['concentration', 'sample', 'dilution'],
  },
  qpcr: { name: 'qpcr', required: ['plate', 'sample', 'target', 'ct'], optional: [] },
  flow: { name: 'flow', required: ['sample', 'file', 'gating'], optional: ['workspace_sample', 'data_set'] },
  counts: { name: 'counts', required: ['sample', 'cells_per_ml'], optional: [] },
};

/** The samples.csv spec for a design. */
export function samplesTableSpec(columns: string[]): TableSpec {
  return { name: 'samples.csv', required: columns, optional: [] };
}

/** The sample a row names, or an InputError with the nearest sample ID. */
export function sampleOf(r: RowReader, column: string, samples: Map<string, Sample>): Sample {
  const id = r.requiredString(column);
  const s = samples.get(id);
  if (!s) r.fail(column, `sample is not in samples.csv (${unknownNameHint(id, [...samples.keys()])})`, id);
  return s;
}

/** Readouts of one assay grouped from (sample, readout id, value) triples. */
function group(
  assay: LabAssay,
  triples: { sample: string; id: string; value: number }[],
  describe: (id: string) => { title: string; unit: string },
): Readout[] {
  const byId = new Map<string, Readout>();
  for (const t of triples) {
    let r = byId.get(t.id);
    if (!r) byId.set(t.id, (r = { id: t.id, assay, ...describe(t.id), values: new Map(), notes: [] }));
    r.values.set(t.sample, t.value);
  }
  return [...byId.values()];
}

/** A study-assay error keyed by patient: name the sample column instead. */
function asSampleError(e: unknown): never {
  if (e instanceof InputError && e.location.field === 'patient_id') {
    const m = e.message.replace(/^.*?field patient_id: /, '').replace(/ \(value: .*\)$/, '');
    throw new InputError(m.replace(/patient/g, 'sample'), { ...e.location, field: 'sample' });
  }
  throw e;
}

/**
 * % specific lysis per sample from ⁵¹Cr release wells.
 * @throws InputError naming cytotoxicity.csv, row and column (unknown sample, bad cpm, missing controls …)
 */
export function cytotoxicityReadouts(table: CsvTable, samples: Map<string, Sample>): Readout[] {
  const wells: LysisWell[] = table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const role = r.enumValue('role', ['spontaneous', 'maximum', 'experimental'] as const, true);
    const exp = role === 'experimental';
    return {
      row: i + 1,
      plate: r.requiredString('plate'),
      target: r.requiredString('target'),
      role,
      patientId: exp ? sampleOf(r, 'sample', samples).id : null,
      day: exp ? 0 : null,
      effectorToTarget: exp ? r.number('effector_target_ratio', true) : null,
      cpm: r.number('cpm', true, { min: 0 }),
    };
  });
  let res: ReturnType<typeof lysisOfStudy>;
  try {
    res = lysisOfStudy(wells, table.file);
  } catch (e) {
    asSampleError(e);
  }
  const titles = new Map(
    res.samples.map((x) => [
      lysisAnalyteName(x.target, x.effectorToTarget),
      `⁵¹Cr specific lysis of ${x.target} at E:T ${x.effectorToTarget}:1`,
    ]),
  );
  const out = group(
    'cytotoxicity',
    res.labs.map((l) => ({ sample: l.patientId, id: l.analyte, value: l.value })),
    (id) => ({ title: titles.get(id) ?? id, unit: '%' }),
  );
  for (const p of res.plates.filter((x) => !x.qcPassed)) {
    for (const r of out)
      r.notes.push(
        `plate ${p.plate}, target ${p.target}: spontaneous release ${p.spontaneousPercentOfMaximum.toFixed(1)} % of maximum (> 30 %: QC failed)`,
      );
  }
  return out;
}

/**
 * Cytokine concentrations (pg/mL) per sample from plates of standards and samples.
 * @param opts standard-curve model and the rule below the LLOQ (experiment.json `assays.cytokines`)
 * @throws InputError naming cytokines.csv, row and column (unknown sample, bad signal, curve that cannot be fitted …)
 */
export function cytokineReadouts(
  table: CsvTable,
  samples: Map<string, Sample>,
  opts: { curveModel: '3pl' | '4pl' | '5pl'; belowLloq: 'half-lloq' | 'lloq' | 'omit' },
): Readout[] {
  const wells: CytokineWell[] = table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const role = r.enumValue('role', ['standard', 'sample'] as const, true);
    const std = role === 'standard';
    return {
      row: i + 1,
      plate: r.requiredString('plate'),
      role,
      analyte: r.requiredString('analyte'),
      concentrationPgMl: std ? r.number('concentration', true, { min: 0 }) : null,
      patientId: std ? null : sampleOf(r, 'sample', samples).id,
      day: std ? null : 0,
      dilution: r.number('dilution', false, { min: 1 }) ?? 1,
      signal: r.number('signal', true),
    };
  });
  let res: ReturnType<typeof cytokineConcentrations>;
  try {
    res = cytokineConcentrations(wells, { model: opts.curveModel, belowLloq: opts.belowLloq }, table.file);
  } catch (e) {
    asSampleError(e);
  }
  const analyteOf = new Map(res.samples.map((s) => [cytokineAnalyteName(s.analyte), s.analyte]));
  const out = group(
    'cytokines',
    res.labs.map((l) => ({ sample: l.patientId, id: l.analyte, value: l.value })),
    (id) => ({ title: `${analyteOf.get(id) ?? id} (ELISA)`, unit: 'pg/mL' }),
  );
  for (const r of out) {
    const analyte = analyteOf.get(r.id);
    const flagged = res.samples.filter((s) => s.analyte === analyte && s.flag !== 'ok');
    if (flagged.length > 0)
      r.notes.push(
        `${flagged.length} sample(s) outside the limits of quantification (${opts.belowLloq} below the LLOQ, ULOQ above): ` +
          flagged.map((s) => `${s.patientId} ${s.flag}`).join(', '),
      );
  }
  return out;
}

/**
 * Expression relative to the reference gene per sample and target: 2^−(mean Ct_target − mean Ct_reference)
 * over the sample's replicate wells on one plate (Livak & Schmittgen 2001, ΔCt; replicates more than 0.5 cycles
 * from their median, or undetermined, are left out as in src/assays/qpcr.ts `summariseReplicates`).
 * @param reference reference gene (experiment.json `assays.qpcr.reference`, e.g. GAPDH)
 * @throws InputError naming qpcr.csv, row and column: unknown sample, Ct not a number, a sample measured on two
 *   plates, a target without the reference on the sample's plate, a sample whose replicates are all undetermined
 */
export function qpcrReadouts(table: CsvTable, samples: Map<string, Sample>, reference: string): Readout[] {
  const wells = new Map<string, { plate: string; row: number; ct: number[] }>();
  table.rows.forEach((_, i) => {
    const r = new RowReader(table, i);
    const plate = r.requiredString('plate');
    const sample = sampleOf(r, 'sample', samples).id;
    const target = r.requiredString('target');
    const raw = r.raw('ct');
    const ct = raw === '' || /^undetermined$/i.test(raw) ? NaN : r.number('ct', true, { min: 0 });
    const k = `${sample}\u0000${target}`;
    const w = wells.get(k);
    if (w && w.plate !== plate)
      r.fail(
        'plate',
        `sample ${sample}, target ${target} was measured on plate ${w.plate} already (row ${w.row})`,
        plate,
      );
    if (w) w.ct.push(ct);
    else wells.set(k, { plate, row: i + 1, ct: [ct] });
  });
  const triples: { sample: string; id: string; value: number }[] = [];
  const meanCt = (k: string, w: { row: number; ct: number[] }, target: string): number => {
    const s = summariseReplicates(w.ct);
    if (s.n === 0)
      throw new InputError(`every replicate of ${target} is undetermined: no Ct to use`, {
        file: table.file,
        row: w.row,
        field: 'ct',
        value: k.split('\u0000')[0],
      });
    return s.mean;
  };
  for (const [k, w] of wells) {
    const [sample, target] = k.split('\u0000') as [string, string];
    if (target === reference) continue;
    const ref = wells.get(`${sample}\u0000${reference}`);
    if (!ref || ref.plate !== w.plate)
      throw new InputError(
        `sample ${sample} has ${target} on plate ${w.plate} but no ${reference} (the reference gene) there`,
        { file: table.file, row: w.row, field: 'target', value: target },
      );
    const dCt = meanCt(k, w, target) - meanCt(`${sample}\u0000${reference}`, ref, reference);
    triples.push({
      sample,
      id: `${labNameStem(target, 'target')}_rel_${labNameStem(reference, 'target')}`,
      value: 2 ** -dCt,
    });
  }
  return group('qpcr', triples, (id) => ({
    title: `${id.split('_rel_')[0]!.toUpperCase()} relative to ${reference} (qPCR, 2^−ΔCt)`,
    unit: `relative to ${reference}`,
  }));
}

/**
 * Cell counts per sample (cells/mL, as counted; bead-based absolute counts can feed the same column).
 * @throws InputError naming counts.csv, row and column: unknown sample, a count that is not a number ≥ 0, a
 *   sample counted twice
 */
export function countReadouts(table: CsvTable, samples: Map<string, Sample>): Readout[] {
  const seen = new Map<string, number>();
  const triples = table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const sample = sampleOf(r, 'sample', samples).id;
    const prev = seen.get(sample);
    if (prev !== undefined) r.fail('sample', `sample already counted in row ${prev}`, sample);
    seen.set(sample, i + 1);
    return { sample, id: 'cells_per_ml', value: r.number('cells_per_ml', true, { min: 0 }) };
  });
  return group('counts', triples, () => ({ title: 'Cells per mL', unit: 'cells/mL' }));
}

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
  return readouts.map((ro, i) => {
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

/** Title and unit of a flow readout. */
function describeFlowReadout(s: FlowReadoutSpec): { title: string; unit: string } {
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

/** Flow readouts as `Readout`s from per-sample values (in `specs` order; non-finite values left out). */
export function flowReadouts(specs: FlowReadoutSpec[], perSample: Map<string, number[]>): Readout[] {
  return specs.map((s, k) => {
    const values = new Map<string, number>();
    for (const [sample, v] of perSample) if (Number.isFinite(v[k])) values.set(sample, v[k]!);
    const d = describeFlowReadout(s);
    return { id: s.id, assay: 'flow' as const, title: s.title ?? d.title, unit: d.unit, values, notes: [] };
  });
}

/** The samples of a design, by ID. */
export function samplesById(samples: Sample[]): Map<string, Sample> {
  return new Map(samples.map((s) => [s.id, s]));
}

/** A readout id must be unique across assays. @throws InputError naming experiment.json `assays` */
export function checkReadoutIds(readouts: Readout[], file: string): void {
  const seen = new Map<string, LabAssay>();
  for (const r of readouts) {
    const prev = seen.get(r.id);
    if (prev !== undefined)
      throw new InputError(`readout id ${r.id} comes from both ${prev} and ${r.assay}`, {
        file,
        field: 'assays',
        value: r.id,
      });
    seen.set(r.id, r.assay);
  }
}
