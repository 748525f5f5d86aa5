/**
 * Report sections: outcomes by pre-CART tumour uptake as hazard ratios (docs/references/trial.md §6,
 * Fig. 6a), and MATV (same section).
 *
 * - Per patient, the geometric mean of the volume-corrected pre-CART SUVpeak over the patient's lesions
 *   (EBV+ excluded by default); Firth-penalised Cox models (coxphf: Breslow ties, profile penalised-
 *   likelihood CIs, penalised LRT p) for TTP, PFS and OS with (a) high vs low uptake (median split:
 *   high = above the median) and (b) log geometric mean as a continuous covariate (HR per e-fold);
 *   Harrell's C of each model.
 * - Lesion level: Cox model (Efron) of TTP on each pre-CART lesion's SUVpeak per `lesionHrPerUnits`
 *   units, patients as clusters (robust sandwich SE, R `coxph(... + cluster(patient))`).
 * - MATV: per-patient total MATV on the FDG scan before lymphodepletion; high (≥ cut-off, 480 mL) vs
 *   low: Kaplan–Meier, log-rank and Firth HR for TTP; MATV vs uptake: LMM of lesion log SUVpeak on
 *   MATV (per 100 mL) with a random patient intercept (REML estimate, ML LRT).
 *
 * A model of either section that cannot be fitted makes the section 'not-run' with the reason (the
 * failed models and their errors), never 'ok' with a warning.
 */
import {
  concordance,
  coxph,
  coxphFirth,
  kaplanMeierByGroup,
  logRank,
  type KmResult,
  type LogRankResult,
} from '../stats/survival/index.js';
import type { StudyData } from '../study/model.js';
import { DAYS_PER_MONTH, deriveOutcomes, type PatientOutcome } from './outcomes.js';
import { formatCi, formatPEquals, formatSig, geometricMean, median } from './format.js';
import { countPatients, primaryRows, tumourData } from './lesions.js';
import { contrast, fitMixed, lrt, unitContrast, type ContrastEstimate, type LrtResult } from './mixed.js';
import { notRunSection, type ResultFigure, type ResultTable, type SectionBody } from './types.js';
import { kmFigure } from './outcome-figures.js';
import { scatterFitFigure } from './figures.js';

type Endpoint = 'ttp' | 'pfs' | 'os';
const ENDPOINTS: Endpoint[] = ['ttp', 'pfs', 'os'];
const NAMES: Record<Endpoint, string> = { ttp: 'TTP', pfs: 'PFS', os: 'OS' };

/** One patient's corrected uptake and outcomes. */
export interface PatientUptakeOutcome {
  patientId: string;
  lesions: number;
  geometricMeanSuvPeak: number;
  group: 'high' | 'low';
  outcome: PatientOutcome;
}

/** A hazard ratio with its CI and p. */
export interface HazardRatio {
  term: string;
  logHr: number;
  se: number;
  hr: number;
  lower: number;
  upper: number;
  p: number;
  method: 'firth-profile' | 'cox-robust';
}

/** A hazard ratio with Harrell's C of the model's linear predictor (and its SE). */
export type HazardRatioWithC = HazardRatio & { cIndex: number; cIndexSe: number };

/** Hazard ratios of one endpoint: none when it had no events. */
export type EndpointHazardRatios =
  | { events: 0; notRun: string }
  | { events: number; medianSplit: HazardRatioWithC; continuous: HazardRatioWithC };

/** Results of the hazard-ratio section (an endpoint's entry is absent when its model failed). */
export interface OutcomesHazardRatioResults {
  medianGeometricMeanSuvPeak: number;
  /** Number of patients with pre-CART uptake and outcomes. */
  patients: number;
  ttp?: EndpointHazardRatios;
  pfs?: EndpointHazardRatios;
  os?: EndpointHazardRatios;
  /** Lesion-level Cox model of TTP (robust SE clustered by patient). */
  lesionLevel?: HazardRatio & { naiveSe: number; lesions: number; patients: number; events: number };
}

/** A Kaplan–Meier curve of one group. */
export type KmStratum = KmResult & { group: string };

/** Results of the MATV section. */
export interface MatvResults {
  cutoffMl: number;
  patients: {
    patientId: string;
    matvMl: number;
    group: 'high' | 'low';
    ttpDays: number;
    ttpEvent: boolean;
  }[];
  /** TTP by MATV group: absent when not done (no events, one group) or failed. */
  ttp?: { km: KmStratum[]; logRank: LogRankResult; firthHr: HazardRatio };
  /** MATV vs pre-CART uptake (LMM): absent with fewer than 3 patients or a failed fit. */
  uptake?: { slopePer100Ml: ContrastEstimate; lrt: LrtResult; lesions: number; patients: number };
}

