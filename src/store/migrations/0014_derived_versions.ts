/**
 * Migration 0014: `carto_derived`, one row per kind of stored derived value (e.g. `stored-outcomes`:
 * `reg_patient.stage` and `product`, src/registry/stored-outcomes.ts) with the version of the definition
 * the stored values were computed by. After every migration run, values whose version differs from the
 * code's are recomputed (src/store/derived.ts), so a migration never calls today's registry code on a
 * schema of its own time, and a change of a definition reaches every stored value.
 */
import type { Kysely, Migration } from 'kysely';

export const derivedVersions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('carto_derived')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('carto_derived').execute();
  },
};
