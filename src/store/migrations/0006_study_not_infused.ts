/** Migration 0006 (the study store's `0004_not_infused`: patients who were not infused). */
import type { Kysely, Migration } from 'kysely';

export const studyNotInfused: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('not_infused_patient')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('cohort', 'text', (c) => c.notNull())
      .addColumn('consort_stage', 'text', (c) => c.notNull())
      .addColumn('dropout_reason', 'text')
      .addColumn('dropout_date', 'text')
      .addPrimaryKeyConstraint('not_infused_patient_pk', ['study_id', 'patient_id'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('not_infused_patient').execute();
  },
};
