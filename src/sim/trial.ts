/**
 * The virtual trial: a deterministic (seeded) draw of a study like the 89Zr-anti-CD8 PET CAR T trial
 * of docs/references/trial.md §1 (calibration targets: §7) — patients in three cohorts, their journey, toxicity,
 * labs, biopsies, outcomes, lesions and organ uptake per scan — with every true parameter kept in a
 * `TrialTruth`. Images are rendered on demand by `SimulatedTrial.render(scanId)` (see `phantom.ts`).
 * Pure computation: `src/io/bundle-write.ts` writes the bundle.
 *
 * Generative model (all logs natural):
 * - pre-CART true lesion SUVpeak: log S = μ + b_patient + e_lesion, μ = log 4.2 (log 11 for EBV+
 *   DLBCL), b ~ N(0, 0.45²), e ~ N(0, 0.5²); independent of lesion size (the premise of the
 *   seed's partial-volume correction). The lesion is a sphere of uniform SUV S, so "true SUVpeak"
 *   means the tumour's own uptake, before PSF blur and partial-volume loss.
 * - post-CART at timepoint t: log S_t = log r_t + μ + β (log S − μ) + c_patient + d_lesion with
 *   β = 0.75, c ~ N(0, 0.25²), d ~ N(0, 0.35²), so the population pre → post geometric-mean
 *   ratio is exactly r_t (d2 0.75, d4 0.62, d5 0.60, d7 0.90). Lesion volume × v_t·exp(N(0, 0.25²)).
 * - time to progression: Weibull proportional hazards, cumulative hazard
 *   H(t) = (t / λ)^k · exp(γ (x − x₀)), x = patient mean of log true pre-CART SUVpeak (log geometric
 *   mean), γ = −1.5 (true log-HR per unit of log GM SUVpeak), x₀ = log 4.2, k = 0.7, median 1000
 *   days at x₀; deaths from other causes at rate 1/6000 per day (competing, independent); lymphoma
 *   death after progression ~ Exp(mean 150 d); administrative censoring at the data cut-off.
 */
import type {
  Biopsy,
  Bridging,
  LabValue,
  Lugano,
  Patient,
  PatientEvent,
  Scan,
  Sex,
  Toxicity,
  Voi,
} from '../study/model.js';
import type { Grid, Vec3 } from '../imaging/volume.js';
import { BRAIN_LOCATION, LOCATIONS, placeSphere, type PlacedSphere } from './lesions.js';
import { ORGANS, phantomGrid, renderScan, type Organ, type RenderedScan, type ScanScene } from './phantom.js';
import { Rng } from './prng.js';
import {
  simulateLabAssays,
  type AssayPatientInput,
  type AssayTruth,
  type CytokineWellRow,
  type CytotoxicityWellRow,
  type QpcrWellRow,
} from './assays.js';
import {
  designFlowSamples,
  flowGatingMl,
  flowStudyBlock,
  FLOW_MODEL,
  renderFlowSample,
  type FlowSampleCounts,
  type FlowSampleTruth,
} from './flow.js';

/** Options of `simulateTrial`. */
export interface SimulateOptions {
  /** PRNG seed (integer). Default 1. */
  seed?: number;
  /** Number of evaluable patients (≥ 3; split 7:8:8 over cohorts 1–3). Default 6. */
  patients?: number;
  /** Isotropic voxel edge of the PET images in mm. Default 6. */
  voxelMm?: number;
  /** Scanner PSF (Gaussian) FWHM in mm. Default 6.5. */
  psfFwhmMm?: number;
  /**
   * Add one FDG PET per patient before lymphodepletion (day −6), as a NIfTI SUV image with lesion
   * masks, for the MATV analyses. Default false (it adds a scan per patient).
   */
  fdg?: boolean;
}

/** Timepoint labels of the CD8 scans. */
export type Timepoint = 'pre' | 'd2' | 'd4' | 'd5' | 'd7';
/** Timepoint of any simulated scan: the CD8 timepoints and `pre-ld` (FDG before lymphodepletion). */
export type ScanTimepoint = Timepoint | 'pre-ld';
const POST_TIMEPOINTS = ['d2', 'd4', 'd5', 'd7'] as const;
type PostTimepoint = (typeof POST_TIMEPOINTS)[number];
const POST_DAY: Record<PostTimepoint, number> = { d2: 2, d4: 4, d5: 5, d7: 7 };

const TRACER = { name: '89Zr-ZED88082A', nuclide: '89Zr', halfLifeS: 282276 };

