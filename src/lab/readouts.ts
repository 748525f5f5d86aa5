/**
 * The readouts of an experiment: from each assay's raw table (docs/experiment-bundle.md) to one value per
 * sample and readout. No I/O: src/lab/read.ts reads the tables and FCS files and calls these.
 *
 * - ⁵¹Cr release (`cytotoxicity.csv`): % specific lysis per sample, target and E:T (src/assays/lysis-study.ts).
 * - Cytokine plates (`cytokines.csv`): pg/mL from each plate's standard curve (src/assays/cytokine-study.ts).
 * - qPCR wells (`qpcr.csv`): expression relative to the reference gene, 2^−(Ct_target − Ct_reference) of the
 *   replicate-mean Ct (replicates > 0.5 cycles from the median left out; src/assays/qpcr.ts), as Towers et al. 2024 report
 *   "expression levels relative to that of GAPDH".
 * - Flow (`flow.csv`): per FCS file, a gate's % of parent or event count (src/flow/gates.ts).
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
import { applyGates, type GatingStrategy } from '../flow/gates.js';
import type { FlowEvents, SpilloverMatrix } from '../flow/types.js';
import type { CsvTable } from '../io/csv.js';
import { unknownNameHint } from '../nearest-name.js';
import { RowReader, type TableSpec } from '../study/row-reader.js';
import type { Sample } from './experiment.js';

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

/** A flow readout of experiment.json `assays.flow.readouts`. */
export interface FlowReadoutSpec {
  id: string;
  title?: string | undefined;
  gate: string;
  statistic: 'percent-of-parent' | 'count';
}

/**
 * The flow readouts of one FCS file: each gate's % of parent or event count (Gating-ML 2.0 semantics).
 * @param where the FCS file, the gating file and the experiment.json (named in errors)
 * @throws InputError naming the FCS and gating file for a gate on a channel the file does not have, and
 *   experiment.json `assays.flow.readouts[i].gate` for a gate that is not in the gating (with the nearest id)
 */
export function flowReadoutValues(
  events: FlowEvents,
  strategy: GatingStrategy,
  spillover: SpilloverMatrix | null,
  readouts: FlowReadoutSpec[],
  where: { fcs: string; gating: string; experiment: string },
): number[] {
  let results: ReturnType<typeof applyGates>;
  try {
    results = applyGates(events, strategy, spillover);
  } catch (e) {
    if (e instanceof InputError) {
      const m = e.message.replace(/ \(value: .*\)$/, '');
      throw new InputError(`gating ${where.gating} on ${where.fcs}: ${m}`, {
        file: where.fcs,
        ...(e.location.field !== undefined ? { field: e.location.field } : {}),
        ...(e.location.value !== undefined ? { value: e.location.value } : {}),
      });
    }
    throw e;
  }
  const byId = new Map(results.map((r) => [r.id, r]));
  return readouts.map((ro, i) => {
    const g = byId.get(ro.gate);
    if (!g)
      throw new InputError(`gate is not in ${where.gating} (${unknownNameHint(ro.gate, [...byId.keys()])})`, {
        file: where.experiment,
        field: `assays.flow.readouts[${i}].gate`,
        value: ro.gate,
      });
    return ro.statistic === 'count' ? g.count : g.percentOfParent;
  });
}

/** Flow readouts as `Readout`s from per-sample values (in `specs` order). */
export function flowReadouts(specs: FlowReadoutSpec[], perSample: Map<string, number[]>): Readout[] {
  return specs.map((s, k) => {
    const values = new Map<string, number>();
    for (const [sample, v] of perSample) if (Number.isFinite(v[k])) values.set(sample, v[k]!);
    return {
      id: s.id,
      assay: 'flow' as const,
      title: s.title ?? `${s.gate} (${s.statistic === 'count' ? 'events' : '% of parent'})`,
      unit: s.statistic === 'count' ? 'events' : '% of parent',
      values,
      notes: [],
    };
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
