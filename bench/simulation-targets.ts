/**
 * Record-level quantities of one simulated trial compared with the reference trial's headline
 * numbers (docs/references/trial.md §7; docs/virtual-trial.md): computed from the simulator's records
 * and truth, no images, so hundreds of seeds run in seconds. The image-based estimates (GMR, HR from
 * the pipeline) and their CI coverage are in simulation-check.bench.ts.
 * Run alone: node --import tsx bench/simulation-targets.ts [seeds=200] [patients=23]
 */
import { coxphFirth } from '../src/stats/survival/firth.js';
import { simulateTrial, type SimulatedTrial } from '../src/sim/trial.js';

/** One target: its name, the trial's value, its source in the seed, and whether it is a proportion of seeds. */
export interface Target {
  key: string;
  trial: string;
  source: string;
}

/** The targets, in table order. */
export const TARGETS: Target[] = [
  { key: 'lesions total', trial: '251', source: 'Results "tumor lesions" ¶1; Fig. 3a' },
  { key: 'lesions per patient (median)', trial: '11 (IQR 3–14)', source: 'Results "tumor lesions" ¶1' },
  { key: 'ORR % (non-EBV)', trial: '95', source: 'Results "outcomes" ¶1' },
  { key: 'PD best response (n)', trial: '1', source: 'Results "outcomes" ¶1' },
  { key: 'median follow-up (months)', trial: '8.8 (2.4–30.0)', source: 'Results "outcomes" ¶1' },
  { key: 'TTP events (non-EBV)', trial: 'not reported', source: 'Results "outcomes"; Fig. 6a' },
  { key: 'true-x median-split TTP HR', trial: '0.21 [0.04–0.80]', source: 'Results "outcomes" ¶2; Fig. 6a' },
  { key: 'true-x split significant %', trial: 'most seeds', source: 'issue 15 item 6' },
  { key: 'CRS ≥ 2 %', trial: '57 (12/21)', source: 'Results "toxicity"' },
  { key: 'ICANS ≥ 2 %', trial: '≈40 (9–12/21)', source: 'Results "toxicity"; Fig. 6d legend' },
  { key: 'steroids %', trial: '67 (14/21)', source: 'Results "toxicity"' },
  { key: 'tocilizumab %', trial: '71 (15/21)', source: 'Results "toxicity"' },
  { key: 'MATV ≥ 480 mL %', trial: 'part of cohort', source: 'Results "MATV"; Suppl. Fig. 10' },
  { key: 'true GMR day +7', trial: '0.90 (3.6/4.0)', source: 'Results "pre→post" ¶1; Fig. 4a' },
];

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

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
  const high = x.map((v) => (v > mx ? 1 : 0));
  let hr = NaN;
  let sig = NaN;
  const events = prim.filter((p) => p.ttp.event).length;
  if (events > 0) {
    const f = coxphFirth(
      prim.map((p) => p.ttp.days),
      prim.map((p) => (p.ttp.event ? 1 : 0)),
      { names: ['high'], columns: [high] },
    );
    hr = f.coefficients[0]!.hr;
    sig = f.coefficients[0]!.p <= 0.05 ? 100 : 0;
  }
  const tox = t.toxicity.filter((x) => !ebv.has(x.patientId));
  const pct = (n: number, d: number): number => (100 * n) / d;
  const matv = prim.map((p) => p.matvTrueMl).filter((v): v is number => v !== null);
  return {
    'lesions total': t.truth.lesions.length,
    'lesions per patient (median)': median(perPatient),
    'ORR % (non-EBV)': pct(evaluable.filter((b) => b === 'CR' || b === 'PR').length, evaluable.length),
    'PD best response (n)': evaluable.filter((b) => b === 'PD').length,
    'median follow-up (months)': median(t.truth.patients.map((p) => p.os.days)) / 30.4375,
    'TTP events (non-EBV)': events,
    'true-x median-split TTP HR': hr,
    'true-x split significant %': sig,
    'CRS ≥ 2 %': pct(tox.filter((x) => x.crsGrade >= 2).length, tox.length),
    'ICANS ≥ 2 %': pct(tox.filter((x) => x.icansGrade >= 2).length, tox.length),
    'steroids %': pct(tox.filter((x) => x.steroids).length, tox.length),
    'tocilizumab %': pct(tox.filter((x) => x.tocilizumab).length, tox.length),
    'MATV ≥ 480 mL %': matv.length ? pct(matv.filter((v) => v >= 480).length, matv.length) : NaN,
    'true GMR day +7': t.truth.preToPostGmRatioSample.d7 ?? NaN,
  };
}

/** Median and 5–95 % range (or the mean, for the `%` of seeds significant) of each quantity over seeds. */
export function summarise(rows: Record<string, number>[], targets: Target[] = TARGETS): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key } of targets) {
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
      key.endsWith('significant %')
        ? `${f(v.reduce((a, b) => a + b, 0) / v.length)} % of ${v.length} seeds`
        : `${f(median(v))} (${f(q(0.05))}–${f(q(0.95))})`,
    );
  }
  return out;
}

/** Targets estimated through the pipeline (images, PVC, analyses): filled by simulation-check.bench.ts. */
export const PIPELINE_TARGETS: Target[] = [
  {
    key: 'estimated median-split TTP HR',
    trial: '0.21 [0.04–0.80]',
    source: 'Results "outcomes" ¶2; Fig. 6a',
  },
  { key: 'estimated split significant %', trial: 'P 0.02 (most seeds)', source: 'issue 15 item 6' },
  { key: 'estimated GMR day +7', trial: '0.90 (3.6/4.0)', source: 'Results "pre→post" ¶1; Fig. 4a' },
];

/**
 * Prints the target table (markdown) over the given per-seed rows; with `pipeline`, also the
 * pipeline-estimated rows.
 */
export function printTargetTable(rows: Record<string, number>[], pipeline = false): void {
  const targets = pipeline ? [...TARGETS, ...PIPELINE_TARGETS] : TARGETS;
  const s = summarise(rows, targets);
  console.log(`| quantity | the paper | source | simulated median (5–95 %), ${rows.length} seeds |`);
  console.log('|---|---|---|---|');
  for (const t of targets) console.log(`| ${t.key} | ${t.trial} | ${t.source} | ${s.get(t.key)} |`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seeds = Number(process.argv[2] ?? 200);
  const patients = Number(process.argv[3] ?? 23);
  const rows: Record<string, number>[] = [];
  for (let seed = 1; seed <= seeds; seed++)
    rows.push(trialQuantities(simulateTrial({ seed, patients, fdg: true, voxelMm: 12 })));
  printTargetTable(rows);
}
