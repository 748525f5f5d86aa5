/**
 * Study bundle v1 reader and validator (format: docs/study-bundle.md).
 *
 * `readBundle(dir)` reads `study.json` and the CSV tables, validates every cell against the schema
 * and every cross-reference (patient, scan, file paths), converts dates to days relative to each
 * patient's infusion, and returns typed records. It writes nothing. Every error is an InputError
 * naming the file, the 1-based data row and the column, with the offending value.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { readCsv, type CsvTable } from '../io/csv.js';
import type { QpcrWell } from '../assays/qpcr-study.js';
import type { CytokineWell } from '../assays/cytokine-study.js';
import type { LysisWell } from '../assays/lysis-study.js';
import { FLOW_MARKERS, type FlowStudySettings } from '../flow/study.js';
import type {
  Biopsy,
  Bridging,
  EventKind,
  LabValue,
  Lugano,
  Patient,
  PatientEvent,
  Scan,
  StudySettings,
  Toxicity,
  Tracer,
  Voi,
} from './model.js';

/** A validated bundle: the study's records, before quantification. */
export interface StudyBundle {
  /** Absolute path of the bundle folder. */
  dir: string;
  name: string;
  tracer: Tracer;
  settings: StudySettings;
  patients: Patient[];
  events: PatientEvent[];
  scans: Scan[];
  vois: Voi[];
  toxicity: Toxicity[];
  labs: LabValue[];
  biopsies: Biopsy[];
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

/** Defaults of `study.json` `analysis` (docs/study-bundle.md). */
export const DEFAULT_SETTINGS: StudySettings = {
  suvPeak: 'global',
  excludeEbvPositive: true,
  matvThresholdSuv: 2.5,
  qpcrReferenceTarget: 'GATA2',
};

/** Schema of `study.json` `flow` (docs/study-bundle.md "Flow cytometry"), also read by `carto fcs phenotype`. */
export const flowSettingsSchema = z
  .object({
    compensate: z.boolean().default(true),
    cd4Gate: z.string().min(1).optional(),
    cd8Gate: z.string().min(1).optional(),
    populations: z
      .array(z.object({ label: z.string().regex(/^[a-z0-9_]+$/), gate: z.string().min(1) }).strict())
      .default([]),
    markers: z
      .partialRecord(
        z.enum(FLOW_MARKERS),
        z.object({ channel: z.string().min(1), threshold: z.number().refine(Number.isFinite) }).strict(),
      )
      .default({}),
    mfi: z.array(z.enum(FLOW_MARKERS)).default([]),
  })
  .strict()
  .refine((f) => (f.cd4Gate === undefined) === (f.cd8Gate === undefined), {
    message: 'cd4Gate and cd8Gate go together (the CD4/CD8 ratio needs both)',
    path: ['cd4Gate'],
  })
  .refine((f) => f.mfi.every((m) => f.markers[m] !== undefined), {
    message: 'every mfi marker needs a channel in flow.markers',
    path: ['mfi'],
  })
  .refine((f) => (f.markers.CD45RA === undefined) === (f.markers.CCR7 === undefined), {
    message: 'memory subsets need both CD45RA and CCR7',
    path: ['markers'],
  });

/** The validated `flow` block as the flow phenotyping takes it (defaults filled in). */
export function toFlowSettings(f: z.infer<typeof flowSettingsSchema>): FlowStudySettings {
  return {
    compensate: f.compensate,
    cd4Gate: f.cd4Gate ?? null,
    cd8Gate: f.cd8Gate ?? null,
    populations: f.populations,
    markers: f.markers,
    mfi: f.mfi,
  };
}

const studyJsonSchema = z.object({
  name: z.string().min(1),
  tracer: z.object({
    name: z.string().min(1),
    nuclide: z.string().min(1),
    halfLifeS: z.number().positive(),
  }),
  analysis: z
    .object({
      suvPeak: z.enum(['global', 'local']).optional(),
      excludeEbvPositive: z.boolean().optional(),
      matvThresholdSuv: z.number().positive().optional(),
      qpcrReferenceTarget: z.string().min(1).optional(),
      cytokineCurveModel: z.enum(['3pl', '4pl', '5pl']).optional(),
      cytokineBelowLloq: z.enum(['half-lloq', 'lloq', 'omit']).optional(),
    })
    .passthrough()
    .optional(),
  flow: flowSettingsSchema.optional(),
});

const ID_RE = /^[A-Za-z0-9_.-]+$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Cell readers: each returns the typed value or throws an InputError naming file/row/column. */
class RowReader {
  constructor(
    private readonly table: CsvTable,
    private readonly rowIndex: number,
  ) {}

