/**
 * Report section `safety-adverse-events`: the paper's Supplementary Tables 1–2 and the tocilizumab /
 * steroid combinations of its Results (toxicity ¶), from the bundle's CTCAE adverse events
 * (adverse_events.csv) and toxicity.csv.
 *
 * - Grade ≥ 3 adverse events by CTCAE term and period of onset (`SAFETY_PERIODS`: before infusion,
 *   days 0–30, after day 30; the 30-day boundary is the paper's Methods safety monitoring window):
 *   patients with at least one such event (n, % of the infused patients) and the number of events.
 * - Per tracer-injection occasion (pre-CART: injected before the infusion; post-CART: on or after it),
 *   the adverse events with onset within 30 days of the injection (injection day ≤ onset ≤ day + 30;
 *   the paper's Methods: tracer-related events are monitored until 30 days after the tracer), of which
 *   attributed to the tracer, and the patients with a tracer-related event with an exact CI; and the
 *   same events by term and attribution.
 * - Tocilizumab and steroids (toxicity.csv): neither, tocilizumab alone, steroids alone, both, and
 *   each in total, n and % of the patients with both recorded, with exact (Clopper–Pearson) 95 % CIs.
 *
 * Percentages are 100 × n / denominator, unrounded. Pure computation, no I/O.
 */
import { clopperPearson } from '../stats/binomial.js';
import type { AdverseEvent, AdverseEventAttribution, StudyData } from '../study/model.js';
import { notRunSection, type AnalysisSection, type ResultTable } from './types.js';

/** The periods of onset of Supplementary Table 1 (days relative to infusion, inclusive). */
export const SAFETY_PERIODS = [
  { id: 'before-infusion', label: 'before infusion (day < 0)', fromDay: -Infinity, toDay: -1 },
  { id: 'days-0-30', label: 'days 0–30', fromDay: 0, toDay: 30 },
  { id: 'after-day-30', label: 'after day 30', fromDay: 31, toDay: Infinity },
] as const;

/** A period of `SAFETY_PERIODS`, or `any` (every onset). */
export type SafetyPeriodId = (typeof SAFETY_PERIODS)[number]['id'] | 'any';

/** Days after a tracer injection within which its adverse events are tabulated (seed, Methods). */
export const TRACER_WINDOW_DAYS = 30;

/** A count with its denominator, percentage and exact 95 % CI (in %; null when the denominator is 0). */
export interface Proportion {
  n: number;
  of: number;
  percent: number | null;
  ciLowerPercent: number | null;
  ciUpperPercent: number | null;
}

/** One row of Supplementary Table 1: a CTCAE term (or `Any grade ≥ 3 event`) in one period. */
export interface Grade3Row {
  term: string;
  period: SafetyPeriodId;
  /** Infused patients with at least one grade ≥ 3 event of the term with onset in the period. */
  patients: number;
  /** 100 × patients / infused patients. */
  percent: number;
  events: number;
}

/** One row of Supplementary Table 2: the tracer injections of one occasion and the events after them. */
export interface TracerOccasionRow {
  occasion: 'pre-CART' | 'post-CART';
  /** Distinct injections (a patient and a day; cohort 3's one injection for three scans counts once). */
  injections: number;
  patients: number;
  /** Adverse events with onset within 30 days of an injection, counted once per injection. */
  eventsWithin30Days: number;
  grade3Within30Days: number;
  /** Events attributed to the tracer that follow an injection of this occasion. */
  tracerRelatedEvents: number;
  /** Patients injected on this occasion with a tracer-related event after it (of `patients`). */
  patientsWithTracerRelated: Proportion;
}

/** Adverse events within 30 days of a tracer injection, by occasion, term and attribution. */
export interface TracerWindowTermRow {
  occasion: 'pre-CART' | 'post-CART';
  term: string;
  attribution: AdverseEventAttribution;
  events: number;
  patients: number;
  maxGrade: number;
}

