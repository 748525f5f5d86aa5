/**
 * Registry import of a study bundle's patients (the inverse of `exportBundle`, src/registry/exchange/
 * bundle.ts): each infused patient of the bundle becomes a registry patient, pseudonym = the bundle's
 * `patient_id` (so the stored study links to it, src/study/store.ts `unlinkedPatients`), with the journey
 * the bundle records: apheresis, bridging, lymphodepletion, product, infusion, one toxicity observation
 * holding the maximum CRS and ICANS grades, response assessments, progression, death or last follow-up,
 * and a study link per scan. Used by `carto demo --serve` (src/cli/demo-serve.ts).
 *
 * What a bundle does not record and the registry requires is given by the caller, never defaulted:
 * the referral date (`referralDaysBeforeApheresis` before the first apheresis), the tumour-board
 * acceptance (`decisionDaysAfterReferral` after it), the lymphodepletion regimen and the day of the
 * toxicity observation (`toxicityObservationDay` after infusion; toxicity.csv holds maximum grades
 * only, so one observation reproduces them, checked with the ASTCT grader).
 */
import { InputError } from '../../errors.js';
import type { Patient, PatientEvent, Scan, Toxicity } from '../../study/model.js';
import { gradeCrs, gradeIcans, parseCrsWindow, parseIcansWindow } from '../grading/astct.js';
import type { ScopedRegistry } from '../store.js';

/** The bundle records the import reads (a `StudyBundle` of src/study/bundle.ts fits). */
export interface StudyPatients {
  patients: Patient[];
  notInfused: { patientId: string }[];
  events: PatientEvent[];
  toxicity: Toxicity[];
  scans: Scan[];
}

/** What the registry needs and a bundle does not hold (see module doc). */
export interface StudyImportOptions {
  /** Centre code of every imported patient. */
  centre: string;
  referralDaysBeforeApheresis: number;
  decisionDaysAfterReferral: number;
  lymphodepletionRegimen: 'flu-cy' | 'bendamustine' | 'other';
  /** Day after infusion of the one toxicity observation (maximum CRS and ICANS grades). */
  toxicityObservationDay: number;
  /** Audit reason of every row written. */
  reason: string;
}

/** Where the file names come from in errors. */
const FILE = { patients: 'patients.csv', events: 'events.csv', toxicity: 'toxicity.csv' };

