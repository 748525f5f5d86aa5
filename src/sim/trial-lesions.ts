/**
 * The virtual trial's lesions: count, placement, true SUVpeak and volume per scan, the optional FDG
 * scan, and the phantom scenes and VOIs of each scan.
 */
import type { Vec3 } from '../imaging/volume.js';
import { BRAIN_LOCATION, LOCATIONS, placeSphere, type PlacedSphere } from './lesions.js';
import { ORGANS, type Organ, type ScanScene } from './phantom.js';
import { Rng } from '../stats/prng.js';
import { SIM_MODEL, type PostTimepoint, type SimulateOptions } from './trial-params.js';
import { round, type LesionTruth, type PatientDraw, type TrialRecords } from './trial-types.js';

/** A patient's lesions, the log pre-CART SUVpeaks, and the scene and VOI builders of their scans. */
export interface PatientLesions {
  patLesions: LesionTruth[];
  lesionLogPre: number[];
  /** Whether the patient has bulky disease (SIM_MODEL.lesion.bulkyFraction; raises the progression hazard). */
  bulky: boolean;
  /** The phantom scene of a scan (tissue SUVs, the patient's lesions as on that scan). */
  sceneOf: (scanId: string, tissueSuv: ScanScene['tissueSuv']) => ScanScene;
  /** Adds the lesion VOIs of a scan. */
  pushLesionVois: (scanId: string) => void;
}

/**
 * Lesions: count, brain and irradiated lesions, sphere placement, true pre-CART SUVpeak and its
 * post-CART change and volume change per scan (docs/references/trial.md §7).
 */
export function drawLesions(acc: TrialRecords, p: PatientDraw, o: Required<SimulateOptions>): PatientLesions {
  const M = SIM_MODEL;
  const { rng, patientId, cns, ebv, bridging, scanList } = p;
  const { vois, logRatioSum } = acc;
  const L = M.lesion;
  const nLes = rng.bernoulli(L.limitedDiseaseFraction)
    ? rng.int(1, L.limitedCountMax)
    : Math.max(1, Math.min(L.countMax, Math.round(rng.logNormal(L.countMedian, L.countSdLog))));
  const bulky = rng.bernoulli(L.bulkyFraction);
  const nBrain = cns ? Math.min(nLes, rng.int(1, 2)) : 0;
  const nIrr =
    bridging === 'radiotherapy' || bridging === 'combination' ? Math.min(nLes - nBrain, rng.int(1, 3)) : 0;
  const nBulky = bulky ? Math.max(0, Math.min(L.bulkyLesionCount, nLes - nBrain - nIrr)) : 0;
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
  // Bulky lesions go where a sphere of the bulky diameter fits (not the spleen).
  const bulkyWeights = LOCATIONS.map((l) => (l.maxDiameterCm >= 7 && l.site !== 'spleen' ? l.weight : 0));
  for (let l = 0; l < nLes; l++) {
    const irradiated = l < nIrr;
    const isBrain = l >= nLes - nBrain;
    const isBulky = !irradiated && !isBrain && l < nIrr + nBulky;
    let location = isBrain ? BRAIN_LOCATION : LOCATIONS[rng.weighted(isBulky ? bulkyWeights : nodalWeights)]!;
    if (irradiated && location.maxDiameterCm < 5) location = LOCATIONS.find((x) => x.name === 'mediastinal')!;
    const dCm = irradiated
      ? rng.logNormal(L.irradiatedDiameterMedianCm, L.irradiatedDiameterSdLog)
      : isBulky
        ? rng.logNormal(L.bulkyDiameterMedianCm, L.bulkyDiameterSdLog)
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
  return { patLesions, lesionLogPre, bulky: nBulky > 0, sceneOf, pushLesionVois };
}

/**
 * FDG PET before lymphodepletion (own random stream, so the CD8 trial is the same with or without):
 * the scan, each lesion's FDG SUV, its scene and VOIs.
 * @returns the true MATV (mL of lesions with FDG SUV ≥ the threshold)
 */
export function addFdgScan(
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
export function addScenesAndVois(
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

/** Poisson(mean) by inversion of the CDF (small means only). */
function poisson(rng: Rng, mean: number): number {
  const u = rng.uniform();
  let k = 0;
  let pk = Math.exp(-mean);
  let cdf = pk;
  while (u > cdf && k < 1000) {
    k++;
    pk *= mean / k;
    cdf += pk;
  }
  return k;
}

/**
 * Lesion-level outcomes of a patient (own random stream `lesion-outcomes/<i>`, so the rest of the trial
 * is the same draw): the radiotherapy dose of every lesion of a patient bridged with radiotherapy
 * (SIM_MODEL.radiotherapy) and, when the patient progressed (a `progression` event already drawn), the
 * lesions that relapsed on that day (SIM_MODEL.lesionRelapse).
 */
export function drawLesionOutcomes(
  acc: TrialRecords,
  p: PatientDraw,
  o: Required<SimulateOptions>,
  les: PatientLesions,
): void {
  const M = SIM_MODEL;
  const rng = new Rng(o.seed, `lesion-outcomes/${p.i}`);
  const { lesionProgression, lesionRadiotherapy } = acc.lesionOutcomes;
  if (p.bridging === 'radiotherapy' || p.bridging === 'combination') {
    const R = M.radiotherapy;
    const fractions = rng.int(R.fractionsMin, R.fractionsMax);
    const prescribedGy = fractions * R.dosePerFractionGy;
    for (const lt of les.patLesions) {
      const share = lt.irradiated
        ? rng.between(R.targetDoseRange[0], R.targetDoseRange[1])
        : Math.min(R.outOfFieldMax, rng.logNormal(R.outOfFieldMedian, R.outOfFieldSdLog));
      const doseGy = round(prescribedGy * share, 2);
      // An out-of-field dose that rounds to 0 Gy has no fractions (radiotherapy.csv).
      lesionRadiotherapy.push({
        patientId: p.patientId,
        lesionId: lt.lesionId,
        doseGy,
        fractions: doseGy > 0 ? fractions : null,
      });
    }
  }
  const prog = acc.events.find((e) => e.patientId === p.patientId && e.event === 'progression');
  if (!prog) return;
  const L = M.lesionRelapse;
  const pool = les.patLesions.map((lt) => ({
    lt,
    w: Math.exp(L.relapseLogHrPerSuvPeak * lt.scans.find((s) => s.timepoint === 'pre')!.suvPeakTrue),
  }));
  const k = Math.min(pool.length, 1 + poisson(rng, L.relapsedLesionsMean - 1));
  const chosen: LesionTruth[] = [];
  for (let j = 0; j < k; j++) {
    const idx = rng.weighted(pool.map((x) => x.w));
    chosen.push(pool.splice(idx, 1)[0]!.lt);
  }
  chosen.sort((a, b) => a.maskLabel - b.maskLabel);
  for (const lt of chosen)
    lesionProgression.push({
      patientId: p.patientId,
      lesionId: lt.lesionId,
      day: prog.day,
      date: prog.date,
    });
}
