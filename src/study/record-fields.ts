/**
 * The one list of each study record's fields: which bundle column (docs/study-bundle.md) and which
 * store column (src/study/schema.ts; the same name) hold which field of the model (src/study/model.ts),
 * and how a yes/no flag is written in each (`yes`/`no` in the bundle's CSV, 1/0 in the database). The
 * virtual trial's writer (src/cli/simulated-bundle.ts), the store's writer (store-rows.ts, store.ts) and
 * its reader (`loadStudy`) all map records through these lists, so a field is named once. The bundle
 * reader (bundle.ts) keeps its own per-field validation (ranges, codes) and checks headers against
 * src/study/bundle-tables.ts. No I/O.
 */
import type {
  AdverseEvent,
  Biopsy,
  LabValue,
  NotInfusedPatient,
  Patient,
  PatientEvent,
  Scan,
  Toxicity,
  Voi,
} from './model.js';

/** One field of a record `R`: its column, its model key, and whether it is a yes/no flag. */
export interface RecordField<R> {
  column: string;
  key: keyof R & string;
  flag?: true;
}

/** A cell as the bundle writer and the store take it. */
export type Cell = string | number | null;

const fields = <R>(list: readonly (readonly [string, keyof R & string, 'flag'?])[]): RecordField<R>[] =>
  list.map(([column, key, flag]) => ({ column, key, ...(flag ? { flag: true as const } : {}) }));

/** patients.csv / `patient`: an infused patient (the CONSORT columns are `NOT_INFUSED_FIELDS`'). */
export const PATIENT_FIELDS = fields<Patient>([
  ['patient_id', 'patientId'],
  ['cohort', 'cohort'],
  ['age', 'age'],
  ['sex', 'sex'],
  ['weight_kg', 'weightKg'],
  ['histology', 'histology'],
  ['stage', 'stage'],
  ['cns_involvement', 'cnsInvolvement', 'flag'],
  ['ecog', 'ecog'],
  ['previous_lines', 'previousLines'],
  ['primary_refractory', 'primaryRefractory', 'flag'],
  ['prior_asct', 'priorAsct', 'flag'],
  ['bridging', 'bridging'],
  ['product', 'product'],
]);

/** patients.csv rows of a patient assessed but never infused / `not_infused_patient`. */
export const NOT_INFUSED_FIELDS = fields<NotInfusedPatient>([
  ['patient_id', 'patientId'],
  ['cohort', 'cohort'],
  ['consort_stage', 'stage'],
  ['dropout_reason', 'dropoutReason'],
  ['dropout_date', 'dropoutDate'],
]);

/** events.csv / `event` (the store adds `seq`, the row's order in the bundle). */
export const EVENT_FIELDS = fields<PatientEvent>([
  ['patient_id', 'patientId'],
  ['event', 'event'],
  ['date', 'date'],
  ['day', 'day'],
  ['bridging_type', 'bridgingType'],
  ['activity_mbq', 'activityMbq'],
  ['scan_id', 'scanId'],
  ['lugano', 'lugano'],
  ['death_cause', 'deathCause'],
]);

/** scans.csv / `scan`: the fields both hold (the bundle's `ct_path` and the PACS source are the bundle's). */
export const SCAN_FIELDS = fields<Scan>([
  ['scan_id', 'scanId'],
  ['patient_id', 'patientId'],
  ['tracer', 'tracer'],
  ['timepoint', 'timepoint'],
  ['day', 'day'],
  ['path', 'path'],
  ['format', 'format'],
]);

/** vois.csv / `voi`: a VOI's description (the store adds `voi_id` and the metrics). */
export const VOI_FIELDS = fields<Omit<Voi, 'voiId'>>([
  ['scan_id', 'scanId'],
  ['kind', 'kind'],
  ['label', 'label'],
  ['lesion_id', 'lesionId'],
  ['site', 'site'],
  ['irradiated', 'irradiated', 'flag'],
  ['mask_path', 'maskPath'],
  ['mask_label', 'maskLabel'],
  ['roi_name', 'roiName'],
]);

/** toxicity.csv / `toxicity`. */
export const TOXICITY_FIELDS = fields<Toxicity>([
  ['patient_id', 'patientId'],
  ['crs_grade', 'crsGrade'],
  ['icans_grade', 'icansGrade'],
  ['tocilizumab', 'tocilizumab', 'flag'],
  ['steroids', 'steroids', 'flag'],
]);

/** adverse_events.csv (the store adds the tracer injection day derived from the scan: `ADVERSE_EVENT_STORE_FIELDS`). */
export const ADVERSE_EVENT_FIELDS = fields<Omit<AdverseEvent, 'tracerInjectionDay'>>([
  ['patient_id', 'patientId'],
  ['ctcae_term', 'ctcaeTerm'],
  ['grade', 'grade'],
  ['onset_date', 'onsetDate'],
  ['onset_day', 'onsetDay'],
  ['attribution', 'attribution'],
  ['tracer_scan_id', 'tracerScanId'],
]);

/** `adverse_event` (the store adds `seq`). */
export const ADVERSE_EVENT_STORE_FIELDS = fields<AdverseEvent>([
  ...ADVERSE_EVENT_FIELDS.map((f) => [f.column, f.key] as const),
  ['tracer_injection_day', 'tracerInjectionDay'],
]);

/** labs.csv / `lab` (the store adds `seq`). */
export const LAB_FIELDS = fields<LabValue>([
  ['patient_id', 'patientId'],
  ['day', 'day'],
  ['analyte', 'analyte'],
  ['value', 'value'],
]);

/** biopsies.csv / `biopsy` (the store adds `seq`). */
export const BIOPSY_FIELDS = fields<Biopsy>([
  ['patient_id', 'patientId'],
  ['lesion_id', 'lesionId'],
  ['cd8_percent', 'cd8Percent'],
]);

function cell(v: unknown, column: string): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  throw new TypeError(`record field ${column}: expected text or a number, got ${typeof v}`);
}

/**
 * A record as a bundle CSV row: column → cell, flags as `yes`/`no`, absent values empty (null).
 * @throws TypeError when a field that is not a flag holds something other than text or a number
 */
export function toBundleRow<R>(list: readonly RecordField<R>[], record: R): Record<string, Cell> {
  const row: Record<string, Cell> = {};
  for (const f of list) {
    const v = record[f.key] as unknown;
    row[f.column] = f.flag ? (v === null || v === undefined ? null : v ? 'yes' : 'no') : cell(v, f.column);
  }
  return row;
}

/**
 * A record as a store row: column → cell, flags as 1/0, absent values null.
 * @throws TypeError as `toBundleRow`
 */
export function toStoreRow<R>(list: readonly RecordField<R>[], record: R): Record<string, Cell> {
  const row: Record<string, Cell> = {};
  for (const f of list) {
    const v = record[f.key] as unknown;
    row[f.column] = f.flag ? (v === null || v === undefined ? null : v ? 1 : 0) : cell(v, f.column);
  }
  return row;
}

/**
 * A store row back as the record's fields (flags 1/0 → true/false, null stays null). The values are
 * the ones `toStoreRow` wrote, so the codes (sex, event kind, Lugano …) are the model's; the caller
 * names the record type.
 */
export function fromStoreRow<R>(list: readonly RecordField<R>[], row: object): R {
  const r = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of list) {
    const v = r[f.column] ?? null;
    out[f.key] = f.flag ? (v === null ? null : v !== 0) : v;
  }
  return out as R;
}
