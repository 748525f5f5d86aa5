/**
 * The one definition of each per-patient clinical outcome of a CAR T journey (docs/outcomes.md):
 * CONSORT stage and drop-out reason, vein-to-vein time, best response (Lugano 2014), TTP / PFS / OS /
 * NRM with their censoring rule, and ASTCT 2019 CRS/ICANS grade per day and maximum. Pure functions:
 * no I/O, no clock. The registry (src/registry/outcomes.ts), the study pipeline (src/analysis/outcomes.ts),
 * the report and `carto outcomes` all call `clinicalOutcome`.
 *
 * Days: the input is on any day axis shared by all of one patient's records (days from infusion in a
 * bundle, days since 1970-01-01 in the registry); every output time is in days from the infusion
 * (day 0).
 *
 * Sources: Cheson et al., J Clin Oncol 2014;32:3059 (Lugano classification: response categories);
 * Cheson et al., J Clin Oncol 2007;25:579 (TTP, PFS, OS definitions); Lee et al., Biol Blood Marrow
 * Transplant 2019;25:625 (ASTCT consensus grading of CRS and ICANS).
 */

/** Lugano 2014 response category (Cheson 2014, Table 3). */
export type LuganoResponse = 'CR' | 'PR' | 'SD' | 'PD';

/** CONSORT stage reached (furthest step of the pathway). */
export type ConsortStage = 'referred' | 'accepted' | 'apheresed' | 'infused' | 'evaluable';

/** The CONSORT stages a patient can stop at before infusion. */
export type PreInfusionStage = 'referred' | 'accepted' | 'apheresed';

export const CONSORT_STAGES: readonly ConsortStage[] = [
  'referred',
  'accepted',
  'apheresed',
  'infused',
  'evaluable',
];
export const PRE_INFUSION_STAGES: readonly PreInfusionStage[] = ['referred', 'accepted', 'apheresed'];

/** Cause of death as far as the outcomes go: lymphoma, or anything else. */
export type DeathCause = 'lymphoma' | 'other';

/** One patient's journey, reduced to what the outcomes need. Days on one axis (see the module doc). */
export interface ClinicalJourney {
  /** Day of the CAR T infusion (the first one), or null when the patient was not infused. */
  infusionDay: number | null;
  /** Days of every apheresis. */
  apheresisDays: readonly number[];
  /** Lugano response assessments. */
  responses: readonly { day: number; response: LuganoResponse }[];
  /** Days of documented progression (the first counts; the journey order puts it after infusion). */
  progressionDays: readonly number[];
  death: { day: number; cause: DeathCause } | null;
  /**
   * Days of every other dated record of the patient — follow-up visits, scans, labs, samples, therapies,
   * toxicity observations, any dated record. With the responses and progressions they give the last
   * contact (docs/outcomes.md "Censoring").
   */
  contactDays: readonly number[];
  /** Furthest stage reached before infusion (used when `infusionDay` is null). */
  preInfusionStage: PreInfusionStage;
  /** Why the patient left the pathway before infusion; null when infused or still on the way. */
  dropoutReason: string | null;
  /** Maximum ASTCT 2019 CRS and ICANS grade (0–5), null when nothing was observed. */
  maxCrs: number | null;
  maxIcans: number | null;
}

/** A time-to-event endpoint: days from infusion; status 1 = event, 0 = censored (NRM: 2 = competing). */
export interface TimeToEvent {
  days: number;
  status: 0 | 1 | 2;
}

/** Every per-patient outcome (docs/outcomes.md). The time-to-event endpoints are null when not infused. */
export interface ClinicalOutcome {
  stage: ConsortStage;
  dropoutReason: string | null;
  bestResponse: LuganoResponse | null;
  veinToVeinDays: number | null;
  maxCrs: number | null;
  maxIcans: number | null;
  ttp: TimeToEvent | null;
  pfs: TimeToEvent | null;
  os: TimeToEvent | null;
  nrm: TimeToEvent | null;
}

const RESPONSE_RANK: Record<LuganoResponse, number> = { CR: 4, PR: 3, SD: 2, PD: 1 };

/**
 * Furthest pre-infusion CONSORT stage from what the registry records: referred, accepted (a tumour
 * board accepted the patient), apheresed (accepted and at least one apheresis).
 */
export function preInfusionStage(accepted: boolean, apheresed: boolean): PreInfusionStage {
  if (!accepted) return 'referred';
  return apheresed ? 'apheresed' : 'accepted';
}

/**
 * Best Lugano response (CR > PR > SD > PD) among the assessments on or after the infusion and on or
 * before the first progression (an assessment on the day of progression counts; later ones do not).
 * Null when not infused or no such assessment.
 */
export function bestResponse(
  infusionDay: number | null,
  responses: ClinicalJourney['responses'],
  progressionDay: number | null,
): LuganoResponse | null {
  if (infusionDay === null) return null;
  let best: LuganoResponse | null = null;
  for (const a of responses) {
    if (a.day < infusionDay) continue;
    if (progressionDay !== null && a.day > progressionDay) continue;
    if (best === null || RESPONSE_RANK[a.response] > RESPONSE_RANK[best]) best = a.response;
  }
  return best;
}

