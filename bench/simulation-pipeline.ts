/**
 * Pipeline-estimated quantities of one simulated trial for the simulation check (issue 15 item 6;
 * docs/virtual-trial.md): the analyses of the report run on the study quantified from the simulated
 * images, each estimate beside the paper's value, and whether its 95 % CI covers the simulator's truth
 * where the simulator defines one. Used by simulation-check.bench.ts.
 */
import type { TrialTruth } from '../src/sim/trial-types.js';
import type { StudyData } from '../src/study/model.js';
import { tumourPrePost } from '../src/analysis/tumour-prepost.js';
import { matvSection, outcomesHazardRatios } from '../src/analysis/outcomes-hr.js';
import {
  lesionProgressionSection,
  type LesionProgressionResults,
} from '../src/analysis/lesion-progression.js';
import { tumourByEbv, tumourIrradiated } from '../src/analysis/tumour-groups.js';
import { bloodCd8Correlation } from '../src/analysis/correlations.js';
import type { Target } from './simulation-targets.js';

const PREPOST = 'Results "pre→post" ¶1; Fig. 4a';

/** Targets estimated through the pipeline (images, PVC, analyses), in table order. */
export const PIPELINE_TARGETS: Target[] = [
  {
    key: 'estimated median-split TTP HR',
    trial: '0.21 [0.04–0.80]',
    source: 'Results "outcomes" ¶2; Fig. 6a',
  },
  {
    key: 'estimated split significant %',
    trial: 'P 0.02 (most seeds)',
    source: 'issue 15 item 6',
    share: true,
  },
  { key: 'CI covers true TTP HR per e-fold %', trial: '≥ 85', source: 'issue 6 (coverage)', share: true },
  {
    key: 'estimated lesion-level HR per 10 (Firth, per site)',
    trial: '0.52 [0.19–1.49]',
    source: 'Results "outcomes" ¶3',
  },
  {
    key: 'estimated lesion-level HR per 10 (Cox clustered, per site)',
    trial: '0.52 [0.19–1.49]',
    source: 'Results "outcomes" ¶3',
  },
  {
    key: 'lesion-level HR significant % (Firth)',
    trial: 'P 0.22',
    source: 'Results "outcomes" ¶3',
    share: true,
  },
  {
    key: 'estimated lesion-level HR per 10 (patient TTP, clustered)',
    trial: '0.52 [0.19–1.49]',
    source: 'Results "outcomes" ¶3',
  },
  {
    key: 'estimated GMR EBV+ / other (LMM)',
    trial: '2.8 (11.3/4.1)',
    source: 'Results "tumor lesions"; Fig. 3d',
  },
  {
    key: 'estimated GMR irradiated / not (LMM)',
    trial: '0.91 (3.9/4.3)',
    source: 'Results "tumor lesions"; Fig. 3h',
  },
  { key: 'irradiated significant %', trial: 'P 0.61 (≈ 5 % of seeds)', source: 'Fig. 3h', share: true },
  { key: 'estimated blood CD8 vs blood pool r', trial: 'no correlation', source: 'issue 15 item 6' },
  { key: 'blood CD8 r significant %', trial: '≈ 5 % of seeds', source: 'issue 15 item 6', share: true },
  { key: 'CI covers true r = 0 %', trial: '≥ 85', source: 'coverage', share: true },
  { key: 'estimated MATV high / low TTP HR', trial: 'shorter TTP', source: 'Results "MATV"; Suppl. Fig. 10' },
  { key: 'MATV log-rank significant %', trial: 'P 0.02', source: 'Results "MATV"', share: true },
  { key: 'estimated GMR day +7', trial: '0.90 (3.6/4.0)', source: PREPOST },
  { key: 'CI covers true GMR day +2 %', trial: '≥ 85', source: 'coverage', share: true },
  { key: 'CI covers true GMR day +5 %', trial: '≥ 85', source: 'coverage', share: true },
  { key: 'CI covers true GMR day +7 %', trial: '≥ 85', source: 'coverage', share: true },
];

const pct = (b: boolean): number => (b ? 100 : 0);
const DAY_LABEL: Record<string, string> = { d2: 'day +2', d4: 'day +4', d5: 'day +5', d7: 'day +7' };

/** Pre → post GMR per timepoint and its CI coverage of the true population ratio; one log line. */
function prePostQuantities(study: StudyData, truth: TrialTruth, row: Record<string, number>): string {
  const pp = tumourPrePost(study);
  if (pp.status !== 'ok' || !pp.results) return `pre→post not run: ${pp.reason ?? ''}`;
  const line: string[] = [];
  for (const r of pp.results.uptake.ratios) {
    const t = truth.preToPostGmRatio[r.timepoint as keyof typeof truth.preToPostGmRatio];
    if (t === undefined) continue;
    const hit = r.lower <= t && t <= r.upper;
    if (DAY_LABEL[r.timepoint]) row[`CI covers true GMR ${DAY_LABEL[r.timepoint]} %`] = pct(hit);
    if (r.timepoint === 'd7') row['estimated GMR day +7'] = r.ratio;
    line.push(
      `${r.timepoint} ${r.ratio.toFixed(3)} [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}] true ${t} ${hit ? 'in' : 'OUT'}`,
    );
  }
  return line.join(' | ');
}