/** Per-patient geometric mean of the corrected pre-CART SUVpeak with median split and outcomes. */
export function patientUptakeOutcomes(
  study: StudyData,
): { rows: PatientUptakeOutcome[]; median: number } | string {
  const td = tumourData(study);
  if (td.pvcError) return td.pvcError;
  const pre = primaryRows(td).filter((r) => r.timepoint === 'pre');
  const byPatient = new Map<string, number[]>();
  for (const r of pre) {
    const a = byPatient.get(r.patientId);
    if (a) a.push(r.suvPeakCorrected);
    else byPatient.set(r.patientId, [r.suvPeakCorrected]);
  }
  if (byPatient.size < 2) return `only ${byPatient.size} patient(s) with pre-CART lesions`;
  const outcomes = new Map(deriveOutcomes(study).map((o) => [o.patientId, o]));
  const gm = [...byPatient.entries()].map(([pid, v]) => ({ pid, n: v.length, gm: geometricMean(v) }));
  const med = median(gm.map((g) => g.gm));
  const rows: PatientUptakeOutcome[] = [];
  for (const g of gm) {
    const o = outcomes.get(g.pid);
    if (!o || !Number.isFinite(o.ttp.days)) continue;
    rows.push({
      patientId: g.pid,
      lesions: g.n,
      geometricMeanSuvPeak: g.gm,
      group: g.gm > med ? 'high' : 'low',
      outcome: o,
    });
  }
  return { rows, median: med };
}

function firthHr(time: number[], status: number[], x: number[], term: string): HazardRatio {
  const f = coxphFirth(time, status, { names: [term], columns: [x] });
  const c = f.coefficients[0]!;
  return {
    term,
    logHr: c.estimate,
    se: c.se,
    hr: Math.exp(c.estimate),
    lower: c.hrLower,
    upper: c.hrUpper,
    p: c.p,
    method: 'firth-profile',
  };
}

/**
 * Hazard ratios of TTP, PFS and OS by per-patient pre-CART uptake (Firth Cox), lesion-level Cox, C-index.
 */