  private get row(): Record<string, string> {
    return this.table.rows[this.rowIndex]!;
  }

  private fail(column: string, message: string, value?: string): never {
    throw new InputError(message, {
      file: this.table.file,
      row: this.rowIndex + 1,
      field: column,
      ...(value !== undefined ? { value } : {}),
    });
  }

  raw(column: string): string {
    return this.row[column] ?? '';
  }

  has(column: string): boolean {
    const v = this.raw(column);
    return v !== '' && v !== 'NA';
  }

  requiredString(column: string): string {
    if (!this.has(column)) this.fail(column, 'required value is missing');
    return this.raw(column);
  }

  optionalString(column: string): string | null {
    return this.has(column) ? this.raw(column) : null;
  }

  id(column: string): string {
    const v = this.requiredString(column);
    if (!ID_RE.test(v)) this.fail(column, 'IDs may contain only letters, digits, ".", "-" and "_"', v);
    return v;
  }

  number(column: string, required: true, opts?: { integer?: boolean; min?: number; max?: number }): number;
  number(
    column: string,
    required: false,
    opts?: { integer?: boolean; min?: number; max?: number },
  ): number | null;
  number(
    column: string,
    required: boolean,
    opts: { integer?: boolean; min?: number; max?: number } = {},
  ): number | null {
    if (!this.has(column)) {
      if (required) this.fail(column, 'required number is missing');
      return null;
    }
    const s = this.raw(column);
    const v = Number(s);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || !Number.isFinite(v)) {
      this.fail(column, 'not a number', s);
    }
    if (opts.integer && !Number.isInteger(v)) this.fail(column, 'not a whole number', s);
    if (opts.min !== undefined && v < opts.min) this.fail(column, `must be ≥ ${opts.min}`, s);
    if (opts.max !== undefined && v > opts.max) this.fail(column, `must be ≤ ${opts.max}`, s);
    return v;
  }

  enumValue<T extends string>(column: string, allowed: readonly T[], required: true): T;
  enumValue<T extends string>(column: string, allowed: readonly T[], required: false): T | null;
  enumValue<T extends string>(column: string, allowed: readonly T[], required: boolean): T | null {
    if (!this.has(column)) {
      if (required) this.fail(column, `required value is missing (one of ${allowed.join(', ')})`);
      return null;
    }
    const v = this.raw(column);
    if (!(allowed as readonly string[]).includes(v)) {
      this.fail(column, `must be one of ${allowed.join(', ')}`, v);
    }
    return v as T;
  }

  yesNo(column: string, required: boolean): boolean | null {
    const v = required
      ? this.enumValue(column, ['yes', 'no'] as const, true)
      : this.enumValue(column, ['yes', 'no'] as const, false);
    return v === null ? null : v === 'yes';
  }

  date(column: string): string | null {
    if (!this.has(column)) return null;
    const v = this.raw(column);
    if (!DATE_RE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
      this.fail(column, 'not an ISO date YYYY-MM-DD', v);
    }
    const back = new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10);
    if (back !== v) this.fail(column, 'not a calendar date', v);
    return v;
  }

  path(column: string, bundleDir: string, required: true): string;
  path(column: string, bundleDir: string, required: false): string | null;
  path(column: string, bundleDir: string, required: boolean): string | null {
    if (!this.has(column)) {
      if (required) this.fail(column, 'required path is missing');
      return null;
    }
    const v = this.raw(column);
    const p = isAbsolute(v) ? v : resolve(bundleDir, v);
    if (!existsSync(p)) this.fail(column, `file or folder not found: ${p}`, v);
    return p;
  }

  check(condition: boolean, column: string, message: string): void {
    if (!condition) this.fail(column, message, this.raw(column));
  }
}

