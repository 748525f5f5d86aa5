/**
 * The study store's tables (Kysely row types) and migrations. One code path for SQLite (embedded
 * default) and PostgreSQL: column kinds are limited to text, integer and double precision; booleans
 * are stored as 0/1 integers; dates as ISO `YYYY-MM-DD` text; JSON as text.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export interface StudyTable {
  study_id: string;
  name: string;
  tracer_name: string;
  nuclide: string;
  half_life_s: number;
  settings_json: string;
  /** SHA-256 over study.json, the tables and every referenced image and mask file. */
  content_hash: string;
  imported_at: string;
}

export interface PatientTable {
  study_id: string;
  patient_id: string;
  cohort: string;
  age: number;
  sex: string;
  weight_kg: number | null;
  histology: string;
  stage: string | null;
  cns_involvement: number | null;
  ecog: number | null;
  previous_lines: number | null;
  primary_refractory: number | null;
  prior_asct: number | null;
  bridging: string;
  product: string | null;
}

export interface EventTable {
  study_id: string;
  seq: number;
  patient_id: string;
  event: string;
  day: number;
  date: string | null;
  bridging_type: string | null;
  activity_mbq: number | null;
  scan_id: string | null;
  lugano: string | null;
  death_cause: string | null;
}

export interface ScanTable {
  study_id: string;
  scan_id: string;
  patient_id: string;
  tracer: string;
  timepoint: string;
  day: number | null;
  path: string;
  format: string;
  /** SUV provenance (no identifiers): units of the source, decay correction, SUV type. */
  suv_units: string | null;
  decay_correction: string | null;
  suv_type: string | null;
  grid_json: string | null;
}

export interface VoiTable {
  study_id: string;
  voi_id: string;
  scan_id: string;
  kind: string;
  label: string;
  lesion_id: string | null;
  site: string | null;
  irradiated: number | null;
  mask_path: string;
  mask_label: number | null;
  roi_name: string | null;
  voxel_count: number;
  volume_ml: number;
  suv_min: number;
  suv_max: number;
  suv_mean: number;
  suv_median: number;
  suv_sd: number;
  suv_peak_local: number;
  suv_peak_global: number;
  matv_ml: number;
}

export interface ToxicityTable {
  study_id: string;
  patient_id: string;
  crs_grade: number;
  icans_grade: number;
  tocilizumab: number | null;
  steroids: number | null;
}

export interface LabTable {
  study_id: string;
  seq: number;
  patient_id: string;
  day: number;
  analyte: string;
  value: number;
}

export interface BiopsyTable {
  study_id: string;
  seq: number;
  patient_id: string;
  lesion_id: string;
  cd8_percent: number;
}

export interface QpcrCurveTable {
  study_id: string;
  plate: string;
  target: string;
  slope: number;
  intercept: number;
  r_squared: number;
  efficiency_percent: number;
  n: number;
  acceptable: number;
}

export interface QpcrSampleTable {
  study_id: string;
  seq: number;
  plate: string;
  target: string;
  patient_id: string;
  day: number;
  mean_ct: number | null;
  sd_ct: number | null;
  n_used: number;
  n_flagged: number;
  copies_per_ul: number | null;
}

/** Detail rows of the raw lab assays (flow gates, cytokine curves …): one JSON record per row. */
export interface AssayRecordTable {
  study_id: string;
  /** Which list of `LabAssays` the row belongs to (e.g. 'flowGates'). */
  kind: string;
  seq: number;
  /** The row's patient and day when it has them (for queries), else null. */
  patient_id: string | null;
  day: number | null;
  /** The row as JSON (a non-finite number as `{"$number": "NaN"}`, `"Infinity"` or `"-Infinity"`). */
  data_json: string;
}

/** A patient of the bundle who was not infused (patients.csv `consort_stage`; docs/study-bundle.md). */
export interface NotInfusedPatientTable {
  study_id: string;
  patient_id: string;
  cohort: string;
  /** referred | accepted | apheresed */
  consort_stage: string;
  dropout_reason: string | null;
  dropout_date: string | null;
}

/** The study store's database, as Kysely sees it. */
export interface StudyDatabase {
  assay_record: AssayRecordTable;
  qpcr_curve: QpcrCurveTable;
  qpcr_sample: QpcrSampleTable;
  study: StudyTable;
  patient: PatientTable;
  not_infused_patient: NotInfusedPatientTable;
  event: EventTable;
  scan: ScanTable;
  voi: VoiTable;
  toxicity: ToxicityTable;
  lab: LabTable;
  biopsy: BiopsyTable;
}

