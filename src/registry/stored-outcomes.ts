/**
 * The stored outcomes of a patient: `reg_patient.stage` (CONSORT stage) and `reg_patient.product` (the
 * CAR T product, null when none is recorded), columns added by migration 0013, so that the patient list
 * filters and sorts by them in SQL (src/registry/patient-list.ts). They are derived, never typed: every
 * value written is `patientOutcome` (src/registry/outcomes.ts → src/clinical/outcomes.ts, the one
 * definition) of the patient's rows, recomputed in the transaction of every write that can change the
 * journey (src/registry/store-scoped.ts) and by the migration's backfill.
 */
import { sql } from 'kysely';
import { CONSORT_STAGES } from '../clinical/outcomes.js';
import { patientOutcome } from './outcomes.js';
import { chunk, readRecords, type RecordsBy } from './records.js';
import { text, type Actor, type Db } from './store-model.js';

/**
 * The view the stored outcomes are computed from: every field of every row (the outcomes use no free
 * text, so they are the same for every role; the list shows the stored values to all).
 */
const FULL_VIEW: Actor = { userId: '', username: '(stored outcomes)', role: 'admin', centreId: null };

/** `stage` in CONSORT order (0 = referred … 4 = evaluable), an SQL expression for `order by`. */
export const stageOrdinal = sql.raw(
  `case stage ${CONSORT_STAGES.map((s, i) => `when '${s}' then ${i}`).join(' ')} end`,
);

/**
 * Recomputes and stores the stage and product of the given patients (in `db`, a transaction when called
 * by a write); a patient whose stored values are already right is not written. The patient rows are
 * locked first (a no-op update; in id order), so that on PostgreSQL two transactions writing to one
 * patient's journey recompute one after the other, the second reading the first's committed rows (READ
 * COMMITTED: each statement sees what was committed before it) — without the lock, the second could
 * store a value computed without the first's rows. SQLite runs one write transaction at a time.
 * @param patientIds `reg_patient.id`s (duplicates and unknown ids are ignored)
 * @returns how many patients' stored values changed
 */
export async function refreshStoredOutcomes(db: Db, patientIds: Iterable<string>): Promise<number> {
  let changed = 0;
  for (const part of chunk([...new Set(patientIds)].sort(), 500)) {
    await db
      .updateTable('reg_patient')
      .set({ stage: sql.ref('stage') })
      .where('id', 'in', part)
      .execute();
    const rows = await db.selectFrom('reg_patient').selectAll().where('id', 'in', part).execute();
    changed += await store(db, rows, 'ids');
  }
  return changed;
}

/**
 * The version of the definition the stored stage and product are computed by: raise it with any change
 * of `patientOutcome`'s stage or product (src/clinical/outcomes.ts), and every database recomputes its
 * stored values once, when next opened (src/store/derived.ts).
 */
export const STORED_OUTCOMES_VERSION = 1;

/**
 * Recomputes and stores the stage and product of every patient, in one transaction: every patient row
 * is locked first, as `refreshStoredOutcomes` locks, so a write made meanwhile by another process is
 * either seen or waits (src/store/derived.ts runs it when the stored values' version is not the code's).
 * @param db a transaction
 * @returns how many patients' stored values changed
 */
export async function refreshAllStoredOutcomes(db: Db): Promise<number> {
  await db
    .updateTable('reg_patient')
    .set({ stage: sql.ref('stage') })
    .execute();
  const rows = await db.selectFrom('reg_patient').selectAll().execute();
  return store(db, rows, rows.length > 500 ? 'all' : 'ids');
}

async function store(db: Db, patientRows: Record<string, unknown>[], by: RecordsBy): Promise<number> {
  const records = await readRecords(db, patientRows, { actor: FULL_VIEW, centres: new Map() }, by);
  const stored = new Map(patientRows.map((r) => [text(r['id']), r]));
  let changed = 0;
  for (const rec of records) {
    const o = patientOutcome(rec);
    const id = text(rec.patient['id']);
    const old = stored.get(id);
    if (old && old['stage'] === o.stage && (old['product'] ?? null) === o.product) continue;
    await db
      .updateTable('reg_patient')
      .set({ stage: o.stage, product: o.product })
      .where('id', '=', id)
      .execute();
    changed++;
  }
  return changed;
}
