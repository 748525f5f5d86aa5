/**
 * The virtual trial's patient characteristics (decks dealt in the trial's exact proportions), each
 * patient's journey (apheresis, bridging, scans, tracer injections, infusion) and organ uptake per scan.
 */
import type { Bridging, NotInfusedPatient, PatientEvent, Patient, Sex } from '../study/model.js';
import { ORGANS, type Organ } from './phantom.js';
import { Rng } from '../stats/prng.js';
import { POST_DAY, SIM_MODEL, TRACER, type PostTimepoint } from './trial-params.js';
import {
  DAY_MS,
  isoDate,
  round,
  type PatientDraw,
  type PlannedScan,
  type TrialRecords,
  type TrialTiming,
} from './trial-types.js';

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
export interface TrialDecks {
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
export function drawDecks(dr: Rng, N: number): TrialDecks {
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

/**
 * Journey (days relative to infusion): infusion date, apheresis, bridging, the scan plan and the
 * tracer injections (2 days before each scan; cohort 3 has one injection at day 0 for its day +2,
 * +4 and +7 scans), with the scans and acquisitions they give; then lymphodepletion and infusion.
 */
export function drawJourney(
  acc: TrialRecords,
  base: Omit<PatientDraw, 'infusionMs' | 'ev' | 'scanList'>,
  N: number,
  timing: TrialTiming,
): PatientDraw {
  const M = SIM_MODEL;
  const { rng, i, patientId, cohort, bridging, sex, age, weightKg } = base;
  const { t0, t1 } = timing;
  const { events, scans, acquisitions } = acc;
  const frac = N === 1 ? 0 : Math.pow(i / (N - 1), M.outcome.enrolmentShape);
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
export function drawOrganSuvs(acc: TrialRecords, p: PatientDraw): Map<string, Record<Organ, number>> {
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

/**
 * The patients assessed but never infused (CONSORT, `SIM_MODEL.consort`): for each drop-out reason,
 * round(count × N / 23) patients, in their own random stream `consort` (the infused patients' draws
 * are unchanged). Each takes the place in the enrolment order, and so the cohort and the would-be
 * infusion date, of a random infused patient; the drop-out date is `daysBeforeInfusion` before it.
 * IDs are `VT-S01`, `VT-S02`, … in order of drop-out date.
 */
export function drawNotInfused(
  seed: number,
  N: number,
  cohorts: readonly ('1' | '2' | '3')[],
  timing: TrialTiming,
): NotInfusedPatient[] {
  const C = SIM_MODEL.consort;
  const rng = new Rng(seed, 'consort');
  const drawn: (Omit<NotInfusedPatient, 'patientId'> & { ms: number })[] = [];
  for (const r of C.notInfused) {
    const n = Math.round((r.count * N) / C.evaluablePatients);
    for (let k = 0; k < n; k++) {
      const i = rng.int(0, N - 1);
      const frac = N === 1 ? 0 : Math.pow(i / (N - 1), SIM_MODEL.outcome.enrolmentShape);
      const infusionDay =
        Math.round((timing.t0 + frac * (timing.t1 - timing.t0)) / DAY_MS) + rng.int(-10, 10);
      const ms = (infusionDay - r.daysBeforeInfusion) * DAY_MS;
      drawn.push({
        cohort: cohorts[i]!,
        stage: r.stage,
        dropoutReason: r.reason,
        dropoutDate: isoDate(ms),
        ms,
      });
    }
  }
  drawn.sort((a, b) => a.ms - b.ms);
  const width = Math.max(2, String(drawn.length).length);
  return drawn.map(({ ms: _ms, ...p }, k) => ({
    patientId: `VT-S${String(k + 1).padStart(width, '0')}`,
    ...p,
  }));
}
