/**
 * Computed registry figures — never typed: CRS/ICANS grade per day and maximum per patient (ASTCT 2019),
 * vein-to-vein time, CONSORT-style flow with drop-out reasons, best response, TTP/PFS/OS and
 * non-relapse mortality per patient, and programme figures (median follow-up by reverse Kaplan–Meier).
 *
 * Pure functions over API-shaped rows (no I/O). Days are counted from the CAR T infusion (day 0).
 * Definitions (docs/references/clinical.md §6; docs/study-bundle.md): vein-to-vein = infusion −
 * the last apheresis on or before it (days); best response = best Lugano response assessed on or after
 * infusion and before progression; OS event = death (any cause), PFS event = progression or death,
 * TTP event = progression or death from lymphoma; all censored at the last contact (the latest dated
 * record or follow-up). NRM = death without prior progression, not from lymphoma (status 1), with
 * progression or lymphoma death as the competing event (status 2).
 */
import { kaplanMeier } from '../stats/survival/index.js';
import { gradeCrs, gradeIcans, parseCrsWindow, parseIcansWindow } from './grading/astct.js';

/** API-shaped row: camelCase fields as returned by the data layer. */
export type ApiRow = Record<string, unknown>;

/** One patient with the rows of every entity (keyed by entity path). */
export interface PatientRecord {
  patient: ApiRow;
  rows: Record<string, ApiRow[]>;
}

export interface DailyGrade {
  date: string;
  /** Day relative to infusion, null before an infusion is recorded. */
  day: number | null;
  grade: number;
  drivenBy: string[];
}

export interface TimeToEvent {
  /** Days from infusion. */
  days: number;
  /** 1 = event, 0 = censored (NRM: 2 = competing event). */
  status: 0 | 1 | 2;
}

export type FlowStage = 'referred' | 'accepted' | 'apheresed' | 'infused' | 'evaluable';

export interface PatientOutcome {
  patientId: string;
  crsByDay: DailyGrade[];
  icansByDay: DailyGrade[];
  /** Maximum grade over all observations; null when nothing was observed. */
  maxCrs: number | null;
  maxIcans: number | null;
  veinToVeinDays: number | null;
  /** Furthest CONSORT stage reached. */
  stage: FlowStage;
  /** Why the patient left the pathway before infusion (null if infused or still on the way). */
  dropoutReason: string | null;
  bestResponse: 'CR' | 'PR' | 'SD' | 'PD' | null;
  os: TimeToEvent | null;
  pfs: TimeToEvent | null;
  ttp: TimeToEvent | null;
  nrm: TimeToEvent | null;
  product: string | null;
}

/** Whole days from ISO date `a` to ISO date `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function dates(rows: ApiRow[] | undefined, field: string): string[] {
  return (rows ?? [])
    .map((r) => str(r[field]))
    .filter((d): d is string => d !== null)
    .sort();
}

function dailyMax(
  obs: ApiRow[],
  infusion: string | null,
  grade: (r: ApiRow) => { grade: number; drivenBy: string[] },
): DailyGrade[] {
  const byDate = new Map<string, { grade: number; drivenBy: Set<string> }>();
  for (const r of obs) {
    const date = str(r['observationDate']);
    if (date === null) continue;
    const g = grade(r);
    const cur = byDate.get(date);
    if (!cur || g.grade > cur.grade) byDate.set(date, { grade: g.grade, drivenBy: new Set(g.drivenBy) });
    else if (g.grade === cur.grade) for (const d of g.drivenBy) cur.drivenBy.add(d);
  }
  return [...byDate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, g]) => ({
      date,
      day: infusion ? daysBetween(infusion, date) : null,
      grade: g.grade,
      drivenBy: [...g.drivenBy],
    }));
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

const RESPONSE_RANK: Record<string, number> = { CR: 4, PR: 3, SD: 2, PD: 1 };

/**
 * Computes every derived figure of one patient.
 * @param rec the patient row and its entity rows (API shape)
 */
