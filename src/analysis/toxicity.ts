/**
 * Report section: brain uptake vs ICANS grade ≥ 2 (docs/references/trial.md §5, Fig. 6d–e). One value per patient
 * (brain SUVmean, untransformed; the mean of the patient's post-CART scans for the post value), compared
 * between patients with maximum ICANS grade ≥ 2 and < 2 by least squares (y ~ group: the two-sample
 * t-test with pooled variance), pre-CART and post-CART separately.
 */
import { ols, olsPredict } from '../stats/ols.js';
import type { StudyData } from '../study/model.js';
import { formatCi, formatPEquals } from './format.js';
import { estimateFigure } from './figures.js';
import { scanEligible, scanUptakeDays } from './lesions.js';
import { planSettings } from './settings.js';
import { notRunSection, type ResultFigure, type ResultTable, type SectionBody } from './types.js';

/** Group means and the group difference of one timepoint. */
export interface BrainIcansComparison {
  timepoint: 'pre' | 'post';
  groups: { group: string; n: number; mean: number; lower: number; upper: number }[];
  difference: number;
  differenceLower: number;
  differenceUpper: number;
  t: number;
  df: number;
  p: number;
}

function compare(
  values: { patientId: string; y: number; high: boolean }[],
  tp: 'pre' | 'post',
): BrainIcansComparison | string {
  const nHigh = values.filter((v) => v.high).length;
  const nLow = values.length - nHigh;
  if (nHigh < 1 || nLow < 1) return `${tp}: all ${values.length} patients in one ICANS group`;
  if (values.length < 3) return `${tp}: only ${values.length} patients`;
  const fit = ols(
    values.map((v) => [1, v.high ? 1 : 0]),
    values.map((v) => v.y),
  );
  const lowP = olsPredict(fit, [1, 0]);
  const highP = olsPredict(fit, [1, 1]);
  const diff = olsPredict(fit, [0, 1]);
  return {
    timepoint: tp,
    groups: [
      { group: 'ICANS < 2', n: nLow, mean: lowP.estimate, lower: lowP.lower, upper: lowP.upper },
      { group: 'ICANS ≥ 2', n: nHigh, mean: highP.estimate, lower: highP.lower, upper: highP.upper },
    ],
    difference: diff.estimate,
    differenceLower: diff.lower,
    differenceUpper: diff.upper,
    t: fit.tValue[1]!,
    df: fit.dfResidual,
    p: fit.pValue[1]!,
  };
}

/** Results of the brain-uptake-and-ICANS section: the comparison per timepoint (absent when not done). */
export interface BrainIcansResults {
  pre?: BrainIcansComparison;
  post?: BrainIcansComparison;
}

/** Brain SUVmean pre- and post-CART by ICANS grade ≥ 2 vs < 2. */
export function brainVsIcans(study: StudyData): SectionBody<BrainIcansResults> {
  const s = planSettings(study.settings);
  const base = {
    description:
      `Brain SUVmean (organ ${s.brainLabel}, untransformed) per patient, pre-CART and post-CART (mean of the patient's post-CART scans), ` +
      'compared between patients with maximum ICANS grade ≥ 2 and < 2 (ASTCT 2019) by least squares (pooled-variance two-sample t-test); means with 95% CIs.',
    formula: 'SUVmean_brain ~ icans_ge2',
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  const icans = new Map(study.toxicity.map((t) => [t.patientId, t.icansGrade]));
  if (icans.size === 0) return notRun('no toxicity data');
  const uptake = scanUptakeDays(study);
  const pre = new Map<string, number[]>();
  const post = new Map<string, number[]>();
  for (const v of study.vois) {
    if (v.kind !== 'organ' || v.label !== s.brainLabel || v.tracer !== study.tracer.name) continue;
    if (!scanEligible(uptake, v.scanId, s.uptakeDays) || !icans.has(v.patientId)) continue;
    const m = v.timepoint === 'pre' ? pre : post;
    m.set(v.patientId, [...(m.get(v.patientId) ?? []), v.suvMean]);
  }
  const values = (m: Map<string, number[]>): { patientId: string; y: number; high: boolean }[] =>
    [...m.entries()].map(([pid, ys]) => ({
      patientId: pid,
      y: ys.reduce((a, b) => a + b, 0) / ys.length,
      high: icans.get(pid)! >= 2,
    }));
  const results: BrainIcansResults = {};
  const warnings: string[] = [];
  const findings: string[] = [];
  const rowsT: ResultTable['rows'] = [];
  const est: { label: string; estimate: number; lower: number; upper: number }[] = [];
  for (const [tp, m] of [
    ['pre', pre],
    ['post', post],
  ] as const) {
    const c = compare(values(m), tp);
    if (typeof c === 'string') {
      warnings.push(`not done: ${c}`);
      continue;
    }
    results[tp] = c;
    for (const g of c.groups) {
      rowsT.push({
        timepoint: tp,
        group: g.group,
        patients: g.n,
        mean: g.mean,
        ci_lower: g.lower,
        ci_upper: g.upper,
        p: g.group === 'ICANS ≥ 2' ? c.p : null,
      });
      est.push({ label: `${tp}: ${g.group}`, estimate: g.mean, lower: g.lower, upper: g.upper });
    }
    findings.push(
      `${tp === 'pre' ? 'Pre-CART' : 'Post-CART'} brain SUVmean: ${c.groups.map((g) => `${g.group} ${formatCi(g.mean, g.lower, g.upper)} (n = ${g.n})`).join(' vs ')}; ${formatPEquals(c.p)}.`,
    );
  }
  if (findings.length === 0) return notRun(warnings.join('; ') || 'no brain VOIs');
  const figures: ResultFigure[] = [
    estimateFigure(
      'toxicity-brain-icans',
      'Brain SUVmean by ICANS grade (mean, 95% CI)',
      est,
      'Brain SUVmean',
    ),
  ];
  return {
    ...base,
    status: 'ok',
    n: { patients: new Set([...pre.keys(), ...post.keys()]).size },
    results,
    findings,
    tables: [
      {
        id: 'toxicity-brain-icans',
        title: 'Brain SUVmean by ICANS grade',
        columns: ['timepoint', 'group', 'patients', 'mean', 'ci_lower', 'ci_upper', 'p'],
        rows: rowsT,
      },
    ],
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
