/**
 * Types of the virtual trial (src/sim/trial.ts): the truth records, the simulated trial, and the
 * internal per-patient records the drawing steps share; plus small date/rounding helpers.
 */
import type { LesionOutcomes } from '../study/lesion-outcomes.js';
import type {
  AdverseEvent,
  NotInfusedPatient,
  Biopsy,
  LabValue,
  Patient,
  PatientEvent,
  Scan,
  Sex,
  Toxicity,
  Voi,
  Bridging,
} from '../study/model.js';
import type { Grid, Vec3 } from '../imaging/volume.js';
import type { Organ, RenderedScan, ScanScene } from './phantom.js';
import type { Rng } from '../stats/prng.js';
import type {
  AssayPatientInput,
  AssayTruth,
  CytokineWellRow,
  CytotoxicityWellRow,
  QpcrWellRow,
} from './assays.js';
import type { FLOW_MODEL, FlowSampleCounts, FlowSampleTruth } from './flow.js';
import type { PostTimepoint, ScanTimepoint, SimulateOptions, SIM_MODEL, Timepoint } from './trial-params.js';

/** One lesion's truth on one scan. */
export interface LesionScanTruth {
  scanId: string;
  timepoint: ScanTimepoint;
  diameterCm: number;
  /** Volume of the true sphere (mL). */
  volumeMl: number;
  /** True SUVpeak = uniform SUV of the sphere (g/mL). */
  suvPeakTrue: number;
}

/** One lesion's truth. */
export interface LesionTruth {
  lesionId: string;
  patientId: string;
  /** Label value in the lesion label maps (stable across the patient's scans). */
  maskLabel: number;
  location: string;
  site: string;
  irradiated: boolean;
  centreLps: Vec3;
  scans: LesionScanTruth[];
}

/** One patient's latent and observed outcome truth. */
export interface PatientTruth {
  patientId: string;
  cohort: string;
  ebvPositive: boolean;
  /** Mean over the patient's lesions of log true pre-CART SUVpeak (the outcome covariate). */
  logGmSuvPeakPreTrue: number;
  gmSuvPeakPreTrue: number;
  infusionDate: string;
  /** Latent times (days from infusion) before censoring. */
  progressionDayLatent: number;
  otherDeathDayLatent: number;
  followUpDays: number;
  /** Option `fdg`: total volume (mL) of the true lesion spheres with FDG SUV ≥ 2.5 (null without FDG). */
  matvTrueMl: number | null;
  ttp: { days: number; event: boolean };
  pfs: { days: number; event: boolean };
  os: { days: number; event: boolean };
}

/** One scan's truth (organ SUVs). */
export interface ScanTruth {
  scanId: string;
  patientId: string;
  timepoint: ScanTimepoint;
  day: number;
  /** Days between tracer injection and scan. */
  uptakeDays: number;
  /** True (phantom) SUV per organ. */
  organSuvTrue: Record<Organ, number>;
}

/** Everything true about a simulated trial (truth.json). */
export interface TrialTruth {
  generator: string;
  /** Plain-language definitions of the headline true values. */
  definitions: Record<string, string>;
  seed: number;
  options: Required<SimulateOptions>;
  model: typeof SIM_MODEL;
  /** Population pre → post geometric-mean ratio of true SUVpeak (non-EBV lesions), per timepoint. */
  preToPostGmRatio: Record<PostTimepoint, number>;
  /** The realised ratio in this draw: exp(mean over non-EBV lesions of log post − log pre). */
  preToPostGmRatioSample: Partial<Record<PostTimepoint, number>>;
  /** True log hazard ratio of TTP per unit of log GM pre-CART SUVpeak (also the PFS progression part). */
  logHrTtpPerLogGmSuvPeak: number;
  patients: PatientTruth[];
  scans: ScanTruth[];
  lesions: LesionTruth[];
  /** True values behind qpcr.csv, cytokines.csv and cytotoxicity.csv (src/sim/assays.ts). */
  assays: AssayTruth;
  /** Flow cytometry: the model and each FCS file's true design (src/sim/flow.ts). */
  flow: { model: typeof FLOW_MODEL; samples: FlowSampleTruth[] };
}

/** One row of flow.csv. */
export interface FlowFileRow {
  patientId: string;
  day: number;
  /** FCS file relative to the bundle. */
  file: string;
  /** Gating-ML file relative to the bundle. */
  gating: string;
}