export function patientOutcome(rec: PatientRecord): PatientOutcome {
  const rows = rec.rows;
  const infusion = dates(rows['infusions'], 'infusionDate')[0] ?? null;
  const obs = rows['toxicity-observations'] ?? [];
  const crsByDay = dailyMax(obs, infusion, crsOf);
  const icansByDay = dailyMax(obs, infusion, icansOf);
  const maxOf = (d: DailyGrade[]) => (d.length === 0 ? null : Math.max(...d.map((x) => x.grade)));

  const apheresis = dates(rows['apheresis'], 'apheresisDate');
  const lastApheresis = infusion ? apheresis.filter((d) => d <= infusion).pop() : undefined;
  const veinToVeinDays = infusion && lastApheresis ? daysBetween(lastApheresis, infusion) : null;

  const decisions = [...(rows['tumorboard-decisions'] ?? [])].sort((a, b) =>
    String(a['decisionDate']).localeCompare(String(b['decisionDate'])),
  );
  const lastDecision = decisions[decisions.length - 1];
  const accepted = decisions.some((d) => d['accepted'] === true);
  const assessments = [...(rows['lugano-assessments'] ?? [])].sort((a, b) =>
    String(a['assessmentDate']).localeCompare(String(b['assessmentDate'])),
  );
  const postInfusion = infusion ? assessments.filter((a) => String(a['assessmentDate']) >= infusion) : [];
  let stage: FlowStage = 'referred';
  if (accepted) stage = 'accepted';
  if (accepted && apheresis.length > 0) stage = 'apheresed';
  if (infusion) stage = 'infused';
  if (infusion && postInfusion.length > 0) stage = 'evaluable';
  let dropoutReason: string | null = null;
  if (!infusion) {
    const dropout = rows['dropouts']?.[0];
    if (dropout) dropoutReason = str(dropout['reason']);
    else if (lastDecision && lastDecision['accepted'] === false)
      dropoutReason = str(lastDecision['reason']) ?? 'not-accepted';
  }

  const progression = dates(rows['progressions'], 'progressionDate')[0] ?? null;
  const deathRow = rows['deaths']?.[0];
  const death = deathRow ? str(deathRow['deathDate']) : null;
  const deathCause = deathRow ? str(deathRow['cause']) : null;

  let bestResponse: PatientOutcome['bestResponse'] = null;
  for (const a of postInfusion) {
    const d = String(a['assessmentDate']);
    if (progression && d > progression) continue;
    const r = str(a['response']);
    if (r && (bestResponse === null || (RESPONSE_RANK[r] ?? 0) > (RESPONSE_RANK[bestResponse] ?? 0)))
      bestResponse = r as PatientOutcome['bestResponse'];
  }

  let os: TimeToEvent | null = null;
  let pfs: TimeToEvent | null = null;
  let ttp: TimeToEvent | null = null;
  let nrm: TimeToEvent | null = null;
  if (infusion) {
    const all: string[] = [];
    for (const [path, list] of Object.entries(rows)) {
      if (path === 'biobank-samples' || path === 'study-links') continue;
      for (const r of list)
        for (const [k, v] of Object.entries(r))
          if (k.endsWith('Date') && typeof v === 'string' && /^\d{4}-/.test(v)) all.push(v);
    }
    const lastContact =
      all
        .filter((d) => d >= infusion)
        .sort()
        .pop() ?? infusion;
    const day = (d: string) => daysBetween(infusion, d);
    os = death ? { days: day(death), status: 1 } : { days: day(lastContact), status: 0 };
    const pfsDate = [progression, death].filter((d): d is string => d !== null).sort()[0];
    pfs = pfsDate ? { days: day(pfsDate), status: 1 } : { days: day(lastContact), status: 0 };
    if (progression) ttp = { days: day(progression), status: 1 };
    else if (death && deathCause === 'lymphoma') ttp = { days: day(death), status: 1 };
    else ttp = { days: day(death ?? lastContact), status: 0 };
    if (progression && (!death || progression <= death)) nrm = { days: day(progression), status: 2 };
    else if (death) nrm = { days: day(death), status: deathCause === 'lymphoma' ? 2 : 1 };
    else nrm = { days: day(lastContact), status: 0 };
  }
  const product = str(rows['products']?.[rows['products'].length - 1]?.['product']);
  return {
    patientId: String(rec.patient['id']),
    crsByDay,
    icansByDay,
    maxCrs: maxOf(crsByDay),
    maxIcans: maxOf(icansByDay),
    veinToVeinDays,
    stage,
    dropoutReason,
    bestResponse,
    os,
    pfs,
    ttp,
    nrm,
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
