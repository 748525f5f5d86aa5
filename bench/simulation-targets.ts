/**
 * Record-level quantities of one simulated trial compared with the reference trial's headline
 * numbers (docs/references/trial.md §7; docs/virtual-trial.md): computed from the simulator's records
 * and truth, no images, so hundreds of seeds run in seconds. The image-based estimates and their CI
 * coverage are in simulation-pipeline.ts (run by simulation-check.bench.ts).
 * Run alone: node --import tsx bench/simulation-targets.ts [seeds=200] [patients=23]
 */
import { readFileSync } from 'node:fs';
import { coxphFirth } from '../src/stats/survival/firth.js';
import { simulateTrial, type SimulatedTrial } from '../src/sim/trial.js';
import type { LesionScanTruth, LesionTruth } from '../src/sim/trial-types.js';

/**
 * One target: its key, the trial's value, its source in the seed; `share` marks a per-seed 0/100
 * indicator (significant, CI covers the truth) summarised as the % of seeds.
 */
export interface Target {
  key: string;
  trial: string;
  source: string;
  share?: boolean;
}

/** The record-level targets (the simulator's records and truth), in table order. */
export const TARGETS: Target[] = [
  { key: 'lesions total', trial: '251', source: 'Results "tumor lesions" ¶1; Fig. 3a' },
  { key: 'lesions per patient (median)', trial: '11 (IQR 3–14)', source: 'Results "tumor lesions" ¶1' },
  { key: 'ORR % (non-EBV)', trial: '95', source: 'Results "outcomes" ¶1' },
  { key: 'PD best response (n)', trial: '1', source: 'Results "outcomes" ¶1' },
  { key: 'median follow-up (months)', trial: '8.8 (2.4–30.0)', source: 'Results "outcomes" ¶1' },
  { key: 'TTP events (non-EBV)', trial: 'not reported', source: 'Results "outcomes"; Fig. 6a' },
  { key: 'true-x median-split TTP HR', trial: '0.21 [0.04–0.80]', source: 'Results "outcomes" ¶2; Fig. 6a' },
  { key: 'true-x split significant %', trial: 'most seeds', source: 'issue 15 item 6', share: true },
  {
    key: 'true-x lesion-level HR per 10 SUVpeak',
    trial: '0.52 [0.19–1.49]',
    source: 'Results "outcomes" ¶3',
  },
  {
    key: 'relapsed lesions, cohort 3 (n)',
    trial: '7 (in 3 patients)',
    source: 'Results "outcomes" ¶3; Suppl. Table 3',
  },
  {
    key: 'relapsed lesions below median pre SUVpeak %',
    trial: '86 (6/7, cohort 3)',
    source: 'Results "outcomes" ¶3; Suppl. Table 3',
  },
  {
    key: 'true GM SUVpeak EBV+ / other',
    trial: '2.8 (11.3/4.1)',
    source: 'Results "tumor lesions"; Fig. 3d',
  },
  {
    key: 'true GM SUVpeak irradiated / not',
    trial: '0.91 (3.9/4.3), P 0.61',
    source: 'Results "tumor lesions"; Fig. 3h',
  },
  {
    key: 'true GM volume irradiated / not',
    trial: '8.9 (21.3/2.4 mL)',
    source: 'Results "tumor lesions"; Fig. 3g',
  },
  { key: 'CRS ≥ 2 %', trial: '57 (12/21)', source: 'Results "toxicity"' },
  { key: 'ICANS ≥ 2 %', trial: '≈40 (9–12/21)', source: 'Results "toxicity"; Fig. 6d legend' },
  { key: 'steroids %', trial: '67 (14/21)', source: 'Results "toxicity"' },
  { key: 'tocilizumab %', trial: '71 (15/21)', source: 'Results "toxicity"' },
  { key: 'MATV ≥ 480 mL %', trial: 'part of cohort', source: 'Results "MATV"; Suppl. Fig. 10' },
  {
    key: 'true MATV ≥ 480 mL TTP HR',
    trial: 'shorter TTP, P 0.02',
    source: 'Results "MATV"; Suppl. Fig. 10a–c',
  },
  { key: 'true MATV split significant %', trial: 'P 0.02', source: 'Results "MATV"', share: true },
  { key: 'true GMR day +7', trial: '0.90 (3.6/4.0)', source: 'Results "pre→post" ¶1; Fig. 4a' },
];

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Firth Cox HR of one binary or continuous covariate and whether its p ≤ 0.05 (as 100/0); NaN without events. */
function firthHr(days: number[], events: boolean[], x: number[]): { hr: number; sig: number } {
  if (!events.some(Boolean) || new Set(x).size < 2) return { hr: NaN, sig: NaN };
  const c = coxphFirth(
    days,
    events.map((e) => (e ? 1 : 0)),
    { names: ['x'], columns: [x] },
  ).coefficients[0]!;
  return { hr: c.hr, sig: c.p <= 0.05 ? 100 : 0 };
}

