/**
 * Study bundle v1 reader and validator (format: docs/study-bundle.md).
 *
 * `readBundle(dir)` reads `study.json` and the CSV tables, validates every cell against the schema
 * (strict: an unknown key or column is an error), every cross-reference (patient, scan) and every path
 * (inside the bundle or a declared data root; src/study/bundle-paths.ts), checks each patient's journey
 * order (src/clinical/timeline.ts), converts dates to days relative to each patient's infusion, and
 * returns typed records. It writes nothing. Every error is an InputError naming the file, the 1-based
 * data row and the column, with the offending value.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readCsv, type CsvTable } from '../io/csv.js';
import type { QpcrWell } from '../assays/qpcr-study.js';
import type { CytokineWell } from '../assays/cytokine-study.js';
import type { LysisWell } from '../assays/lysis-study.js';
import type { FlowStudySettings } from '../flow/study.js';
import type {
  AdverseEvent,
  Biopsy,
  Bridging,
  LabValue,
  NotInfusedPatient,
  Patient,
  PatientEvent,
  Scan,
  StudySettings,
  Toxicity,
  Tracer,
  Voi,
} from './model.js';
import { BundlePaths } from './bundle-paths.js';
import { checkNotAfterDeath, readEvents, type PatientCheck } from './bundle-events.js';
import { BUNDLE_TABLES } from './bundle-tables.js';
import { checkColumns, readTable, RowReader, type TableSpec } from './row-reader.js';
import { readStudyJson } from './study-json.js';
import { readVoiSphere, sphereRef } from './voi-sphere.js';
import { readAdverseEvents } from './adverse-events.js';
import { isDicomwebRef, parseDicomwebRef } from '../io/dicomweb.js';
import { readLesionOutcomes, type LesionOutcomes } from './lesion-outcomes.js';

export { DEFAULT_SETTINGS, flowSettingsSchema, toFlowSettings } from './study-json.js';

/** A validated bundle: the study's records, before quantification. */
export interface StudyBundle {
  /** Absolute path of the bundle folder. */
  dir: string;
  /** Real absolute paths of `study.json` `dataRoots` (image headers may point into these too). */
  dataRoots: string[];
  /** DICOMweb server of `dicomweb:` scans: the `pacsUrl` option, else study.json `pacs.url`, else null. */
  pacsUrl: string | null;
  name: string;
  tracer: Tracer;
  settings: StudySettings;
  /** The infused patients. */
  patients: Patient[];
  /** Patients who were not infused (patients.csv `consort_stage` before infusion). */
  notInfused: NotInfusedPatient[];
  events: PatientEvent[];
  scans: Scan[];
  vois: Voi[];
  toxicity: Toxicity[];
  labs: LabValue[];
  biopsies: Biopsy[];
  /** CTCAE adverse events of the optional adverse_events.csv (empty when absent). */
  adverseEvents: AdverseEvent[];
  /** Relapsed lesions and radiotherapy dose per lesion (optional lesion_progression.csv, radiotherapy.csv). */
  lesionOutcomes: LesionOutcomes;
  /** Raw wells of the optional qpcr.csv (standard curves and patient samples). */
  qpcrWells: QpcrWell[];
  /** Raw wells of the optional cytokines.csv (standard series and patient samples). */
  cytokineWells: CytokineWell[];
  /** ⁵¹Cr-release wells of the optional cytotoxicity.csv. */
  lysisWells: LysisWell[];
  /** FCS files of the optional flow.csv (absolute paths). */
  flowFiles: FlowFileRow[];
  /** `study.json` `flow` (null when absent; required when flow.csv is present). */
  flow: FlowStudySettings | null;
}

/** One row of flow.csv. */
export interface FlowFileRow {
  /** 1-based data row. */
  row: number;
  patientId: string;
  day: number;
  /** Absolute path of the FCS file. */
  file: string;
  /** Absolute path of the Gating-ML 2.0 .xml or FlowJo .wsp file. */
  gating: string;
  /** FlowJo sample name (null: the FCS file name). */
  sample: string | null;
  /** 0-based data set of the FCS file. */
  dataSet: number;
}

