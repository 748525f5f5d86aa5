/**
 * The readouts of an experiment: from each assay's raw table (docs/experiment-bundle.md) to one value per
 * sample and readout. No I/O: src/lab/read.ts reads the tables and FCS files and calls these.
 *
 * - ⁵¹Cr release (`cytotoxicity.csv`): % specific lysis per sample, target and E:T (src/assays/lysis-study.ts).
 * - Cytokine plates (`cytokines.csv`): pg/mL from each plate's standard curve (src/assays/cytokine-study.ts).
 * - qPCR wells (`qpcr.csv`): expression relative to the reference gene, 2^−(Ct_target − Ct_reference) of the
 *   replicate-mean Ct (replicates > 0.5 cycles from the median left out; src/assays/qpcr.ts), as Towers et al. 2024 report
 *   "expression levels relative to that of GAPDH".
 * - Flow (`flow.csv`): src/lab/flow-readouts.ts.
 * - Cell counts (`counts.csv`): cells/mL as counted, per population.
 * - Derived across samples (expansion folds, killing kinetics): src/lab/derived.ts.
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
import type { CsvTable } from '../io/csv.js';
import { unknownNameHint } from '../nearest-name.js';
import { RowReader, type TableSpec } from '../study/row-reader.js';
import type { Sample } from './experiment.js';

/** The assays an experiment bundle can hold. */
export type LabAssay = 'cytotoxicity' | 'cytokines' | 'qpcr' | 'flow' | 'counts';

/** One readout: a value per sample. */
export interface Readout {
  /**
   * Stable id (`ifng_pg_ml`, `lysis_t2_et10_pct`, `ido1_rel_gapdh`, a flow readout id, `cells_per_ml`, a derived
   * readout id).
   */
  id: string;
  /** The assay table it comes from, or `derived` (experiment.json `derived`, src/lab/derived.ts). */
  assay: LabAssay | 'derived';
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
  counts: { name: 'counts', required: ['sample', 'cells_per_ml'], optional: ['population'] },
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
 * Cell counts per sample (cells/mL, as counted; bead-based absolute counts can feed the same column). Without a
 * `population` (column absent or empty) the readout is `cells_per_ml`; with one, `<population stem>_per_ml`
 * (e.g. the surviving MOLM-13 targets of a co-culture: `molm_13_per_ml`).
 * @throws InputError naming counts.csv, row and column: unknown sample, a count that is not a number ≥ 0, a
 *   sample counted twice for the same population, a population without letters or digits
 */
export function countReadouts(table: CsvTable, samples: Map<string, Sample>): Readout[] {
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  const triples = table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const sample = sampleOf(r, 'sample', samples).id;
    const population = r.optionalString('population') ?? '';
    let id = 'cells_per_ml';
    if (population !== '') {
      try {
        id = `${labNameStem(population, 'population')}_per_ml`;
      } catch (e) {
        if (e instanceof InputError) r.fail('population', 'no letter or digit to name a readout', population);
        throw e;
      }
    }
    names.set(id, population);
    const k = `${sample}\u0000${id}`;
    const prev = seen.get(k);
    if (prev !== undefined)
      r.fail(
        'sample',
        `sample already counted in row ${prev}${population ? ` for population ${population}` : ''}`,
        sample,
      );
    seen.set(k, i + 1);
    return { sample, id, value: r.number('cells_per_ml', true, { min: 0 }) };
  });
  return group('counts', triples, (id) => {
    const p = names.get(id);
    return { title: p ? `${p} cells per mL` : 'Cells per mL', unit: 'cells/mL' };
  });
}

/** The samples of a design, by ID. */
export function samplesById(samples: Sample[]): Map<string, Sample> {
  return new Map(samples.map((s) => [s.id, s]));
}

/** A readout id must be unique across assays. @throws InputError naming experiment.json `assays` */
export function checkReadoutIds(readouts: Readout[], file: string): void {
  const seen = new Map<string, LabAssay | 'derived'>();
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
