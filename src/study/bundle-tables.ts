/**
 * The CSV tables of a study bundle and their columns (docs/study-bundle.md): the one home of the
 * format's column lists. The bundle reader (src/study/bundle.ts, bundle-events.ts) checks each header
 * against them; every writer of a bundle (the virtual trial, `carto registry export --format bundle`)
 * writes its tables through src/study/bundle-write.ts in the order given here.
 */
import type { TableSpec } from './row-reader.js';

/** A bundle table: its file, every column in the order writers write them, and the required ones. */
export interface BundleTable extends TableSpec {
  /** Every column of the table (required and optional), in written order. */
  columns: readonly string[];
}

function table(name: string, columns: readonly string[], required: readonly string[]): BundleTable {
  return { name, columns, required, optional: columns.filter((c) => !required.includes(c)) };
}

/** The tables of a bundle (docs/study-bundle.md); any other column is an error. */
export const BUNDLE_TABLES = {
  patients: table(
    'patients.csv',
    [
      'patient_id',
      'cohort',
      'age',
      'sex',
      'weight_kg',
      'histology',
      'stage',
      'cns_involvement',
      'ecog',
      'previous_lines',
      'primary_refractory',
      'prior_asct',
      'bridging',
      'product',
      'consort_stage',
      'dropout_reason',
      'dropout_date',
    ],
    ['patient_id', 'cohort', 'age', 'sex', 'histology', 'bridging'],
  ),
  events: table(
    'events.csv',
    [
      'patient_id',
      'event',
      'date',
      'day',
      'bridging_type',
      'activity_mbq',
      'scan_id',
      'lugano',
      'death_cause',
    ],
    ['patient_id', 'event'],
  ),
  scans: table(
    'scans.csv',
    ['scan_id', 'patient_id', 'tracer', 'timepoint', 'day', 'path', 'format', 'ct_path'],
    ['scan_id', 'patient_id', 'tracer', 'timepoint', 'path', 'format'],
  ),
  vois: table(
    'vois.csv',
    [
      'scan_id',
      'kind',
      'label',
      'lesion_id',
      'site',
      'irradiated',
      'mask_path',
      'mask_label',
      'roi_name',
      'sphere_center_lps_mm',
      'sphere_radius_mm',
    ],
    ['scan_id', 'kind', 'label'],
  ),
  toxicity: table(
    'toxicity.csv',
    ['patient_id', 'crs_grade', 'icans_grade', 'tocilizumab', 'steroids'],
    ['patient_id', 'crs_grade', 'icans_grade'],
  ),
  adverseEvents: table(
    'adverse_events.csv',
    ['patient_id', 'ctcae_term', 'grade', 'onset_date', 'onset_day', 'attribution', 'tracer_scan_id'],
    ['patient_id', 'ctcae_term', 'grade', 'attribution'],
  ),
  labs: table(
    'labs.csv',
    ['patient_id', 'day', 'analyte', 'value'],
    ['patient_id', 'day', 'analyte', 'value'],
  ),
  biopsies: table(
    'biopsies.csv',
    ['patient_id', 'lesion_id', 'cd8_percent'],
    ['patient_id', 'lesion_id', 'cd8_percent'],
  ),
  qpcr: table(
    'qpcr.csv',
    ['plate', 'role', 'target', 'quantity', 'patient_id', 'day', 'ct'],
    ['plate', 'role', 'target', 'ct'],
  ),
  cytokines: table(
    'cytokines.csv',
    ['plate', 'role', 'analyte', 'concentration', 'patient_id', 'day', 'dilution', 'signal'],
    ['plate', 'role', 'analyte', 'signal'],
  ),
  cytotoxicity: table(
    'cytotoxicity.csv',
    ['plate', 'target', 'role', 'patient_id', 'day', 'effector_target_ratio', 'cpm'],
    ['plate', 'target', 'role', 'cpm'],
  ),
  flow: table(
    'flow.csv',
    ['patient_id', 'day', 'file', 'gating', 'sample', 'data_set'],
    ['patient_id', 'day', 'file', 'gating'],
  ),
  lesionProgression: table(
    'lesion_progression.csv',
    ['patient_id', 'lesion_id', 'date', 'day'],
    ['patient_id', 'lesion_id'],
  ),
  radiotherapy: table(
    'radiotherapy.csv',
    ['patient_id', 'lesion_id', 'dose_gy', 'fractions'],
    ['patient_id', 'lesion_id', 'dose_gy'],
  ),
} satisfies Record<string, BundleTable>;

/** The key of a bundle table (`patients`, `events`, …). */
export type BundleTableKey = keyof typeof BUNDLE_TABLES;
