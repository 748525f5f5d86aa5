/**
 * The study tables (Kysely row types); their migrations are in src/store/migrations/ (docs/database.md).
 * One code path for SQLite (embedded default) and PostgreSQL: column kinds are limited to text, integer and double precision; booleans
 * are stored as 0/1 integers; dates as ISO `YYYY-MM-DD` text; JSON as text.
 */
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
  /** Absolute bundle folder the study was imported from (migration 0007; null for older imports). */
  bundle_dir: string | null;
  /** JSON array of the bundle's real absolute `dataRoots` (migration 0007; null for older imports). */
  data_roots_json: string | null;
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
  /** The scan's id in the API, unique across studies: `scanUid(study_id, scan_id)` (src/store/ids.ts). */
  uid: string;
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

/** A CTCAE adverse event (adverse_events.csv; migration 0009). */
export interface AdverseEventTable {
  study_id: string;
  seq: number;
  patient_id: string;
  ctcae_term: string;
  grade: number;
  onset_day: number;
  onset_date: string | null;
  /** tracer | car-t | other | unrelated */
  attribution: string;
  tracer_injection_day: number | null;
  tracer_scan_id: string | null;
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

/**
 * One `carto run` of a study (migration 0008): the report's results.json, kept so that a server on
 * another machine can serve it. The latest run of a study is the one with the latest `finished_at`.
 */
export interface AnalysisRunTable {
  run_id: string;
  study_id: string;
  /** ISO 8601 UTC time the report was complete. */
  finished_at: string;
  /** Content hash of the study the run analysed (`StudyTable.content_hash`). */
  content_hash: string;
  /** results.json as written into the report folder (docs/results.schema.json). */
  results_json: string;
}

/** A table (`tables/<id>.csv`) or figure (`figures/<id>.svg`) of an analysis run's report folder. */
export interface AnalysisFileTable {
  run_id: string;
  /** 'table' | 'figure' */
  kind: string;
  /** The table's or figure's id (the file name without its extension). */
  file_id: string;
  /** 'text/csv' or 'image/svg+xml'. */
  media_type: string;
  content: string;
}

/** State of one scan's quantification job (migration 0009; src/pipeline/scan-job.ts). */
export interface ScanJobTable {
  study_id: string;
  scan_id: string;
  /** SHA-256 of the scan's content, the quantification settings and the code version. */
  job_key: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  error: string | null;
  /** The job's input (`ScanJobSpec`), paths relative to the bundle folder. */
  spec_json: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/**
 * The image data of a scan's pictures (migration 0012; src/pipeline/panels.ts): kind 'mip' or 'fused',
 * the geometry and array layout as JSON, the arrays as bytes (BLOB / bytea).
 */
export interface ScanProjectionTable {
  study_id: string;
  scan_id: string;
  kind: string;
  meta_json: string;
  data: Uint8Array;
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
  adverse_event: AdverseEventTable;
  lab: LabTable;
  biopsy: BiopsyTable;
  analysis_run: AnalysisRunTable;
  analysis_file: AnalysisFileTable;
  scan_job: ScanJobTable;
  scan_projection: ScanProjectionTable;
}