/** Tocilizumab / steroid use: a combination and its count among the patients with both recorded. */
export interface TreatmentRow {
  combination:
    | 'neither'
    | 'tocilizumab alone'
    | 'steroids alone'
    | 'tocilizumab and steroids'
    | 'tocilizumab (any)'
    | 'steroids (any)';
  patients: Proportion;
}

/** `results` of the section `safety-adverse-events` (every number unrounded). */
export interface SafetyAdverseEventsResults {
  infusedPatients: number;
  adverseEvents: number;
  periods: { id: SafetyPeriodId; label: string; fromDay: number | null; toDay: number | null }[];
  grade3ByTermAndPeriod: Grade3Row[];
  tracerWindowDays: number;
  tracerInjections: TracerOccasionRow[];
  tracerWindowByTerm: TracerWindowTermRow[];
  treatments: TreatmentRow[];
  /** Infused patients whose tocilizumab or steroid use is not recorded (left out of `treatments`). */
  treatmentsNotRecorded: number;
}

/** n of `of` with its percentage and exact 95 % CI (R `binom.test(n, of)$conf.int`, × 100). */
export function proportion(n: number, of: number): Proportion {
  if (of === 0) return { n, of, percent: null, ciLowerPercent: null, ciUpperPercent: null };
  const ci = clopperPearson(n, of);
  return { n, of, percent: (100 * n) / of, ciLowerPercent: 100 * ci.lower, ciUpperPercent: 100 * ci.upper };
}

const inPeriod = (day: number, p: SafetyPeriodId): boolean => {
  if (p === 'any') return true;
  const period = SAFETY_PERIODS.find((x) => x.id === p)!;
  return day >= period.fromDay && day <= period.toDay;
};

/** Supplementary Table 1: grade ≥ 3 events per term (and any term) and period, zero rows included. */
export function grade3ByTermAndPeriod(events: readonly AdverseEvent[], infused: number): Grade3Row[] {
  const severe = events.filter((e) => e.grade >= 3);
  const terms = [...new Set(severe.map((e) => e.ctcaeTerm))].sort();
  const periods: SafetyPeriodId[] = [...SAFETY_PERIODS.map((p) => p.id), 'any'];
  const rows: Grade3Row[] = [];
  for (const term of ['Any grade ≥ 3 event', ...terms]) {
    const ofTerm = term === 'Any grade ≥ 3 event' ? severe : severe.filter((e) => e.ctcaeTerm === term);
    for (const period of periods) {
      const hit = ofTerm.filter((e) => inPeriod(e.onsetDay, period));
      const patients = new Set(hit.map((e) => e.patientId)).size;
      rows.push({ term, period, patients, percent: (100 * patients) / infused, events: hit.length });
    }
  }
  return rows;
}

/** A distinct tracer injection: a patient and a day (events.csv `tracer_injection`). */
interface Injection {
  patientId: string;
  day: number;
  occasion: 'pre-CART' | 'post-CART';
}

function tracerInjections(study: StudyData): Injection[] {
  const seen = new Map<string, Injection>();
  for (const e of study.events) {
    if (e.event !== 'tracer_injection') continue;
    const k = `${e.patientId}\u0000${e.day}`;
    if (!seen.has(k))
      seen.set(k, { patientId: e.patientId, day: e.day, occasion: e.day < 0 ? 'pre-CART' : 'post-CART' });
  }
  return [...seen.values()];
}