/** Every fixed parameter of the generative model (written to truth.json as `model`). */
export const SIM_MODEL = {
  tracer: TRACER,
  injectedActivityMbq: { mean: 37, sd: 1 },
  /** Population mean true SUVmean per organ and timepoint (docs/references/trial.md §7; between days interpolated). */
  organSuvMean: {
    spleen: { pre: 26.1, d2: 21.5, d4: 20.3, d5: 20.0, d7: 19.6 },
    liver: { pre: 3.6, d2: 2.9, d4: 2.5, d5: 2.4, d7: 2.2 },
    small_bowel: { pre: 1.6, d2: 1.35, d4: 1.2, d5: 1.15, d7: 1.1 },
    bone_marrow: { pre: 2.4, d2: 2.1, d4: 1.95, d5: 1.9, d7: 1.8 },
    lymph_node: { pre: 0.6, d2: 0.58, d4: 0.6, d5: 0.62, d7: 0.6 },
    brain: { pre: 0.18, d2: 0.28, d4: 0.33, d5: 0.35, d7: 0.32 },
    aorta: { pre: 1.5, d2: 2.2, d4: 1.7, d5: 1.6, d7: 1.5 },
  } satisfies Record<Organ, Record<Timepoint, number>>,
  /** Multiplicative patient effect on organ SUV: exp(N(0, sd²)), one per patient and organ. */
  organPatientSdLog: 0.12,
  /** Multiplicative scan effect on organ SUV: exp(N(0, sd²)). */
  organScanSdLog: 0.06,
  backgroundSuv: { soft_tissue: 0.2, lung: 0.15 },
  lesion: {
    logMeanPre: Math.log(4.2),
    logMeanPreEbv: Math.log(11),
    patientSdLog: 0.45,
    lesionSdLog: 0.5,
    countMedian: 8.5,
    countSdLog: 0.8,
    countMax: 30,
    diameterMedianCm: 1.7,
    diameterSdLog: 0.5,
    diameterMinCm: 1.0,
    diameterMaxCm: 8,
    irradiatedDiameterMedianCm: 3.4,
    irradiatedDiameterSdLog: 0.25,
    gmRatio: { d2: 0.75, d4: 0.62, d5: 0.6, d7: 0.9 } satisfies Record<PostTimepoint, number>,
    postSlopeOnPreLog: 0.75,
    postPatientSdLog: 0.25,
    postLesionSdLog: 0.35,
    volumeRatio: { d2: 0.85, d4: 0.72, d5: 0.68, d7: 0.58 } satisfies Record<PostTimepoint, number>,
    volumeSdLog: 0.25,
  },
  outcome: {
    logHrPerLogGmSuvPeak: -1.5,
    centreLogGmSuvPeak: Math.log(4.2),
    weibullShape: 0.7,
    medianTtpDaysAtCentre: 1000,
    otherDeathRatePerDay: 1 / 6000,
    lymphomaDeathAfterProgressionMeanDays: 150,
    firstInfusion: '2021-07-01',
    lastInfusion: '2023-10-15',
    dataCutoff: '2024-03-26',
  },
  labs: {
    /**
     * True circulating CD8 copies per cell at each CD8 scan day = slope × true blood-pool SUVmean ×
     * exp(N(0, sd²)); written as raw qPCR wells (qpcr.csv, src/sim/assays.ts), not as lab values.
     */
    cd8PerBloodPoolSuv: 0.15,
    cd8SdLog: 0.25,
  },
  biopsy: {
    /** cd8_percent = min(80, slope × true pre-CART SUVpeak × exp(N(0, sd²))). */
    cd8PercentPerSuv: 3,
    sdLog: 0.35,
    patientProbability: 0.3,
  },
  image: { noiseA: 0.2, noiseB: 0.03 },
  /** FDG PET before lymphodepletion (option `fdg`): tissue SUVs, lesion SUV log-normal, 60 min uptake. */
  fdg: {
    day: -6,
    tissueSuv: {
      soft_tissue: 0.7,
      lung: 0.5,
      liver: 2.3,
      spleen: 1.9,
      small_bowel: 1.6,
      bone_marrow: 1.8,
      aorta: 1.7,
      brain: 7.5,
      lymph_node: 0.9,
    },
    lesionSuvMedian: 9,
    lesionSuvSdLog: 0.5,
    matvThresholdSuv: 2.5,
  },
};

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

const DAY_MS = 86_400_000;
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** Largest-remainder allocation of `n` items to categories with the given weights, shuffled. */
function deck<T>(rng: Rng, items: readonly (readonly [T, number])[], n: number): T[] {
  const total = items.reduce((s, [, w]) => s + w, 0);
  const exact = items.map(([, w]) => (w / total) * n);
  const counts = exact.map(Math.floor);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = n - counts.reduce((s, c) => s + c, 0);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  const out: T[] = [];
  items.forEach(([v], i) => {
    for (let c = 0; c < counts[i]!; c++) out.push(v);
  });
  return rng.shuffled(out);
}

/** The per-patient characteristics dealt from shuffled decks (exact trial proportions), by patient index. */
interface TrialDecks {
  cohorts: ('1' | '2' | '3')[];
  sexes: Sex[];
  histologies: Patient['histology'][];
  stages: Patient['stage'][];
  ecogs: Patient['ecog'][];
  lines: Patient['previousLines'][];
  refractory: boolean[];
  asct: boolean[];
  bridgings: Bridging[];
  /** Indices of the patients with CNS involvement. */
  cnsSet: Set<number>;
}

/**
 * Deals cohort (7:8:8, enrolled in cohort order), sex, histology, stage, ECOG, previous lines,
 * refractoriness, prior ASCT and bridging from shuffled decks, and CNS involvement in ~17 % of
 * patients (all stage IV), in this order from the stream `dr`.
 */
