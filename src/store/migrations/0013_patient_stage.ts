/**
 * Migration 0013: the patient's CONSORT stage and CAR T product stored on `reg_patient` (`stage`, not
 * null; `product`, null when no product is recorded), so that the patient list (GET /api/patients,
 * src/registry/patient-list.ts) filters and sorts by them in SQL, with indexes for a filter by stage or
 * product in the list's default order (referral date, then pseudonym). Both are derived, through the one
 * definition (src/registry/stored-outcomes.ts → `patientOutcome`): every write recomputes them in its
 * transaction, and the values of existing patients are filled in after the migration run
 * (src/store/derived.ts, migration 0014: the backfill this migration ran in its first release now runs
 * there, on the schema of the code that computes it). The column default ('referred') is only what a row
 * holds until then.
 */
import type { Kysely, Migration } from 'kysely';

const INDEXES = ['reg_patient_stage', 'reg_patient_product'] as const;

export const patientStage: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('reg_patient')
      .addColumn('stage', 'text', (c) => c.notNull().defaultTo('referred'))
      .execute();
    await db.schema.alterTable('reg_patient').addColumn('product', 'text').execute();
    await db.schema
      .createIndex('reg_patient_stage')
      .on('reg_patient')
      .columns(['stage', 'referral_date', 'pseudonym'])
      .execute();
    await db.schema
      .createIndex('reg_patient_product')
      .on('reg_patient')
      .columns(['product', 'referral_date', 'pseudonym'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const name of INDEXES) await db.schema.dropIndex(name).execute();
    await db.schema.alterTable('reg_patient').dropColumn('product').execute();
    await db.schema.alterTable('reg_patient').dropColumn('stage').execute();
  },
};