/** Patient-level TTP HRs (median split, per e-fold with coverage), the patient-TTP lesion model, MATV. */
function outcomeQuantities(study: StudyData, truth: TrialTruth, row: Record<string, number>): string {
  const hr = outcomesHazardRatios(study);
  const line: string[] = [];
  const ttp = hr.status === 'ok' ? hr.results?.ttp : undefined;
  if (ttp && 'medianSplit' in ttp) {
    row['estimated median-split TTP HR'] = ttp.medianSplit.hr;
    row['estimated split significant %'] = pct(ttp.medianSplit.p <= 0.05);
    const t = Math.exp(truth.logHrTtpPerLogGmSuvPeak);
    const c = ttp.continuous;
    const hit = c.lower <= t && t <= c.upper;
    row['CI covers true TTP HR per e-fold %'] = pct(hit);
    line.push(
      `split HR ${ttp.medianSplit.hr.toFixed(3)} p ${ttp.medianSplit.p.toFixed(4)}`,
      `HR/e-fold ${c.hr.toFixed(3)} [${c.lower.toFixed(3)}, ${c.upper.toFixed(3)}] true ${t.toFixed(3)} ${hit ? 'in' : 'OUT'}`,
    );
  } else line.push(`TTP HR not estimable: ${hr.reason ?? 'no TTP events'}`);
  const ll = hr.status === 'ok' ? hr.results?.lesionLevel : undefined;
  if (ll) row['estimated lesion-level HR per 10 (patient TTP, clustered)'] = ll.hr;
  const matv = matvSection(study);
  const mt = matv.status === 'ok' ? matv.results?.ttp : undefined;
  if (mt) {
    row['estimated MATV high / low TTP HR'] = mt.firthHr.hr;
    row['MATV log-rank significant %'] = pct(mt.logRank.p <= 0.05);
    line.push(`MATV HR ${mt.firthHr.hr.toFixed(2)} log-rank p ${mt.logRank.p.toFixed(3)}`);
  }
  return line.join(' | ');
}

/** Lesion-level (per site), group comparisons and the blood CD8 correlation. */
function lesionAndGroupQuantities(study: StudyData, row: Record<string, number>): string {
  const line: string[] = [];
  const lp = lesionProgressionSection(study);
  if (lp.status === 'ok') {
    const h = (lp.results as LesionProgressionResults).hazard;
    row['estimated lesion-level HR per 10 (Firth, per site)'] = h.firth.hr;
    row['estimated lesion-level HR per 10 (Cox clustered, per site)'] = h.clusteredCox.hr;
    row['lesion-level HR significant % (Firth)'] = pct(h.firth.p <= 0.05);
    line.push(
      `lesion HR/10 Firth ${h.firth.hr.toFixed(3)} [${h.firth.hrLower.toFixed(3)}, ${h.firth.hrUpper.toFixed(3)}] ` +
        `(${h.events} events, ${h.patients} patients) clustered ${h.clusteredCox.hr.toFixed(3)}`,
    );
  } else line.push(`lesion-progression not run: ${lp.reason ?? ''}`);
  const ebv = tumourByEbv(study);
  const er = ebv.status === 'ok' ? ebv.results?.uptake?.ratios[0] : undefined;
  if (er) row['estimated GMR EBV+ / other (LMM)'] = er.ratio;
  const irr = tumourIrradiated(study);
  const ir = irr.status === 'ok' ? irr.results?.uptake : undefined;
  if (ir?.ratios[0]) {
    row['estimated GMR irradiated / not (LMM)'] = ir.ratios[0].ratio;
    row['irradiated significant %'] = pct(ir.p <= 0.05);
  }
  const cd8 = bloodCd8Correlation(study);
  const c = cd8.status === 'ok' ? cd8.results?.correlation : undefined;
  if (c) {
    row['estimated blood CD8 vs blood pool r'] = c.r;
    row['blood CD8 r significant %'] = pct(c.p <= 0.05);
    row['CI covers true r = 0 %'] = pct(c.ciLower <= 0 && 0 <= c.ciUpper);
    line.push(`CD8 r ${c.r.toFixed(3)} [${c.ciLower.toFixed(3)}, ${c.ciUpper.toFixed(3)}]`);
  }
  return line.join(' | ');
}

/**
 * Runs the analyses of the simulation check on one quantified study and adds their estimates (keyed as
 * `PIPELINE_TARGETS`; coverage and significance as 100/0) to `row`.
 * @returns one log line per seed
 */
export function pipelineQuantities(study: StudyData, truth: TrialTruth, row: Record<string, number>): string {
  return [
    prePostQuantities(study, truth, row),
    outcomeQuantities(study, truth, row),
    lesionAndGroupQuantities(study, row),
  ].join(' | ');
}