function addDays(iso: string, n: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A CRS window (ASTCT 2019) whose grade is `grade` (0–5): fever alone is 1, with hypotension on
 * fluids 2, on one vasopressor 3, on two 4; death of CRS 5.
 * @throws InputError (toxicity.csv crs_grade) outside 0–5
 */
export function crsWindowOfGrade(grade: number, patientId: string): Record<string, unknown> {
  if (!Number.isInteger(grade) || grade < 0 || grade > 5)
    throw new InputError('CRS grade must be 0–5', { file: FILE.toxicity, field: 'crs_grade', value: grade });
  const vasopressors =
    grade === 4 ? ['norepinephrine', 'phenylephrine'] : grade === 3 ? ['norepinephrine'] : [];
  const w = {
    maxTemperatureC: grade === 0 ? 37 : 38.6,
    feverMaskedByTreatment: false,
    hypotension: grade >= 2 && grade <= 4,
    fluidsOnly: grade === 2,
    vasopressors,
    oxygenDevice: 'none',
    oxygenLPerMin: null,
    diedOfCrs: grade === 5,
  };
  checkGrade(gradeCrs(parseCrsWindow(w)).grade, grade, 'crs_grade', patientId);
  return w;
}

/**
 * An ICANS window (ASTCT 2019, ICE score) whose grade is `grade` (0–4): ICE 10, 8, 5, 1, or coma.
 * @throws InputError (toxicity.csv icans_grade) outside 0–4
 */
export function icansWindowOfGrade(grade: number, patientId: string): Record<string, unknown> {
  if (!Number.isInteger(grade) || grade < 0 || grade > 4)
    throw new InputError('ICANS grade must be 0–4', {
      file: FILE.toxicity,
      field: 'icans_grade',
      value: grade,
    });
  const w = {
    iceScore: grade === 4 ? null : [10, 8, 5, 1][grade],
    iceNotPossible: grade === 4,
    consciousness: grade === 4 ? 'coma' : 'awake',
    globalAphasia: false,
    seizure: 'none',
    motor: 'none',
    cerebralOedema: 'none',
    raisedIcpSigns: false,
  };
  checkGrade(gradeIcans(parseIcansWindow(w)).grade, grade, 'icans_grade', patientId);
  return w;
}

function checkGrade(got: number, want: number, field: string, patientId: string): void {
  if (got !== want)
    throw new InputError(`no observation window reproduces ${field} ${want} of ${patientId}`, {
      file: FILE.toxicity,
      field,
      value: want,
    });
}

/**
 * Writes every infused patient of `bundle` into the registry (one transaction of `reg`: on any error
 * nothing is kept).
 * @returns the number of patients written
 * @throws InputError naming the file, field and value: a not-infused patient (patients.csv has no
 *   baseline for them), an event without an ISO date, a patient without apheresis or infusion or
 *   toxicity row, a bad grade; the registry's own validation errors (src/registry/validation.ts)
 */
export async function importStudyPatients(
  reg: ScopedRegistry,
  bundle: StudyPatients,
  opts: StudyImportOptions,
): Promise<number> {
  const first = bundle.notInfused[0];
  if (first)
    throw new InputError('a not-infused patient has no baseline to register', {
      file: FILE.patients,
      field: 'consort_stage',
      value: first.patientId,
    });
  const eventsOf = groupBy(bundle.events, (e) => e.patientId);
  const scansOf = groupBy(bundle.scans, (s) => s.patientId);
  const toxOf = new Map(bundle.toxicity.map((t) => [t.patientId, t]));
  return reg.batch(async (r) => {
    for (const p of bundle.patients)
      await importPatient(r, p, eventsOf.get(p.patientId) ?? [], scansOf.get(p.patientId) ?? [], toxOf, opts);
    return bundle.patients.length;
  });
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

/** The ISO date of an event. @throws InputError when the bundle gave days only */
function dateOf(e: PatientEvent): string {
  if (!e.date)
    throw new InputError(`${e.event} of ${e.patientId} has no date; the registry needs dates`, {
      file: FILE.events,
      field: 'date',
      value: e.patientId,
    });
  return e.date;
}

async function importPatient(
  reg: ScopedRegistry,
  p: Patient,
  events: PatientEvent[],
  scans: Scan[],
  toxOf: Map<string, Toxicity>,
  opts: StudyImportOptions,
): Promise<void> {
  const dated = (kind: PatientEvent['event']) =>
    events
      .filter((e) => e.event === kind)
      .map(dateOf)
      .sort();
  const apheresis = dated('apheresis');
  const infusion = dated('infusion')[0];
  const firstApheresis = apheresis[0];
  const tox = toxOf.get(p.patientId);
  const missing = !firstApheresis ? 'apheresis' : !infusion ? 'infusion' : !tox ? 'toxicity' : null;
  if (missing !== null || !firstApheresis || !infusion || !tox)
    throw new InputError(`${p.patientId} has no ${missing} record`, {
      file: missing === 'toxicity' ? FILE.toxicity : FILE.events,
      field: missing === 'toxicity' ? 'patient_id' : 'event',
      value: p.patientId,
    });
  const referralDate = addDays(firstApheresis, -opts.referralDaysBeforeApheresis);
  const reason = opts.reason;
  const created = await reg.createPatient({
    centre: opts.centre,
    pseudonym: p.patientId,
    ageAtReferral: p.age,
    sex: p.sex,
    referralDate,
    lineOfTherapy: p.previousLines === null ? null : p.previousLines + 1,
    histology: p.histology,
    reason,
  });
  const id = String(created['id']);
  const add = (path: string, row: Record<string, unknown>) => reg.createRow(path, id, { ...row, reason });
  await add('tumorboard-decisions', {
    decisionDate: addDays(referralDate, opts.decisionDaysAfterReferral),
    accepted: true,
  });
  for (const d of apheresis) await add('apheresis', { apheresisDate: d });
  for (const e of events.filter((x) => x.event === 'bridging'))
    await add('bridging', { startDate: dateOf(e), bridgingType: e.bridgingType });
  for (const d of dated('lymphodepletion'))
    await add('lymphodepletion', { startDate: d, regimen: opts.lymphodepletionRegimen });
  if (p.product) await add('products', { product: p.product, manufacturingFailure: false });
  await add('infusions', { infusionDate: infusion });
  await add('toxicity-observations', {
    observationDate: addDays(infusion, opts.toxicityObservationDay),
    ...crsWindowOfGrade(tox.crsGrade, p.patientId),
    ...icansWindowOfGrade(tox.icansGrade, p.patientId),
  });
  for (const e of events.filter((x) => x.event === 'response'))
    await add('lugano-assessments', { assessmentDate: dateOf(e), response: e.lugano });
  for (const d of dated('progression').slice(0, 1)) await add('progressions', { progressionDate: d });
  for (const e of events.filter((x) => x.event === 'death'))
    await add('deaths', { deathDate: dateOf(e), cause: e.deathCause });
  for (const d of dated('last_follow_up')) await add('follow-ups', { followUpDate: d });
  for (const s of scans) await add('study-links', { kind: 'imaging', studyRef: s.scanId });
}
