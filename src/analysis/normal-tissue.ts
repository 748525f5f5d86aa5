/**
 * Report section: normal-tissue uptake over time with linear mixed models (docs/references/trial.md §3,
 * §5: Fig. 2f–h). Per organ, SUVmean (untransformed) of scans of the study tracer:
 * - time course: day (relative to infusion) as a continuous variable; candidate curves linear
 *   (y ~ day), log-linear (y ~ log(day − d₀ + 1), d₀ = the organ's earliest scan day) and quadratic
 *   (y ~ day + day²), each with a random patient intercept, compared by AIC under ML; for the chosen
 *   curve a random slope on its first time term is tried and kept when it lowers the ML AIC (and the
 *   fit is not singular); the chosen model refitted by REML gives the fitted curve and pointwise 95 %
 *   CIs (Satterthwaite df);
 * - by timepoint: y ~ timepoint + (1 | patient); mean SUVmean per timepoint (REML, Satterthwaite CIs),
 *   difference to pre-CART (t-test), and the timepoint likelihood-ratio test under ML.
 */
import type { LmmFit } from '../stats/lmm/index.js';
import type { StudyData } from '../study/model.js';
import { formatCi, formatPEquals, formatSig } from './format.js';
import { timeCourseFigure } from './figures.js';
import { scanEligible, scanUptakeDays } from './lesions.js';
import { contrast, fitMixed, lrt, type ContrastEstimate, type LrtResult, type ModelRecord } from './mixed.js';
import { planSettings } from './settings.js';
import { notRunSection, type ResultFigure, type ResultTable, type SectionBody } from './types.js';
import { timepointOrder } from './normal-tissue-summary.js';

type Curve = 'linear' | 'log-linear' | 'quadratic';

interface OrganObs {
  patient: string;
  timepoint: string;
  day: number;
  y: number;
}

function curveTerms(curve: Curve): string {
  return curve === 'linear' ? 'day' : curve === 'log-linear' ? 'log_t' : 'day + day2';
}

function curveRow(curve: Curve, day: number, d0: number): number[] {
  if (curve === 'linear') return [1, day];
  if (curve === 'log-linear') return [1, Math.log(day - d0 + 1)];
  return [1, day, day * day];
}

/**
 * Results of the normal-tissue mixed models: per organ the time-course curves and the by-timepoint
 * model (absent when every model failed), and the organs not analysed with the reason.
 */
export interface NormalTissueModelResults {
  curves?: OrganCurve[];
  timepoints?: OrganTimepoints[];
  notRunOrgans: Record<string, string>;
}

/** Result of the time-course model of one organ. */
export interface OrganCurve {
  organ: string;
  aic: Record<string, number>;
  chosen: Curve;
  randomSlope: boolean;
  formula: string;
  d0: number;
  coefficients: { term: string; estimate: number; se: number }[];
  curve: { day: number; estimate: number; lower: number; upper: number; df: number }[];
}

/** Result of the by-timepoint model of one organ. */
export interface OrganTimepoints {
  organ: string;
  means: ({ timepoint: string; n: number; patients: number } & ContrastEstimate)[];
  differences: ({ timepoint: string } & ContrastEstimate)[];
  lrt: LrtResult;
  droppedTimepoints: string[];
}

