/**
 * The domain model of a study as the analysis plan sees it: plain, validated, typed records.
 * `src/study/bundle.ts` reads a bundle into these; the store keeps them; `src/analysis` consumes a
 * `StudyData`. Days are relative to the CAR T infusion (day 0). No direct identifiers anywhere.
 */
import type { VoiStatistics } from '../imaging/voi-stats.js';
import type { QpcrCurveRow, QpcrSampleRow } from '../assays/qpcr-study.js';
import type { CytokineCurveRow, CytokineSampleRow } from '../assays/cytokine-study.js';
import type { LysisPlateRow, LysisSampleRow } from '../assays/lysis-study.js';
import type { FlowGateRow } from '../flow/study.js';
import type { PreInfusionStage } from '../clinical/outcomes.js';
import type { LesionOutcomes } from './lesion-outcomes.js';

export type Sex = 'M' | 'F';
export type Bridging = 'none' | 'radiotherapy' | 'systemic' | 'combination';
export type EventKind =
  | 'apheresis'
  | 'bridging'
  | 'lymphodepletion'
  | 'infusion'
  | 'tracer_injection'
  | 'response'
  | 'progression'
  | 'death'
  | 'last_follow_up';
export type Lugano = 'CR' | 'PR' | 'SD' | 'PD';
export type VoiKind = 'organ' | 'lesion';

/** Study-level settings (study.json `analysis`), with defaults filled in. */
export interface StudySettings {
  /** Which IBSI intensity peak the tumour analyses use. Default 'global'. */
  suvPeak: 'global' | 'local';
  /** Exclude EBV+ DLBCL patients from the primary tumour analyses. Default true. */
  excludeEbvPositive: boolean;
  /** Fixed SUV threshold for MATV. Default 2.5. */
  matvThresholdSuv: number;
  /** Further analysis settings, validated by each analysis (e.g. `pvc`). */
  [key: string]: unknown;
}

export interface Tracer {
  name: string;
  nuclide: string;
  /** Physical half-life in seconds. */
  halfLifeS: number;
}

export interface Patient {
  /** Pseudonymous ID. */
  patientId: string;
  cohort: string;
  /** Years at inclusion. */
  age: number;
  sex: Sex;
  weightKg: number | null;
  histology: string;
  stage: string | null;
  cnsInvolvement: boolean | null;
  ecog: number | null;
  previousLines: number | null;
  primaryRefractory: boolean | null;
  priorAsct: boolean | null;
  bridging: Bridging;
  product: string | null;
}

/**
 * A patient of the bundle who was not infused (docs/study-bundle.md, patients.csv `consort_stage`):
 * counted in the CONSORT flow and the per-patient outcome table, in no analysis that needs an infusion.
 */
export interface NotInfusedPatient {
  patientId: string;
  cohort: string;
  /** Furthest CONSORT stage reached (src/clinical/outcomes.ts). */
  stage: PreInfusionStage;
  /** Why the patient left the pathway; null when still on the way. */
  dropoutReason: string | null;
  /** ISO date of the drop-out, when known. */
  dropoutDate: string | null;
}

export interface PatientEvent {
  patientId: string;
  event: EventKind;
  /** Day relative to infusion (computed from `date` when the bundle gives dates). */
  day: number;
  /** ISO date when the bundle gave one. */
  date: string | null;
  bridgingType: Exclude<Bridging, 'none'> | null;
  activityMbq: number | null;
  scanId: string | null;
  lugano: Lugano | null;
  deathCause: 'lymphoma' | 'other' | null;
}

export interface Scan {
  scanId: string;
  patientId: string;
  tracer: string;
  /** 'pre' (pre-CART) or a post-CART label such as 'd2', 'd5', 'd7'. */
  timepoint: string;
  day: number | null;
  /** Absolute path of the DICOM series folder or NIfTI SUV image, or `dicomweb:<study>/<series>`. */
  path: string;
  format: 'dicom' | 'nifti-suv';
  /** A series on a DICOMweb server (PACS), when `path` is `dicomweb:…` (docs/pacs.md). */
  pacs?: PacsScanSource;
  /** Absolute path of the CT series folder of the same PET/CT study (scans.csv `ct_path`), for the fused PET/CT panel. */
  ctPath?: string;
}

/** Where a scan's PET series lies on a DICOMweb server (scans.csv `path` `dicomweb:<study>/<series>`). */
export interface PacsScanSource {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** DICOMweb base URL (`--pacs`, else study.json `pacs.url`); null when neither gives one (an error). */
  url: string | null;
  /** Where the reference is written (scans.csv, 1-based row, `path`, the value), named in errors. */
  at: { file: string; row: number; field: string; value: string };
}