/** Supplementary Table 2: per occasion, the events within 30 days of each injection; and by term. */
export function tracerWindowTables(
  injections: readonly Injection[],
  events: readonly AdverseEvent[],
): { occasions: TracerOccasionRow[]; byTerm: TracerWindowTermRow[] } {
  const occasions: TracerOccasionRow[] = [];
  const byTerm: TracerWindowTermRow[] = [];
  for (const occasion of ['pre-CART', 'post-CART'] as const) {
    const inj = injections.filter((i) => i.occasion === occasion);
    const patients = new Set(inj.map((i) => i.patientId));
    const within = inj.flatMap((i) =>
      events.filter(
        (e) => e.patientId === i.patientId && e.onsetDay >= i.day && e.onsetDay <= i.day + TRACER_WINDOW_DAYS,
      ),
    );
    const related = events.filter(
      (e) =>
        e.attribution === 'tracer' &&
        inj.some((i) => i.patientId === e.patientId && i.day === e.tracerInjectionDay),
    );
    occasions.push({
      occasion,
      injections: inj.length,
      patients: patients.size,
      eventsWithin30Days: within.length,
      grade3Within30Days: within.filter((e) => e.grade >= 3).length,
      tracerRelatedEvents: related.length,
      patientsWithTracerRelated: proportion(new Set(related.map((e) => e.patientId)).size, patients.size),
    });
    const keys = [...new Set(within.map((e) => `${e.ctcaeTerm}\u0000${e.attribution}`))].sort();
    for (const k of keys) {
      const [term, attribution] = k.split('\u0000') as [string, AdverseEventAttribution];
      const hit = within.filter((e) => e.ctcaeTerm === term && e.attribution === attribution);
      byTerm.push({
        occasion,
        term,
        attribution,
        events: hit.length,
        patients: new Set(hit.map((e) => e.patientId)).size,
        maxGrade: Math.max(...hit.map((e) => e.grade)),
      });
    }
  }
  return { occasions, byTerm };
}

/** Tocilizumab / steroid combinations among the patients with both recorded (toxicity.csv). */
export function treatmentCombinations(study: StudyData): { rows: TreatmentRow[]; notRecorded: number } {
  const known = study.toxicity.filter((t) => t.tocilizumab !== null && t.steroids !== null);
  const n = known.length;
  const count = (f: (t: boolean, s: boolean) => boolean): Proportion =>
    proportion(known.filter((x) => f(x.tocilizumab!, x.steroids!)).length, n);
  const infused = new Set(study.patients.map((p) => p.patientId));
  const rows: TreatmentRow[] =
    n === 0
      ? []
      : [
          { combination: 'neither', patients: count((t, s) => !t && !s) },
          { combination: 'tocilizumab alone', patients: count((t, s) => t && !s) },
          { combination: 'steroids alone', patients: count((t, s) => !t && s) },
          { combination: 'tocilizumab and steroids', patients: count((t, s) => t && s) },
          { combination: 'tocilizumab (any)', patients: count((t) => t) },
          { combination: 'steroids (any)', patients: count((_t, s) => s) },
        ];
  return { rows, notRecorded: [...infused].filter((id) => !known.some((k) => k.patientId === id)).length };
}

const pctCells = (p: Proportion): Record<string, number | null> => ({
  patients: p.n,
  of: p.of,
  percent: p.percent,
  ci_lower_percent: p.ciLowerPercent,
  ci_upper_percent: p.ciUpperPercent,
});

/** The section's tables (CSV files `tables/<id>.csv`). */
function safetyTables(r: SafetyAdverseEventsResults): ResultTable[] {
  return [
    {
      id: 'safety-grade3-by-term-period',
      title: 'Grade ≥ 3 adverse events by CTCAE term and period of onset (patients, % of infused)',
      columns: ['term', 'period', 'patients', 'percent', 'events'],
      rows: r.grade3ByTermAndPeriod.map((x) => ({ ...x })),
    },
    {
      id: 'safety-tracer-injections',
      title: `Adverse events within ${r.tracerWindowDays} days of each tracer injection`,
      columns: [
        'occasion',
        'injections',
        'patients',
        'events_within_30_days',
        'grade3_within_30_days',
        'tracer_related_events',
        'patients_with_tracer_related',
        'percent',
        'ci_lower_percent',
        'ci_upper_percent',
      ],
      rows: r.tracerInjections.map((x) => ({
        occasion: x.occasion,
        injections: x.injections,
        patients: x.patients,
        events_within_30_days: x.eventsWithin30Days,
        grade3_within_30_days: x.grade3Within30Days,
        tracer_related_events: x.tracerRelatedEvents,
        patients_with_tracer_related: x.patientsWithTracerRelated.n,
        percent: x.patientsWithTracerRelated.percent,
        ci_lower_percent: x.patientsWithTracerRelated.ciLowerPercent,
        ci_upper_percent: x.patientsWithTracerRelated.ciUpperPercent,
      })),
    },
    {
      id: 'safety-tracer-window-terms',
      title: `Adverse events within ${r.tracerWindowDays} days of a tracer injection, by term and attribution`,
      columns: ['occasion', 'term', 'attribution', 'events', 'patients', 'max_grade'],
      rows: r.tracerWindowByTerm.map(({ maxGrade, ...x }) => ({ ...x, max_grade: maxGrade })),
    },
    {
      id: 'safety-tocilizumab-steroids',
      title: 'Tocilizumab and steroid use (exact 95 % CI)',
      columns: ['combination', 'patients', 'of', 'percent', 'ci_lower_percent', 'ci_upper_percent'],
      rows: r.treatments.map((t) => ({ combination: t.combination, ...pctCells(t.patients) })),
    },
  ];
}

