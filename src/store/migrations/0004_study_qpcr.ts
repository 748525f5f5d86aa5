/** Migration 0004 (the study store's `0002_qpcr`: qPCR standard curves and samples). */
import type { Kysely, Migration } from 'kysely';

export const studyQpcr: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('qpcr_curve')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('plate', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('slope', 'double precision', (c) => c.notNull())
      .addColumn('intercept', 'double precision', (c) => c.notNull())
      .addColumn('r_squared', 'double precision', (c) => c.notNull())
      .addColumn('efficiency_percent', 'double precision', (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('acceptable', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('qpcr_curve_pk', ['study_id', 'plate', 'target'])
      .execute();
    await db.schema
      .createTable('qpcr_sample')
      .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('plate', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('patient_id', 'text', (c) => c.notNull())
      .addColumn('day', 'double precision', (c) => c.notNull())
      .addColumn('mean_ct', 'double precision')
      .addColumn('sd_ct', 'double precision')
      .addColumn('n_used', 'integer', (c) => c.notNull())
      .addColumn('n_flagged', 'integer', (c) => c.notNull())
      .addColumn('copies_per_ul', 'double precision')
      .addPrimaryKeyConstraint('qpcr_sample_pk', ['study_id', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('qpcr_sample').execute();
    await db.schema.dropTable('qpcr_curve').execute();
  },
};
