/** Migration 0005 (the study store's `0003_lab_assays`: detail rows of the raw lab assays as JSON records). */
import type { Kysely, Migration } from 'kysely';

export const studyLabAssays: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('assay_record')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('patient_id', 'text')
      .addColumn('day', 'double precision')
      .addColumn('data_json', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('assay_record_pk', ['study_id', 'kind', 'seq'])
      .execute();
    await db.schema
      .createIndex('assay_record_patient')
      .on('assay_record')
      .columns(['study_id', 'patient_id', 'day'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('assay_record').execute();
  },
};