/** The tables of a bundle (src/study/bundle-tables.ts, the one home of their columns). */
const TABLES = BUNDLE_TABLES;

const BRIDGING: readonly Bridging[] = ['none', 'radiotherapy', 'systemic', 'combination'];

const anyPatientId: PatientCheck = (r, column = 'patient_id') => r.id(column);

/** The wells of a cytokines.csv table (docs/study-bundle.md "Cytokine plates"). */
function cytokineWellsOf(table: CsvTable, patient: PatientCheck): CytokineWell[] {
  return table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const role = r.enumValue('role', ['standard', 'sample'] as const, true);
    return {
      row: i + 1,
      plate: r.requiredString('plate'),
      role,
      analyte: r.requiredString('analyte'),
      concentrationPgMl: role === 'standard' ? r.number('concentration', true, { min: 0 }) : null,
      patientId: role === 'sample' ? patient(r) : null,
      day: role === 'sample' ? r.number('day', true) : null,
      dilution: role === 'sample' ? (r.number('dilution', false, { min: 1 }) ?? 1) : 1,
      signal: r.number('signal', true),
    };
  });
}

/** The wells of a cytotoxicity.csv table (docs/study-bundle.md "Cytotoxicity"). */
function lysisWellsOf(table: CsvTable, patient: PatientCheck): LysisWell[] {
  return table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const role = r.enumValue('role', ['spontaneous', 'maximum', 'experimental'] as const, true);
    const exp = role === 'experimental';
    return {
      row: i + 1,
      plate: r.requiredString('plate'),
      target: r.requiredString('target'),
      role,
      patientId: exp ? patient(r) : null,
      day: exp ? r.number('day', true) : null,
      effectorToTarget: exp ? r.number('effector_target_ratio', true, { min: Number.MIN_VALUE }) : null,
      cpm: r.number('cpm', true, { min: 0 }),
    };
  });
}

/**
 * Reads a cytokines.csv outside a bundle (`carto assay cytokines`): any well-formed patient ID is accepted.
 * @throws InputError naming file, row and column for a missing or unknown column or a bad cell
 */
export function readCytokineTable(file: string): CytokineWell[] {
  const table = readCsv(file);
  checkColumns(table, TABLES.cytokines);
  return cytokineWellsOf(table, anyPatientId);
}

/**
 * Reads a cytotoxicity.csv outside a bundle (`carto assay cytotoxicity`): any well-formed patient ID is accepted.
 * @throws InputError naming file, row and column for a missing or unknown column or a bad cell
 */
export function readCytotoxicityTable(file: string): LysisWell[] {
  const table = readCsv(file);
  checkColumns(table, TABLES.cytotoxicity);
  return lysisWellsOf(table, anyPatientId);
}

const CONSORT_STAGE = ['referred', 'accepted', 'apheresed', 'infused'] as const;

/**
 * patients.csv: one row per patient, unique IDs. A row whose `consort_stage` is a pre-infusion stage
 * (docs/study-bundle.md) is a patient who was not infused: only its ID, cohort and CONSORT columns are
 * required, its other cells are checked when given. An infused patient has no drop-out columns.
 */
