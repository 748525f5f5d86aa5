/**
 * A small, deterministic StudyData for unit tests of the analyses (no files, no simulator): patients in
 * three cohorts (post-CART scans d7 / d5 / d2+d4+d7), lesions whose measured SUVpeak falls with small
 * volume (a partial-volume effect), organ VOIs per scan, FDG lesions with MATV, events, toxicity,
 * labs and biopsies. Options remove pieces to exercise the 'not-run' paths.
 */
import type {
  Biopsy,
  LabValue,
  Patient,
  PatientEvent,
  QuantifiedVoi,
  Scan,
  StudyData,
  Toxicity,
  VoiMetrics,
} from '../../src/study/model.js';
import type { LesionOutcomes } from '../../src/study/lesion-outcomes.js';
import { uniforms } from '../helpers/uniforms.js';

/** Options of {@link buildStudy}. */
export interface BuildOptions {
  patients?: number;
  seed?: number;
  /** Drop every post-CART scan. */
  noPost?: boolean;
  /** No progression or death (everyone censored). */
  allCensored?: boolean;
  /** Keep only one patient with post-CART scans at 'd5'. */
  oneD5Patient?: boolean;
  /** The first non-EBV patient has no lesions. */
  patientWithoutLesions?: boolean;
  settings?: Record<string, unknown>;
  /** No lesion_progression.csv / radiotherapy.csv records. */
  noLesionOutcomes?: boolean;
}

/** The anatomical location word of a test lesion label (src/analysis/lesion-sites.ts maps it to a station). */
function locationOf(site: string, i: number): string {
  if (site === 'spleen') return 'spleen';
  if (site === 'extranodal') return ['bone', 'liver'][i % 2]!;
  return ['cervical', 'axillary', 'mediastinal', 'iliac'][i % 4]!;
}

/** mulberry32 PRNG with a Box–Muller normal. */
class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = uniforms(seed);
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

const ORGAN_MEANS: Record<string, Record<string, number>> = {
  spleen: { pre: 26, d2: 21.5, d4: 20.3, d5: 20, d7: 19.6 },
  liver: { pre: 3.6, d2: 2.9, d4: 2.5, d5: 2.4, d7: 2.2 },
  small_bowel: { pre: 1.6, d2: 1.35, d4: 1.2, d5: 1.15, d7: 1.1 },
  bone_marrow: { pre: 2.4, d2: 2.1, d4: 1.95, d5: 1.9, d7: 1.8 },
  lymph_node: { pre: 0.6, d2: 0.58, d4: 0.6, d5: 0.62, d7: 0.6 },
  brain: { pre: 0.18, d2: 0.28, d4: 0.33, d5: 0.35, d7: 0.32 },
  aorta: { pre: 1.5, d2: 2.2, d4: 1.7, d5: 1.6, d7: 1.5 },
};
const POST_RATIO: Record<string, number> = { d2: 0.75, d4: 0.62, d5: 0.6, d7: 0.9 };
const DAY: Record<string, number> = { pre: -8, d2: 2, d4: 4, d5: 5, d7: 7 };

function metrics(volumeMl: number, suvPeak: number, suvMean: number, rng: Rng): VoiMetrics {
  return {
    voxelCount: Math.max(1, Math.round(volumeMl / 0.064)),
    volumeMl,
    suvMin: suvMean * 0.3,
    suvMax: suvPeak * (1.15 + 0.05 * rng.next()),
    suvMean,
    suvMedian: suvMean,
    suvSd: suvMean * 0.2,
    suvPeakLocal: suvPeak * 0.97,
    suvPeakGlobal: suvPeak,
    matvMl: 0,
  };
}

