/**
 * The study store's `adverse_event` table (migration 0009): writing a bundle's CTCAE adverse events
 * inside the transaction of `storeStudyTables` and reading them back for `loadStudy` (src/study/store.ts).
 */
import type { Kysely } from 'kysely';
import type { AdverseEvent, AdverseEventAttribution } from './model.js';
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
        events.slice(i, i + 200).map((e, k) => ({
          study_id: studyId,
          seq: i + k,
          patient_id: e.patientId,
          ctcae_term: e.ctcaeTerm,
          grade: e.grade,
          onset_day: e.onsetDay,
          onset_date: e.onsetDate,
          attribution: e.attribution,
          tracer_injection_day: e.tracerInjectionDay,
          tracer_scan_id: e.tracerScanId,
        })),
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
    adverseEvents: rows.map((r) => ({
      patientId: r.patient_id,
      ctcaeTerm: r.ctcae_term,
      grade: r.grade,
      onsetDay: r.onset_day,
      onsetDate: r.onset_date,
      attribution: r.attribution as AdverseEventAttribution,
      tracerInjectionDay: r.tracer_injection_day,
      tracerScanId: r.tracer_scan_id,
    })),
  };
}