function readPatients(pt: CsvTable, today: Date): { patients: Patient[]; notInfused: NotInfusedPatient[] } {
  const patients: Patient[] = [];
  const notInfused: NotInfusedPatient[] = [];
  const patientIds = new Set<string>();
  pt.rows.forEach((_, i) => {
    const r = new RowReader(pt, i, today);
    const patientId = r.id('patient_id');
    r.check(!patientIds.has(patientId), 'patient_id', 'duplicate patient_id');
    patientIds.add(patientId);
    const consortStage = r.enumValue('consort_stage', CONSORT_STAGE, false) ?? 'infused';
    const dropoutReason = r.optionalString('dropout_reason');
    const dropoutDate = r.date('dropout_date');
    if (consortStage === 'infused') {
      for (const [column, v] of [
        ['dropout_reason', dropoutReason],
        ['dropout_date', dropoutDate],
      ] as const)
        if (v !== null) r.fail(column, 'an infused patient has no drop-out (consort_stage is infused)', v);
    } else if (dropoutDate !== null && dropoutReason === null) {
      r.fail('dropout_reason', 'a drop-out date needs a drop-out reason', '');
    }
    const cohort = r.requiredString('cohort');
    const common = {
      weightKg: r.number('weight_kg', false, { min: 1, max: 400 }),
      stage: r.optionalString('stage'),
      cnsInvolvement: r.yesNo('cns_involvement', false),
      ecog: r.number('ecog', false, { integer: true, min: 0, max: 4 }),
      previousLines: r.number('previous_lines', false, { integer: true, min: 0 }),
      primaryRefractory: r.yesNo('primary_refractory', false),
      priorAsct: r.yesNo('prior_asct', false),
      product: r.optionalString('product'),
    };
    if (consortStage === 'infused') {
      patients.push({
        patientId,
        cohort,
        age: r.number('age', true, { min: 0, max: 120 }),
        sex: r.enumValue('sex', ['M', 'F'] as const, true),
        histology: r.requiredString('histology'),
        bridging: r.enumValue('bridging', BRIDGING, true),
        ...common,
      });
      return;
    }
    // Not infused: the baseline cells are optional, but checked when given.
    r.number('age', false, { min: 0, max: 120 });
    r.enumValue('sex', ['M', 'F'] as const, false);
    r.enumValue('bridging', BRIDGING, false);
    notInfused.push({ patientId, cohort, stage: consortStage, dropoutReason, dropoutDate });
  });
  return { patients, notInfused };
}

/** scans.csv `path`: a `dicomweb:` reference as written, else a path resolved by `BundlePaths`. */
function scanPath(r: RowReader, paths: BundlePaths): string {
  const raw = r.requiredString('path');
  return isDicomwebRef(raw) ? raw : r.path('path', paths, true);
}

/**
 * scans.csv: unique scan IDs, known patients, paths inside the bundle or a data root, or a series on the
 * PACS at `pacsUrl` (`dicomweb:<StudyInstanceUID>/<SeriesInstanceUID>`, format dicom).
 */
function readScans(
  sc: CsvTable,
  knownPatient: PatientCheck,
  paths: BundlePaths,
  pacsUrl: string | null,
): Scan[] {
  const scans: Scan[] = [];
  const seen = new Set<string>();
  sc.rows.forEach((_, i) => {
    const r = new RowReader(sc, i);
    const scanId = r.id('scan_id');
    r.check(!seen.has(scanId), 'scan_id', 'duplicate scan_id');
    seen.add(scanId);
    const scan: Scan = {
      scanId,
      patientId: knownPatient(r),
      tracer: r.requiredString('tracer'),
      timepoint: r.requiredString('timepoint'),
      day: r.number('day', false),
      path: scanPath(r, paths),
      format: r.enumValue('format', ['dicom', 'nifti-suv'] as const, true),
    };
    if (isDicomwebRef(scan.path)) {
      const at = { file: sc.file, row: i + 1, field: 'path', value: scan.path };
      r.check(scan.format === 'dicom', 'format', 'a dicomweb: scan is a DICOM series: format must be dicom');
      scan.pacs = { ...parseDicomwebRef(scan.path, at), url: pacsUrl, at };
    } else if (scan.format === 'dicom') {
      r.check(statSync(scan.path).isDirectory(), 'path', 'a dicom scan must point at a series folder');
    } else {
      r.check(/\.nii(\.gz)?$/.test(scan.path), 'path', 'a nifti-suv scan must be a .nii or .nii.gz file');
    }
    const ctPath = r.path('ct_path', paths, false);
    if (ctPath !== null) {
      r.check(statSync(ctPath).isDirectory(), 'ct_path', 'ct_path must point at a CT series folder');
      scan.ctPath = ctPath;
    }
    scans.push(scan);
  });
  return scans;
}