/**
 * The section `safety-adverse-events` (see the module doc).
 * @returns status 'not-run' when the study has no infused patients or no adverse events
 */
export function safetyAdverseEvents(study: StudyData): AnalysisSection {
  const base = {
    id: 'safety-adverse-events',
    title: 'Safety: adverse events',
    description:
      'Adverse events graded by CTCAE v5.0 (adverse_events.csv; CRS and ICANS by ASTCT 2019 are in the Toxicity ' +
      'section). Grade ≥ 3 events by term and period of onset (before infusion, days 0–30, after day 30): patients ' +
      'with at least one event, % of infused patients, and events. Per tracer-injection occasion (pre-CART: before ' +
      'the infusion; post-CART: on or after it), the events with onset within 30 days of each injection and those ' +
      'attributed to the tracer. Tocilizumab and steroid use with their combinations, % of the patients with both ' +
      'recorded, exact (Clopper–Pearson) 95 % CIs.',
  };
  const infused = study.patients.length;
  const events = study.adverseEvents ?? [];
  if (infused === 0) return notRunSection(base, 'the study has no infused patients');
  if (events.length === 0) return notRunSection(base, 'the study has no adverse events (adverse_events.csv)');
  const tracer = tracerWindowTables(tracerInjections(study), events);
  const treatments = treatmentCombinations(study);
  const results: SafetyAdverseEventsResults = {
    infusedPatients: infused,
    adverseEvents: events.length,
    periods: [
      ...SAFETY_PERIODS.map((p) => ({
        id: p.id,
        label: p.label,
        fromDay: Number.isFinite(p.fromDay) ? p.fromDay : null,
        toDay: Number.isFinite(p.toDay) ? p.toDay : null,
      })),
      { id: 'any', label: 'any time', fromDay: null, toDay: null },
    ],
    grade3ByTermAndPeriod: grade3ByTermAndPeriod(events, infused),
    tracerWindowDays: TRACER_WINDOW_DAYS,
    tracerInjections: tracer.occasions,
    tracerWindowByTerm: tracer.byTerm,
    treatments: treatments.rows,
    treatmentsNotRecorded: treatments.notRecorded,
  };
  const any = results.grade3ByTermAndPeriod.find(
    (r) => r.term === 'Any grade ≥ 3 event' && r.period === 'any',
  )!;
  const related = tracer.occasions.reduce((s, o) => s + o.tracerRelatedEvents, 0);
  const both = treatments.rows.find((t) => t.combination === 'tocilizumab and steroids');
  return {
    ...base,
    status: 'ok',
    n: { patients: infused, observations: events.length },
    results: { ...results },
    findings: [
      `Grade ≥ 3 adverse events in ${any.patients} of ${infused} infused patients (${any.percent.toFixed(0)} %).`,
      `Tracer-related adverse events: ${related} after ${tracer.occasions.reduce((s, o) => s + o.injections, 0)} tracer injections.`,
      ...(both && both.patients.percent !== null
        ? [
            `Tocilizumab and steroids: ${both.patients.n} of ${both.patients.of} (${both.patients.percent.toFixed(0)} %).`,
          ]
        : []),
    ],
    tables: safetyTables(results),
    figures: [],
  };
}
