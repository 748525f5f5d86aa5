/**
 * Lesion-level outcomes of a study bundle (docs/study-bundle.md "Lesion progression" and "Radiotherapy
 * dose per lesion"): which lesions relapsed and when (`lesion_progression.csv`), and the bridging
 * radiotherapy dose each lesion received (`radiotherapy.csv`). Both tables are optional; every row
 * names a lesion of vois.csv (its `lesion_id`) on a scan of the same patient. The reference trial
 * (docs/references/trial.md §1, §6; the paper, Results "outcomes" ¶2, Suppl. Table 3; Methods "bridging
 * therapy": 8–20 Gy in 2–5 fractions) reports both.
 *
 * The records travel through the study store as JSON records (`assay_record`, kinds below), so no
 * migration is needed.
 */
import { InputError } from '../errors.js';
import type { CsvTable } from '../io/csv.js';
import { daysBetween } from '../clinical/timeline.js';
import type { PatientEvent, Scan, Voi } from './model.js';
import type { PatientCheck } from './bundle-events.js';
import { RowReader } from './row-reader.js';

/** One relapsed lesion: the lesion (vois.csv `lesion_id`) where progression was found, and when. */
export interface LesionProgression {
  patientId: string;
  lesionId: string;
  /** Day of progression at that lesion, relative to the infusion (from `date` when given). */
  day: number;
  /** ISO date when the bundle gave one. */
  date: string | null;
}

/** The bridging radiotherapy of one lesion (0 Gy: a lesion of an irradiated patient outside the target). */
export interface LesionRadiotherapy {
  patientId: string;
  lesionId: string;
  /** Total physical dose to the lesion in Gy (≥ 0). */
  doseGy: number;
  /** Number of fractions, when given (null for 0 Gy or unknown). */
  fractions: number | null;
}

/** The lesion-level outcome records of a bundle (both empty when the tables are absent). */
export interface LesionOutcomes {
  lesionProgression: LesionProgression[];
  lesionRadiotherapy: LesionRadiotherapy[];
}

/** `assay_record` kinds under which the store keeps these records (src/study/store.ts). */
export const LESION_OUTCOME_KINDS = ['lesionProgression', 'lesionRadiotherapy'] as const;

/** lesion_id values of each patient's lesion VOIs (vois.csv). */
function lesionsByPatient(vois: readonly Voi[], scans: readonly Scan[]): Map<string, Set<string>> {
  const patientOf = new Map(scans.map((s) => [s.scanId, s.patientId]));
  const out = new Map<string, Set<string>>();
  for (const v of vois) {
    if (v.kind !== 'lesion' || v.lesionId === null) continue;
    const p = patientOf.get(v.scanId);
    if (p === undefined) continue;
    let set = out.get(p);
    if (!set) out.set(p, (set = new Set()));
    set.add(v.lesionId);
  }
  return out;
}

/** Reads patient_id and lesion_id of a row, checking the lesion is one of that patient's (vois.csv). */
function patientLesion(
  r: RowReader,
  knownPatient: PatientCheck,
  lesions: Map<string, Set<string>>,
  seen: Set<string>,
): { patientId: string; lesionId: string } {
  const patientId = knownPatient(r);
  const lesionId = r.id('lesion_id');
  r.check(
    lesions.get(patientId)?.has(lesionId) === true,
    'lesion_id',
    `not a lesion of patient ${patientId} (no lesion VOI with this lesion_id on the patient's scans in vois.csv)`,
  );
  r.check(!seen.has(`${patientId}\u0000${lesionId}`), 'lesion_id', 'duplicate row for this lesion');
  seen.add(`${patientId}\u0000${lesionId}`);
  return { patientId, lesionId };
}

/**
 * Reads lesion_progression.csv (patient_id, lesion_id, date and/or day). The day is relative to the
 * patient's infusion (computed from the date when given; both given must agree) and may not precede
 * the patient's first `progression` event in events.csv, which the patient must have.
 * @throws InputError naming file, 1-based row, column and value: unknown patient, a lesion that is not
 *   one of the patient's lesion VOIs, a duplicate lesion, no date and no day, a date without an
 *   infusion date, day and date that disagree, a patient without a progression event, or a day before it
 */
export function readLesionProgression(
  table: CsvTable,
  knownPatient: PatientCheck,
  vois: readonly Voi[],
  scans: readonly Scan[],
  events: readonly PatientEvent[],
): LesionProgression[] {
  const lesions = lesionsByPatient(vois, scans);
  const infusionDate = new Map(
    events.filter((e) => e.event === 'infusion').map((e) => [e.patientId, e.date]),
  );
  const firstProgression = new Map<string, number>();
  for (const e of events)
    if (e.event === 'progression')
      firstProgression.set(e.patientId, Math.min(e.day, firstProgression.get(e.patientId) ?? Infinity));
  const seen = new Set<string>();
  return table.rows.map((_, i) => {
    const r: RowReader = new RowReader(table, i);
    const { patientId, lesionId } = patientLesion(r, knownPatient, lesions, seen);
    const date = r.date('date');
    const dayGiven = r.number('day', false, { integer: true });
    if (date === null && dayGiven === null) r.fail('day', 'each lesion progression needs a date or a day');
    let day = dayGiven;
    if (date !== null) {
      const inf = infusionDate.get(patientId) ?? null;
      if (inf === null)
        r.fail('date', "a date needs the patient's infusion date in events.csv (else give the day)", date);
      const fromDate = daysBetween(inf, date);
      if (dayGiven !== null && dayGiven !== fromDate)
        r.fail(
          'day',
          `day and date disagree: the date ${date} is day ${fromDate} from the infusion`,
          dayGiven,
        );
      day = fromDate;
    }
    const prog = firstProgression.get(patientId);
    if (prog === undefined)
      r.fail('patient_id', 'the patient has no progression event in events.csv', patientId);
    if (day! < prog)
      r.fail(
        date !== null ? 'date' : 'day',
        `lesion progression before the patient's first progression (day ${prog} in events.csv)`,
        date ?? day,
      );
    return { patientId, lesionId, day: day!, date };
  });
}