/**
 * Last contact: the latest of the infusion, every response assessment, progression and other dated
 * record on or after the infusion (docs/outcomes.md "Censoring"). Death is not a contact (it ends
 * follow-up as an event).
 */
export function lastContactDay(j: ClinicalJourney): number | null {
  const t0 = j.infusionDay;
  if (t0 === null) return null;
  let last = t0;
  for (const d of [...j.contactDays, ...j.responses.map((r) => r.day), ...j.progressionDays])
    if (d > last) last = d;
  return last;
}

/**
 * All outcomes of one patient (docs/outcomes.md):
 * - stage: evaluable (infused and a response assessment on or after infusion), infused, else the
 *   pre-infusion stage; drop-out reason only when not infused.
 * - vein-to-vein: infusion − the last apheresis on or before it (days).
 * - OS: event = death from any cause. PFS: event = progression or death, whichever is first.
 *   TTP: event = progression, or death from lymphoma; death from other causes censors at death.
 *   NRM: status 1 = death without prior progression, not from lymphoma; 2 = competing event
 *   (progression, or death from lymphoma); 0 = censored. Without an event, each is censored at the
 *   last contact (`lastContactDay`). Records dated after death are ignored.
 */
export function clinicalOutcome(j: ClinicalJourney): ClinicalOutcome {
  const t0 = j.infusionDay;
  const base = { maxCrs: j.maxCrs, maxIcans: j.maxIcans };
  if (t0 === null) {
    return {
      ...base,
      stage: j.preInfusionStage,
      dropoutReason: j.dropoutReason,
      bestResponse: null,
      veinToVeinDays: null,
      ttp: null,
      pfs: null,
      os: null,
      nrm: null,
    };
  }
  // Nothing counts after death (the journey order forbids it; src/clinical/timeline.ts).
  const alive = (d: number) => j.death === null || d <= j.death.day;
  j = {
    ...j,
    responses: j.responses.filter((r) => alive(r.day)),
    progressionDays: j.progressionDays.filter(alive),
    contactDays: j.contactDays.filter(alive),
  };
  const after = (d: number) => d >= t0;
  const progression = Math.min(...j.progressionDays);
  const prog = Number.isFinite(progression) ? progression : null;
  const lastApheresis = Math.max(...j.apheresisDays.filter((d) => d <= t0));
  const death = j.death;
  const end = lastContactDay(j) ?? t0;
  const at = (d: number, status: TimeToEvent['status']): TimeToEvent => ({ days: d - t0, status });

  const os = death ? at(death.day, 1) : at(end, 0);
  const pfsDay = Math.min(prog ?? Infinity, death?.day ?? Infinity);
  const pfs = Number.isFinite(pfsDay) ? at(pfsDay, 1) : at(end, 0);
  let ttp: TimeToEvent;
  if (prog !== null) ttp = at(prog, 1);
  else if (death) ttp = at(death.day, death.cause === 'lymphoma' ? 1 : 0);
  else ttp = at(end, 0);
  let nrm: TimeToEvent;
  if (prog !== null && (!death || prog <= death.day)) nrm = at(prog, 2);
  else if (death) nrm = at(death.day, death.cause === 'lymphoma' ? 2 : 1);
  else nrm = at(end, 0);

  return {
    ...base,
    stage: j.responses.some((r) => after(r.day)) ? 'evaluable' : 'infused',
    dropoutReason: null,
    bestResponse: bestResponse(t0, j.responses, prog),
    veinToVeinDays: Number.isFinite(lastApheresis) ? t0 - lastApheresis : null,
    ttp,
    pfs,
    os,
    nrm,
  };
}

/** One graded observation of one toxicity (an ASTCT 2019 grade with the criteria that drove it). */
export interface GradedObservation {
  /** ISO date of the observation. */
  date: string;
  grade: number;
  drivenBy: readonly string[];
}

/** The maximum grade of one calendar day. */
export interface DailyGrade {
  date: string;
  /** Day relative to infusion, null when no infusion is recorded. */
  day: number | null;
  grade: number;
  /** The criteria that gave the day's maximum (union over observations with that grade). */
  drivenBy: string[];
}

/**
 * ASTCT 2019 grade per day: the maximum over the day's observations (Lee et al. 2019: the grade is
 * the worst of the day's criteria), in date order.
 * @param dayOf day relative to infusion of an ISO date, or null when not infused
 */
export function dailyGrades(
  obs: readonly GradedObservation[],
  dayOf: (date: string) => number | null,
): DailyGrade[] {
  const byDate = new Map<string, { grade: number; drivenBy: Set<string> }>();
  for (const o of obs) {
    const cur = byDate.get(o.date);
    if (!cur || o.grade > cur.grade) byDate.set(o.date, { grade: o.grade, drivenBy: new Set(o.drivenBy) });
    else if (o.grade === cur.grade) for (const d of o.drivenBy) cur.drivenBy.add(d);
  }
  return [...byDate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, g]) => ({ date, day: dayOf(date), grade: g.grade, drivenBy: [...g.drivenBy] }));
}

/** The maximum daily grade, null when nothing was observed. */
export function maxGrade(days: readonly DailyGrade[]): number | null {
  return days.length === 0 ? null : Math.max(...days.map((d) => d.grade));
}