/**
 * The mask of one vois.csv row: a sphere (`sphere_center_lps_mm` + `sphere_radius_mm`, voi-sphere.ts),
 * a label of a label map (`mask_path` + `mask_label`) or an RTSTRUCT ROI (`mask_path` + `roi_name`).
 */
function readVoiMask(r: RowReader, paths: BundlePaths): Pick<Voi, 'maskPath' | 'maskLabel' | 'roiName'> {
  const sphere = readVoiSphere(r);
  if (sphere) return { maskPath: sphereRef(sphere), maskLabel: null, roiName: null };
  const maskPath = r.path('mask_path', paths, true);
  const isRtstruct = !/\.(nii|nii\.gz|nrrd|nhdr)$/i.test(maskPath);
  const maskLabel = isRtstruct
    ? r.number('mask_label', false, { integer: true, min: 1 })
    : r.number('mask_label', true, { integer: true, min: 1 });
  const roiName = isRtstruct ? r.requiredString('roi_name') : r.optionalString('roi_name');
  return { maskPath, maskLabel, roiName };
}

/** vois.csv: VOIs of known scans, one per scan and lesion/label, masks inside the bundle or a data root. */
function readVois(vo: CsvTable, scanIds: ReadonlySet<string>, paths: BundlePaths): Voi[] {
  const vois: Voi[] = [];
  const voiKeys = new Set<string>();
  vo.rows.forEach((_, i) => {
    const r = new RowReader(vo, i);
    const scanId = r.requiredString('scan_id');
    r.check(scanIds.has(scanId), 'scan_id', 'unknown scan (not in scans.csv)');
    const kind = r.enumValue('kind', ['organ', 'lesion'] as const, true);
    const label = r.requiredString('label');
    const mask = readVoiMask(r, paths);
    const lesionId = kind === 'lesion' ? r.id('lesion_id') : null;
    const key = `${scanId}|${kind}|${lesionId ?? label}`;
    r.check(!voiKeys.has(key), kind === 'lesion' ? 'lesion_id' : 'label', 'duplicate VOI on this scan');
    voiKeys.add(key);
    vois.push({
      voiId: `${scanId}:${kind}:${lesionId ?? label}`,
      scanId,
      kind,
      label,
      lesionId,
      site: kind === 'lesion' ? r.requiredString('site') : r.optionalString('site'),
      irradiated: r.yesNo('irradiated', kind === 'lesion'),
      ...mask,
    });
  });
  return vois;
}

/** toxicity.csv: one row per known patient. */
const IMAGING_ONLY = 'an imaging-only study (study.json analysis.imagingOnly)';

/**
 * An imaging-only study (study.json `analysis.imagingOnly`: patients scanned, not treated with CAR T,
 * docs/study-bundle.md) has no patient journey: no scan `day` (days count from an infusion), and
 * events.csv, toxicity.csv and adverse_events.csv are absent or hold no rows.
 * @throws InputError naming the file, row and field of the first scan day or journey row
 */
function checkImagingOnly(sc: CsvTable, scans: readonly Scan[], journey: readonly (CsvTable | null)[]): void {
  scans.forEach((s, i) => {
    if (s.day !== null)
      throw new InputError(`${IMAGING_ONLY} has no infusion to count days from: leave day empty`, {
        file: sc.file,
        row: i + 1,
        field: 'day',
        value: s.day,
      });
  });
  for (const t of journey) {
    if (t && t.rows.length > 0)
      throw new InputError(`${IMAGING_ONLY} has no patient journey: ${basename(t.file)} must hold no rows`, {
        file: t.file,
        row: 1,
        field: t.columns[0] ?? 'patient_id',
      });
  }
}

function readToxicity(tx: CsvTable, knownPatient: PatientCheck): Toxicity[] {
  const toxicity: Toxicity[] = [];
  const seen = new Set<string>();
  tx.rows.forEach((_, i) => {
    const r = new RowReader(tx, i);
    const patientId = knownPatient(r);
    r.check(!seen.has(patientId), 'patient_id', 'duplicate toxicity row for this patient');
    seen.add(patientId);
    toxicity.push({
      patientId,
      crsGrade: r.number('crs_grade', true, { integer: true, min: 0, max: 5 }),
      icansGrade: r.number('icans_grade', true, { integer: true, min: 0, max: 5 }),
      tocilizumab: r.yesNo('tocilizumab', false),
      steroids: r.yesNo('steroids', false),
    });
  });
  return toxicity;
}

