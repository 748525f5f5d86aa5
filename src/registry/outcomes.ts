/**
 * Computed registry figures — never typed: CRS/ICANS grade per day and maximum per patient (ASTCT 2019),
 * vein-to-vein time, CONSORT-style flow with drop-out reasons, best response, TTP/PFS/OS and
 * non-relapse mortality per patient, and programme figures (median follow-up by reverse Kaplan–Meier).
 *
 * Pure functions over API-shaped rows (no I/O). The per-patient definitions are src/clinical/outcomes.ts
 * (docs/outcomes.md): this module maps a patient's registry rows to a `ClinicalJourney` (days since
 * 1970-01-01; last contact = every `…Date` of the patient's rows, biobank samples and study links
 * excepted) and grades each toxicity observation with src/registry/grading/astct.ts.
 */
import { kaplanMeier } from '../stats/survival/index.js';
import {
  clinicalOutcome,
  dailyGrades,
  maxGrade,
  preInfusionStage,
  type ClinicalJourney,
  type ClinicalOutcome,
  type ConsortStage,
  type DailyGrade,
  type LuganoResponse,
} from '../clinical/outcomes.js';
import { daysBetween } from '../clinical/timeline.js';
import { gradeCrs, gradeIcans, parseCrsWindow, parseIcansWindow } from '../clinical/astct.js';

/** API-shaped row: camelCase fields as returned by the data layer. */
export type ApiRow = Record<string, unknown>;

/** One patient with the rows of every entity (keyed by entity path). */
export interface PatientRecord {
  patient: ApiRow;
  rows: Record<string, ApiRow[]>;
}

export type { DailyGrade, TimeToEvent } from '../clinical/outcomes.js';

/** Furthest CONSORT stage reached (src/clinical/outcomes.ts). */
export type FlowStage = ConsortStage;

/** The registry's computed figures of one patient: the clinical outcomes plus the daily grades. */
export interface PatientOutcome extends ClinicalOutcome {
  patientId: string;
  crsByDay: DailyGrade[];
  icansByDay: DailyGrade[];
  product: string | null;
}

/** Whole days from ISO date `a` to ISO date `b` (b − a). */
export { daysBetween } from '../clinical/timeline.js';

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function dates(rows: ApiRow[] | undefined, field: string): string[] {
  return (rows ?? [])
    .map((r) => str(r[field]))
    .filter((d): d is string => d !== null)
    .sort();
}

function crsOf(r: ApiRow): { grade: number; drivenBy: string[] } {
  return gradeCrs(
    parseCrsWindow({
      maxTemperatureC: r['maxTemperatureC'],
      feverMaskedByTreatment: r['feverMaskedByTreatment'],
      hypotension: r['hypotension'],
      fluidsOnly: r['fluidsOnly'],
      vasopressors: r['vasopressors'],
      oxygenDevice: r['oxygenDevice'],
      oxygenLPerMin: r['oxygenLPerMin'] ?? null,
      diedOfCrs: r['diedOfCrs'],
    }),
  );
}

function icansOf(r: ApiRow): { grade: number; drivenBy: string[] } {
  return gradeIcans(
    parseIcansWindow({
      iceScore: r['iceScore'] ?? null,
      iceNotPossible: r['iceNotPossible'],
      consciousness: r['consciousness'],
      globalAphasia: r['globalAphasia'],
      seizure: r['seizure'],
      motor: r['motor'],
      cerebralOedema: r['cerebralOedema'],
      raisedIcpSigns: r['raisedIcpSigns'],
    }),
  );
}

/** Validates the CRS and ICANS windows of one toxicity observation row (throws InputError naming the field). */
export function checkToxObservation(r: ApiRow): void {
  crsOf(r);
  icansOf(r);
}

/** Days since 1970-01-01 of an ISO date: the registry's day axis for `ClinicalJourney`. */
const epochDay = (d: string): number => daysBetween('1970-01-01', d);

/** Every ISO date (`…Date` fields) of the patient's rows, except biobank samples and study links. */
function datedRecords(rows: Record<string, ApiRow[]>): string[] {
  const all: string[] = [];
  for (const [path, list] of Object.entries(rows)) {
    if (path === 'biobank-samples' || path === 'study-links') continue;
    for (const r of list)
      for (const [k, v] of Object.entries(r))
        if (k.endsWith('Date') && typeof v === 'string' && /^\d{4}-/.test(v)) all.push(v);
  }
  return all;
}

/**
 * The registry rows of one patient as a `ClinicalJourney` (src/clinical/outcomes.ts; days since
 * 1970-01-01). Drop-out reason: the `dropouts` row, else the reason of a last tumour-board decision
 * that did not accept the patient (`not-accepted` without a reason).
 */
