/**
 * The virtual trial: a deterministic (seeded) draw of a study like the 89Zr-anti-CD8 PET CAR T trial
 * of docs/references/trial.md §1 (calibration targets: §7) — patients in three cohorts, their journey, toxicity,
 * labs, biopsies, outcomes, lesions and organ uptake per scan — with every true parameter kept in a
 * `TrialTruth`. Images are rendered on demand by `SimulatedTrial.render(scanId)` (see `phantom.ts`).
 * Pure computation: `src/cli/simulated-bundle.ts` writes the bundle.
 *
 * Generative model (all logs natural):
 * - pre-CART true lesion SUVpeak: log S = μ + b_patient + e_lesion, μ = log 4.2 (log 11 for EBV+
 *   DLBCL), b ~ N(0, 0.45²), e ~ N(0, 0.5²); independent of lesion size (the premise of the
 *   seed's partial-volume correction). The lesion is a sphere of uniform SUV S, so "true SUVpeak"
 *   means the tumour's own uptake, before PSF blur and partial-volume loss.
 * - post-CART at timepoint t: log S_t = log r_t + μ + β (log S − μ) + c_patient + d_lesion with
 *   β = 0.75, c ~ N(0, 0.25²), d ~ N(0, 0.35²), so the population pre → post geometric-mean
 *   ratio is exactly r_t (d2 0.75, d4 0.62, d5 0.60, d7 0.90). Lesion volume × v_t·exp(N(0, 0.25²)).
 * - lesions per patient: limited disease (1–4) in 30 %, else log-normal (median 13, capped at 30);
 *   bulky disease (5 lesions of ~7 cm, MATV ≥ 480 mL) in 25 % of patients.
 * - time to progression: Weibull proportional hazards, cumulative hazard
 *   H(t) = (t / λ)^k · exp(γ (x − x₀) + δ·bulky), x = patient mean of log true pre-CART SUVpeak (log
 *   geometric mean), γ = −3.2 (true log-HR per unit of log GM SUVpeak), δ = log 3, x₀ = log 4.2,
 *   k = 1.3, median 450 days at x₀; deaths from other causes at rate 1/6000 per day (competing,
 *   independent); lymphoma death after progression ~ Exp(mean 150 d); administrative censoring at the
 *   data cut-off.
 * Every number is a named parameter of `SIM_MODEL` (src/sim/trial-params.ts) with its source in the
 * paper (docs/references/trial.md §7, §11); docs/virtual-trial.md has the calibration table.
 */

import type { SimulateOptions as Opts } from './trial-params.js';
import { phantomGrid, renderScan, type RenderedScan, type ScanScene } from './phantom.js';
import { Rng } from '../stats/prng.js';
import { simulateLabAssays } from './assays.js';
import { designFlowSamples, flowGatingMl, flowStudyBlock, FLOW_MODEL, renderFlowSample } from './flow.js';
import { POST_TIMEPOINTS, SIM_MODEL, TRACER } from './trial-params.js';
import type { FlowFileRow, SimulatedTrial, TrialRecords, TrialTiming, TrialTruth } from './trial-types.js';
import { round } from './trial-types.js';
import { drawDecks, drawJourney, drawNotInfused, drawOrganSuvs, type TrialDecks } from './journey.js';
import { addFdgScan, addScenesAndVois, drawLesionOutcomes, drawLesions } from './trial-lesions.js';
import { drawAdverseEvents, drawBiopsy, drawOutcomes, drawToxicityAndLabs } from './trial-outcomes.js';

export { SIM_MODEL } from './trial-params.js';
export type { SimulateOptions, Timepoint, ScanTimepoint } from './trial-params.js';
export type {
  LesionScanTruth,
  LesionTruth,
  PatientTruth,
  ScanTruth,
  TrialTruth,
  FlowFileRow,
  ScanAcquisition,
  StudyJson,
  SimulatedTrial,
} from './trial-types.js';
type SimulateOptions = Opts;

/** The truth record before any patient is drawn: definitions, options, model and population ratios. */
export function emptyTruth(o: Required<SimulateOptions>): Omit<TrialTruth, 'assays'> {
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

  drawToxicityAndLabs(acc, p, endDay);
  drawBiopsy(acc, p, N, les.patLesions);
  drawAdverseEvents(acc, p, o.seed, endDay);
  drawLesionOutcomes(acc, p, o, les);
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
    adverseEvents: [],
    lesionOutcomes: { lesionProgression: [], lesionRadiotherapy: [] },
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
    notInfused: drawNotInfused(o.seed, N, decks.cohorts, timing),
    adverseEvents: acc.adverseEvents,
    lesionOutcomes: acc.lesionOutcomes,
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
