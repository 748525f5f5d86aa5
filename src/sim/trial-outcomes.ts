/**
 * The virtual trial's outcomes (Weibull PH time to progression, deaths, responses), toxicity, labs
 * and biopsies.
 */
import type { AdverseEvent, Lugano } from '../study/model.js';
import { Rng } from '../stats/prng.js';
import type { AssayPatientInput } from './assays.js';
import { SIM_MODEL } from './trial-params.js';
import type { PatientLesions } from './trial-lesions.js';
import {
  DAY_MS,
  isoDate,
  round,
  type LesionTruth,
  type PatientDraw,
  type TrialRecords,
} from './trial-types.js';

/**
 * Outcomes: Weibull PH time to progression on the mean log pre-CART SUVpeak, deaths from lymphoma
 * and other causes, Lugano responses at day +28 and month 3, and the patient's truth record.
 * @returns the last day the patient is followed (death or last follow-up)
 */
export function drawOutcomes(
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
  const risk = Math.exp(
    Oc.logHrPerLogGmSuvPeak * (x - Oc.centreLogGmSuvPeak) + (les.bulky ? Oc.logHrBulky : 0),
  );
  const tProg = scale * Math.pow(rng.exponential(1) / risk, 1 / Oc.weibullShape);
  const tOther = rng.exponential(Oc.otherDeathRatePerDay);
  const tLymDeath = tProg + rng.exponential(1 / Oc.lymphomaDeathAfterProgressionMeanDays);
  const followUp = Math.round((cutoff - infusionMs) / DAY_MS);
  const progressed = tProg < Math.min(tOther, followUp);
  // Evaluable patients were alive at their last CD8 scan (day ≤ +7): no event before the day after it.
  const firstEventDay = Math.max(1, ...p.scanList.map((s) => s.day + 1));
  const progDay = progressed ? Math.max(firstEventDay, Math.round(tProg)) : null;
  let deathDay: number | null = null;
  let deathCause: 'lymphoma' | 'other' | null = null;
  const tDeath = progressed ? Math.min(tOther, tLymDeath) : tOther;
  if (tDeath < followUp) {
    deathDay = Math.max(progDay ?? firstEventDay, Math.round(tDeath));
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
 * Toxicity (ASTCT 2019 grades) and labs: CD8 copies per cell on days 0, +7 and +28 and IL-6 (true
 * values for the assay simulator), CAR copies after infusion.
 */
export function drawToxicityAndLabs(acc: TrialRecords, p: PatientDraw, endDay: number): void {
  const M = SIM_MODEL;
  const { rng, patientId } = p;
  const { toxicity, assayInputs, labs } = acc;
  // Toxicity (ASTCT 2019 grades), calibrated in SIM_MODEL.toxicity.
  const T = M.toxicity;
  const crs = [0, 1, 2, 3, 4][rng.weighted(T.crsGradeWeights)]!;
  const icansHigh = rng.bernoulli(
    crs >= 2 ? T.icansHighProbabilityIfCrsHigh : T.icansHighProbabilityOtherwise,
  );
  const icans = icansHigh
    ? [2, 3, 4][rng.weighted(T.icansHighGradeWeights)]!
    : rng.bernoulli(T.icansGrade1Probability)
      ? 1
      : 0;
  const toci = T.tocilizumabProbability;
  const ster = T.steroidProbability;
  toxicity.push({
    patientId,
    crsGrade: crs,
    icansGrade: icans,
    tocilizumab: rng.bernoulli(crs >= 2 ? toci.crsHigh : crs === 1 ? toci.crs1 : toci.crs0),
    steroids: rng.bernoulli(icans >= 2 ? ster.icansHigh : crs >= 2 ? ster.crsHigh : ster.other),
  });

  // Labs: circulating CD8 copies per cell on the blood-sample days (SIM_MODEL.labs, own stream, no
  // relation to the blood pool), CAR copies and IL-6 after infusion.
  // CD8 copies per cell and IL-6 are true values here: the bundle gets raw qPCR and cytokine wells.
  const assayIn: AssayPatientInput = { patientId, crsGrade: crs, cd8CopiesPerCell: [], il6PgMl: [] };
  assayInputs.push(assayIn);
  const L = M.labs;
  const cd8Rng = new Rng(acc.truthBase.seed, `cd8/${p.i}`);
  const cd8Patient = cd8Rng.gauss(0, L.cd8PatientSdLog);
  for (const d of L.cd8SampleDays) {
    if (d > endDay) continue;
    assayIn.cd8CopiesPerCell.push({
      day: d,
      value: round(L.cd8CopiesMedian * Math.exp(cd8Patient + cd8Rng.gauss(0, L.cd8SdLog)), 4),
    });
  }
  for (const [d, med] of Object.entries(M.labs.carCopiesMedianByDay).map(
    ([k, v]) => [Number(k), v] as const,
  )) {
    if (d > endDay) continue;
    labs.push({
      patientId,
      day: d,
      analyte: 'car_copies_per_cell',
      value: round(rng.logNormal(med, M.labs.carCopiesSdLog), 4),
    });
  }
  for (const d of [0, 7, 28]) {
    if (d > endDay) continue;
    const base = d === 7 && crs >= 2 ? 60 : 8;
    assayIn.il6PgMl.push({ day: d, value: round(rng.logNormal(base, 0.7), 2) });
  }
}

/** Biopsy of the largest non-brain lesion in ~30 % of patients (at least one in the trial). */
export function drawBiopsy(acc: TrialRecords, p: PatientDraw, N: number, patLesions: LesionTruth[]): void {
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

/**
 * Adverse events (CTCAE v5.0) of one patient, rates in `SIM_MODEL.adverseEvents` (sources there), in
 * the patient's own random stream `adverse-events/<i>` (the other draws are unchanged): tracer-related
 * events after each tracer injection, grade 3–4 cytopenias and febrile neutropenia of CAR T, low-grade
 * events, a late infection, and a grade-5 sepsis before a death from another cause than lymphoma.
 * Only events with onset on or before `endDay` (death or last follow-up) are kept.
 */
export function drawAdverseEvents(acc: TrialRecords, p: PatientDraw, seed: number, endDay: number): void {
  const A = SIM_MODEL.adverseEvents;
  const { patientId, infusionMs } = p;
  const rng = new Rng(seed, `adverse-events/${p.i}`);
  const day = (range: readonly [number, number]): number => rng.int(range[0], range[1]);
  const drawn: Omit<AdverseEvent, 'patientId' | 'onsetDate'>[] = [];
  const none = { tracerInjectionDay: null, tracerScanId: null };
  const injections = new Map<number, string>();
  for (const s of p.scanList) if (!injections.has(s.injDay)) injections.set(s.injDay, `${patientId}-${s.tp}`);
  for (const [injDay, scanId] of injections) {
    if (!rng.bernoulli(A.tracerRelatedProbabilityPerInjection)) continue;
    const t = A.tracerRelatedEvent;
    drawn.push({
      ctcaeTerm: t.term,
      grade: t.grade,
      onsetDay: injDay + day(t.onsetDays),
      attribution: 'tracer',
      tracerInjectionDay: injDay,
      tracerScanId: scanId,
    });
  }
  for (const e of A.carTGrade3) {
    if (!rng.bernoulli(e.probability)) continue;
    const grade = rng.bernoulli(e.grade4Fraction) ? 4 : 3;
    drawn.push({ ctcaeTerm: e.term, grade, onsetDay: day(e.onsetDays), attribution: 'car-t', ...none });
  }
  for (const e of A.lowGrade) {
    if (!rng.bernoulli(e.probability)) continue;
    const grade = rng.int(1, 2);
    drawn.push({ ctcaeTerm: e.term, grade, onsetDay: day(e.onsetDays), attribution: e.attribution, ...none });
  }
  const L = A.lateInfection;
  if (rng.bernoulli(L.probability))
    drawn.push({
      ctcaeTerm: L.term,
      grade: L.grade,
      onsetDay: day(L.onsetDays),
      attribution: 'car-t',
      ...none,
    });
  const death = acc.events.find((e) => e.patientId === patientId && e.event === 'death');
  if (death?.deathCause === 'other') {
    const onsetDay = Math.max(0, death.day - rng.int(0, A.fatalInfectionOnsetDaysBefore));
    drawn.push({ ctcaeTerm: 'Sepsis', grade: 5, onsetDay, attribution: 'car-t', ...none });
  }
  for (const e of drawn.filter((x) => x.onsetDay <= endDay).sort((a, b) => a.onsetDay - b.onsetDay))
    acc.adverseEvents.push({ patientId, ...e, onsetDate: isoDate(infusionMs + e.onsetDay * DAY_MS) });
}