export function outcomesHazardRatios(study: StudyData): SectionBody<OutcomesHazardRatioResults> {
  const td = tumourData(study);
  const base = {
    description:
      "Per patient, the geometric mean of the volume-corrected pre-CART SUVpeak over the patient's lesions" +
      (td.settings.excludeEbvPositive ? ' (EBV+ DLBCL excluded)' : '') +
      '. Firth-penalised Cox models (Heinze & Schemper 2001; Breslow ties; profile penalised-likelihood 95% CIs; ' +
      'penalised likelihood-ratio p) for high vs low uptake (median split) and for the log geometric mean ' +
      "(HR per e-fold increase), with Harrell's C. Lesion level: Cox model (Efron) of TTP on pre-CART lesion " +
      `SUVpeak per ${td.settings.lesionHrPerUnits} units with patients as clusters (robust SE).`,
    formula:
      'coxphf(Surv(time, event) ~ high_uptake); coxphf(Surv(time, event) ~ log(gm_suvpeak)); ' +
      `coxph(Surv(ttp, event) ~ I(suvpeak/${td.settings.lesionHrPerUnits}) + cluster(patient))`,
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  const pu = patientUptakeOutcomes(study);
  if (typeof pu === 'string') return notRun(pu);
  const { rows, median: med } = pu;
  const nHigh = rows.filter((r) => r.group === 'high').length;
  if (nHigh === 0 || nHigh === rows.length) return notRun('the median split leaves an empty group');
  const results: OutcomesHazardRatioResults = { medianGeometricMeanSuvPeak: med, patients: rows.length };
  const table: ResultTable = {
    id: 'outcomes-hr',
    title: 'Hazard ratios (Firth Cox, profile 95% CI) and C-index',
    columns: ['endpoint', 'model', 'events', 'hr', 'ci_lower', 'ci_upper', 'p', 'c_index', 'c_index_se'],
    rows: [],
  };
  const findings: string[] = [
    `Median per-patient geometric-mean pre-CART SUVpeak (corrected): ${formatSig(med)}; high n = ${nHigh}, low n = ${rows.length - nHigh}.`,
  ];
  const warnings: string[] = [];
  /** Models of the plan that could not be fitted: any one makes the section 'not-run' (never 'ok'). */
  const failed: string[] = [];
  let anyEvents = false;
  for (const ep of ENDPOINTS) {
    const time = rows.map((r) => r.outcome[ep].days / DAYS_PER_MONTH);
    const status: number[] = rows.map((r) => (r.outcome[ep].event ? 1 : 0));
    const events = status.reduce((a, b) => a + b, 0);
    if (events === 0) {
      warnings.push(`${NAMES[ep]}: no events (all patients censored); hazard ratios not estimable`);
      results[ep] = { events: 0, notRun: 'no events' };
      continue;
    }
    anyEvents = true;
    const high = rows.map((r) => (r.group === 'high' ? 1 : 0));
    const logGm = rows.map((r) => Math.log(r.geometricMeanSuvPeak));
    try {
      const split = firthHr(time, status, high, 'high_uptake');
      const cont = firthHr(time, status, logGm, 'log_gm_suvpeak');
      const cSplit = concordance(
        time,
        status,
        high.map((h) => h * split.logHr),
        { reverse: true },
      );
      const cCont = concordance(
        time,
        status,
        logGm.map((x) => x * cont.logHr),
        { reverse: true },
      );
      results[ep] = {
        events,
        medianSplit: { ...split, cIndex: cSplit.concordance, cIndexSe: cSplit.se },
        continuous: { ...cont, cIndex: cCont.concordance, cIndexSe: cCont.se },
      };
      table.rows.push(
        {
          endpoint: NAMES[ep],
          model: 'high vs low (median split)',
          events,
          hr: split.hr,
          ci_lower: split.lower,
          ci_upper: split.upper,
          p: split.p,
          c_index: cSplit.concordance,
          c_index_se: cSplit.se,
        },
        {
          endpoint: NAMES[ep],
          model: 'per e-fold geometric mean',
          events,
          hr: cont.hr,
          ci_lower: cont.lower,
          ci_upper: cont.upper,
          p: cont.p,
          c_index: cCont.concordance,
          c_index_se: cCont.se,
        },
      );
      findings.push(
        `${NAMES[ep]} (${events} events): HR high vs low ${formatCi(split.hr, split.lower, split.upper)}, ${formatPEquals(split.p)}; ` +
          `per e-fold ${formatCi(cont.hr, cont.lower, cont.upper)}, ${formatPEquals(cont.p)}; C = ${formatSig(cCont.concordance)}.`,
      );
    } catch (e) {
      failed.push(`${NAMES[ep]} Firth Cox model failed: ${(e as Error).message}`);
    }
  }
  if (!anyEvents) return notRun('no events for TTP, PFS or OS (all patients censored)');
  const lesions = lesionLevelCox(td, rows, { results, table, findings, warnings, failed });
  if (failed.length > 0) return notRun(failed.join('; '));
  return {
    ...base,
    status: 'ok',
    n: { patients: rows.length, lesions: lesions.length },
    results,
    findings,
    tables: [table],
    figures: [],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** The section's accumulators, filled by each step. */
interface HrAccumulators {
  results: OutcomesHazardRatioResults;
  table: ResultTable;
  findings: string[];
  warnings: string[];
  /** Models of the plan that could not be fitted. */
  failed: string[];
}

// step: the lesion-level Cox model of TTP on pre-CART lesion SUVpeak with patients as clusters (robust
// SE); returns the lesions used.
function lesionLevelCox(
  td: ReturnType<typeof tumourData>,
  rows: Exclude<ReturnType<typeof patientUptakeOutcomes>, string>['rows'],
  acc: HrAccumulators,
): ReturnType<typeof primaryRows> {
  const { results, table, findings, warnings, failed } = acc;
  const outcome = new Map(rows.map((r) => [r.patientId, r.outcome]));
  const lesions = primaryRows(td).filter((r) => r.timepoint === 'pre' && outcome.has(r.patientId));
  const per = td.settings.lesionHrPerUnits;
  const lt = lesions.map((r) => outcome.get(r.patientId)!.ttp.days / DAYS_PER_MONTH);
  const ls = lesions.map((r) => (outcome.get(r.patientId)!.ttp.event ? 1 : 0));
  if (ls.some((s) => s === 1) && countPatients(lesions) >= 2) {
    try {
      const fit = coxph(
        lt,
        ls,
        { names: [`suvpeak_per_${per}`], columns: [lesions.map((r) => r.suvPeakCorrected / per)] },
        { cluster: lesions.map((r) => r.patientId) },
      );
      const c = fit.coefficients[0]!;
      const lesionHr: HazardRatio = {
        term: c.term,
        logHr: c.estimate,
        se: c.robustSe,
        hr: c.hr,
        lower: c.hrLower,
        upper: c.hrUpper,
        p: c.p,
        method: 'cox-robust',
      };
      results['lesionLevel'] = {
        ...lesionHr,
        naiveSe: c.se,
        lesions: lesions.length,
        patients: countPatients(lesions),
        events: fit.events,
      };
      table.rows.push({
        endpoint: 'TTP',
        model: `lesion level (each lesion with its patient's TTP), per ${per} SUVpeak units, clustered by patient`,
        events: fit.events,
        hr: c.hr,
        ci_lower: c.hrLower,
        ci_upper: c.hrUpper,
        p: c.p,
        c_index: fit.concordance,
        c_index_se: fit.concordanceSe,
      });
      findings.push(
        `Lesion level (${lesions.length} lesions, each with its patient's TTP): HR per ${per} SUVpeak units ${formatCi(c.hr, c.hrLower, c.hrUpper)}, ${formatPEquals(c.p)}. ` +
          'Progression at the lesion itself is modelled in section lesion-progression.',
      );
      warnings.push(...fit.warnings);
    } catch (e) {
      failed.push(`lesion-level Cox model failed: ${(e as Error).message}`);
    }
  } else {
    warnings.push('lesion-level Cox model not done: no TTP events or fewer than 2 patients');
  }
  return lesions;
}

/** Per-patient total MATV (mL) on the latest FDG scan before infusion (lesion VOIs summed). */
export function patientMatv(study: StudyData): Map<string, number> {
  const fdg = study.scans.filter((s) => /fdg/i.test(s.tracer) && s.day !== null && s.day < 0);
  const latest = new Map<string, { scanId: string; day: number }>();
  for (const s of fdg) {
    const cur = latest.get(s.patientId);
    if (!cur || s.day! > cur.day) latest.set(s.patientId, { scanId: s.scanId, day: s.day! });
  }
  const scanIds = new Set([...latest.values()].map((v) => v.scanId));
  const out = new Map<string, number>();
  for (const v of study.vois) {
    if (v.kind !== 'lesion' || !scanIds.has(v.scanId)) continue;
    out.set(v.patientId, (out.get(v.patientId) ?? 0) + v.matvMl);
  }
  for (const pid of latest.keys()) if (!out.has(pid)) out.set(pid, 0);
  return out;
}

/** MATV ≥ cut-off vs TTP (KM, log-rank, Firth HR) and MATV vs pre-CART uptake (LMM). */
export function matvSection(study: StudyData): SectionBody<MatvResults> {
  const td = tumourData(study);
  const cut = td.settings.matvCutoffMl;
  const base = {
    description:
      `Per-patient MATV: voxels with SUV ≥ ${study.settings.matvThresholdSuv} inside the lesion VOIs of the last FDG PET before infusion, summed (mL). ` +
      `High MATV ≥ ${cut} mL vs low: Kaplan–Meier and log-rank for TTP, Firth Cox HR. MATV vs uptake: linear mixed model ` +
      'of pre-CART lesion log SUVpeak (volume-corrected) on MATV per 100 mL with a random patient intercept (REML estimate, ML likelihood-ratio p).',
    formula: `Surv(ttp, event) ~ (matv >= ${cut}); log(SUVpeak) ~ I(matv/100) + (1 | patient)`,
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  if (td.pvcError) return notRun(td.pvcError);
  const matv = patientMatv(study);
  const ex = new Set(td.excludedPatients);
  const outcomes = deriveOutcomes(study).filter((o) => matv.has(o.patientId) && !ex.has(o.patientId));
  if (outcomes.length < 3)
    return notRun(`only ${outcomes.length} patient(s) with an FDG PET before infusion`);
  const group = outcomes.map((o): 'high' | 'low' => (matv.get(o.patientId)! >= cut ? 'high' : 'low'));
  const time = outcomes.map((o) => o.ttp.days / DAYS_PER_MONTH);
  const status: number[] = outcomes.map((o) => (o.ttp.event ? 1 : 0));
  const results: MatvResults = {
    cutoffMl: cut,
    patients: outcomes.map((o, i) => ({
      patientId: o.patientId,
      matvMl: matv.get(o.patientId)!,
      group: group[i]!,
      ttpDays: o.ttp.days,
      ttpEvent: o.ttp.event,
    })),
  };
  const findings: string[] = [];
  const figures: ResultFigure[] = [];
  const warnings: string[] = [];
  /** Models of the plan that could not be fitted: any one makes the section 'not-run' (never 'ok'). */
  const failed: string[] = [];
  const nHigh = group.filter((g) => g === 'high').length;
  const events = status.reduce((a, b) => a + b, 0);
  if (nHigh > 0 && nHigh < group.length && events > 0) {
    try {
      const km = kaplanMeierByGroup(time, status, group, { confType: 'log', levels: ['low', 'high'] });
      const lr = logRank(time, status, group);
      const hr = firthHr(
        time,
        status,
        group.map((g) => (g === 'high' ? 1 : 0)),
        'high_matv',
      );
      results['ttp'] = { km: km.strata, logRank: lr, firthHr: hr };
      figures.push(kmFigure('km-ttp-matv', `Time to progression by MATV (≥ ${cut} mL)`, km.strata, lr.p));
      findings.push(
        `TTP, MATV ≥ ${cut} mL (n = ${nHigh}) vs lower: log-rank ${formatPEquals(lr.p)}; Firth HR ${formatCi(hr.hr, hr.lower, hr.upper)}.`,
      );
    } catch (e) {
      failed.push(`TTP by MATV (Kaplan–Meier, log-rank, Firth Cox) failed: ${(e as Error).message}`);
    }
  } else {
    warnings.push(
      `TTP by MATV not done: ${events === 0 ? 'no TTP events' : `all patients in one MATV group (cut-off ${cut} mL)`}`,
    );
  }
  // MATV vs uptake.
  const lesions = primaryRows(td).filter((r) => r.timepoint === 'pre' && matv.has(r.patientId));
  if (countPatients(lesions) >= 3) {
    const records = lesions.map((r) => ({
      log_y: Math.log(r.suvPeakCorrected),
      matv100: matv.get(r.patientId)! / 100,
      patient: r.patientId,
    }));
    try {
      const fit = fitMixed('log_y ~ matv100 + (1 | patient)', records, { reml: true });
      const c = contrast(fit, unitContrast(fit, 'matv100'));
      const t = lrt(
        fitMixed('log_y ~ matv100 + (1 | patient)', records, { reml: false }),
        fitMixed('log_y ~ 1 + (1 | patient)', records, { reml: false }),
      );
      results['uptake'] = {
        slopePer100Ml: c,
        lrt: t,
        lesions: lesions.length,
        patients: countPatients(lesions),
      };
      findings.push(
        `MATV vs uptake: log SUVpeak slope per 100 mL ${formatCi(c.estimate, c.lower, c.upper)}, LRT ${formatPEquals(t.p)}.`,
      );
      const byP = new Map<string, number[]>();
      for (const r of lesions) byP.set(r.patientId, [...(byP.get(r.patientId) ?? []), r.suvPeakCorrected]);
      figures.push(
        scatterFitFigure(
          'matv-uptake',
          'Per-patient geometric-mean SUVpeak vs MATV',
          [...byP.entries()].map(([pid, v]) => ({ x: matv.get(pid)!, y: geometricMean(v) })),
          [0, Math.max(...[...byP.keys()].map((p) => matv.get(p)!))].map((x) => {
            const e = Math.exp(fit.beta[0]! + (fit.beta[1]! * x) / 100);
            return { x, estimate: e, lower: e, upper: e };
          }),
          { x: 'MATV (mL)', y: 'Geometric-mean SUVpeak (corrected)', yScale: 'log' },
          'Line: LMM population fit.',
        ),
      );
    } catch (e) {
      failed.push(`MATV vs uptake model failed: ${(e as Error).message}`);
    }
  }
  if (failed.length > 0) return notRun(failed.join('; '));
  if (findings.length === 0) return notRun(warnings.join('; ') || 'nothing could be estimated');
  return {
    ...base,
    status: 'ok',
    n: { patients: outcomes.length, lesions: lesions.length },
    results,
    findings,
    tables: [
      {
        id: 'outcomes-matv-patients',
        title: 'Per-patient MATV and TTP',
        columns: ['patient', 'matv_ml', 'group', 'ttp_days', 'ttp_event'],
        rows: outcomes.map((o, i) => ({
          patient: o.patientId,
          matv_ml: matv.get(o.patientId)!,
          group: group[i]!,
          ttp_days: o.ttp.days,
          ttp_event: o.ttp.event ? 1 : 0,
        })),
      },
    ],
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
