/**
 * Report sections: correlations of tracer uptake with CD8 measured otherwise (docs/references/trial.md §5,
 * Fig. 5c):
 * - circulating CD8 copies vs blood-pool SUVmean, repeated per patient → clustered Pearson
 *   (Lorenz, Datta & Harkema 2011);
 * - biopsy CD8 % vs the biopsied lesion's pre-CART (volume-corrected) SUVpeak → Pearson with t-test.
 */
import { clusteredPearson, pearson, type CorrelationResult } from '../stats/correlation.js';
import type { StudyData } from '../study/model.js';
import { formatPEquals, formatSig } from './format.js';
import { scatterFitFigure } from './figures.js';
import { tumourData } from './lesions.js';
import { planSettings } from './settings.js';
import { notRunSection, type SectionBody } from './types.js';

/** One blood sample paired with the blood-pool uptake of a scan (x: log CD8, y: SUVmean). */
export interface BloodCd8Pair {
  patientId: string;
  timepoint: string;
  x: number;
  y: number;
  labDay: number;
  scanDay: number;
}

/** One biopsied lesion: CD8 density (%) and its pre-CART SUVpeak (g/mL). */
export interface BiopsyCd8Pair {
  patientId: string;
  lesionId: string;
  cd8Percent: number;
  suvPeak: number;
}

/** Results of a correlation section: the correlation and the pairs it used. */
export interface CorrelationResults<P> {
  correlation: CorrelationResult;
  pairs: P[];
}

function corrFinding(label: string, r: CorrelationResult): string {
  return `${label}: r = ${formatSig(r.r)} (95% CI ${formatSig(r.ciLower)} to ${formatSig(r.ciUpper)}), ${formatPEquals(r.p)}; n = ${r.n}${r.clusters !== r.n ? ` in ${r.clusters} patients` : ''}.`;
}

/** Least-squares line through points, evaluated at the extremes (for the scatter figure only). */
function lsLine(x: number[], y: number[]): { x: number; estimate: number; lower: number; upper: number }[] {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return [Math.min(...x), Math.max(...x)].map((v) => {
    const e = my + b * (v - mx);
    return { x: v, estimate: e, lower: e, upper: e };
  });
}

/**
 * Circulating CD8 copies (lab analyte `analysis.cd8Analyte`, natural log) vs blood-pool SUVmean (organ
 * `analysis.bloodPoolLabel`) per scan; each scan is paired with the patient's lab value closest in
 * time within `analysis.labScanMaxGapDays`. Clustered Pearson with patients as clusters.
 */
