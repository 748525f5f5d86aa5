/**
 * The rows of a stored study's tables other than its scans, VOIs and jobs (patients, events, toxicity,
 * labs, biopsies, qPCR, lab assays), as `storeStudyTables` (store.ts) writes them. Only pseudonymous
 * IDs are stored.
 */
import type { QpcrStudyResult } from '../assays/qpcr-study.js';
import type { StudyBundle } from './bundle.js';
import type { LabAssays } from './model.js';
import { insertChunked, type StudyStore } from './store.js';
import {
  BIOPSY_FIELDS,
  EVENT_FIELDS,
  LAB_FIELDS,
  NOT_INFUSED_FIELDS,
  PATIENT_FIELDS,
  TOXICITY_FIELDS,
  toStoreRow,
  type RecordField,
} from './record-fields.js';
import type { Insertable } from 'kysely';
import type { StudyDatabase } from './schema.js';
import { saveAdverseEvents } from './adverse-events-store.js';
import { lesionOutcomeRecords } from './lesion-outcomes.js';

/** The rows of a study's tables other than scans and VOIs (`storeStudyTables`). */
export async function insertStudyRows(
  db: StudyStore,
  studyId: string,
  bundle: StudyBundle,
  qpcr?: QpcrStudyResult,
  labAssays?: LabAssays,
): Promise<void> {
  const sid = { study_id: studyId };
  await insertRecords(db, 'not_infused_patient', studyId, NOT_INFUSED_FIELDS, bundle.notInfused);
  await insertRecords(db, 'patient', studyId, PATIENT_FIELDS, bundle.patients);
  await insertRecords(db, 'event', studyId, EVENT_FIELDS, bundle.events, { seq: true });
  await insertRecords(db, 'toxicity', studyId, TOXICITY_FIELDS, bundle.toxicity);
  await insertRecords(db, 'lab', studyId, LAB_FIELDS, bundle.labs, { seq: true });
  const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
  await insertChunked(
    db,
    'qpcr_curve',
    (qpcr?.curves ?? []).map((q) => ({
      ...sid,
      plate: q.plate,
      target: q.target,
      slope: q.slope,
      intercept: q.intercept,
      r_squared: q.rSquared,
      efficiency_percent: q.efficiencyPercent,
      n: q.n,
      acceptable: q.acceptable ? 1 : 0,
    })),
  );
  await insertChunked(
    db,
    'qpcr_sample',
    (qpcr?.samples ?? []).map((q, seq) => ({
      ...sid,
      seq,
      plate: q.plate,
      target: q.target,
      patient_id: q.patientId,
      day: q.day,
      mean_ct: num(q.meanCt),
      sd_ct: num(q.sdCt),
      n_used: q.nUsed,
      n_flagged: q.nFlagged,
      copies_per_ul: num(q.copiesPerUl),
    })),
  );
  const records = Object.entries(labAssays ?? {}).flatMap(([kind, rows]) =>
    (rows as Record<string, unknown>[]).map((r, seq) => ({
      ...sid,
      kind,
      seq,
      patient_id: typeof r['patientId'] === 'string' ? r['patientId'] : null,
      day: typeof r['day'] === 'number' ? r['day'] : null,
      data_json: JSON.stringify(r, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v,
      ),
    })),
  );
  records.push(...lesionOutcomeRecords(bundle.lesionOutcomes).map((r) => ({ ...sid, ...r })));
  await insertChunked(db, 'assay_record', records);
  await saveAdverseEvents(db, studyId, bundle.adverseEvents);
  await insertRecords(db, 'biopsy', studyId, BIOPSY_FIELDS, bundle.biopsies, { seq: true });
}

/**
 * Inserts records of the model into `table` through their one field list (record-fields.ts), with the
 * study id and, with `seq`, each record's position (the bundle's row order).
 */
async function insertRecords<T extends keyof StudyDatabase, R>(
  db: StudyStore,
  table: T,
  studyId: string,
  list: readonly RecordField<R>[],
  records: readonly R[],
  o: { seq?: boolean } = {},
): Promise<void> {
  const rows = records.map((r, seq) => ({
    study_id: studyId,
    ...(o.seq ? { seq } : {}),
    ...toStoreRow(list, r),
  }));
  // The list's columns are the table's (test/study/record-fields.test.ts checks them against the schema).
  await insertChunked(db, table, rows as unknown as Insertable<StudyDatabase[T]>[]);
}