/** Builds the test study. Deterministic for a given seed and options. */
export function buildStudy(opts: BuildOptions = {}): StudyData {
  const rng = new Rng(opts.seed ?? 7);
  const nP = opts.patients ?? 15;
  const tracer = { name: 'CD8-tracer', nuclide: '89Zr', halfLifeS: 282276 };
  const patients: Patient[] = [];
  const events: PatientEvent[] = [];
  const scans: Scan[] = [];
  const vois: QuantifiedVoi[] = [];
  const toxicity: Toxicity[] = [];
  const labs: LabValue[] = [];
  const biopsies: Biopsy[] = [];
  const ev = (
    patientId: string,
    event: PatientEvent['event'],
    day: number,
    extra: Partial<PatientEvent> = {},
  ): PatientEvent => ({
    patientId,
    event,
    day,
    date: null,
    bridgingType: null,
    activityMbq: null,
    scanId: null,
    lugano: null,
    deathCause: null,
    ...extra,
  });
  let d5PatientSeen = false;
  for (let k = 0; k < nP; k++) {
    const pid = `P${String(k + 1).padStart(2, '0')}`;
    const cohort = String((k % 3) + 1);
    const ebv = k === 0;
    const bridging = k % 3 === 1 ? 'radiotherapy' : k % 4 === 0 ? 'systemic' : 'none';
    patients.push({
      patientId: pid,
      cohort,
      age: 50 + rng.int(0, 25),
      sex: k % 4 === 0 ? 'F' : 'M',
      weightKg: 70 + rng.int(0, 20),
      histology: ebv ? 'EBV+ DLBCL' : k % 5 === 0 ? 'tFL' : 'DLBCL',
      stage: 'IV',
      cnsInvolvement: false,
      ecog: 1,
      previousLines: 2,
      primaryRefractory: true,
      priorAsct: false,
      bridging,
      product: 'axi-cel',
    });
    const b = rng.normal() * 0.4;
    const logMu = Math.log(ebv ? 11 : 4.2) + b;
    const tps = ['pre', ...(cohort === '1' ? ['d7'] : cohort === '2' ? ['d5'] : ['d2', 'd4', 'd7'])].filter(
      (t) => {
        if (t === 'pre') return true;
        if (opts.noPost) return false;
        if (opts.oneD5Patient && t === 'd5') {
          if (d5PatientSeen) return false;
          d5PatientSeen = true;
        }
        return true;
      },
    );
    const nLes = opts.patientWithoutLesions && k === 1 ? 0 : rng.int(4, 12);
    const lesions = Array.from({ length: nLes }, (_, j) => {
      const site = j === 0 && k % 7 === 3 ? 'spleen' : j % 3 === 2 ? 'extranodal' : 'nodal';
      return {
        id: `L${j + 1}`,
        site,
        location: locationOf(site, j + k),
        irradiated: bridging === 'radiotherapy' && j < 2,
        volPre: Math.exp(1 + 1.3 * rng.normal()) * (bridging === 'radiotherapy' && j < 2 ? 4 : 1),
        logTrue: logMu + 0.45 * rng.normal(),
      };
    });
    let meanTrue = 0;
    for (const l of lesions) meanTrue += l.logTrue / Math.max(1, lesions.length);
    for (const tp of tps) {
      const scanId = `${pid}-${tp}`;
      scans.push({
        scanId,
        patientId: pid,
        tracer: tracer.name,
        timepoint: tp,
        day: DAY[tp]!,
        path: `/x/${scanId}`,
        format: 'nifti-suv',
      });
      // Cohort 3: one injection at day 0 for the d2, d4 and d7 scans (only d2 is 2 days after injection).
      const injDay = cohort === '3' && tp !== 'pre' ? 0 : DAY[tp]! - 2;
      events.push(ev(pid, 'tracer_injection', injDay, { activityMbq: 37, scanId }));
      for (const [organ, means] of Object.entries(ORGAN_MEANS)) {
        const m = means[tp]! * Math.exp(0.1 * rng.normal());
        vois.push({
          voiId: `${scanId}-${organ}`,
          scanId,
          kind: 'organ',
          label: organ,
          lesionId: null,
          site: null,
          irradiated: null,
          maskPath: '/x/m',
          maskLabel: 1,
          roiName: null,
          patientId: pid,
          timepoint: tp,
          tracer: tracer.name,
          ...metrics(100, m * 1.3, m, rng),
        });
      }
      for (const l of lesions) {
        const vol =
          tp === 'pre' ? l.volPre : l.volPre * (tp === 'd7' ? 0.6 : 0.8) * Math.exp(0.2 * rng.normal());
        const logTrue =
          tp === 'pre'
            ? l.logTrue
            : Math.log(POST_RATIO[tp]!) + logMu + 0.75 * (l.logTrue - logMu) + 0.3 * rng.normal();
        const recovery = 1 - 0.6 * Math.exp(-vol / 1.5);
        const suv = Math.exp(logTrue) * recovery * Math.exp(0.1 * rng.normal());
        vois.push({
          voiId: `${scanId}-${l.id}`,
          scanId,
          kind: 'lesion',
          label: `${l.id} ${l.location}`,
          lesionId: l.id,
          site: l.site,
          irradiated: l.irradiated,
          maskPath: '/x/m',
          maskLabel: 2,
          roiName: null,
          patientId: pid,
          timepoint: tp,
          tracer: tracer.name,
          ...metrics(vol, suv, suv * 0.6, rng),
        });
      }
    }
    // FDG scan before lymphodepletion with lesion MATV
    if (nLes > 0) {
      const fdgId = `${pid}-fdg`;
      scans.push({
        scanId: fdgId,
        patientId: pid,
        tracer: '18F-FDG',
        timepoint: 'pre-ld',
        day: -6,
        path: `/x/${fdgId}`,
        format: 'nifti-suv',
      });
      for (const l of lesions) {
        const m = metrics(l.volPre * 3, 8, 5, rng);
        m.matvMl = l.volPre * 3 * (0.5 + rng.next());
        vois.push({
          voiId: `${fdgId}-${l.id}`,
          scanId: fdgId,
          kind: 'lesion',
          label: `${l.id} ${l.location}`,
          lesionId: l.id,
          site: l.site,
          irradiated: l.irradiated,
          maskPath: '/x/m',
          maskLabel: 2,
          roiName: null,
          patientId: pid,
          timepoint: 'pre-ld',
          tracer: '18F-FDG',
          ...m,
        });
      }
    }
    events.push(ev(pid, 'infusion', 0));
    // Outcome: hazard falls with uptake.
    const rate = 0.004 * Math.exp(-1.5 * (meanTrue - Math.log(4.2)));
    const tProg = Math.round(-Math.log(Math.max(rng.next(), 1e-9)) / rate) + 10;
    const fu = 200 + rng.int(0, 400);
    if (!opts.allCensored && tProg < fu) {
      events.push(ev(pid, 'progression', tProg));
      if (k % 2 === 0) events.push(ev(pid, 'death', Math.min(fu, tProg + 60), { deathCause: 'lymphoma' }));
      else events.push(ev(pid, 'last_follow_up', fu));
    } else if (!opts.allCensored && k % 9 === 5) {
      events.push(ev(pid, 'death', Math.round(fu / 2), { deathCause: 'other' }));
    } else {
      events.push(ev(pid, 'last_follow_up', fu));
    }
    events.push(ev(pid, 'response', 28, { lugano: !opts.allCensored && tProg < 120 ? 'PR' : 'CR' }));
    toxicity.push({
      patientId: pid,
      crsGrade: k % 2 === 0 ? 2 : 1,
      icansGrade: k % 3 === 0 ? 2 : 0,
      tocilizumab: true,
      steroids: k % 2 === 0,
    });
    for (const d of [0, 7, 28]) {
      labs.push({
        patientId: pid,
        day: d,
        analyte: 'cd8_copies_per_cell',
        value: Math.exp(-1 + 0.5 * rng.normal() + (d === 7 ? 0.4 : 0)),
      });
    }
    // CAR copies per cell (days 7, 14, 28) and cytokines (days 0, 7, 28): deterministic, no draw.
    for (const [d, f] of [
      [7, 3],
      [14, 1],
      [28, 0.3],
    ] as const)
      labs.push({
        patientId: pid,
        day: d,
        analyte: 'car_copies_per_cell',
        value: (0.2 + 0.05 * ((k * 7) % 11)) * f,
      });
    for (const d of [0, 7, 28]) {
      labs.push({
        patientId: pid,
        day: d,
        analyte: 'il6_pg_ml',
        value: 8 + ((k * 13) % 17) * (d === 7 ? 5 : 1),
      });
      labs.push({ patientId: pid, day: d, analyte: 'ifng_pg_ml', value: 3 + ((k * 5) % 7) + d / 7 });
    }
    if (k < 8 && nLes > 0)
      biopsies.push({ patientId: pid, lesionId: 'L1', cd8Percent: Math.max(1, 10 + 5 * rng.normal()) });
  }
  return {
    name: 'test study',
    tracer,
    settings: {
      suvPeak: 'global',
      excludeEbvPositive: true,
      matvThresholdSuv: 2.5,
      ...(opts.settings ?? {}),
    },
    patients,
    events,
    scans,
    vois,
    toxicity,
    labs,
    biopsies,
    ...(opts.noLesionOutcomes ? {} : { lesionOutcomes: lesionOutcomesOf(patients, events, vois) }),
  };
}