export function bloodCd8Correlation(study: StudyData): SectionBody<CorrelationResults<BloodCd8Pair>> {
  const s = planSettings(study.settings);
  const base = {
    description:
      `Marginal Pearson correlation for repeated measures (Lorenz, Datta & Harkema 2011; equal weight per patient, ` +
      `delta-method SE, normal test and CI) between log circulating CD8 (${s.cd8Analyte}) and blood-pool SUVmean ` +
      `(${s.bloodPoolLabel}) of each scan, the lab value closest to the scan within ${s.labScanMaxGapDays} days.`,
    formula: `cor(log(${s.cd8Analyte}), SUVmean_${s.bloodPoolLabel} | patient)`,
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  const scans = new Map(study.scans.map((sc) => [sc.scanId, sc]));
  const labs = study.labs.filter((l) => l.analyte === s.cd8Analyte);
  if (labs.length === 0) return notRun(`no lab values of analyte ${s.cd8Analyte}`);
  const pairs: BloodCd8Pair[] = [];
  for (const v of study.vois) {
    if (v.kind !== 'organ' || v.label !== s.bloodPoolLabel || v.tracer !== study.tracer.name) continue;
    const day = scans.get(v.scanId)?.day;
    if (day === null || day === undefined) continue;
    let best: (typeof labs)[number] | null = null;
    for (const l of labs) {
      if (l.patientId !== v.patientId || !(l.value > 0)) continue;
      const gap = Math.abs(l.day - day);
      if (gap <= s.labScanMaxGapDays && (best === null || gap < Math.abs(best.day - day))) best = l;
    }
    if (best)
      pairs.push({
        patientId: v.patientId,
        timepoint: v.timepoint,
        x: Math.log(best.value),
        y: v.suvMean,
        labDay: best.day,
        scanDay: day,
      });
  }
  const clusters = new Set(pairs.map((p) => p.patientId)).size;
  if (clusters < 3)
    return notRun(
      `only ${clusters} patient(s) with a blood-pool scan and a ${s.cd8Analyte} value within ${s.labScanMaxGapDays} days (need 3)`,
    );
  let r: CorrelationResult;
  try {
    r = clusteredPearson(
      pairs.map((p) => p.x),
      pairs.map((p) => p.y),
      pairs.map((p) => p.patientId),
    );
  } catch (e) {
    return notRun((e as Error).message);
  }
  const warnings =
    clusters < 30
      ? [`${clusters} clusters: the normal approximation of the clustered correlation is rough below 30`]
      : [];
  return {
    ...base,
    status: 'ok',
    n: { patients: clusters, observations: pairs.length },
    results: { correlation: r, pairs },
    findings: [corrFinding('Log circulating CD8 vs blood-pool SUVmean', r)],
    tables: [
      {
        id: 'correlation-blood-cd8',
        title: 'Clustered Pearson correlation',
        columns: ['r', 'se', 'z', 'p', 'ci_lower', 'ci_upper', 'n', 'patients'],
        rows: [
          {
            r: r.r,
            se: r.se,
            z: r.statistic,
            p: r.p,
            ci_lower: r.ciLower,
            ci_upper: r.ciUpper,
            n: r.n,
            patients: r.clusters,
          },
        ],
      },
    ],
    figures: [
      scatterFitFigure(
        'correlation-blood-cd8',
        'Blood-pool SUVmean vs log circulating CD8',
        pairs.map((p) => ({ x: p.x, y: p.y, group: p.timepoint })),
        lsLine(
          pairs.map((p) => p.x),
          pairs.map((p) => p.y),
        ),
        { x: `log ${s.cd8Analyte}`, y: 'Blood-pool SUVmean' },
        'Line: pooled least squares (illustration only; the test is the clustered correlation).',
      ),
    ],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * Biopsy CD8 % vs the biopsied lesion's pre-CART volume-corrected SUVpeak: Pearson correlation with
 * the t-test and Fisher-z CI (R cor.test). One pair per biopsy whose lesion has a pre-CART measurement.
 */
export function biopsyCd8Correlation(study: StudyData): SectionBody<CorrelationResults<BiopsyCd8Pair>> {
  const td = tumourData(study);
  const base = {
    description:
      'Pearson correlation (two-sided t-test on n − 2 df, Fisher-z 95% CI, as R cor.test) between the CD8+ cell ' +
      "percentage of each biopsy (IHC) and the biopsied lesion's pre-CART volume-corrected SUVpeak.",
    formula: 'cor.test(cd8_percent, SUVpeak_corrected)',
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  if (td.pvcError) return notRun(td.pvcError);
  const pre = new Map(
    td.rows.filter((r) => r.timepoint === 'pre').map((r) => [`${r.patientId}\u0000${r.lesionId}`, r]),
  );
  const pairs: BiopsyCd8Pair[] = [];
  for (const b of study.biopsies) {
    const r = pre.get(`${b.patientId}\u0000${b.lesionId}`);
    if (r)
      pairs.push({
        patientId: b.patientId,
        lesionId: b.lesionId,
        cd8Percent: b.cd8Percent,
        suvPeak: r.suvPeakCorrected,
      });
  }
  if (pairs.length < 3)
    return notRun(`only ${pairs.length} biopsied lesion(s) with a pre-CART SUVpeak (need 3)`);
  let r: CorrelationResult;
  try {
    r = pearson(
      pairs.map((p) => p.cd8Percent),
      pairs.map((p) => p.suvPeak),
    );
  } catch (e) {
    return notRun((e as Error).message);
  }
  return {
    ...base,
    status: 'ok',
    n: { patients: new Set(pairs.map((p) => p.patientId)).size, lesions: pairs.length },
    results: { correlation: r, pairs },
    findings: [corrFinding('Biopsy CD8 % vs pre-CART SUVpeak', r)],
    tables: [
      {
        id: 'correlation-biopsy-cd8',
        title: 'Pearson correlation',
        columns: ['r', 't', 'df', 'p', 'ci_lower', 'ci_upper', 'n'],
        rows: [
          { r: r.r, t: r.statistic, df: r.df, p: r.p, ci_lower: r.ciLower, ci_upper: r.ciUpper, n: r.n },
        ],
      },
    ],
    figures: [
      scatterFitFigure(
        'correlation-biopsy-cd8',
        'Pre-CART SUVpeak (volume-corrected) vs biopsy CD8 %',
        pairs.map((p) => ({ x: p.cd8Percent, y: p.suvPeak })),
        lsLine(
          pairs.map((p) => p.cd8Percent),
          pairs.map((p) => p.suvPeak),
        ),
        { x: 'CD8+ cells (% of cells, IHC)', y: 'SUVpeak (corrected)' },
      ),
    ],
  };
}
