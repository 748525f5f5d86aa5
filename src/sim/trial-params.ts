/**
 * The virtual trial's options, timepoints and fixed parameters (`SIM_MODEL`), each calibrated
 * against the reference trial (docs/references/trial.md §7 and §11; docs/virtual-trial.md lists every
 * target with its source). Split out of trial.ts; the generative model is described there.
 */
import type { Organ } from './phantom.js';

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
export const POST_TIMEPOINTS = ['d2', 'd4', 'd5', 'd7'] as const;
export type PostTimepoint = (typeof POST_TIMEPOINTS)[number];
export const POST_DAY: Record<PostTimepoint, number> = { d2: 2, d4: 4, d5: 5, d7: 7 };

export const TRACER = { name: '89Zr-ZED88082A', nuclide: '89Zr', halfLifeS: 282276 };

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
    /**
     * Lesions per patient: a fraction with limited disease (1…limitedCountMax lesions, uniform), the
     * rest log-normal(countMedian, countSdLog) capped at countMax. The paper, Results (tumour lesions
     * ¶1): 251 lesions in 23 patients, median 11 per patient (IQR 3–14), at most 30.
     */
    limitedDiseaseFraction: 0.3,
    limitedCountMax: 4,
    countMedian: 13,
    countSdLog: 0.35,
    countMax: 30,
    /**
     * Bulky disease: a fraction of patients has bulkyLesionCount large lesions (diameter log-normal
     * around bulkyDiameterMedianCm, at locations that fit it), so their MATV reaches the paper's
     * 480 mL cut-off. The paper, Results (MATV ¶, Suppl. Fig. 10): high MATV in part of the cohort,
     * with shorter TTP (P = 0.02); the paper gives no count, so the fraction is our choice.
     */
    bulkyFraction: 0.25,
    bulkyLesionCount: 5,
    bulkyDiameterMedianCm: 7,
    bulkyDiameterSdLog: 0.08,
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
    /**
     * True log HR of progression per unit of log GM SUVpeak: chosen so that the median-split HR of a
     * 23-patient trial is near the paper's 0.21 (95 % CI 0.04–0.80, P 0.02; the paper, Results
     * "outcomes" ¶2, Fig. 6a), checked by bench/simulation-targets.ts.
     */
    logHrPerLogGmSuvPeak: -3.2,
    /** Extra log HR of progression for bulky disease (MATV ≥ 480 mL shortens TTP; the paper, Results MATV ¶). */
    logHrBulky: Math.log(3),
    centreLogGmSuvPeak: Math.log(4.2),
    weibullShape: 1.3,
    medianTtpDaysAtCentre: 450,
    otherDeathRatePerDay: 1 / 6000,
    lymphomaDeathAfterProgressionMeanDays: 150,
    /**
     * Infusion dates: patient i of N at firstInfusion + (i/(N−1))^enrolmentShape × (last − first),
     * ± 10 days. The paper, Results "outcomes" ¶1: data cut-off 26 March 2024, median follow-up 8.8
     * months (range 2.4–30.0): the first infusion 30 months and the last ~2.4 months before the
     * cut-off, accrual faster late in the trial (shape < 1) for the 8.8-month median.
     */
    firstInfusion: '2021-09-26',
    lastInfusion: '2024-01-10',
    enrolmentShape: 0.66,
    dataCutoff: '2024-03-26',
  },
  /**
   * Toxicity (ASTCT 2019 grades). The paper, Results (toxicity ¶): CRS ≥ 2 in 12/21 (57 %), ICANS ≥ 2
   * in 9–12/21 (the paper is inconsistent; docs/references/trial.md §7: ~40 %), tocilizumab in 15/21
   * (with steroids 11, alone 4), steroids in 14/21 (with tocilizumab 11, alone 3).
   */
  toxicity: {
    crsGradeWeights: [0.1, 0.35, 0.4, 0.12, 0.03],
    icansHighProbabilityIfCrsHigh: 0.55,
    icansHighProbabilityOtherwise: 0.2,
    icansHighGradeWeights: [0.6, 0.3, 0.1],
    icansGrade1Probability: 0.3,
    /** P(tocilizumab) for CRS ≥ 2, CRS 1, CRS 0. */
    tocilizumabProbability: { crsHigh: 0.95, crs1: 0.45, crs0: 0 },
    /** P(steroids) for ICANS ≥ 2, else CRS ≥ 2, else. */
    steroidProbability: { icansHigh: 0.95, crsHigh: 0.85, other: 0.25 },
  },
  /**
   * Patients assessed but never infused (CONSORT), per 23 evaluable patients; for N evaluable patients
   * each count is scaled by N/23 and rounded. Source: docs/references/trial.md §7 (the paper, Results
   * ¶1 and Fig. 1a): 35 assessed for eligibility; 6 declined participation and 2 were excluded for other
   * reasons; of the 27 included, 3 withdrew consent before the first tracer injection and 1 was
   * non-evaluable for CAR T-cell production failure; 23 evaluable. No patient died before infusion (count 0, kept so the reason exists).
   * `stage` is the furthest CONSORT stage reached (patients.csv `consort_stage`); the drop-out date is
   * `daysBeforeInfusion` before the infusion date the patient would have had (a uniform time in the
   * trial's infusion span, ± 10 days): our choice, the paper gives no dates.
   */
  consort: {
    evaluablePatients: 23,
    notInfused: [
      { reason: 'declined-participation', stage: 'referred', count: 6, daysBeforeInfusion: 45 },
      { reason: 'excluded-other-reasons', stage: 'referred', count: 2, daysBeforeInfusion: 45 },
      { reason: 'withdrew-consent', stage: 'accepted', count: 3, daysBeforeInfusion: 38 },
      { reason: 'production-failure', stage: 'apheresed', count: 1, daysBeforeInfusion: 8 },
      { reason: 'died-before-infusion', stage: 'apheresed', count: 0, daysBeforeInfusion: 12 },
    ] as const,
  },
  /**
   * Adverse events (CTCAE v5.0; adverse_events.csv). The paper, Results (safety ¶): no side effects of
   * the tracer (0 tracer-related events after ~2 injections in each of 23 patients), and grade ≥ 3 events
   * of CAR T "consistent with" its reference 11 (Neelapu et al., NEJM 2017, ZUMA-1: grade ≥ 3
   * neutropenia 78 %, anaemia 43 %, thrombocytopenia 38 %, febrile neutropenia 31 %) — those are the
   * per-patient probabilities here, with onset uniform on `onsetDays` (after lymphodepletion on day −5).
   * The paper, Results (outcomes ¶2): two patients died from infections — every death from another cause
   * than lymphoma gets a grade-5 `Sepsis` attributed to CAR T with onset up to `fatalInfectionOnsetDaysBefore`
   * days before death. Low-grade events and late infections are our choice (the paper gives no rates).
   */
  adverseEvents: {
    tracerRelatedProbabilityPerInjection: 0,
    /** What a tracer-related event would be (none with probability 0): term, grade, onset days after injection. */
    tracerRelatedEvent: { term: 'Infusion related reaction', grade: 1, onsetDays: [0, 1] as const },
    carTGrade3: [
      { term: 'Neutrophil count decreased', probability: 0.78, grade4Fraction: 0.6, onsetDays: [-2, 10] },
      { term: 'Anemia', probability: 0.43, grade4Fraction: 0.05, onsetDays: [-1, 14] },
      { term: 'Platelet count decreased', probability: 0.38, grade4Fraction: 0.4, onsetDays: [0, 14] },
      { term: 'Febrile neutropenia', probability: 0.31, grade4Fraction: 0, onsetDays: [0, 10] },
    ] as const,
    lowGrade: [
      { term: 'Fatigue', probability: 0.5, onsetDays: [0, 28], attribution: 'car-t' },
      { term: 'Nausea', probability: 0.3, onsetDays: [-5, 7], attribution: 'other' },
      { term: 'Headache', probability: 0.2, onsetDays: [-30, 60], attribution: 'unrelated' },
    ] as const,
    lateInfection: { term: 'Lung infection', grade: 3, probability: 0.15, onsetDays: [31, 180] as const },
    fatalInfectionOnsetDaysBefore: 7,
  },
  labs: {
    /**
     * Days of blood for CAR transgene qPCR (copies per cell, log-normal medians by day): the paper,
     * Methods (circulating T-cells): days 0, +7 and +28 (docs/references/trial.md §1). Day 0 is
     * before infusion: essentially no CAR copies.
     */
    carCopiesMedianByDay: { 0: 0.001, 7: 0.3, 28: 0.1 } as Record<number, number>,
    carCopiesSdLog: 0.8,
    /**
     * True circulating CD8 copies per cell (written as raw qPCR wells, qpcr.csv, src/sim/assays.ts, not as
     * lab values), drawn on the blood-sample days of the paper, Methods ("Measurement of circulating
     * T-cells and cytokines": days 0, +7 and +28; none after the patient's last follow-up), from the
     * patient's own random stream `cd8/<i>`: median × exp(patient effect N(0, cd8PatientSdLog²)) ×
     * exp(N(0, cd8SdLog²)), independent of the blood-pool uptake, as the paper found no correlation
     * between circulating CD8 and blood-pool SUVmean (issue 15 item 6). The paper gives no values: the
     * median (the same on every day, so that the pairing of samples with scans by day induces no
     * correlation through time either) and the spreads are our choice.
     */
    cd8SampleDays: [0, 7, 28] as const,
    cd8CopiesMedian: 0.25,
    cd8PatientSdLog: 0.25,
    cd8SdLog: 0.2,
  },
  biopsy: {
    /** cd8_percent = min(80, slope × true pre-CART SUVpeak × exp(N(0, sd²))). */
    cd8PercentPerSuv: 3,
    sdLog: 0.35,
    patientProbability: 0.3,
  },
  /**
   * Which lesions relapse (lesion_progression.csv; own random stream `lesion-outcomes/<i>`). In a patient
   * who progresses, 1 + Poisson(relapsedLesionsMean − 1) lesions (at most all) relapse on the patient's
   * progression day, drawn without replacement with weight exp(relapseLogHrPerSuvPeak × true pre-CART
   * SUVpeak): within a patient, lower uptake, more likely to relapse. The paper, Results ("outcomes" ¶3,
   * Suppl. Table 3): 7 relapsed lesions in 3 patients (cohort 3), so 7/3 per progressing patient; 6 of 7
   * below the median uptake. The within-patient weight takes the paper's lesion-level HR (0.52 per 10
   * SUVpeak units, 95 % CI 0.19–1.49) as its value: our choice, since the paper's estimate pools lesions
   * of all patients. The pooled estimate on simulated trials is far lower (median ≈ 0.05–0.1), because
   * lesions of low-uptake patients progress more (`outcome.logHrPerLogGmSuvPeak`, needed for the
   * median-split TTP HR 0.21); no choice of this weight consistent with Suppl. Table 3 brings it to 0.52
   * (docs/virtual-trial.md, "Targets not met").
   */
  lesionRelapse: {
    relapsedLesionsMean: 7 / 3,
    relapseLogHrPerSuvPeak: Math.log(0.52) / 10,
  },
  /**
   * Bridging radiotherapy dose per lesion (radiotherapy.csv, the mean dose over the lesion from the
   * plan's dose map): each patient bridged with radiotherapy gets one schedule of fractions (uniform
   * fractionsMin…fractionsMax) × dosePerFractionGy, prescribed to its target lesions, which receive the
   * prescription × uniform(targetDoseRange); every other lesion of the patient receives an out-of-field
   * dose of prescription × min(outOfFieldMax, log-normal(outOfFieldMedian, outOfFieldSdLog)). The paper,
   * Methods ("bridging therapy"): 8 to 20 Gy in 2 to 5 fractions; Results (irradiated lesions): 20
   * target and 57 non-target lesions in 9 patients (the target count per patient is `drawLesions`' 1–3).
   * The paper gives no out-of-field doses: the target spread and the out-of-field distribution are our
   * choice. Dose does not change uptake (the paper: target vs non-irradiated lesions, P = 0.61).
   */
  radiotherapy: {
    dosePerFractionGy: 4,
    fractionsMin: 2,
    fractionsMax: 5,
    targetDoseRange: [0.95, 1.07] as const,
    outOfFieldMedian: 0.03,
    outOfFieldSdLog: 1.2,
    outOfFieldMax: 0.5,
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