function requireColumns(table: CsvTable, required: string[]): void {
  for (const c of required) {
    if (!table.columns.includes(c)) {
      throw new InputError(`required column is missing from the header`, {
        file: table.file,
        row: 0,
        field: c,
      });
    }
  }
}

function readTable(dir: string, name: string, required: string[], optional = false): CsvTable | null {
  const file = join(dir, name);
  if (!existsSync(file)) {
    if (optional) return null;
    throw new InputError('required table is missing from the bundle', { file });
  }
  const table = readCsv(file);
  requireColumns(table, required);
  return table;
}

const EVENT_KINDS: readonly EventKind[] = [
  'apheresis',
  'bridging',
  'lymphodepletion',
  'infusion',
  'tracer_injection',
  'response',
  'progression',
  'death',
  'last_follow_up',
];
const BRIDGING: readonly Bridging[] = ['none', 'radiotherapy', 'systemic', 'combination'];
const LUGANO: readonly Lugano[] = ['CR', 'PR', 'SD', 'PD'];

function readStudyJson(dir: string): Pick<StudyBundle, 'name' | 'tracer' | 'settings' | 'flow'> {
  const file = join(dir, 'study.json');
  if (!existsSync(file)) throw new InputError('study.json is missing from the bundle', { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const parsed = studyJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    let value: unknown = raw;
    for (const k of issue.path)
      value = (value as Record<string | number, unknown> | undefined)?.[k as string];
    throw new InputError(issue.message, { file, field, ...(value !== undefined ? { value } : {}) });
  }
  const s = parsed.data;
  return {
    name: s.name,
    tracer: { name: s.tracer.name, nuclide: s.tracer.nuclide, halfLifeS: s.tracer.halfLifeS },
    settings: { ...DEFAULT_SETTINGS, ...(s.analysis ?? {}) },
    flow: s.flow ? toFlowSettings(s.flow) : null,
  };
}

const CYTOKINE_COLUMNS = ['plate', 'role', 'analyte', 'signal'];
const LYSIS_COLUMNS = ['plate', 'target', 'role', 'cpm'];

/** A patient-ID check for a table cell: returns the ID or throws naming file, row and column. */
type PatientCheck = (r: RowReader, column?: string) => string;
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
 * @throws InputError naming file, row and column for a missing column or a bad cell
 */
export function readCytokineTable(file: string): CytokineWell[] {
  const table = readCsv(file);
  requireColumns(table, CYTOKINE_COLUMNS);
  return cytokineWellsOf(table, anyPatientId);
}

/**
 * Reads a cytotoxicity.csv outside a bundle (`carto assay cytotoxicity`): any well-formed patient ID is accepted.
 * @throws InputError naming file, row and column for a missing column or a bad cell
 */
export function readCytotoxicityTable(file: string): LysisWell[] {
  const table = readCsv(file);
  requireColumns(table, LYSIS_COLUMNS);
  return lysisWellsOf(table, anyPatientId);
}

/**
 * Reads and validates a study bundle folder.
 *
 * @param dirIn - bundle folder (relative to the working directory or absolute)
 * @returns the validated records, with absolute paths and days relative to infusion
 * @throws InputError naming file, row and column for any invalid cell, unknown reference, missing
 *   file, duplicate ID, or a patient without exactly one infusion
 */
export function readBundle(dirIn: string): StudyBundle {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError('study bundle folder not found', { file: dir });
  }
  const head = readStudyJson(dir);

  // patients.csv
  const pt = readTable(dir, 'patients.csv', ['patient_id', 'cohort', 'age', 'sex', 'histology', 'bridging'])!;
  const patients: Patient[] = [];
  const patientIds = new Set<string>();
  pt.rows.forEach((_, i) => {
    const r = new RowReader(pt, i);
    const patientId = r.id('patient_id');
    r.check(!patientIds.has(patientId), 'patient_id', 'duplicate patient_id');
    patientIds.add(patientId);
    patients.push({
      patientId,
      cohort: r.requiredString('cohort'),
      age: r.number('age', true, { min: 0, max: 120 }),
      sex: r.enumValue('sex', ['M', 'F'] as const, true),
      weightKg: r.number('weight_kg', false, { min: 1, max: 400 }),
      histology: r.requiredString('histology'),
      stage: r.optionalString('stage'),
      cnsInvolvement: r.yesNo('cns_involvement', false),
      ecog: r.number('ecog', false, { integer: true, min: 0, max: 4 }),
      previousLines: r.number('previous_lines', false, { integer: true, min: 0 }),
      primaryRefractory: r.yesNo('primary_refractory', false),
      priorAsct: r.yesNo('prior_asct', false),
      bridging: r.enumValue('bridging', BRIDGING, true),
      product: r.optionalString('product'),
    });
  });
  const knownPatient = (r: RowReader, column = 'patient_id'): string => {
    const id = r.requiredString(column);
    r.check(patientIds.has(id), column, 'unknown patient (not in patients.csv)');
    return id;
  };

  // scans.csv
  const sc = readTable(dir, 'scans.csv', ['scan_id', 'patient_id', 'tracer', 'timepoint', 'path', 'format'])!;
  const scans: Scan[] = [];
  const scanById = new Map<string, Scan>();
  sc.rows.forEach((_, i) => {
    const r = new RowReader(sc, i);
    const scanId = r.id('scan_id');
    r.check(!scanById.has(scanId), 'scan_id', 'duplicate scan_id');
    const scan: Scan = {
      scanId,
      patientId: knownPatient(r),
      tracer: r.requiredString('tracer'),
      timepoint: r.requiredString('timepoint'),
      day: r.number('day', false),
      path: r.path('path', dir, true),
      format: r.enumValue('format', ['dicom', 'nifti-suv'] as const, true),
    };
    if (scan.format === 'dicom') {
      r.check(statSync(scan.path).isDirectory(), 'path', 'a dicom scan must point at a series folder');
    } else {
      r.check(/\.nii(\.gz)?$/.test(scan.path), 'path', 'a nifti-suv scan must be a .nii or .nii.gz file');
    }
    scans.push(scan);
    scanById.set(scanId, scan);
  });

  // events.csv
  const ev = readTable(dir, 'events.csv', ['patient_id', 'event'])!;
  if (!ev.columns.includes('date') && !ev.columns.includes('day')) {
    throw new InputError('events.csv needs a date or a day column', { file: ev.file, row: 0, field: 'date' });
  }
  interface RawEvent extends Omit<PatientEvent, 'day'> {
    day: number | null;
    row: number;
  }
  const rawEvents: RawEvent[] = [];
  ev.rows.forEach((_, i) => {
    const r = new RowReader(ev, i);
    const patientId = knownPatient(r);
    const event = r.enumValue('event', EVENT_KINDS, true);
    const date = r.date('date');
    const day = r.number('day', false);
    if (date === null && day === null) r.check(false, 'day', 'each event needs a date or a day');
    const e: RawEvent = {
      patientId,
      event,
      date,
      day,
      row: i,
      bridgingType: null,
      activityMbq: null,
      scanId: null,
      lugano: null,
      deathCause: null,
    };
    if (event === 'bridging') {
      e.bridgingType = r.enumValue(
        'bridging_type',
        ['radiotherapy', 'systemic', 'combination'] as const,
        true,
      );
    }
    if (event === 'tracer_injection') {
      e.activityMbq = r.number('activity_mbq', true, { min: 0 });
      if (r.has('scan_id')) {
        const s = r.requiredString('scan_id');
        r.check(scanById.has(s), 'scan_id', 'unknown scan (not in scans.csv)');
        r.check(scanById.get(s)!.patientId === patientId, 'scan_id', 'scan belongs to another patient');
        e.scanId = s;
      }
    }
    if (event === 'response') e.lugano = r.enumValue('lugano', LUGANO, true);
    if (event === 'death') e.deathCause = r.enumValue('death_cause', ['lymphoma', 'other'] as const, true);
    rawEvents.push(e);
  });
  // Days relative to infusion.
  const infusion = new Map<string, RawEvent>();
  for (const e of rawEvents) {
    if (e.event !== 'infusion') continue;
    if (infusion.has(e.patientId)) {
      throw new InputError('patient has more than one infusion event', {
        file: ev.file,
        row: e.row + 1,
        field: 'event',
        value: e.patientId,
      });
    }
    infusion.set(e.patientId, e);
  }
  for (const p of patients) {
    if (!infusion.has(p.patientId)) {
      throw new InputError('patient has no infusion event', {
        file: ev.file,
        field: 'event',
        value: p.patientId,
      });
    }
    const hasEnd = rawEvents.some(
      (e) => e.patientId === p.patientId && (e.event === 'last_follow_up' || e.event === 'death'),
    );
    if (!hasEnd) {
      throw new InputError('patient has neither a last_follow_up nor a death event', {
        file: ev.file,
        field: 'event',
        value: p.patientId,
      });
    }
  }
  const events: PatientEvent[] = rawEvents.map((e) => {
    let day = e.day;
    if (day === null) {
      const inf = infusion.get(e.patientId)!;
      if (inf.date === null) {
        throw new InputError('event has a date but the infusion has only a day; give the infusion a date', {
          file: ev.file,
          row: e.row + 1,
          field: 'date',
          value: e.date,
        });
      }
      day = Math.round(
        (Date.parse(`${e.date!}T00:00:00Z`) - Date.parse(`${inf.date}T00:00:00Z`)) / 86_400_000,
      );
    }
    if (e.event === 'infusion' && day !== 0) {
      throw new InputError('the infusion is day 0 by definition', {
        file: ev.file,
        row: e.row + 1,
        field: 'day',
        value: day,
      });
    }
    const { row: _row, ...rest } = e;
    return { ...rest, day };
  });

  // vois.csv
  const vo = readTable(dir, 'vois.csv', ['scan_id', 'kind', 'label', 'mask_path'])!;
  const vois: Voi[] = [];
  const voiKeys = new Set<string>();
  vo.rows.forEach((_, i) => {
    const r = new RowReader(vo, i);
    const scanId = r.requiredString('scan_id');
    r.check(scanById.has(scanId), 'scan_id', 'unknown scan (not in scans.csv)');
    const kind = r.enumValue('kind', ['organ', 'lesion'] as const, true);
    const label = r.requiredString('label');
    const maskPath = r.path('mask_path', dir, true);
    const isRtstruct = !/\.(nii|nii\.gz|nrrd|nhdr)$/i.test(maskPath);
    const maskLabel = isRtstruct
      ? r.number('mask_label', false, { integer: true, min: 1 })
      : r.number('mask_label', true, { integer: true, min: 1 });
    const roiName = isRtstruct ? r.requiredString('roi_name') : r.optionalString('roi_name');
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
      maskPath,
      maskLabel,
      roiName,
    });
  });

  // toxicity.csv
  const tx = readTable(dir, 'toxicity.csv', ['patient_id', 'crs_grade', 'icans_grade'])!;
  const toxicity: Toxicity[] = [];
  const toxSeen = new Set<string>();
  tx.rows.forEach((_, i) => {
    const r = new RowReader(tx, i);
    const patientId = knownPatient(r);
    r.check(!toxSeen.has(patientId), 'patient_id', 'duplicate toxicity row for this patient');
    toxSeen.add(patientId);
    toxicity.push({
      patientId,
      crsGrade: r.number('crs_grade', true, { integer: true, min: 0, max: 5 }),
      icansGrade: r.number('icans_grade', true, { integer: true, min: 0, max: 5 }),
      tocilizumab: r.yesNo('tocilizumab', false),
      steroids: r.yesNo('steroids', false),
    });
  });

  // Optional tables.
  const labs: LabValue[] = [];
  const lb = readTable(dir, 'labs.csv', ['patient_id', 'day', 'analyte', 'value'], true);
  lb?.rows.forEach((_, i) => {
    const r = new RowReader(lb, i);
    labs.push({
      patientId: knownPatient(r),
      day: r.number('day', true),
      analyte: r.requiredString('analyte'),
      value: r.number('value', true),
    });
  });
  const biopsies: Biopsy[] = [];
  const bx = readTable(dir, 'biopsies.csv', ['patient_id', 'lesion_id', 'cd8_percent'], true);
  bx?.rows.forEach((_, i) => {
    const r = new RowReader(bx, i);
    biopsies.push({
      patientId: knownPatient(r),
      lesionId: r.id('lesion_id'),
      cd8Percent: r.number('cd8_percent', true, { min: 0, max: 100 }),
    });
  });

  // qpcr.csv (optional): raw wells; copies per cell are computed at import (src/assays/qpcr-study.ts).
  const qpcrWells: QpcrWell[] = [];
  const qp = readTable(dir, 'qpcr.csv', ['plate', 'role', 'target', 'ct'], true);
  qp?.rows.forEach((_, i) => {
    const r = new RowReader(qp, i);
    const role = r.enumValue('role', ['standard', 'sample'] as const, true);
    const ctRaw = r.raw('ct');
    const undetermined = ctRaw === '' || /^(undetermined|nd|na)$/i.test(ctRaw);
    const ct = undetermined ? NaN : r.number('ct', true, { min: 0, max: 60 });
    qpcrWells.push({
      row: i + 1,
      plate: r.requiredString('plate'),
      role,
      target: r.requiredString('target'),
      quantity: role === 'standard' ? r.number('quantity', true, { min: Number.MIN_VALUE }) : null,
      patientId: role === 'sample' ? knownPatient(r) : null,
      day: role === 'sample' ? r.number('day', true) : null,
      ct,
    });
  });

  // cytokines.csv and cytotoxicity.csv (optional): raw wells, processed at import (src/assays/*-study.ts).
  const ck = readTable(dir, 'cytokines.csv', CYTOKINE_COLUMNS, true);
  const cytokineWells = ck ? cytokineWellsOf(ck, knownPatient) : [];
  const cx = readTable(dir, 'cytotoxicity.csv', LYSIS_COLUMNS, true);
  const lysisWells = cx ? lysisWellsOf(cx, knownPatient) : [];

  // flow.csv (optional): FCS files with their gating; phenotyped at import (src/pipeline/flow.ts).
  const flowFiles: FlowFileRow[] = [];
  const fl = readTable(dir, 'flow.csv', ['patient_id', 'day', 'file', 'gating'], true);
  if (fl && fl.rows.length > 0 && head.flow === null) {
    throw new InputError('flow.csv is present but study.json has no "flow" block (populations, markers)', {
      file: join(dir, 'study.json'),
      field: 'flow',
    });
  }
  fl?.rows.forEach((_, i) => {
    const r = new RowReader(fl, i);
    flowFiles.push({
      row: i + 1,
      patientId: knownPatient(r),
      day: r.number('day', true),
      file: r.path('file', dir, true),
      gating: r.path('gating', dir, true),
      sample: r.optionalString('sample'),
      dataSet: r.number('data_set', false, { integer: true, min: 0 }) ?? 0,
    });
  });

  return {
    dir,
    ...head,
    patients,
    events,
    scans,
    vois,
    toxicity,
    labs,
    biopsies,
    qpcrWells,
    cytokineWells,
    lysisWells,
    flowFiles,
  };
}