function fitCurves(organ: string, obs: OrganObs[], curves: Curve[], warnings: string[]): OrganCurve {
  const d0 = Math.min(...obs.map((o) => o.day));
  const records: ModelRecord[] = obs.map((o) => ({
    y: o.y,
    day: o.day,
    day2: o.day * o.day,
    log_t: Math.log(o.day - d0 + 1),
    patient: o.patient,
  }));
  const aic: Record<string, number> = {};
  let best: Curve | null = null;
  for (const c of curves) {
    try {
      const f = fitMixed(`y ~ ${curveTerms(c)} + (1 | patient)`, records, { reml: false });
      aic[c] = f.aic;
      if (best === null || f.aic < aic[best]!) best = c;
    } catch (e) {
      warnings.push(`${organ}: ${c} curve could not be fitted: ${(e as Error).message}`);
    }
  }
  if (best === null) throw new Error(`${organ}: no time curve could be fitted`);
  const slopeVar = best === 'log-linear' ? 'log_t' : 'day';
  let formula = `y ~ ${curveTerms(best)} + (1 | patient)`;
  let randomSlope = false;
  try {
    const withSlope = fitMixed(`y ~ ${curveTerms(best)} + (1 + ${slopeVar} | patient)`, records, {
      reml: false,
    });
    if (!withSlope.singular && withSlope.aic < aic[best]!) {
      formula = `y ~ ${curveTerms(best)} + (1 + ${slopeVar} | patient)`;
      randomSlope = true;
    }
  } catch {
    // A random slope that cannot be fitted is simply not kept.
  }
  const fit = fitMixed(formula, records, { reml: true });
  warnings.push(...fit.warnings.map((w) => `${organ}: ${w}`));
  const maxDay = Math.max(...obs.map((o) => o.day));
  const grid = Array.from({ length: 25 }, (_, i) => d0 + ((maxDay - d0) * i) / 24);
  const curve = grid.map((day) => {
    const c = contrast(fit, curveRow(best, day, d0));
    return { day, estimate: c.estimate, lower: c.lower, upper: c.upper, df: c.df };
  });
  return {
    organ,
    aic,
    chosen: best,
    randomSlope,
    formula,
    d0,
    coefficients: fit.coefNames.map((term, j) => ({ term, estimate: fit.beta[j]!, se: fit.se[j]! })),
    curve,
  };
}

function fitTimepoints(organ: string, obs: OrganObs[], warnings: string[]): OrganTimepoints | string {
  const byTp = new Map<string, Set<string>>();
  for (const o of obs) byTp.set(o.timepoint, (byTp.get(o.timepoint) ?? new Set()).add(o.patient));
  const dropped = [...byTp.entries()].filter(([, p]) => p.size < 2).map(([t]) => t);
  for (const t of dropped)
    warnings.push(`${organ}: timepoint ${t} left out of the timepoint comparison (only 1 patient)`);
  const kept = obs.filter((o) => !dropped.includes(o.timepoint));
  const tps = [...new Set(kept.map((o) => o.timepoint))].sort(timepointOrder);
  if (!tps.includes('pre')) return 'no pre-CART scans';
  if (tps.length < 2) return 'no post-CART timepoint with at least 2 patients';
  const records: ModelRecord[] = kept.map((o) => ({ y: o.y, timepoint: o.timepoint, patient: o.patient }));
  const ref = { timepoint: 'pre' };
  const fit: LmmFit = fitMixed('y ~ timepoint + (1 | patient)', records, { reml: true, ref });
  const idx = (t: string): number => fit.coefNames.indexOf(`timepoint${t}`);
  const means = tps.map((t) => {
    const l = fit.coefNames.map((_, j) => (j === 0 || (t !== 'pre' && j === idx(t)) ? 1 : 0));
    const sub = kept.filter((o) => o.timepoint === t);
    return {
      timepoint: t,
      n: sub.length,
      patients: new Set(sub.map((o) => o.patient)).size,
      ...contrast(fit, l),
    };
  });
  const differences = tps
    .filter((t) => t !== 'pre')
    .map((t) => ({
      timepoint: t,
      ...contrast(
        fit,
        fit.coefNames.map((_, j) => (j === idx(t) ? 1 : 0)),
      ),
    }));
  const t = lrt(
    fitMixed('y ~ timepoint + (1 | patient)', records, { reml: false, ref }),
    fitMixed('y ~ 1 + (1 | patient)', records, { reml: false }),
  );
  return { organ, means, differences, lrt: t, droppedTimepoints: dropped };
}