export function registryJourney(
  rec: PatientRecord,
): ClinicalJourney & { crsByDay: DailyGrade[]; icansByDay: DailyGrade[] } {
  const rows = rec.rows;
  const infusion = dates(rows['infusions'], 'infusionDate')[0] ?? null;
  const obs = (rows['toxicity-observations'] ?? []).filter((r) => str(r['observationDate']) !== null);
  const dayOf = (d: string) => (infusion ? daysBetween(infusion, d) : null);
  const graded = (f: (r: ApiRow) => { grade: number; drivenBy: string[] }) =>
    dailyGrades(
      obs.map((r) => ({ date: String(r['observationDate']), ...f(r) })),
      dayOf,
    );
  const crsByDay = graded(crsOf);
  const icansByDay = graded(icansOf);
  const decisions = [...(rows['tumorboard-decisions'] ?? [])].sort((a, b) =>
    String(a['decisionDate']).localeCompare(String(b['decisionDate'])),
  );
  const lastDecision = decisions[decisions.length - 1];
  const apheresis = dates(rows['apheresis'], 'apheresisDate');
  let dropoutReason: string | null = null;
  if (!infusion) {
    const dropout = rows['dropouts']?.[0];
    if (dropout) dropoutReason = str(dropout['reason']);
    else if (lastDecision && lastDecision['accepted'] === false)
      dropoutReason = str(lastDecision['reason']) ?? 'not-accepted';
  }
  const deathRow = rows['deaths']?.[0];
  const death = deathRow ? str(deathRow['deathDate']) : null;
  const responses: { day: number; response: LuganoResponse }[] = [];
  for (const a of rows['lugano-assessments'] ?? []) {
    const d = str(a['assessmentDate']);
    const r = str(a['response']);
    if (d && r && r in RESPONSE) responses.push({ day: epochDay(d), response: r as LuganoResponse });
  }
  return {
    infusionDay: infusion ? epochDay(infusion) : null,
    apheresisDays: apheresis.map(epochDay),
    responses,
    progressionDays: dates(rows['progressions'], 'progressionDate').map(epochDay),
    death: death
      ? { day: epochDay(death), cause: deathRow?.['cause'] === 'lymphoma' ? 'lymphoma' : 'other' }
      : null,
    contactDays: datedRecords(rows).map(epochDay),
    preInfusionStage: preInfusionStage(
      decisions.some((d) => d['accepted'] === true),
      apheresis.length > 0,
    ),
    dropoutReason,
    maxCrs: maxGrade(crsByDay),
    maxIcans: maxGrade(icansByDay),
    crsByDay,
    icansByDay,
  };
}

const RESPONSE = { CR: 1, PR: 1, SD: 1, PD: 1 };

/**
 * Computes every derived figure of one patient (definitions: src/clinical/outcomes.ts, docs/outcomes.md).
 * @param rec the patient row and its entity rows (API shape)
 */
export function patientOutcome(rec: PatientRecord): PatientOutcome {
  const j = registryJourney(rec);
  const rows = rec.rows;
  const product = str(rows['products']?.[rows['products'].length - 1]?.['product']);
  return {
    patientId: String(rec.patient['id']),
    crsByDay: j.crsByDay,
    icansByDay: j.icansByDay,
    ...clinicalOutcome(j),
    product,
  };
}

/**
 * Median of the Kaplan–Meier estimate (src/stats/survival, validated against R survival `survfit`).
 * @param time follow-up times (days); status 1 = event, 0 = censored
 * @returns the median, or null when the curve never reaches 0.5 (not reached) or there is no data
 */
export function kmMedian(time: readonly number[], status: readonly number[], reverse = false): number | null {
  if (time.length === 0) return null;
  const m = kaplanMeier(time, status, { reverse }).median;
  return Number.isNaN(m) ? null : m;
}

/**
 * Median follow-up by the reverse Kaplan–Meier method (Schemper & Smith, Control Clin Trials 1996):
 * the KM median with censorings as the events.
 * @param time OS times (days); status OS status (1 = death, 0 = censored)
 */
export function medianFollowUpReverseKm(time: readonly number[], status: readonly number[]): number | null {
  return kmMedian(time, status, true);
}

/**
 * Cumulative incidence of one cause in the presence of competing risks (Aalen–Johansen estimator):
 * CIF_k(t) = Σ_{t_j ≤ t} S(t_j−) · d_kj / n_j, with S the Kaplan–Meier estimate of being free of any event.
 * Used for non-relapse mortality (cause 1) with progression/lymphoma death (cause 2) competing.
 * @param time follow-up times (days); status 0 = censored, otherwise the cause code
 * @param cause the cause whose incidence is wanted
 * @param at times (days) to evaluate
 * @returns CIF at each `at` (0 before the first event)
 * Source: Aalen & Johansen, Scand J Stat 1978; R survival `survfit` with a factor status (`pstate`).
 */