/** qpcr.csv: raw wells; copies per cell are computed at import (src/assays/qpcr-study.ts). */
function readQpcr(qp: CsvTable, knownPatient: PatientCheck): QpcrWell[] {
  return qp.rows.map((_, i) => {
    const r = new RowReader(qp, i);
    const role = r.enumValue('role', ['standard', 'sample'] as const, true);
    const ctRaw = r.raw('ct');
    const undetermined = ctRaw === '' || /^(undetermined|nd|na)$/i.test(ctRaw);
    const ct = undetermined ? NaN : r.number('ct', true, { min: 0, max: 60 });
    return {
      row: i + 1,
      plate: r.requiredString('plate'),
      role,
      target: r.requiredString('target'),
      quantity: role === 'standard' ? r.number('quantity', true, { min: Number.MIN_VALUE }) : null,
      patientId: role === 'sample' ? knownPatient(r) : null,
      day: role === 'sample' ? r.number('day', true) : null,
      ct,
    };
  });
}

/** flow.csv: FCS files with their gating, inside the bundle or a data root; phenotyped at import. */
function readFlow(fl: CsvTable, knownPatient: PatientCheck, paths: BundlePaths): FlowFileRow[] {
  return fl.rows.map((_, i) => {
    const r = new RowReader(fl, i);
    return {
      row: i + 1,
      patientId: knownPatient(r),
      day: r.number('day', true),
      file: r.path('file', paths, true),
      gating: r.path('gating', paths, true),
      sample: r.optionalString('sample'),
      dataSet: r.number('data_set', false, { integer: true, min: 0 }) ?? 0,
    };
  });
}

/**
 * Reads and validates a study bundle folder.
 *
 * @param dirIn - bundle folder (relative to the working directory or absolute)
 * @param today - the date bounding plausible journey dates (today + 1 year; default: now)
 * @param opts - pacsUrl: DICOMweb server of `dicomweb:` scans, overriding study.json `pacs.url` (checked
 *   by the caller, e.g. `parsePacsUrl` of `--pacs`)
 * @returns the validated records, with absolute paths and days relative to infusion
 * @throws InputError naming file, row and column for any invalid cell, unknown key in study.json or
 *   unknown column (with the nearest known one), unknown reference, missing file, path outside the
 *   bundle and its data roots, duplicate ID, a patient without exactly one infusion, or a journey out of
 *   order (nothing after death; a day and a date that disagree; an implausible date)
 */