/**
 * The normal-tissue mixed-model section (all organs of `analysis.normalTissue.organs` present).
 *
 * @returns 'not-run' when no organ has scans of at least 3 patients at 2 or more timepoints, or when an
 *   organ's model cannot be fitted (the reason names the organ and the error)
 */
export function normalTissueModels(study: StudyData): SectionBody<NormalTissueModelResults> {
  const s = planSettings(study.settings);
  const base = {
    description:
      'SUVmean (untransformed) per organ. Time course: day relative to infusion as a continuous variable; linear, ' +
      'log-linear (log(day − d₀ + 1)) and quadratic curves with a random patient intercept compared by AIC under ML; ' +
      'a random slope kept when it lowers the AIC; fitted curve with pointwise 95% CIs from the REML fit (Satterthwaite df). ' +
      'By timepoint: SUVmean ~ timepoint + (1 | patient), REML means with 95% CIs, differences to pre-CART (t-test, ' +
      'Satterthwaite df) and the timepoint likelihood-ratio test under ML.',
    formula: 'SUVmean ~ f(day) + (1 | patient);  SUVmean ~ timepoint + (1 | patient)',
  };
  const uptake = scanUptakeDays(study);
  const scans = new Map(study.scans.map((sc) => [sc.scanId, sc]));
  const warnings: string[] = [];
  const curves: OrganCurve[] = [];
  const timepoints: OrganTimepoints[] = [];
  const notRunOrgans: Record<string, string> = {};
  const failedOrgans: string[] = [];
  const figures: ResultFigure[] = [];
  const tables: ResultTable[] = [];
  const findings: string[] = [];
  const patientsAll = new Set<string>();
  let nObs = 0;
  for (const organ of s.normalTissue.organs) {
    const obs = organObservations(study, organ, uptake, scans, s.uptakeDays);
    const patients = new Set(obs.map((o) => o.patient));
    const days = new Set(obs.map((o) => o.day));
    if (obs.length === 0) {
      notRunOrgans[organ] = 'no VOIs';
      continue;
    }
    if (patients.size < 3 || new Set(obs.map((o) => o.timepoint)).size < 2 || days.size < 3) {
      notRunOrgans[organ] =
        `too few data (${patients.size} patients, ${new Set(obs.map((o) => o.timepoint)).size} timepoints, ${days.size} distinct days)`;
      continue;
    }
    try {
      const c = fitCurves(organ, obs, s.normalTissue.curves, warnings);
      curves.push(c);
      const tp = fitTimepoints(organ, obs, warnings);
      if (typeof tp === 'string') warnings.push(`${organ}: timepoint comparison not done: ${tp}`);
      else timepoints.push(tp);
      obs.forEach((o) => patientsAll.add(o.patient));
      nObs += obs.length;
      figures.push(
        timeCourseFigure(
          `normal-tissue-${organ}`,
          `${organ}: SUVmean over time (${c.chosen} curve${c.randomSlope ? ', random slope' : ''})`,
          c.curve.map((p) => ({
            series: organ,
            day: p.day,
            estimate: p.estimate,
            lower: p.lower,
            upper: p.upper,
          })),
          obs.map((o) => ({ series: organ, day: o.day, value: o.y })),
          'SUVmean',
          'linear',
          `AIC (ML): ${Object.entries(c.aic)
            .map(([k, v]) => `${k} ${formatSig(v, 5)}`)
            .join(', ')}.`,
        ),
      );
      if (typeof tp !== 'string') {
        const pre = tp.means.find((m) => m.timepoint === 'pre')!;
        findings.push(
          `${organ}: pre-CART ${formatCi(pre.estimate, pre.lower, pre.upper)}; ` +
            tp.means
              .filter((m) => m.timepoint !== 'pre')
              .map((m) => `${m.timepoint} ${formatCi(m.estimate, m.lower, m.upper)}`)
              .join('; ') +
            `; timepoint LRT ${formatPEquals(tp.lrt.p)}; curve ${c.chosen}.`,
        );
      }
    } catch (e) {
      failedOrgans.push(`${organ}: ${(e as Error).message}`);
    }
  }
  // A model of the plan that could not be fitted makes the section 'not-run' (never 'ok').
  if (failedOrgans.length > 0) {
    return notRunSection(base, `model(s) could not be fitted: ${failedOrgans.join('; ')}`);
  }
  for (const [o, r] of Object.entries(notRunOrgans)) warnings.push(`${o}: not analysed (${r})`);
  if (curves.length === 0) {
    return {
      ...base,
      status: 'not-run',
      reason: `no organ could be analysed: ${
        Object.entries(notRunOrgans)
          .map(([o, r]) => `${o}: ${r}`)
          .join('; ') || 'no organ VOIs'
      }`,
      results: { notRunOrgans },
      tables: [],
      figures: [],
    };
  }
  tables.push(...normalTissueTables(curves, timepoints));
  return {
    ...base,
    status: 'ok',
    n: { patients: patientsAll.size, observations: nObs },
    results: { curves, timepoints, notRunOrgans },
    findings,
    tables,
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

// step: an organ's SUVmean observations on eligible scans of the study's tracer with a known day.
function organObservations(
  study: StudyData,
  organ: string,
  uptake: ReturnType<typeof scanUptakeDays>,
  scans: Map<string, StudyData['scans'][number]>,
  uptakeDays: ReturnType<typeof planSettings>['uptakeDays'],
): OrganObs[] {
  const obs: OrganObs[] = [];
  for (const v of study.vois) {
    if (v.kind !== 'organ' || v.label !== organ || v.tracer !== study.tracer.name) continue;
    if (!scanEligible(uptake, v.scanId, uptakeDays)) continue;
    const day = scans.get(v.scanId)?.day;
    if (day === null || day === undefined || !Number.isFinite(v.suvMean)) continue;
    obs.push({ patient: v.patientId, timepoint: v.timepoint, day, y: v.suvMean });
  }
  return obs;
}

// step: the section's tables — means per organ and timepoint, and the curves compared by AIC.
function normalTissueTables(curves: OrganCurve[], timepoints: OrganTimepoints[]): ResultTable[] {
  const tables: ResultTable[] = [];
  tables.push({
    id: 'normal-tissue-timepoints',
    title: 'Mean SUVmean per organ and timepoint (LMM, REML, 95% CI) and difference to pre-CART',
    columns: [
      'organ',
      'timepoint',
      'scans',
      'patients',
      'mean',
      'ci_lower',
      'ci_upper',
      'diff_vs_pre',
      'diff_p',
      'lrt_p',
    ],
    rows: timepoints.flatMap((tp) =>
      tp.means.map((m) => {
        const d = tp.differences.find((x) => x.timepoint === m.timepoint);
        return {
          organ: tp.organ,
          timepoint: m.timepoint,
          scans: m.n,
          patients: m.patients,
          mean: m.estimate,
          ci_lower: m.lower,
          ci_upper: m.upper,
          diff_vs_pre: d ? d.estimate : null,
          diff_p: d ? d.p : null,
          lrt_p: m.timepoint === 'pre' ? tp.lrt.p : null,
        };
      }),
    ),
  });
  tables.push({
    id: 'normal-tissue-curves',
    title: 'Time curves compared by AIC under ML',
    columns: ['organ', 'aic_linear', 'aic_log_linear', 'aic_quadratic', 'chosen', 'random_slope'],
    rows: curves.map((c) => ({
      organ: c.organ,
      aic_linear: c.aic['linear'] ?? null,
      aic_log_linear: c.aic['log-linear'] ?? null,
      aic_quadratic: c.aic['quadratic'] ?? null,
      chosen: c.chosen,
      random_slope: c.randomSlope,
    })),
  });
  return tables;
}
