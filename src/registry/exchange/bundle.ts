/**
 * Study bundle export (docs/study-bundle.md, v1) of every patient in scope, for `carto run` and
 * `carto outcomes`: study.json, patients.csv (every patient; those not infused with their CONSORT stage,
 * drop-out reason and date), events.csv (journey of the infused patients with ISO dates; the last
 * follow-up at the last contact, docs/outcomes.md), toxicity.csv (computed maximum ASTCT grades of the
 * infused patients), adverse_events.csv (the registry's CTCAE events of the infused patients, attribution
 * mapped by `AE_ATTRIBUTION_MAP`), and header-only scans.csv / vois.csv (imaging comes from the study
 * store).
 *
 * Nothing is defaulted silently: an infused patient without a recorded sex or without any toxicity
 * observation is an InputError naming the patient and the field, because the bundle requires them.
 */
import { mkdirSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { writeBundleTable, writeStudyJson } from '../../study/bundle-write.js';
import { patientOutcome, type ApiRow, type PatientRecord } from '../outcomes.js';

export interface BundleOptions {
  /** Study name shown in the report. */
  name: string;
  tracer: { name: string; nuclide: string; halfLifeS: number };
}

type Cell = string | number | null;

/**
 * The registry's attribution of an adverse event (its relation to CAR T, the five-level NCI scale of
 * src/registry/model.ts `adverse-events.attribution`) → the bundle's `attribution` (docs/study-bundle.md
 * adverse_events.csv): possible, probable and definite count as related to CAR T (`car-t`); unlikely
 * and unrelated as not related (`unrelated`), the usual collapse of the scale into related / not
 * related (NCI CTEP, "Guidelines for adverse event reporting": attribution). The registry records no
 * relation to the tracer, so `tracer` and `other` are never written.
 */
export const AE_ATTRIBUTION_MAP: Readonly<Record<string, 'car-t' | 'unrelated'>> = {
  unrelated: 'unrelated',
  unlikely: 'unrelated',
  possible: 'car-t',
  probable: 'car-t',
  definite: 'car-t',
};

function s(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

/**
 * adverse_events.csv rows of one infused patient: CTCAE term, grade, onset date and the mapped
 * attribution.
 * @throws InputError naming the patient and the field for an attribution that is missing or not on the
 *   registry's scale (nothing is guessed), or a grade-5 event of a patient with no recorded death
 */
function adverseEventRows(r: PatientRecord, id: string, hasDeath: boolean): Record<string, Cell>[] {
  return (r.rows['adverse-events'] ?? []).map((x) => {
    const raw = s(x['attribution']);
    const attribution = raw === null ? undefined : AE_ATTRIBUTION_MAP[raw];
    if (attribution === undefined)
      throw new InputError(
        raw === null
          ? `adverse event "${s(x['term']) ?? ''}" of ${id} has no attribution; the bundle requires one (${Object.keys(AE_ATTRIBUTION_MAP).join(', ')})`
          : `adverse event "${s(x['term']) ?? ''}" of ${id}: attribution must be one of ${Object.keys(AE_ATTRIBUTION_MAP).join(', ')}`,
        { file: 'adverse-events', field: 'attribution', value: raw ?? '' },
      );
    if (x['grade'] === 5 && !hasDeath)
      throw new InputError(
        `adverse event "${s(x['term']) ?? ''}" of ${id} is grade 5 (death related to the event) but the patient has no recorded death`,
        { file: 'adverse-events', field: 'grade', value: 5 },
      );
    return {
      patient_id: id,
      ctcae_term: s(x['term']),
      grade: typeof x['grade'] === 'number' ? x['grade'] : null,
      onset_date: s(x['onsetDate']),
      onset_day: null,
      attribution,
      tracer_scan_id: null,
    };
  });
}

/**
 * Writes the bundle into `outDir` (created if needed).
 * @returns the number of patients written (infused or not)
 * @throws InputError naming the patient pseudonym and field when a required bundle value is missing,
 *   or an adverse event that cannot be written (see `adverseEventRows`); nothing is written then
 */
export function exportBundle(records: PatientRecord[], outDir: string, opts: BundleOptions): number {
  const patients: Record<string, Cell>[] = [];
  const events: Record<string, Cell>[] = [];
  const tox: Record<string, Cell>[] = [];
  const adverse: Record<string, Cell>[] = [];
  for (const r of records) {
    const o = patientOutcome(r);
    const infusion = s(r.rows['infusions']?.[0]?.['infusionDate']);
    const id = s(r.patient['pseudonym']) ?? '';
    const line = r.patient['lineOfTherapy'];
    const baseline = {
      patient_id: id,
      cohort: o.product ?? 'unknown',
      age: s(r.patient['ageAtReferral']),
      sex: s(r.patient['sex']),
      histology: s(r.patient['histology']),
      previous_lines: typeof line === 'number' ? line - 1 : null,
      product: o.product,
    };
    if (!infusion || !o.os) {
      const aes = r.rows['adverse-events'] ?? [];
      if (aes.length > 0)
        throw new InputError(
          `${id} was not infused but has ${aes.length} adverse event(s); the bundle records adverse events of infused patients only`,
          { file: 'adverse-events', field: 'patient', value: id },
        );
      const dropout = r.rows['dropouts']?.[0];
      patients.push({
        ...baseline,
        bridging: null,
        consort_stage: o.stage,
        dropout_reason: o.dropoutReason,
        dropout_date: o.dropoutReason !== null && dropout ? s(dropout['dropoutDate']) : null,
      });
      continue;
    }
    const sex = baseline.sex;
    if (sex === null)
      throw new InputError('sex is not recorded; the study bundle requires it', {
        row: 0,
        field: 'sex',
        value: id,
      });
    if (o.maxCrs === null || o.maxIcans === null)
      throw new InputError('no toxicity observations; the bundle needs computed CRS/ICANS grades', {
        field: 'toxicity-observations',
        value: id,
      });
    const bridgingTypes = new Set(
      (r.rows['bridging'] ?? []).map((b) => s(b['bridgingType'])).filter((t) => t && t !== 'none'),
    );
    const bridging =
      bridgingTypes.size === 0
        ? 'none'
        : bridgingTypes.has('combination') || bridgingTypes.size > 1
          ? 'combination'
          : ([...bridgingTypes][0] ?? 'none');
    patients.push({
      ...baseline,
      bridging,
      consort_stage: 'infused',
      dropout_reason: null,
      dropout_date: null,
    });
    const ev = (event: string, date: string | null, extra: Record<string, Cell> = {}) => {
      if (date)
        events.push({
          patient_id: id,
          event,
          date,
          bridging_type: null,
          lugano: null,
          death_cause: null,
          ...extra,
        });
    };
    const each = (path: string, f: (row: ApiRow) => void) => (r.rows[path] ?? []).forEach(f);
    each('apheresis', (x) => ev('apheresis', s(x['apheresisDate'])));
    each('bridging', (x) => {
      const t = s(x['bridgingType']);
      if (t && t !== 'none') ev('bridging', s(x['startDate']), { bridging_type: t });
    });
    each('lymphodepletion', (x) => ev('lymphodepletion', s(x['startDate'])));
    ev('infusion', infusion);
    each('lugano-assessments', (x) => {
      const d = s(x['assessmentDate']);
      if (d && d >= infusion) ev('response', d, { lugano: s(x['response']) });
    });
    each('progressions', (x) => ev('progression', s(x['progressionDate'])));
    const death = r.rows['deaths']?.[0];
    adverse.push(...adverseEventRows(r, id, death !== undefined));
    if (death)
      ev('death', s(death['deathDate']), {
        death_cause: death['cause'] === 'lymphoma' ? 'lymphoma' : 'other',
      });
    else {
      const last = new Date(Date.parse(`${infusion}T00:00:00Z`) + o.os.days * 86_400_000)
        .toISOString()
        .slice(0, 10);
      ev('last_follow_up', last);
    }
    const drugs = new Set((r.rows['toxicity-treatments'] ?? []).map((x) => s(x['drug'])));
    tox.push({
      patient_id: id,
      crs_grade: o.maxCrs,
      icans_grade: o.maxIcans,
      tocilizumab: drugs.has('tocilizumab') ? 'yes' : null,
      steroids: drugs.has('steroids') ? 'yes' : null,
    });
  }
  mkdirSync(outDir, { recursive: true });
  writeStudyJson(outDir, { name: opts.name, tracer: opts.tracer });
  writeBundleTable(outDir, 'patients', patients, [
    'patient_id',
    'cohort',
    'age',
    'sex',
    'histology',
    'previous_lines',
    'bridging',
    'product',
    'consort_stage',
    'dropout_reason',
    'dropout_date',
  ]);
  writeBundleTable(outDir, 'events', events, [
    'patient_id',
    'event',
    'date',
    'bridging_type',
    'lugano',
    'death_cause',
  ]);
  writeBundleTable(outDir, 'toxicity', tox);
  writeBundleTable(outDir, 'adverseEvents', adverse, [
    'patient_id',
    'ctcae_term',
    'grade',
    'onset_date',
    'onset_day',
    'attribution',
    'tracer_scan_id',
  ]);
  // The registry holds no scans: the tables are written with their headers only.
  writeBundleTable(outDir, 'scans', []);
  writeBundleTable(outDir, 'vois', []);
  return patients.length;
}