const logGm = (v: number[]): number => v.reduce((a, b) => a + Math.log(b), 0) / v.length;
const preTrue = (l: LesionTruth): LesionScanTruth => l.scans.find((s) => s.timepoint === 'pre')!;

/**
 * Lesion-level record quantities of one trial (non-EBV patients, true pre-CART SUVpeak): the Firth HR of
 * progression at a lesion per 10 SUVpeak units (time to the lesion's relapse, censored at the patient's
 * TTP, as src/analysis/lesion-progression.ts), the relapsed lesions of cohort 3, the share of relapsed
 * lesions below the median pre-CART SUVpeak, and the EBV+ / other and irradiated / not ratios.
 */
function lesionQuantities(t: SimulatedTrial): Record<string, number> {
  const T = t.truth;
  const patient = new Map(T.patients.map((p) => [p.patientId, p]));
  const prim = T.lesions.filter((l) => !patient.get(l.patientId)!.ebvPositive);
  const relapse = new Map(
    t.lesionOutcomes.lesionProgression.map((r) => [`${r.patientId}/${r.lesionId}`, r.day]),
  );
  const day = (l: LesionTruth): number | undefined => relapse.get(`${l.patientId}/${l.lesionId}`);
  const suv = prim.map((l) => preTrue(l).suvPeakTrue);
  const lesionHr = firthHr(
    prim.map((l) => day(l) ?? patient.get(l.patientId)!.ttp.days),
    prim.map((l) => day(l) !== undefined),
    suv.map((v) => v / 10),
  ).hr;
  const med = median(suv);
  const relapsed = prim.filter((l) => day(l) !== undefined);
  const ebvLes = T.lesions.filter((l) => patient.get(l.patientId)!.ebvPositive);
  const bridgedRt = new Set(
    t.patients
      .filter((p) => p.bridging === 'radiotherapy' || p.bridging === 'combination')
      .map((p) => p.patientId),
  );
  const rtLes = prim.filter((l) => bridgedRt.has(l.patientId));
  const irr = rtLes.filter((l) => l.irradiated);
  const notIrr = rtLes.filter((l) => !l.irradiated);
  const ratio = (a: LesionTruth[], b: LesionTruth[], f: (s: LesionScanTruth) => number): number =>
    a.length && b.length
      ? Math.exp(logGm(a.map((l) => f(preTrue(l)))) - logGm(b.map((l) => f(preTrue(l)))))
      : NaN;
  return {
    'true-x lesion-level HR per 10 SUVpeak': lesionHr,
    'relapsed lesions, cohort 3 (n)': relapsed.filter((l) => patient.get(l.patientId)!.cohort === '3').length,
    'relapsed lesions below median pre SUVpeak %': relapsed.length
      ? (100 * relapsed.filter((l) => preTrue(l).suvPeakTrue < med).length) / relapsed.length
      : NaN,
    'true GM SUVpeak EBV+ / other': ratio(ebvLes, prim, (s) => s.suvPeakTrue),
    'true GM SUVpeak irradiated / not': ratio(irr, notIrr, (s) => s.suvPeakTrue),
    'true GM volume irradiated / not': ratio(irr, notIrr, (s) => s.volumeMl),
  };
}

/**
 * The record-level quantities of one simulated trial, keyed as `TARGETS` (NaN where not defined,
 * e.g. a median split with no TTP event).
 */
