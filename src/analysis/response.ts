/**
 * Report sections: response and follow-up (docs/references/trial.md §7, §8; the paper's Results,
 * "Clinical outcome"):
 * - `response`: best overall response (Lugano 2014; the one definition is `bestResponse` in
 *   src/clinical/outcomes.ts, reached through `deriveOutcomes`) per patient, the overall response rate
 *   (CR + PR) and the complete response rate with exact Clopper–Pearson 95 % CIs (statistics.md §14);
 * - `follow-up`: median follow-up by reverse Kaplan–Meier with its CI (statistics.md §5), the observed
 *   median with range as the paper gives it, and vein-to-vein time (src/clinical/outcomes.ts).
 * Both use the primary population: infused patients, EBV+ DLBCL left out when `excludeEbvPositive`.
 */
import type { LuganoResponse } from '../clinical/outcomes.js';
import { clopperPearson, type BinomialCi } from '../stats/binomial.js';
import { kaplanMeier, medianFollowUp, type KmRow } from '../stats/survival/index.js';
import type { StudyData } from '../study/model.js';
import { vegaLiteFigure } from './figures.js';
import { formatCi, formatSig, median, quantile7 } from './format.js';
import { isEbvPositiveHistology } from './lesions.js';
import { DAYS_PER_MONTH, deriveOutcomes, type PatientOutcome } from './outcomes.js';
import { notRunSection, type SectionBody } from './types.js';

/** Results of the best-response section (primary population). */
export interface ResponseResults {
  /** The population in words and the patients left out of it. */
  population: string;
  excludedPatients: string[];
  evaluable: number;
  notEvaluable: string[];
  counts: Record<LuganoResponse, number>;
  orr: BinomialCi;
  completeResponseRate: BinomialCi;
  patients: { patientId: string; bestResponse: LuganoResponse | null }[];
}