export function readBundle(
  dirIn: string,
  today: Date = new Date(),
  opts: { pacsUrl?: string } = {},
): StudyBundle {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError('study bundle folder not found', { file: dir });
  }
  const { dataRoots, pacsUrl: studyPacsUrl, ...head } = readStudyJson(dir);
  const paths = new BundlePaths(dir, dataRoots);
  paths.checkOwnFile(join(dir, 'study.json'));
  const table = (spec: TableSpec): CsvTable => readTable(dir, spec, { paths })!;
  const optionalTable = (spec: TableSpec): CsvTable | null => readTable(dir, spec, { paths, optional: true });

  const { patients, notInfused } = readPatients(table(TABLES.patients), today);
  const patientIds = new Set(patients.map((p) => p.patientId));
  const notInfusedStage = new Map(notInfused.map((p) => [p.patientId, p.stage]));
  const knownPatient: PatientCheck = (r, column = 'patient_id') => {
    const id = r.requiredString(column);
    const stage = notInfusedStage.get(id);
    if (stage !== undefined)
      r.fail(
        column,
        `patient was not infused (consort_stage ${stage} in patients.csv): only infused patients have rows here`,
        id,
      );
    r.check(patientIds.has(id), column, 'unknown patient (not in patients.csv)');
    return id;
  };
  const sc = table(TABLES.scans);
  const pacsUrl = opts.pacsUrl ?? studyPacsUrl;
  const scans = readScans(sc, knownPatient, paths, pacsUrl);
  const scanById = new Map(scans.map((s) => [s.scanId, s]));
  const imagingOnly = head.settings.imagingOnly === true;
  if (imagingOnly)
    checkImagingOnly(sc, scans, [
      optionalTable(TABLES.events),
      optionalTable(TABLES.toxicity),
      optionalTable(TABLES.adverseEvents),
    ]);
  const events = imagingOnly
    ? []
    : readEvents(table(TABLES.events), knownPatient, [...patientIds], scanById, today);
  checkNotAfterDeath(
    sc.file,
    scans.map((s, i) => ({ patientId: s.patientId, day: s.day, row: i + 1 })),
    events,
  );
  const vois = readVois(table(TABLES.vois), new Set(scanById.keys()), paths);
  const toxicity = imagingOnly ? [] : readToxicity(table(TABLES.toxicity), knownPatient);
  const ae = optionalTable(TABLES.adverseEvents);
  const adverseEvents = ae && !imagingOnly ? readAdverseEvents(ae, knownPatient, events, today) : [];

  // Optional tables.
  const labs: LabValue[] = [];
  const lb = optionalTable(TABLES.labs);
  lb?.rows.forEach((_, i) => {
    const r = new RowReader(lb, i);
    labs.push({
      patientId: knownPatient(r),
      day: r.number('day', true),
      analyte: r.requiredString('analyte'),
      value: r.number('value', true),
    });
  });
  if (lb) {
    checkNotAfterDeath(
      lb.file,
      labs.map((l, i) => ({ ...l, row: i + 1 })),
      events,
    );
  }
  const biopsies: Biopsy[] = [];
  const bx = optionalTable(TABLES.biopsies);
  bx?.rows.forEach((_, i) => {
    const r = new RowReader(bx, i);
    biopsies.push({
      patientId: knownPatient(r),
      lesionId: r.id('lesion_id'),
      cd8Percent: r.number('cd8_percent', true, { min: 0, max: 100 }),
    });
  });
  const lesionOutcomes = readLesionOutcomes(
    optionalTable(TABLES.lesionProgression),
    optionalTable(TABLES.radiotherapy),
    { knownPatient, vois, scans, events, patients, imagingOnly },
  );
  const qp = optionalTable(TABLES.qpcr);
  const qpcrWells = qp ? readQpcr(qp, knownPatient) : [];
  const ck = optionalTable(TABLES.cytokines);
  const cytokineWells = ck ? cytokineWellsOf(ck, knownPatient) : [];
  const cx = optionalTable(TABLES.cytotoxicity);
  const lysisWells = cx ? lysisWellsOf(cx, knownPatient) : [];
  for (const [t, wells] of [
    [qp, qpcrWells],
    [ck, cytokineWells],
    [cx, lysisWells],
  ] as const) {
    if (t)
      checkNotAfterDeath(
        t.file,
        wells.filter((w): w is typeof w & { patientId: string } => w.patientId !== null),
        events,
      );
  }

  const fl = optionalTable(TABLES.flow);
  if (fl && fl.rows.length > 0 && head.flow === null) {
    throw new InputError('flow.csv is present but study.json has no "flow" block (populations, markers)', {
      file: join(dir, 'study.json'),
      field: 'flow',
    });
  }
  const flowFiles = fl ? readFlow(fl, knownPatient, paths) : [];
  if (fl) checkNotAfterDeath(fl.file, flowFiles, events);

  return {
    dir,
    dataRoots,
    pacsUrl,
    ...head,
    patients,
    notInfused,
    events,
    scans,
    vois,
    toxicity,
    labs,
    biopsies,
    adverseEvents,
    lesionOutcomes,
    qpcrWells,
    cytokineWells,
    lysisWells,
    flowFiles,
  };
}