/**
 * Lesion outcomes: in each patient who progressed, the lowest-uptake pre-CART lesion relapses (and the
 * second in every other such patient) on the progression day; every lesion of a radiotherapy patient
 * has a dose: targets 8–20 Gy, the others 0–3 Gy.
 */
function lesionOutcomesOf(
  patients: Patient[],
  events: PatientEvent[],
  vois: QuantifiedVoi[],
): LesionOutcomes {
  const out: LesionOutcomes = { lesionProgression: [], lesionRadiotherapy: [] };
  patients.forEach((p, k) => {
    const pre = vois
      .filter((v) => v.patientId === p.patientId && v.kind === 'lesion' && v.timepoint === 'pre')
      .sort((a, b) => a.suvPeakGlobal - b.suvPeakGlobal);
    const prog = events.find((e) => e.patientId === p.patientId && e.event === 'progression');
    if (prog)
      for (const v of pre.slice(0, k % 2 === 0 ? 2 : 1))
        out.lesionProgression.push({
          patientId: p.patientId,
          lesionId: v.lesionId!,
          day: prog.day,
          date: null,
        });
    if (p.bridging === 'radiotherapy')
      pre.forEach((v, j) =>
        out.lesionRadiotherapy.push({
          patientId: p.patientId,
          lesionId: v.lesionId!,
          doseGy: v.irradiated ? 8 + 4 * (k % 4) + 0.3 * j : (0.37 * j + 0.11 * k) % 3,
          fractions: 2,
        }),
      );
  });
  return out;
}