/** n, median, quartiles (type 7) and range of some values. */
export interface Described {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** Results of the follow-up section (times in months unless named in days). */
export interface FollowUpResults {
  population: string;
  excludedPatients: string[];
  timeUnit: 'months';
  reverseKaplanMeier: {
    median: number;
    lower: number;
    upper: number;
    n: number;
    censoredByDeath: number;
    table: KmRow[];
  };
  observed: Described;
  veinToVeinDays: Described | null;
  patients: {
    patientId: string;
    followUpDays: number;
    followUpMonths: number;
    died: boolean;
    veinToVeinDays: number | null;
  }[];
}
import { kmFigure } from './outcome-figures.js';

const LUGANO_ORDER: readonly LuganoResponse[] = ['CR', 'PR', 'SD', 'PD'];

/** Infused patients of the primary population with their outcomes, and who was left out. */
function primaryOutcomes(study: StudyData): {
  outcomes: PatientOutcome[];
  excluded: string[];
  words: string;
} {
  const ebv = new Set(
    study.settings.excludeEbvPositive
      ? study.patients.filter((p) => isEbvPositiveHistology(p.histology)).map((p) => p.patientId)
      : [],
  );
  return {
    outcomes: deriveOutcomes(study).filter((o) => !ebv.has(o.patientId)),
    excluded: [...ebv],
    words: ebv.size > 0 ? `infused patients, ${ebv.size} EBV+ DLBCL patient(s) left out` : 'infused patients',
  };
}

const rateRow = (measure: string, ci: BinomialCi) => ({
  measure,
  x: ci.x,
  n: ci.n,
  estimate: ci.estimate,
  ci_lower: ci.lower,
  ci_upper: ci.upper,
});

/**
 * Best overall response per patient and the ORR / CR rate with exact 95 % CIs among the evaluable
 * patients (a best response on or after infusion). Not run without an evaluable patient.
 */
export function responseSection(study: StudyData): SectionBody<ResponseResults> {
  const pop = primaryOutcomes(study);
  const base = {
    description:
      `Best overall response per patient (Lugano 2014: the best of CR > PR > SD > PD among assessments from ` +
      `infusion up to the first progression; src/clinical/outcomes.ts) in the primary population (${pop.words}). ` +
      'Overall response rate (CR + PR) and complete response rate among evaluable patients (a response ' +
      'assessment after infusion), with exact Clopper–Pearson 95% confidence intervals (R binom.test).',
    formula: 'binom.test(x, n)',
  };
  const evaluable = pop.outcomes.filter((o) => o.bestResponse !== null);
  if (evaluable.length === 0)
    return notRunSection(
      base,
      `no evaluable patient (no response assessment after infusion) among ${pop.words}`,
    );
  const counts = Object.fromEntries(
    LUGANO_ORDER.map((r) => [r, evaluable.filter((o) => o.bestResponse === r).length]),
  ) as Record<LuganoResponse, number>;
  const n = evaluable.length;
  const orr = clopperPearson(counts.CR + counts.PR, n);
  const cr = clopperPearson(counts.CR, n);
  const notEvaluable = pop.outcomes.filter((o) => o.bestResponse === null).map((o) => o.patientId);
  const pct = (x: number) => `${formatSig((100 * x) / n)}%`;
  return {
    ...base,
    status: 'ok',
    n: { patients: n },
    results: {
      population: pop.words,
      excludedPatients: pop.excluded,
      evaluable: n,
      notEvaluable,
      counts,
      orr,
      completeResponseRate: cr,
      patients: pop.outcomes.map((o) => ({ patientId: o.patientId, bestResponse: o.bestResponse })),
    },
    findings: [
      `Evaluable patients: ${n}; CR ${counts.CR} (${pct(counts.CR)}), PR ${counts.PR}, SD ${counts.SD}, PD ${counts.PD}.`,
      `Overall response rate ${formatCi(100 * orr.estimate, 100 * orr.lower, 100 * orr.upper)} %; ` +
        `complete response rate ${formatCi(100 * cr.estimate, 100 * cr.lower, 100 * cr.upper)} % (exact 95% CI).`,
      ...(notEvaluable.length > 0
        ? [`Not evaluable (no assessment after infusion): ${notEvaluable.join(', ')}.`]
        : []),
    ],
    tables: [
      {
        id: 'response-rates',
        title: 'Response rates with exact (Clopper–Pearson) 95% CIs',
        columns: ['measure', 'x', 'n', 'estimate', 'ci_lower', 'ci_upper'],
        rows: [rateRow('overall response (CR + PR)', orr), rateRow('complete response', cr)],
      },
      {
        id: 'response-per-patient',
        title: 'Best overall response per patient',
        columns: ['patient', 'best_response'],
        rows: pop.outcomes.map((o) => ({ patient: o.patientId, best_response: o.bestResponse })),
      },
    ],
    figures: [
      vegaLiteFigure('response-best', 'Best overall response', `n = ${n} evaluable patients`, {
        width: 300,
        height: 220,
        data: { values: LUGANO_ORDER.map((r) => ({ response: r, patients: counts[r] })) },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'response', type: 'nominal', sort: [...LUGANO_ORDER], title: 'Best response (Lugano)' },
          y: { field: 'patients', type: 'quantitative', title: 'Patients', axis: { tickMinStep: 1 } },
        },
      }),
    ],
  };
}