export function trialQuantities(t: SimulatedTrial): Record<string, number> {
  const ebv = new Set(t.patients.filter((p) => p.histology === 'EBV+ DLBCL').map((p) => p.patientId));
  const perPatient = t.patients.map((p) => t.truth.lesions.filter((l) => l.patientId === p.patientId).length);
  const prim = t.truth.patients.filter((p) => !ebv.has(p.patientId));
  const best = prim.map((p) => {
    const r = t.events
      .filter((e) => e.patientId === p.patientId && e.event === 'response')
      .map((e) => e.lugano);
    return r.includes('CR')
      ? 'CR'
      : r.includes('PR')
        ? 'PR'
        : r.includes('SD')
          ? 'SD'
          : r.includes('PD')
            ? 'PD'
            : null;
  });
  const evaluable = best.filter((b) => b !== null);
  const x = prim.map((p) => p.logGmSuvPeakPreTrue);
  const mx = median(x);
  const ttpDays = prim.map((p) => p.ttp.days);
  const ttpEvents = prim.map((p) => p.ttp.event);
  const split = firthHr(
    ttpDays,
    ttpEvents,
    x.map((v) => (v > mx ? 1 : 0)),
  );
  const tox = t.toxicity.filter((x) => !ebv.has(x.patientId));
  const pct = (n: number, d: number): number => (100 * n) / d;
  const matv = prim.map((p) => p.matvTrueMl);
  const matvKnown = matv.filter((v): v is number => v !== null);
  const matvSplit = matvKnown.length
    ? firthHr(
        ttpDays,
        ttpEvents,
        matv.map((v) => ((v ?? 0) >= 480 ? 1 : 0)),
      )
    : { hr: NaN, sig: NaN };
  return {
    'lesions total': t.truth.lesions.length,
    'lesions per patient (median)': median(perPatient),
    'ORR % (non-EBV)': pct(evaluable.filter((b) => b === 'CR' || b === 'PR').length, evaluable.length),
    'PD best response (n)': evaluable.filter((b) => b === 'PD').length,
    'median follow-up (months)': median(t.truth.patients.map((p) => p.os.days)) / 30.4375,
    'TTP events (non-EBV)': ttpEvents.filter(Boolean).length,
    'true-x median-split TTP HR': split.hr,
    'true-x split significant %': split.sig,
    ...lesionQuantities(t),
    'CRS ≥ 2 %': pct(tox.filter((x) => x.crsGrade >= 2).length, tox.length),
    'ICANS ≥ 2 %': pct(tox.filter((x) => x.icansGrade >= 2).length, tox.length),
    'steroids %': pct(tox.filter((x) => x.steroids).length, tox.length),
    'tocilizumab %': pct(tox.filter((x) => x.tocilizumab).length, tox.length),
    'MATV ≥ 480 mL %': matvKnown.length
      ? pct(matvKnown.filter((v) => v >= 480).length, matvKnown.length)
      : NaN,
    'true MATV ≥ 480 mL TTP HR': matvSplit.hr,
    'true MATV split significant %': matvSplit.sig,
    'true GMR day +7': t.truth.preToPostGmRatioSample.d7 ?? NaN,
  };
}

/** Median and 5–95 % range (or the mean, for the `%` of seeds significant) of each quantity over seeds. */
export function summarise(rows: Record<string, number>[], targets: Target[] = TARGETS): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, share } of targets) {
    const v = rows.map((r) => r[key] ?? NaN).filter((x) => Number.isFinite(x));
    if (v.length === 0) {
      out.set(key, 'n/a');
      continue;
    }
    const s = [...v].sort((a, b) => a - b);
    const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]!;
    const f = (n: number): string => (Math.abs(n) >= 10 ? n.toFixed(0) : n.toFixed(2));
    out.set(
      key,
      share
        ? `${f(v.reduce((a, b) => a + b, 0) / v.length)} % of ${v.length} seeds`
        : `${f(median(v))} (${f(q(0.05))}–${f(q(0.95))})`,
    );
  }
  return out;
}

/**
 * Prints the target table (markdown) over the given per-seed rows: the record-level targets, then
 * `extra` (the pipeline-estimated rows of simulation-pipeline.ts).
 */
export function printTargetTable(rows: Record<string, number>[], extra: Target[] = []): void {
  const targets = [...TARGETS, ...extra];
  const s = summarise(rows, targets);
  console.log(`| quantity | the paper | source | simulated median (5–95 %), ${rows.length} seeds |`);
  console.log('|---|---|---|---|');
  for (const t of targets) console.log(`| ${t.key} | ${t.trial} | ${t.source} | ${s.get(t.key)} |`);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--rows') {
  // The rows of parallel simulation-check processes (ROWS_OUT), tabulated together.
  const rows = process.argv
    .slice(3)
    .flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>[]);
  const { PIPELINE_TARGETS } = await import('./simulation-pipeline.js');
  printTargetTable(rows, PIPELINE_TARGETS);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const seeds = Number(process.argv[2] ?? 200);
  const patients = Number(process.argv[3] ?? 23);
  const rows: Record<string, number>[] = [];
  for (let seed = 1; seed <= seeds; seed++)
    rows.push(trialQuantities(simulateTrial({ seed, patients, fdg: true, voxelMm: 12 })));
  printTargetTable(rows);
}