function drawDecks(dr: Rng, N: number): TrialDecks {
  // Cohort sizes 7:8:8 (largest remainder: at least one each for N ≥ 3), enrolled in cohort order.
  const cohorts = deck(
    dr,
    [
      ['1', 7],
      ['2', 8],
      ['3', 8],
    ] as const,
    N,
  ).sort();
  const sexes = deck<Sex>(
    dr,
    [
      ['M', 17],
      ['F', 6],
    ],
    N,
  );
  const histologies = deck(
    dr,
    [
      ['DLBCL', 10],
      ['HGBCL', 5],
      ['tFL', 6],
      ['EBV+ DLBCL', 2],
    ] as const,
    N,
  );
  const stages = deck(
    dr,
    [
      ['IV', 12],
      ['III', 5],
      ['II', 4],
      ['I', 2],
    ] as const,
    N,
  );
  const ecogs = deck(
    dr,
    [
      [0, 13],
      [1, 8],
      [2, 2],
    ] as const,
    N,
  );
  const lines = deck(
    dr,
    [
      [2, 14],
      [3, 9],
    ] as const,
    N,
  );
  const refractory = deck(
    dr,
    [
      [true, 15],
      [false, 8],
    ] as const,
    N,
  );
  const asct = deck(
    dr,
    [
      [true, 6],
      [false, 17],
    ] as const,
    N,
  );
  const bridgings = deck<Bridging>(
    dr,
    [
      ['none', 5],
      ['radiotherapy', 10],
      ['systemic', 6],
      ['combination', 2],
    ],
    N,
  );
  // CNS involvement in ~17 % of patients, all stage IV.
  const stageIv = stages.map((s, i) => (s === 'IV' ? i : -1)).filter((i) => i >= 0);
  const cnsSet = new Set(dr.shuffled(stageIv).slice(0, Math.round((N * 4) / 23)));
  return { cohorts, sexes, histologies, stages, ecogs, lines, refractory, asct, bridgings, cnsSet };
}

/** Everything the trial accumulates over its patients (the bundle records and the truth). */
interface TrialRecords {
  patients: Patient[];
  events: PatientEvent[];
  scans: Scan[];
  vois: Voi[];
  toxicity: Toxicity[];
  labs: LabValue[];
  biopsies: Biopsy[];
  acquisitions: ScanAcquisition[];
  suvImageScans: string[];
  scenes: Map<string, ScanScene>;
  truthBase: Omit<TrialTruth, 'assays'>;
  assayInputs: AssayPatientInput[];
  logRatioSum: Partial<Record<PostTimepoint, { s: number; n: number }>>;
  anyBiopsy: boolean;
}

/** The truth record before any patient is drawn: definitions, options, model and population ratios. */
function emptyTruth(o: Required<SimulateOptions>): Omit<TrialTruth, 'assays'> {
  const M = SIM_MODEL;
  return {
    generator: 'Cartography virtual trial v1 (src/sim/trial.ts)',
    definitions: {
      suvPeakTrue:
        'uniform SUV of the lesion sphere before PSF blur, noise and partial-volume loss; independent of lesion volume',
      preToPostGmRatio:
        'population geometric-mean ratio of true SUVpeak, post-CART timepoint / pre-CART, per lesion (exp of the mean log difference)',
      logHrTtpPerLogGmSuvPeak:
        'log hazard ratio of progression (TTP event) per unit of x = mean over the patient’s lesions of log true pre-CART SUVpeak (Weibull PH); PFS adds independent deaths from other causes',
      organSuvTrue:
        'uniform SUV painted in the organ (TotalSegmentator-style mask) before PSF blur and noise',
      organSuvMeanExpected:
        'mean of the noise-free, PSF-blurred image in the organ mask (what SUVmean estimates)',
      'assays.qpcr':
        'true standard curves per plate and target (Ct = interceptCt + slope·log10 copies/µL) and per patient-day the true CD8 copies per cell = 2 × CD8 ÷ GATA2 copies/µL',
      'assays.cytokines':
        'true 4PL per plate and analyte (OD = c + (d − c)/(1 + (x/e)^b), x in pg/mL) and each sample’s true undiluted concentration (pg/mL) and dilution',
      'assays.cytotoxicity':
        'true mean spontaneous and maximum release (cpm) per plate and each product’s true % specific lysis per E:T (Lmax·E:T/(E:T + EC50))',
      flow: 'per FCS file the true event-class, T-cell, CD4/CD8, memory-subset and senescence probabilities (the bundle writer adds the realised counts)',
    },
    seed: o.seed,
    options: o,
    model: M,
    preToPostGmRatio: { ...M.lesion.gmRatio },
    preToPostGmRatioSample: {},
    logHrTtpPerLogGmSuvPeak: M.outcome.logHrPerLogGmSuvPeak,
    patients: [],
    scans: [],
    lesions: [],
    flow: { model: FLOW_MODEL, samples: [] },
  };
}

/** Study-wide dates and the patient ID format. */
interface TrialTiming {
  pid: (i: number) => string;
  /** First and last infusion and data cut-off, epoch ms (UTC midnight). */
  t0: number;
  t1: number;
  cutoff: number;
}

/** One scan of a patient: timepoint, scan day and tracer injection day (days from infusion). */
interface PlannedScan {
  tp: Timepoint;
  day: number;
  injDay: number;
}