/** n, median, quartiles (type 7) and range of values. */
function describe(values: number[]): Described {
  return {
    n: values.length,
    median: median(values),
    q1: quantile7(values, 0.25),
    q3: quantile7(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * Median follow-up (months) by reverse Kaplan–Meier on the overall-survival times (death censors the
 * follow-up, last contact ends it; R `survfit(Surv(time, 1 - status) ~ 1)`), beside the observed median
 * and range of the follow-up times; and vein-to-vein time (apheresis → infusion, days). Not run
 * without an infused patient.
 */
export function followUpSection(study: StudyData): SectionBody<FollowUpResults> {
  const pop = primaryOutcomes(study);
  const base = {
    description:
      `Primary population (${pop.words}). Follow-up runs from infusion to death or last contact (the overall-` +
      'survival time, src/clinical/outcomes.ts). Median follow-up by the reverse Kaplan–Meier method (deaths ' +
      'censored, last contact as the event; log-transformed 95% CI of the median, R survfit), and the ' +
      'observed median with range of the follow-up times, as the paper reports it. Vein-to-vein time: days ' +
      'from the last apheresis to the infusion; median, quartiles (R type 7) and range. Months = days / (365.25/12).',
    formula: 'survfit(Surv(months, 1 - death) ~ 1)',
  };
  const fu = pop.outcomes.filter((o) => Number.isFinite(o.os.days));
  if (fu.length === 0)
    return notRunSection(base, `no infused patient with a follow-up time among ${pop.words}`);
  const months = fu.map((o) => o.os.days / DAYS_PER_MONTH);
  const death = fu.map((o) => (o.os.event ? 1 : 0));
  const reverse = medianFollowUp(months, death);
  const km = kaplanMeier(months, death, { reverse: true });
  const observed = describe(months);
  const v2v = pop.outcomes.map((o) => o.clinical.veinToVeinDays).filter((d): d is number => d !== null);
  const veinToVein = v2v.length > 0 ? describe(v2v) : null;
  const warnings: string[] = [];
  if (Number.isNaN(reverse.median))
    warnings.push('the reverse Kaplan–Meier curve does not reach 0.5: median follow-up not estimable');
  if (veinToVein === null)
    warnings.push('no patient with an apheresis on or before the infusion: no vein-to-vein time');
  const row = (measure: string, unit: string, d: ReturnType<typeof describe>) => ({
    measure,
    unit,
    n: d.n,
    estimate: d.median,
    ci_lower: null,
    ci_upper: null,
    q1: d.q1,
    q3: d.q3,
    min: d.min,
    max: d.max,
  });
  return {
    ...base,
    status: 'ok',
    n: { patients: fu.length },
    results: {
      population: pop.words,
      excludedPatients: pop.excluded,
      timeUnit: 'months',
      reverseKaplanMeier: {
        ...reverse,
        n: km.n,
        censoredByDeath: death.filter((d) => d === 1).length,
        table: km.table,
      },
      observed,
      veinToVeinDays: veinToVein,
      patients: fu.map((o, i) => ({
        patientId: o.patientId,
        followUpDays: o.os.days,
        followUpMonths: months[i]!,
        died: o.os.event,
        veinToVeinDays: o.clinical.veinToVeinDays,
      })),
    },
    findings: [
      `Median follow-up (reverse Kaplan–Meier): ${formatCi(reverse.median, reverse.lower, reverse.upper)} months.`,
      `Observed median follow-up ${formatSig(observed.median)} months (range ${formatSig(observed.min)}–${formatSig(observed.max)}), n = ${observed.n}.`,
      ...(veinToVein
        ? [
            `Vein-to-vein time: median ${formatSig(veinToVein.median)} days (IQR ${formatSig(veinToVein.q1)}–${formatSig(veinToVein.q3)}, range ${veinToVein.min}–${veinToVein.max}), n = ${veinToVein.n}.`,
          ]
        : []),
    ],
    tables: [
      {
        id: 'follow-up-summary',
        title: 'Median follow-up and vein-to-vein time',
        columns: ['measure', 'unit', 'n', 'estimate', 'ci_lower', 'ci_upper', 'q1', 'q3', 'min', 'max'],
        rows: [
          {
            measure: 'median follow-up (reverse Kaplan–Meier)',
            unit: 'months',
            n: km.n,
            estimate: reverse.median,
            ci_lower: reverse.lower,
            ci_upper: reverse.upper,
            q1: null,
            q3: null,
            min: null,
            max: null,
          },
          row('observed follow-up', 'months', observed),
          ...(veinToVein ? [row('vein-to-vein time', 'days', veinToVein)] : []),
        ],
      },
      {
        id: 'follow-up-per-patient',
        title: 'Follow-up and vein-to-vein time per patient',
        columns: ['patient', 'follow_up_days', 'follow_up_months', 'died', 'vein_to_vein_days'],
        rows: fu.map((o, i) => ({
          patient: o.patientId,
          follow_up_days: o.os.days,
          follow_up_months: months[i]!,
          died: o.os.event,
          vein_to_vein_days: o.clinical.veinToVeinDays,
        })),
      },
    ],
    figures: [
      kmFigure(
        'follow-up-reverse-km',
        'Follow-up by reverse Kaplan–Meier (still followed)',
        [{ group: 'all', n: km.n, table: km.table }],
        null,
      ),
    ],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
