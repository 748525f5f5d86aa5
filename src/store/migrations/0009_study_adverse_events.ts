/** Migration 0009: the CTCAE adverse events of a study (bundle adverse_events.csv). */
import type { Kysely, Migration } from 'kysely';

export const studyAdverseEvents: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('adverse_event')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('ctcae_term', 'text', (c) => c.notNull())
      .addColumn('grade', 'integer', (c) => c.notNull())
      .addColumn('onset_day', 'integer', (c) => c.notNull())
      .addColumn('onset_date', 'text')
      .addColumn('attribution', 'text', (c) => c.notNull())
      .addColumn('tracer_injection_day', 'integer')
      .addColumn('tracer_scan_id', 'text')
      .addPrimaryKeyConstraint('adverse_event_pk', ['study_id', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('adverse_event').execute();
  },
};