/** What the DICOM writer needs to know about one scan (no direct identifiers: pseudonym only). */
export interface ScanAcquisition {
  scanId: string;
  patientId: string;
  timepoint: Timepoint;
  day: number;
  sex: Sex;
  ageYears: number;
  weightKg: number;
  /** Injection and series start as UTC wall-clock epoch milliseconds (time zone-free). */
  injectionMs: number;
  seriesMs: number;
  injectedActivityBq: number;
}

/** `study.json` content. */
export interface StudyJson {
  name: string;
  tracer: { name: string; nuclide: string; halfLifeS: number };
  analysis: Record<string, unknown>;
  /** Flow phenotyping settings (docs/study-bundle.md `flow`). */
  flow: Record<string, unknown>;
}

/** A simulated trial: bundle records (paths relative to the bundle folder), acquisitions, truth. */
export interface SimulatedTrial {
  options: Required<SimulateOptions>;
  grid: Grid;
  study: StudyJson;
  patients: Patient[];
  events: PatientEvent[];
  scans: Scan[];
  vois: Voi[];
  toxicity: Toxicity[];
  labs: LabValue[];
  biopsies: Biopsy[];
  /** Patients assessed but never infused (CONSORT; patients.csv consort_stage, drop-out reason and date). */
  notInfused: NotInfusedPatient[];
  /** CTCAE adverse events of the infused patients (adverse_events.csv). */
  adverseEvents: AdverseEvent[];
  /** lesion_progression.csv and radiotherapy.csv rows (src/sim/trial-lesions.ts `drawLesionOutcomes`). */
  lesionOutcomes: LesionOutcomes;
  acquisitions: ScanAcquisition[];
  /** Scans written as NIfTI SUV images (the FDG scans of option `fdg`). */
  suvImageScans: string[];
  /** Raw lab-assay wells (qpcr.csv, cytokines.csv, cytotoxicity.csv). */
  qpcrWells: QpcrWellRow[];
  cytokineWells: CytokineWellRow[];
  cytotoxicityWells: CytotoxicityWellRow[];
  /** flow.csv rows and the Gating-ML 2.0 text of `flow/gating.xml`. */
  flowFiles: FlowFileRow[];
  gatingMl: string;
  truth: TrialTruth;
  /** Renders a scan's images (SUV, noise-free SUV, organ and lesion label maps). */
  render(scanId: string): RenderedScan;
  /**
   * Draws the events of a flow file (`flowFiles[].file`): uncompensated detector columns in
   * `FLOW_CHANNELS` order and the realised counts.
   */
  renderFlow(file: string): { columns: Float64Array[]; counts: FlowSampleCounts };
}

/** Everything the trial accumulates over its patients (the bundle records and the truth). */
export interface TrialRecords {
  patients: Patient[];
  events: PatientEvent[];
  scans: Scan[];
  vois: Voi[];
  toxicity: Toxicity[];
  labs: LabValue[];
  biopsies: Biopsy[];
  adverseEvents: AdverseEvent[];
  lesionOutcomes: LesionOutcomes;
  acquisitions: ScanAcquisition[];
  suvImageScans: string[];
  scenes: Map<string, ScanScene>;
  truthBase: Omit<TrialTruth, 'assays'>;
  assayInputs: AssayPatientInput[];
  logRatioSum: Partial<Record<PostTimepoint, { s: number; n: number }>>;
  anyBiopsy: boolean;
}

/** Study-wide dates and the patient ID format. */
export interface TrialTiming {
  pid: (i: number) => string;
  /** First and last infusion and data cut-off, epoch ms (UTC midnight). */
  t0: number;
  t1: number;
  cutoff: number;
}

/** One scan of a patient: timepoint, scan day and tracer injection day (days from infusion). */
export interface PlannedScan {
  tp: Timepoint;
  day: number;
  injDay: number;
}

/** A patient's identity and journey, shared by the per-patient drawing steps. */
export interface PatientDraw {
  i: number;
  rng: Rng;
  patientId: string;
  cohort: '1' | '2' | '3';
  sex: Sex;
  age: number;
  weightKg: number;
  ebv: boolean;
  bridging: Bridging;
  cns: boolean;
  infusionMs: number;
  /** Adds an event of this patient (date from `day`, unset fields null). */
  ev: (e: Partial<PatientEvent> & Pick<PatientEvent, 'event' | 'day'>) => void;
  scanList: PlannedScan[];
}

export const DAY_MS = 86_400_000;
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const round = (v: number, digits: number): number => Number(v.toFixed(digits));