/** A VOI definition (before quantification). */
export interface Voi {
  voiId: string;
  scanId: string;
  kind: VoiKind;
  label: string;
  lesionId: string | null;
  site: string | null;
  irradiated: boolean | null;
  /** Absolute path of the mask file (label map or RTSTRUCT). */
  maskPath: string;
  maskLabel: number | null;
  roiName: string | null;
}

/**
 * Quantification of one VOI on its scan (SUV in g/mL, volumes in mL): voxel count, volume, SUVmin/max/
 * mean/median/SD, IBSI 1 local and global intensity peak, MATV. The imaging core's `VoiStatistics`
 * (src/imaging/voi-stats.ts) is the one definition.
 */
export type VoiMetrics = VoiStatistics;

/** A quantified VOI joined with its scan's patient and timepoint. */
export interface QuantifiedVoi extends Voi, VoiMetrics {
  patientId: string;
  timepoint: string;
  tracer: string;
}

export interface Toxicity {
  patientId: string;
  crsGrade: number;
  icansGrade: number;
  tocilizumab: boolean | null;
  steroids: boolean | null;
}

/** Who or what an adverse event is attributed to (adverse_events.csv `attribution`). */
export type AdverseEventAttribution = 'tracer' | 'car-t' | 'other' | 'unrelated';

/**
 * An adverse event graded by CTCAE v5.0 (docs/study-bundle.md `adverse_events.csv`); CRS and ICANS
 * (ASTCT 2019) are in `Toxicity`.
 */
export interface AdverseEvent {
  patientId: string;
  /** CTCAE v5.0 term, e.g. `Neutrophil count decreased`. */
  ctcaeTerm: string;
  /** CTCAE grade 1–5 (5 = death related to the event). */
  grade: number;
  /** Onset, day relative to infusion (from `onset_date` when the bundle gives dates). */
  onsetDay: number;
  /** ISO onset date when the bundle gave one. */
  onsetDate: string | null;
  attribution: AdverseEventAttribution;
  /** Tracer-related events: day of the tracer injection the event follows (events.csv `tracer_injection`). */
  tracerInjectionDay: number | null;
  /** Tracer-related events: the `scan_id` of that injection row. */
  tracerScanId: string | null;
}

export interface LabValue {
  patientId: string;
  day: number;
  analyte: string;
  value: number;
}

export interface Biopsy {
  patientId: string;
  lesionId: string;
  cd8Percent: number;
}

/** Everything the analysis plan needs about one study. */
export interface StudyData {
  name: string;
  tracer: Tracer;
  settings: StudySettings;
  /** The infused patients (every analysis reads these). */
  patients: Patient[];
  /** Patients of the bundle who were not infused (CONSORT flow, per-patient outcomes); absent = none. */
  notInfused?: NotInfusedPatient[];
  events: PatientEvent[];
  scans: Scan[];
  vois: QuantifiedVoi[];
  toxicity: Toxicity[];
  labs: LabValue[];
  biopsies: Biopsy[];
  /** CTCAE adverse events (adverse_events.csv); absent = the study has none recorded. */
  adverseEvents?: AdverseEvent[];
  /** Relapsed lesions and radiotherapy dose per lesion (lesion_progression.csv, radiotherapy.csv); absent = neither table. */
  lesionOutcomes?: LesionOutcomes;
  /** qPCR quality and per-sample results behind the copies-per-cell lab values (when qpcr.csv was given). */
  qpcr?: { curves: QpcrCurveRow[]; samples: QpcrSampleRow[] };
  /** Detail behind the flow, cytokine and cytotoxicity lab values (when those tables were given). */
  labAssays?: LabAssays;
}

/** One phenotyped FCS file (paths relative to the bundle). */
export interface FlowSampleSummary {
  patientId: string;
  day: number;
  file: string;
  eventCount: number;
  compensated: boolean;
}

/**
 * Quality and per-sample detail of the raw lab assays processed at import (docs/study-bundle.md); the per
 * patient-day results themselves are lab values (`StudyData.labs`). Each list is empty when its table was absent.
 */
export interface LabAssays {
  flowSamples: FlowSampleSummary[];
  /** Every gate of every flow file (file relative to the bundle). */
  flowGates: FlowGateRow[];
  cytokineCurves: CytokineCurveRow[];
  cytokineSamples: CytokineSampleRow[];
  lysisPlates: LysisPlateRow[];
  lysisSamples: LysisSampleRow[];
}
