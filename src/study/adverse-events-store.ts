/**
 * The study store's `adverse_event` table (migration 0009): writing a bundle's CTCAE adverse events
 * inside the transaction of `storeStudyTables` and reading them back for `loadStudy` (src/study/store.ts).
 */
import type { Insertable, Kysely } from 'kysely';
import type { AdverseEvent } from './model.js';
import { ADVERSE_EVENT_STORE_FIELDS, fromStoreRow, toStoreRow } from './record-fields.js';
import type { StudyDatabase } from './schema.js';

/** Inserts the study's adverse events (file order kept as `seq`); a no-op for none. */
export async function saveAdverseEvents(
  trx: Kysely<StudyDatabase>,
  studyId: string,
  events: readonly AdverseEvent[],
): Promise<void> {
  for (let i = 0; i < events.length; i += 200) {
    await trx
      .insertInto('adverse_event')
      .values(
        events.slice(i, i + 200).map(
          (e, k) =>
            ({
              study_id: studyId,
              seq: i + k,
              ...toStoreRow(ADVERSE_EVENT_STORE_FIELDS, e),
            }) as unknown as Insertable<StudyDatabase['adverse_event']>,
        ),
      )
      .execute();
  }
}

/** The study's adverse events in file order: `{ adverseEvents }`, or `{}` when it has none. */
export async function loadAdverseEvents(
  db: Kysely<StudyDatabase>,
  studyId: string,
): Promise<{ adverseEvents?: AdverseEvent[] }> {
  const rows = await db
    .selectFrom('adverse_event')
    .selectAll()
    .where('study_id', '=', studyId)
    .orderBy('seq')
    .execute();
  if (rows.length === 0) return {};
  return {
    adverseEvents: rows.map((r) => fromStoreRow(ADVERSE_EVENT_STORE_FIELDS, r)),
  };
}