/** Migrations of the study store, in order (Kysely sorts them by name). */
export const studyMigrations: Record<string, Migration> = {
  '0001_study_store': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('study')
        .addColumn('study_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('tracer_name', 'text', (c) => c.notNull())
        .addColumn('nuclide', 'text', (c) => c.notNull())
        .addColumn('half_life_s', 'double precision', (c) => c.notNull())
        .addColumn('settings_json', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('imported_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('patient')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('cohort', 'text', (c) => c.notNull())
        .addColumn('age', 'double precision', (c) => c.notNull())
        .addColumn('sex', 'text', (c) => c.notNull())
        .addColumn('weight_kg', 'double precision')
        .addColumn('histology', 'text', (c) => c.notNull())
        .addColumn('stage', 'text')
        .addColumn('cns_involvement', 'integer')
        .addColumn('ecog', 'integer')
        .addColumn('previous_lines', 'integer')
        .addColumn('primary_refractory', 'integer')
        .addColumn('prior_asct', 'integer')
        .addColumn('bridging', 'text', (c) => c.notNull())
        .addColumn('product', 'text')
        .addPrimaryKeyConstraint('patient_pk', ['study_id', 'patient_id'])
        .execute();
      await db.schema
        .createTable('event')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('day', 'double precision', (c) => c.notNull())
        .addColumn('date', 'text')
        .addColumn('bridging_type', 'text')
        .addColumn('activity_mbq', 'double precision')
        .addColumn('scan_id', 'text')
        .addColumn('lugano', 'text')
        .addColumn('death_cause', 'text')
        .addPrimaryKeyConstraint('event_pk', ['study_id', 'seq'])
        .execute();
      await db.schema
        .createTable('scan')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('tracer', 'text', (c) => c.notNull())
        .addColumn('timepoint', 'text', (c) => c.notNull())
        .addColumn('day', 'double precision')
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('suv_units', 'text')
        .addColumn('decay_correction', 'text')
        .addColumn('suv_type', 'text')
        .addColumn('grid_json', 'text')
        .addPrimaryKeyConstraint('scan_pk', ['study_id', 'scan_id'])
        .execute();
      await db.schema
        .createTable('voi')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('voi_id', 'text', (c) => c.notNull())
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('lesion_id', 'text')
        .addColumn('site', 'text')
        .addColumn('irradiated', 'integer')
        .addColumn('mask_path', 'text', (c) => c.notNull())
        .addColumn('mask_label', 'integer')
        .addColumn('roi_name', 'text')
        .addColumn('voxel_count', 'integer', (c) => c.notNull())
        .addColumn('volume_ml', 'double precision', (c) => c.notNull())
        .addColumn('suv_min', 'double precision', (c) => c.notNull())
        .addColumn('suv_max', 'double precision', (c) => c.notNull())
        .addColumn('suv_mean', 'double precision', (c) => c.notNull())
        .addColumn('suv_median', 'double precision', (c) => c.notNull())
        .addColumn('suv_sd', 'double precision', (c) => c.notNull())
        .addColumn('suv_peak_local', 'double precision', (c) => c.notNull())
        .addColumn('suv_peak_global', 'double precision', (c) => c.notNull())
        .addColumn('matv_ml', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('voi_pk', ['study_id', 'voi_id'])
        .execute();
      await db.schema
        .createTable('toxicity')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('crs_grade', 'integer', (c) => c.notNull())
        .addColumn('icans_grade', 'integer', (c) => c.notNull())
        .addColumn('tocilizumab', 'integer')
        .addColumn('steroids', 'integer')
        .addPrimaryKeyConstraint('toxicity_pk', ['study_id', 'patient_id'])
        .execute();
      await db.schema
        .createTable('lab')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('day', 'double precision', (c) => c.notNull())
        .addColumn('analyte', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('lab_pk', ['study_id', 'seq'])
        .execute();
      await db.schema
        .createTable('biopsy')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('lesion_id', 'text', (c) => c.notNull())
        .addColumn('cd8_percent', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('biopsy_pk', ['study_id', 'seq'])
        .execute();
      await sql`create index voi_scan on voi (study_id, scan_id)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['biopsy', 'lab', 'toxicity', 'voi', 'scan', 'event', 'patient', 'study']) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  '0002_qpcr': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('qpcr_curve')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('plate', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('slope', 'double precision', (c) => c.notNull())
        .addColumn('intercept', 'double precision', (c) => c.notNull())
        .addColumn('r_squared', 'double precision', (c) => c.notNull())
        .addColumn('efficiency_percent', 'double precision', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('acceptable', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('qpcr_curve_pk', ['study_id', 'plate', 'target'])
        .execute();
      await db.schema
        .createTable('qpcr_sample')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('plate', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('day', 'double precision', (c) => c.notNull())
        .addColumn('mean_ct', 'double precision')
        .addColumn('sd_ct', 'double precision')
        .addColumn('n_used', 'integer', (c) => c.notNull())
        .addColumn('n_flagged', 'integer', (c) => c.notNull())
        .addColumn('copies_per_ul', 'double precision')
        .addPrimaryKeyConstraint('qpcr_sample_pk', ['study_id', 'seq'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('qpcr_sample').execute();
      await db.schema.dropTable('qpcr_curve').execute();
    },
  },
  '0003_lab_assays': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('assay_record')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('patient_id', 'text')
        .addColumn('day', 'double precision')
        .addColumn('data_json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('assay_record_pk', ['study_id', 'kind', 'seq'])
        .execute();
      await db.schema
        .createIndex('assay_record_patient')
        .on('assay_record')
        .columns(['study_id', 'patient_id', 'day'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('assay_record').execute();
    },
  },
  '0004_not_infused': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('not_infused_patient')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('cohort', 'text', (c) => c.notNull())
        .addColumn('consort_stage', 'text', (c) => c.notNull())
        .addColumn('dropout_reason', 'text')
        .addColumn('dropout_date', 'text')
        .addPrimaryKeyConstraint('not_infused_patient_pk', ['study_id', 'patient_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('not_infused_patient').execute();
    },
  },
};