/**
 * Reads radiotherapy.csv (patient_id, lesion_id, dose_gy, fractions): one row per lesion of a patient
 * bridged with radiotherapy, 0 Gy for lesions outside the target. The patient's `bridging` must be
 * radiotherapy or combination (patients.csv); a dose above 0 needs a whole number of fractions ≥ 1,
 * and 0 Gy has none.
 * @throws InputError naming file, 1-based row, column and value
 */
export function readLesionRadiotherapy(
  table: CsvTable,
  knownPatient: PatientCheck,
  vois: readonly Voi[],
  scans: readonly Scan[],
  bridgingOf: ReadonlyMap<string, string>,
): LesionRadiotherapy[] {
  const lesions = lesionsByPatient(vois, scans);
  const seen = new Set<string>();
  return table.rows.map((_, i) => {
    const r: RowReader = new RowReader(table, i);
    const { patientId, lesionId } = patientLesion(r, knownPatient, lesions, seen);
    const bridging = bridgingOf.get(patientId);
    if (bridging !== 'radiotherapy' && bridging !== 'combination')
      r.fail(
        'patient_id',
        `patient's bridging in patients.csv is ${bridging ?? 'unknown'}, not radiotherapy or combination`,
        patientId,
      );
    const doseGy = r.number('dose_gy', true, { min: 0, max: 100 });
    const fractions = r.number('fractions', false, { integer: true, min: 1, max: 50 });
    if (doseGy > 0 && fractions === null)
      r.fail('fractions', 'a dose above 0 Gy needs its number of fractions');
    if (doseGy === 0 && fractions !== null)
      r.fail('fractions', 'a lesion with 0 Gy has no fractions', fractions);
    return { patientId, lesionId, doseGy, fractions };
  });
}

/** The store's JSON records of the lesion outcomes (`assay_record` rows without study_id). */
export function lesionOutcomeRecords(
  o: LesionOutcomes,
): { kind: string; seq: number; patient_id: string; day: number | null; data_json: string }[] {
  return [
    ...o.lesionProgression.map((r, seq) => ({
      kind: 'lesionProgression',
      seq,
      patient_id: r.patientId,
      day: r.day,
      data_json: JSON.stringify(r),
    })),
    ...o.lesionRadiotherapy.map((r, seq) => ({
      kind: 'lesionRadiotherapy',
      seq,
      patient_id: r.patientId,
      day: null,
      data_json: JSON.stringify(r),
    })),
  ];
}

/**
 * Splits stored `assay_record` rows into the lesion outcomes and the rest (the lab-assay records).
 * A malformed record is a store defect: JSON.parse throws.
 */
export function splitLesionOutcomeRecords<R extends { kind: string; data_json: string }>(
  records: R[],
): { outcomes: LesionOutcomes; rest: R[] } {
  const outcomes: LesionOutcomes = { lesionProgression: [], lesionRadiotherapy: [] };
  const rest: R[] = [];
  for (const r of records) {
    if (r.kind === 'lesionProgression')
      outcomes.lesionProgression.push(JSON.parse(r.data_json) as LesionProgression);
    else if (r.kind === 'lesionRadiotherapy')
      outcomes.lesionRadiotherapy.push(JSON.parse(r.data_json) as LesionRadiotherapy);
    else rest.push(r);
  }
  return { outcomes, rest };
}

/** Throws when a bundle gives lesion outcomes in an imaging-only study (no infusion, no progression). */
export function checkNoLesionOutcomesImagingOnly(tables: (CsvTable | null)[]): void {
  for (const t of tables)
    if (t && t.rows.length > 0)
      throw new InputError('imaging-only study (study.json analysis.imagingOnly): this table must be empty', {
        file: t.file,
      });
}

/**
 * Reads the optional lesion_progression.csv and radiotherapy.csv of a bundle (null: table absent).
 * @throws InputError as `readLesionProgression` / `readLesionRadiotherapy`, or a non-empty table in an
 *   imaging-only study
 */
export function readLesionOutcomes(
  progression: CsvTable | null,
  radiotherapy: CsvTable | null,
  ctx: {
    knownPatient: PatientCheck;
    vois: readonly Voi[];
    scans: readonly Scan[];
    events: readonly PatientEvent[];
    patients: readonly { patientId: string; bridging: string }[];
    imagingOnly: boolean;
  },
): LesionOutcomes {
  if (ctx.imagingOnly) checkNoLesionOutcomesImagingOnly([progression, radiotherapy]);
  const bridgingOf = new Map(ctx.patients.map((p) => [p.patientId, p.bridging]));
  return {
    lesionProgression: progression
      ? readLesionProgression(progression, ctx.knownPatient, ctx.vois, ctx.scans, ctx.events)
      : [],
    lesionRadiotherapy: radiotherapy
      ? readLesionRadiotherapy(radiotherapy, ctx.knownPatient, ctx.vois, ctx.scans, bridgingOf)
      : [],
  };
}
