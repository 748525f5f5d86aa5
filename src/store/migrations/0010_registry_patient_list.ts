/**
 * Migration 0009: indexes of the patient list (src/registry/patient-list.ts, GET /api/patients): its
 * default order (referral date, newest first, then pseudonym) over all centres and within one centre, and
 * the infusion-period filter and sort.
 */
import type { Kysely, Migration } from 'kysely';

export const registryPatientList: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('reg_patient_referral')
      .on('reg_patient')
      .columns(['referral_date', 'pseudonym'])
      .execute();
    await db.schema
      .createIndex('reg_patient_centre_referral')
      .on('reg_patient')
      .columns(['centre_id', 'referral_date', 'pseudonym'])
      .execute();
    await db.schema.createIndex('reg_infusion_date').on('reg_infusion').column('infusion_date').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const name of ['reg_infusion_date', 'reg_patient_centre_referral', 'reg_patient_referral'])
      await db.schema.dropIndex(name).execute();
  },
};