/** A patient's identity and journey, shared by the per-patient drawing steps. */
interface PatientDraw {
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

/**
 * Journey (days relative to infusion): infusion date, apheresis, bridging, the scan plan and the
 * tracer injections (2 days before each scan; cohort 3 has one injection at day 0 for its day +2,
 * +4 and +7 scans), with the scans and acquisitions they give; then lymphodepletion and infusion.
 */
function drawJourney(
  acc: TrialRecords,
  base: Omit<PatientDraw, 'infusionMs' | 'ev' | 'scanList'>,
  N: number,
  timing: TrialTiming,
): PatientDraw {
  const M = SIM_MODEL;
  const { rng, i, patientId, cohort, bridging, sex, age, weightKg } = base;
  const { t0, t1 } = timing;
  const { events, scans, acquisitions } = acc;
  const frac = N === 1 ? 0 : i / (N - 1);
  const infusionMs = Math.round((t0 + frac * (t1 - t0)) / DAY_MS + rng.int(-10, 10)) * DAY_MS;
  const ev = (e: Partial<PatientEvent> & Pick<PatientEvent, 'event' | 'day'>): void => {
    events.push({
      patientId,
      date: isoDate(infusionMs + e.day * DAY_MS),
      bridgingType: null,
      activityMbq: null,
      scanId: null,
      lugano: null,
      deathCause: null,
      ...e,
    });
  };
  const apheresisDay = -28 + rng.int(-4, 3);
  ev({ event: 'apheresis', day: apheresisDay });
  let earliestPre = apheresisDay + 4;
  if (bridging !== 'none') {
    const bd = apheresisDay + rng.int(2, 5);
    ev({ event: 'bridging', day: bd, bridgingType: bridging });
    earliestPre = bd + 5;
  }
  const mainPost: PostTimepoint = cohort === '1' ? 'd7' : cohort === '2' ? 'd5' : 'd2';
  const interval = { '1': 30, '2': 24, '3': 21 }[cohort] + rng.int(-3, 3);
  const preDay = Math.min(-7, Math.max(earliestPre, POST_DAY[mainPost] - interval));
  const posts: PostTimepoint[] = cohort === '3' ? ['d2', 'd4', 'd7'] : [mainPost];

  // Scans and tracer injections: 2 days before each scan; cohort 3 has one injection at day 0
  // for its day +2, +4 and +7 scans (docs/references/trial.md §1: only day +2 of cohort 3 is a 2-day uptake scan;
  // the analysis setting `uptakeDays` (default 2) leaves the others out).
  const scanList: PlannedScan[] = [
    { tp: 'pre', day: preDay, injDay: preDay - 2 },
    ...posts.map((tp) => ({ tp, day: POST_DAY[tp], injDay: cohort === '3' ? 0 : POST_DAY[tp] - 2 })),
  ];
  const injections = new Map<number, { activityMbq: number; ms: number; scanId: string }>();
  for (const s of scanList) {
    const scanId = `${patientId}-${s.tp}`;
    let inj = injections.get(s.injDay);
    if (!inj) {
      inj = {
        activityMbq: round(rng.gauss(M.injectedActivityMbq.mean, M.injectedActivityMbq.sd), 2),
        ms: infusionMs + s.injDay * DAY_MS + (9 * 60 + rng.int(0, 120)) * 60_000 + rng.int(0, 59) * 1000,
        scanId,
      };
      injections.set(s.injDay, inj);
    }
    // One row per scan (the bundle's `scan_id` names the scan an injection belongs to), so cohort 3's
    // day +4 and +7 scans repeat the day-0 injection and their uptake time (4, 7 days) is known.
    ev({ event: 'tracer_injection', day: s.injDay, activityMbq: inj.activityMbq, scanId });
    const seriesMs = inj.ms + (s.day - s.injDay) * DAY_MS + rng.int(-60, 60) * 60_000 + rng.int(0, 59) * 1000;
    scans.push({
      scanId,
      patientId,
      tracer: TRACER.name,
      timepoint: s.tp,
      day: s.day,
      path: `images/${scanId}`,
      format: 'dicom',
    });
    acquisitions.push({
      scanId,
      patientId,
      timepoint: s.tp,
      day: s.day,
      sex,
      ageYears: age,
      weightKg,
      injectionMs: inj.ms,
      seriesMs,
      injectedActivityBq: Math.round(inj.activityMbq * 1e6),
    });
  }
  ev({ event: 'lymphodepletion', day: -5 });
  ev({ event: 'infusion', day: 0 });
  return { ...base, infusionMs, ev, scanList };
}

/** Organ SUVs per scan: a patient effect per organ and a scan effect, around the population means. */
function drawOrganSuvs(acc: TrialRecords, p: PatientDraw): Map<string, Record<Organ, number>> {
  const M = SIM_MODEL;
  const { rng, patientId, scanList } = p;
  const { truthBase } = acc;
  const organPatient = Object.fromEntries(
    ORGANS.map((g) => [g, Math.exp(rng.gauss(0, M.organPatientSdLog))]),
  ) as Record<Organ, number>;
  const organByScan = new Map<string, Record<Organ, number>>();
  for (const s of scanList) {
    const scanId = `${patientId}-${s.tp}`;
    const v = Object.fromEntries(
      ORGANS.map((g) => [
        g,
        round(M.organSuvMean[g][s.tp] * organPatient[g] * Math.exp(rng.gauss(0, M.organScanSdLog)), 4),
      ]),
    ) as Record<Organ, number>;
    organByScan.set(scanId, v);
    truthBase.scans.push({
      scanId,
      patientId,
      timepoint: s.tp,
      day: s.day,
      uptakeDays: s.day - s.injDay,
      organSuvTrue: v,
    });
  }
  return organByScan;
}

/** A patient's lesions, the log pre-CART SUVpeaks, and the scene and VOI builders of their scans. */
interface PatientLesions {
  patLesions: LesionTruth[];
  lesionLogPre: number[];
  /** The phantom scene of a scan (tissue SUVs, the patient's lesions as on that scan). */
  sceneOf: (scanId: string, tissueSuv: ScanScene['tissueSuv']) => ScanScene;
  /** Adds the lesion VOIs of a scan. */
  pushLesionVois: (scanId: string) => void;
}

/**
 * Lesions: count, brain and irradiated lesions, sphere placement, true pre-CART SUVpeak and its
 * post-CART change and volume change per scan (docs/references/trial.md §7).
 */
function drawLesions(acc: TrialRecords, p: PatientDraw, o: Required<SimulateOptions>): PatientLesions {
  const M = SIM_MODEL;
  const { rng, patientId, cns, ebv, bridging, scanList } = p;
  const { vois, logRatioSum } = acc;
  const L = M.lesion;
  let nLes = Math.round(Math.exp(rng.gauss(Math.log(L.countMedian), L.countSdLog)));
  nLes = Math.max(1, Math.min(L.countMax, nLes));
  const nBrain = cns ? Math.min(nLes, rng.int(1, 2)) : 0;
  const nIrr =
    bridging === 'radiotherapy' || bridging === 'combination' ? Math.min(nLes - nBrain, rng.int(1, 3)) : 0;
  const mu = ebv ? L.logMeanPreEbv : L.logMeanPre;
  const bPat = rng.gauss(0, L.patientSdLog);
  const cPat: Record<PostTimepoint, number> = {
    d2: rng.gauss(0, L.postPatientSdLog),
    d4: 0,
    d5: rng.gauss(0, L.postPatientSdLog),
    d7: rng.gauss(0, L.postPatientSdLog),
  };
  cPat.d4 = (cPat.d2 + cPat.d7) / 2;
  const placed: PlacedSphere[] = [];
  const patLesions: LesionTruth[] = [];
  const lesionLogPre: number[] = [];
  // The phantom scene of a scan (tissue SUVs, the patient's lesions as on that scan) and its lesion VOIs.
  const sceneOf = (scanId: string, tissueSuv: ScanScene['tissueSuv']): ScanScene => ({
    tissueSuv,
    lesions: patLesions.map((lt) => {
      const st = lt.scans.find((x) => x.scanId === scanId)!;
      return {
        label: lt.maskLabel,
        centreLps: lt.centreLps,
        radiusMm: st.diameterCm * 5,
        suv: st.suvPeakTrue,
      };
    }),
    psfFwhmMm: o.psfFwhmMm,
    noiseA: M.image.noiseA,
    noiseB: M.image.noiseB,
    noiseSeed: o.seed,
    noiseStream: `noise/${scanId}`,
  });
  const pushLesionVois = (scanId: string): void => {
    for (const lt of patLesions) {
      vois.push({
        voiId: `${scanId}:lesion:${lt.lesionId}`,
        scanId,
        kind: 'lesion',
        label: `L${String(lt.maskLabel).padStart(2, '0')} ${lt.location}`,
        lesionId: lt.lesionId,
        site: lt.site,
        irradiated: lt.irradiated,
        maskPath: `masks/${scanId}_lesions.nii.gz`,
        maskLabel: lt.maskLabel,
        roiName: null,
      });
    }
  };
  const nodalWeights = LOCATIONS.map((l) => l.weight);
  for (let l = 0; l < nLes; l++) {
    const irradiated = l < nIrr;
    const isBrain = l >= nLes - nBrain;
    let location = isBrain ? BRAIN_LOCATION : LOCATIONS[rng.weighted(nodalWeights)]!;
    if (irradiated && location.maxDiameterCm < 5) location = LOCATIONS.find((x) => x.name === 'mediastinal')!;
    const dCm = irradiated
      ? rng.logNormal(L.irradiatedDiameterMedianCm, L.irradiatedDiameterSdLog)
      : rng.logNormal(L.diameterMedianCm, L.diameterSdLog);
    const dClamped = Math.min(L.diameterMaxCm, location.maxDiameterCm, Math.max(L.diameterMinCm, dCm));
    const sphere = placeSphere(rng, location, dClamped * 5, placed);
    placed.push(sphere);
    const logPre = mu + bPat + rng.gauss(0, L.lesionSdLog);
    lesionLogPre.push(logPre);
    const lesionId = `${patientId}-L${String(l + 1).padStart(2, '0')}`;
    const lt: LesionTruth = {
      lesionId,
      patientId,
      maskLabel: l + 1,
      location: sphere.location.name,
      site: sphere.location.site,
      irradiated,
      centreLps: sphere.centreLps.map((v) => round(v, 3)) as Vec3,
      scans: [],
    };
    for (const s of scanList) {
      const scanId = `${patientId}-${s.tp}`;
      let logS = logPre;
      let rMm = sphere.radiusMm;
      if (s.tp !== 'pre') {
        const tp = s.tp;
        logS =
          Math.log(L.gmRatio[tp]) +
          mu +
          L.postSlopeOnPreLog * (logPre - mu) +
          cPat[tp] +
          rng.gauss(0, L.postLesionSdLog);
        rMm *= Math.cbrt(L.volumeRatio[tp] * Math.exp(rng.gauss(0, L.volumeSdLog)));
        if (!ebv) {
          const acc = (logRatioSum[tp] ??= { s: 0, n: 0 });
          acc.s += logS - logPre;
          acc.n++;
        }
      }
      lt.scans.push({
        scanId,
        timepoint: s.tp,
        diameterCm: round((2 * rMm) / 10, 4),
        volumeMl: round(((4 / 3) * Math.PI * rMm ** 3) / 1000, 4),
        suvPeakTrue: round(Math.exp(logS), 4),
      });
    }
    patLesions.push(lt);
  }
  return { patLesions, lesionLogPre, sceneOf, pushLesionVois };
}

/**
 * FDG PET before lymphodepletion (own random stream, so the CD8 trial is the same with or without):
 * the scan, each lesion's FDG SUV, its scene and VOIs.
 * @returns the true MATV (mL of lesions with FDG SUV ≥ the threshold)
 */
function addFdgScan(
  acc: TrialRecords,
  p: PatientDraw,
  o: Required<SimulateOptions>,
  les: PatientLesions,
): number {
  const M = SIM_MODEL;
  const { i, patientId } = p;
  const { patLesions, sceneOf, pushLesionVois } = les;
  const { scans, suvImageScans, truthBase, scenes } = acc;
  let matvTrueMl: number;
  const F = M.fdg;
  const fr = new Rng(o.seed, `fdg/${i}`);
  const scanId = `${patientId}-fdg`;
  scans.push({
    scanId,
    patientId,
    tracer: 'FDG',
    timepoint: 'pre-ld',
    day: F.day,
    path: `images/${scanId}.nii.gz`,
    format: 'nifti-suv',
  });
  suvImageScans.push(scanId);
  matvTrueMl = 0;
  for (const lt of patLesions) {
    const pre = lt.scans[0]!;
    const suv = round(fr.logNormal(F.lesionSuvMedian, F.lesionSuvSdLog), 4);
    if (suv >= F.matvThresholdSuv) matvTrueMl += pre.volumeMl;
    lt.scans.push({
      scanId,
      timepoint: 'pre-ld',
      diameterCm: pre.diameterCm,
      volumeMl: pre.volumeMl,
      suvPeakTrue: suv,
    });
  }
  matvTrueMl = round(matvTrueMl, 4);
  truthBase.scans.push({
    scanId,
    patientId,
    timepoint: 'pre-ld',
    day: F.day,
    uptakeDays: 1 / 24,
    organSuvTrue: Object.fromEntries(ORGANS.map((g) => [g, F.tissueSuv[g]])) as Record<Organ, number>,
  });
  scenes.set(scanId, sceneOf(scanId, { ...F.tissueSuv }));
  pushLesionVois(scanId);
  return matvTrueMl;
}

/** Scenes and VOIs (organs, lesions) of the patient's CD8 scans. */
function addScenesAndVois(
  acc: TrialRecords,
  p: PatientDraw,
  organByScan: Map<string, Record<Organ, number>>,
  les: PatientLesions,
): void {
  const M = SIM_MODEL;
  const { patientId, scanList } = p;
  const { sceneOf, pushLesionVois } = les;
  const { scenes, vois } = acc;
  for (const s of scanList) {
    const scanId = `${patientId}-${s.tp}`;
    const org = organByScan.get(scanId)!;
    scenes.set(scanId, sceneOf(scanId, { ...M.backgroundSuv, ...org }));
    ORGANS.forEach((g, gi) =>
      vois.push({
        voiId: `${scanId}:organ:${g}`,
        scanId,
        kind: 'organ',
        label: g,
        lesionId: null,
        site: null,
        irradiated: null,
        maskPath: `masks/${scanId}_organs.nii.gz`,
        maskLabel: gi + 1,
        roiName: null,
      }),
    );
    pushLesionVois(scanId);
  }
}

/**
 * Outcomes: Weibull PH time to progression on the mean log pre-CART SUVpeak, deaths from lymphoma
 * and other causes, Lugano responses at day +28 and month 3, and the patient's truth record.
 * @returns the last day the patient is followed (death or last follow-up)
 */
function drawOutcomes(
  acc: TrialRecords,
  p: PatientDraw,
  les: PatientLesions,
  matvTrueMl: number | null,
  cutoff: number,
): number {
  const M = SIM_MODEL;
  const { rng, patientId, cohort, ebv, infusionMs, ev } = p;
  const { lesionLogPre } = les;
  const { truthBase } = acc;
  const Oc = M.outcome;
  const x = lesionLogPre.reduce((a, b) => a + b, 0) / lesionLogPre.length;
  const scale = Oc.medianTtpDaysAtCentre / Math.pow(Math.LN2, 1 / Oc.weibullShape);
  const risk = Math.exp(Oc.logHrPerLogGmSuvPeak * (x - Oc.centreLogGmSuvPeak));
  const tProg = scale * Math.pow(rng.exponential(1) / risk, 1 / Oc.weibullShape);
  const tOther = rng.exponential(Oc.otherDeathRatePerDay);
  const tLymDeath = tProg + rng.exponential(1 / Oc.lymphomaDeathAfterProgressionMeanDays);
  const followUp = Math.round((cutoff - infusionMs) / DAY_MS);
  const progressed = tProg < Math.min(tOther, followUp);
  const progDay = progressed ? Math.max(1, Math.round(tProg)) : null;
  let deathDay: number | null = null;
  let deathCause: 'lymphoma' | 'other' | null = null;
  const tDeath = progressed ? Math.min(tOther, tLymDeath) : tOther;
  if (tDeath < followUp) {
    deathDay = Math.max(progDay ?? 1, Math.round(tDeath));
    deathCause = progressed && tLymDeath <= tOther ? 'lymphoma' : 'other';
  }
  const endDay = deathDay ?? followUp;
  // Responses (Lugano 2014) at day +28 and month 3, while alive and followed.
  const respond = (day: number, prev: Lugano | null): Lugano | null => {
    if (day > endDay) return null;
    if (progDay !== null && progDay <= day) return 'PD';
    if (prev === 'CR') return 'CR';
    if (progDay !== null && progDay < day + 100) return rng.bernoulli(0.7) ? 'PR' : 'SD';
    return rng.bernoulli(prev === null ? 0.8 : 0.6) ? 'CR' : 'PR';
  };
  const r28 = respond(28, null);
  if (r28) ev({ event: 'response', day: 28, lugano: r28 });
  const m3Day = 90 + rng.int(-7, 7);
  const r90 = respond(m3Day, r28);
  if (r90) ev({ event: 'response', day: m3Day, lugano: r90 });
  if (progDay !== null) ev({ event: 'progression', day: progDay });
  if (deathDay !== null) ev({ event: 'death', day: deathDay, deathCause });
  else ev({ event: 'last_follow_up', day: followUp });
  truthBase.patients.push({
    patientId,
    cohort,
    ebvPositive: ebv,
    logGmSuvPeakPreTrue: x,
    gmSuvPeakPreTrue: Math.exp(x),
    infusionDate: isoDate(infusionMs),
    progressionDayLatent: tProg,
    otherDeathDayLatent: tOther,
    followUpDays: followUp,
    matvTrueMl,
    ttp: {
      days: progDay ?? endDay,
      event: progDay !== null,
    },
    pfs: { days: progDay ?? endDay, event: progDay !== null || deathDay !== null },
    os: { days: endDay, event: deathDay !== null },
  });
  return endDay;
}

/**
 * Toxicity (ASTCT 2019 grades) and labs: CD8 copies per cell on each scan day and IL-6 (true
 * values for the assay simulator), CAR copies after infusion.
 */
function drawToxicityAndLabs(
  acc: TrialRecords,
  p: PatientDraw,
  organByScan: Map<string, Record<Organ, number>>,
  endDay: number,
): void {
  const M = SIM_MODEL;
  const { rng, patientId, scanList } = p;
  const { toxicity, assayInputs, labs } = acc;
  // Toxicity (ASTCT 2019 grades): CRS ≥ 2 in ~55 %, ICANS ≥ 2 in ~40 % (more often with CRS ≥ 2).
  const crs = [0, 1, 2, 3, 4][rng.weighted([0.1, 0.35, 0.4, 0.12, 0.03])]!;
  const icansHigh = rng.bernoulli(crs >= 2 ? 0.55 : 0.2);
  const icans = icansHigh ? [2, 3, 4][rng.weighted([0.6, 0.3, 0.1])]! : rng.bernoulli(0.3) ? 1 : 0;
  toxicity.push({
    patientId,
    crsGrade: crs,
    icansGrade: icans,
    tocilizumab: rng.bernoulli(crs >= 2 ? 0.9 : crs === 1 ? 0.2 : 0),
    steroids: rng.bernoulli(icans >= 2 ? 0.9 : crs >= 3 ? 0.8 : 0.1),
  });

  // Labs: circulating CD8 copies per cell on each scan day (tracks the true blood-pool SUV),
  // CAR copies and IL-6 after infusion.
  // CD8 copies per cell and IL-6 are true values here: the bundle gets raw qPCR and cytokine wells.
  const assayIn: AssayPatientInput = { patientId, crsGrade: crs, cd8CopiesPerCell: [], il6PgMl: [] };
  assayInputs.push(assayIn);
  for (const s of scanList) {
    const bp = organByScan.get(`${patientId}-${s.tp}`)!.aorta;
    assayIn.cd8CopiesPerCell.push({
      day: s.day,
      value: round(M.labs.cd8PerBloodPoolSuv * bp * Math.exp(rng.gauss(0, M.labs.cd8SdLog)), 4),
    });
  }
  for (const d of [7, 14, 28]) {
    if (d > endDay) continue;
    labs.push({
      patientId,
      day: d,
      analyte: 'car_copies_per_cell',
      value: round(rng.logNormal(d === 7 ? 0.3 : 0.1, 0.8), 4),
    });
  }
  for (const d of [0, 7, 28]) {
    if (d > endDay) continue;
    const base = d === 7 && crs >= 2 ? 60 : 8;
    assayIn.il6PgMl.push({ day: d, value: round(rng.logNormal(base, 0.7), 2) });
  }
}

/** Biopsy of the largest non-brain lesion in ~30 % of patients (at least one in the trial). */
function drawBiopsy(acc: TrialRecords, p: PatientDraw, N: number, patLesions: LesionTruth[]): void {
  const M = SIM_MODEL;
  const { rng, i, patientId } = p;
  const { biopsies } = acc;
  const wantBiopsy = rng.bernoulli(M.biopsy.patientProbability) || (!acc.anyBiopsy && i === N - 1);
  const candidates = patLesions.filter((lt) => lt.site !== 'brain');
  if (wantBiopsy && candidates.length > 0) {
    acc.anyBiopsy = true;
    const big = candidates.reduce((a, b) => (b.scans[0]!.volumeMl > a.scans[0]!.volumeMl ? b : a));
    biopsies.push({
      patientId,
      lesionId: big.lesionId,
      cd8Percent: round(
        Math.min(
          80,
          M.biopsy.cd8PercentPerSuv * big.scans[0]!.suvPeakTrue * Math.exp(rng.gauss(0, M.biopsy.sdLog)),
        ),
        1,
      ),
    });
  }
}

/** Draws one patient (own random stream `patient/<i>`) and adds their records to `acc`, in a fixed order of draws. */
function simulatePatient(
  acc: TrialRecords,
  i: number,
  o: Required<SimulateOptions>,
  d: TrialDecks,
  timing: TrialTiming,
): void {
  const N = o.patients;
  const rng = new Rng(o.seed, `patient/${i}`);
  const patientId = timing.pid(i);
  const cohort = d.cohorts[i]!;
  const sex = d.sexes[i]!;
  const histology = d.histologies[i]!;
  const ebv = histology === 'EBV+ DLBCL';
  const bridging = d.bridgings[i]!;
  const cns = d.cnsSet.has(i);
  const age = Math.round(Math.min(80, Math.max(39, rng.gauss(63, 10))));
  const weightKg = round(Math.min(130, Math.max(48, sex === 'M' ? rng.gauss(84, 12) : rng.gauss(70, 11))), 1);
  acc.patients.push({
    patientId,
    cohort,
    age,
    sex,
    weightKg,
    histology,
    stage: d.stages[i]!,
    cnsInvolvement: cns,
    ecog: d.ecogs[i]!,
    previousLines: d.lines[i]!,
    primaryRefractory: d.refractory[i]!,
    priorAsct: d.asct[i]!,
    bridging,
    product: 'axi-cel',
  });

  const p = drawJourney(
    acc,
    { i, rng, patientId, cohort, sex, age, weightKg, ebv, bridging, cns },
    N,
    timing,
  );
  const organByScan = drawOrganSuvs(acc, p);
  const les = drawLesions(acc, p, o);
  acc.truthBase.lesions.push(...les.patLesions);
  const matvTrueMl = o.fdg ? addFdgScan(acc, p, o, les) : null;
  addScenesAndVois(acc, p, organByScan, les);
  const endDay = drawOutcomes(acc, p, les, matvTrueMl, timing.cutoff);

  // This patient's events in day order (stable for ties).
  const { events } = acc;
  const firstEvent = events.findIndex((e) => e.patientId === patientId);
  const mine = events.splice(firstEvent).sort((a, b) => a.day - b.day);
  events.push(...mine);

  drawToxicityAndLabs(acc, p, organByScan, endDay);
  drawBiopsy(acc, p, N, les.patLesions);
}

/**
 * Draws a virtual trial (deterministic for `opts.seed`).
 *
 * @param opts seed, number of patients (≥ 3, ≤ 200), voxel size (mm, 2–12) and PSF FWHM (mm, ≥ 0).
 * @returns the bundle records, per-scan acquisition facts, the truth and a scan renderer.
 * @throws RangeError for out-of-range options.
 */
export function simulateTrial(opts: SimulateOptions = {}): SimulatedTrial {
  const o: Required<SimulateOptions> = {
    seed: opts.seed ?? 1,
    patients: opts.patients ?? 6,
    voxelMm: opts.voxelMm ?? 6,
    psfFwhmMm: opts.psfFwhmMm ?? 6.5,
    fdg: opts.fdg ?? false,
  };
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be an integer (got ${o.seed})`);
  if (!Number.isInteger(o.patients) || o.patients < 3 || o.patients > 200)
    throw new RangeError(`patients must be an integer from 3 to 200 (got ${o.patients})`);
  if (!(o.voxelMm >= 2 && o.voxelMm <= 12))
    throw new RangeError(`voxelMm must be 2–12 mm (got ${o.voxelMm})`);
  if (!(o.psfFwhmMm >= 0 && o.psfFwhmMm <= 30))
    throw new RangeError(`psfFwhmMm must be 0–30 mm (got ${o.psfFwhmMm})`);
  const M = SIM_MODEL;
  const N = o.patients;
  const grid = phantomGrid(o.voxelMm);
  const decks = drawDecks(new Rng(o.seed, 'decks'), N);
  const width = Math.max(2, String(N).length);
  const timing: TrialTiming = {
    pid: (i: number): string => `VT-${String(i + 1).padStart(width, '0')}`,
    t0: Date.parse(`${M.outcome.firstInfusion}T00:00:00Z`),
    t1: Date.parse(`${M.outcome.lastInfusion}T00:00:00Z`),
    cutoff: Date.parse(`${M.outcome.dataCutoff}T00:00:00Z`),
  };
  const acc: TrialRecords = {
    patients: [],
    events: [],
    scans: [],
    vois: [],
    toxicity: [],
    labs: [],
    biopsies: [],
    acquisitions: [],
    suvImageScans: [],
    scenes: new Map<string, ScanScene>(),
    truthBase: emptyTruth(o),
    assayInputs: [],
    logRatioSum: {},
    anyBiopsy: false,
  };
  for (let i = 0; i < N; i++) simulatePatient(acc, i, o, decks, timing);
  const { patients, events, scans, vois, toxicity, labs, biopsies, acquisitions, suvImageScans, scenes } =
    acc;
  const { truthBase, assayInputs, logRatioSum } = acc;
  for (const tp of POST_TIMEPOINTS) {
    const acc = logRatioSum[tp];
    if (acc && acc.n > 0) truthBase.preToPostGmRatioSample[tp] = Math.exp(acc.s / acc.n);
  }

  // Lab assays and flow cytometry (own random streams: the rest of the trial is the same draw).
  const assays = simulateLabAssays(o.seed, assayInputs);
  const truth: TrialTruth = { ...truthBase, assays: assays.truth };
  const flowFiles: FlowFileRow[] = [];
  for (const p of truth.patients) {
    // os.days: death or last follow-up (days from infusion).
    for (const f of designFlowSamples(o.seed, p.patientId, p.os.days)) {
      truth.flow.samples.push(f);
      flowFiles.push({ patientId: p.patientId, day: f.day, file: f.file, gating: 'flow/gating.xml' });
    }
  }

  return {
    options: o,
    grid,
    study: {
      name: `Virtual 89Zr-anti-CD8 PET CAR T trial (seed ${o.seed}, ${N} patients)`,
      tracer: { ...TRACER },
      analysis: { suvPeak: 'global', excludeEbvPositive: true, matvThresholdSuv: 2.5 },
      flow: flowStudyBlock(),
    },
    patients,
    events,
    scans,
    vois,
    toxicity,
    labs,
    biopsies,
    acquisitions,
    suvImageScans,
    qpcrWells: assays.qpcr,
    cytokineWells: assays.cytokines,
    cytotoxicityWells: assays.cytotoxicity,
    flowFiles,
    gatingMl: flowGatingMl(),
    truth,
    render(scanId: string): RenderedScan {
      const scene = scenes.get(scanId);
      if (!scene) throw new RangeError(`unknown scan ${scanId}`);
      return renderScan(grid, scene);
    },
    renderFlow(file: string) {
      const f = truth.flow.samples.find((x) => x.file === file);
      if (!f) throw new RangeError(`unknown flow file ${file}`);
      return renderFlowSample(o.seed, f);
    },
  };
}