export function cumulativeIncidence(
  time: readonly number[],
  status: readonly number[],
  cause: number,
  at: readonly number[],
): number[] {
  const times = [...new Set(time)].sort((a, b) => a - b);
  const steps: { t: number; cif: number }[] = [];
  let surv = 1;
  let cif = 0;
  for (const t of times) {
    let n = 0;
    let d = 0;
    let dk = 0;
    for (let i = 0; i < time.length; i++) {
      const ti = time[i] ?? 0;
      if (ti >= t) n++;
      if (ti === t && status[i] !== 0) {
        d++;
        if (status[i] === cause) dk++;
      }
    }
    if (d === 0) continue;
    cif += (surv * dk) / n;
    surv *= 1 - d / n;
    steps.push({ t, cif });
  }
  return at.map((a) => {
    let v = 0;
    for (const st of steps) if (st.t <= a) v = st.cif;
    return v;
  });
}

/** Sample quantile, R type 7 (linear interpolation); null for an empty sample. */
export function quantile7(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const h = (v.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (v[lo] ?? 0) + (h - lo) * ((v[hi] ?? 0) - (v[lo] ?? 0));
}

export interface ProgrammeFigures {
  flow: Record<FlowStage, number>;
  dropoutReasons: Record<string, number>;
  veinToVein: { n: number; medianDays: number | null; q1Days: number | null; q3Days: number | null };
  maxCrs: Record<string, number>;
  maxIcans: Record<string, number>;
  bestResponse: Record<string, number>;
  medianFollowUpDays: number | null;
  /** Cumulative incidence of non-relapse mortality (Aalen–Johansen) at 100, 180 and 365 days after infusion. */
  nrmCumulativeIncidence: { day100: number | null; day180: number | null; day365: number | null };
  byProduct: Record<string, { infused: number; medianPfsDays: number | null; medianOsDays: number | null }>;
}

function nrmCif(infused: PatientOutcome[]): ProgrammeFigures['nrmCumulativeIncidence'] {
  const withNrm = infused.filter((o) => o.nrm !== null);
  if (withNrm.length === 0) return { day100: null, day180: null, day365: null };
  const [day100, day180, day365] = cumulativeIncidence(
    withNrm.map((o) => o.nrm?.days ?? 0),
    withNrm.map((o) => o.nrm?.status ?? 0),
    1,
    [100, 180, 365],
  );
  return { day100: day100 ?? null, day180: day180 ?? null, day365: day365 ?? null };
}

/** Programme dashboard figures over a set of patients (the caller's scope). */
export function programmeFigures(outcomes: PatientOutcome[]): ProgrammeFigures {
  const order: FlowStage[] = ['referred', 'accepted', 'apheresed', 'infused', 'evaluable'];
  const flow = { referred: 0, accepted: 0, apheresed: 0, infused: 0, evaluable: 0 };
  const dropoutReasons: Record<string, number> = {};
  const maxCrs: Record<string, number> = {};
  const maxIcans: Record<string, number> = {};
  const bestResponse: Record<string, number> = {};
  const v2v: number[] = [];
  for (const o of outcomes) {
    const k = order.indexOf(o.stage);
    for (let j = 0; j <= k; j++) flow[order[j] as FlowStage]++;
    if (o.dropoutReason) dropoutReasons[o.dropoutReason] = (dropoutReasons[o.dropoutReason] ?? 0) + 1;
    if (o.veinToVeinDays !== null) v2v.push(o.veinToVeinDays);
    if (k >= 3) {
      const c = String(o.maxCrs ?? 'not-observed');
      maxCrs[c] = (maxCrs[c] ?? 0) + 1;
      const n = String(o.maxIcans ?? 'not-observed');
      maxIcans[n] = (maxIcans[n] ?? 0) + 1;
    }
    if (o.bestResponse) bestResponse[o.bestResponse] = (bestResponse[o.bestResponse] ?? 0) + 1;
  }
  const infused = outcomes.filter((o) => o.os !== null);
  const byProduct: ProgrammeFigures['byProduct'] = {};
  for (const p of new Set(infused.map((o) => o.product ?? 'unknown'))) {
    const g = infused.filter((o) => (o.product ?? 'unknown') === p);
    byProduct[p] = {
      infused: g.length,
      medianPfsDays: kmMedian(
        g.map((o) => o.pfs?.days ?? 0),
        g.map((o) => o.pfs?.status ?? 0),
      ),
      medianOsDays: kmMedian(
        g.map((o) => o.os?.days ?? 0),
        g.map((o) => o.os?.status ?? 0),
      ),
    };
  }
  return {
    flow,
    dropoutReasons,
    veinToVein: {
      n: v2v.length,
      medianDays: quantile7(v2v, 0.5),
      q1Days: quantile7(v2v, 0.25),
      q3Days: quantile7(v2v, 0.75),
    },
    maxCrs,
    maxIcans,
    bestResponse,
    nrmCumulativeIncidence: nrmCif(infused),
    medianFollowUpDays: medianFollowUpReverseKm(
      infused.map((o) => o.os?.days ?? 0),
      infused.map((o) => o.os?.status ?? 0),
    ),
    byProduct,
  };
}
