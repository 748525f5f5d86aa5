/**
 * Migration 0007: where a study's images are (`study.bundle_dir`, `study.data_roots_json`, for the
 * server's NIfTI routes) and each scan's API id (`scan.uid`, unique; rows of earlier imports are filled
 * in here). Older imports keep a null bundle folder: their scans' paths are absolute already.
 */
import type { Kysely, Migration } from 'kysely';
import { scanUid } from '../ids.js';

// a type alias, not an interface: withTables needs an index signature
type Tables = { scan: { study_id: string; scan_id: string; uid: string | null } };

export const studySources: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('study').addColumn('bundle_dir', 'text').execute();
    await db.schema.alterTable('study').addColumn('data_roots_json', 'text').execute();
    await db.schema.alterTable('scan').addColumn('uid', 'text').execute();
    const t = db.withTables<Tables>();
    const scans = await t.selectFrom('scan').select(['study_id', 'scan_id']).execute();
    for (const s of scans) {
      await t
        .updateTable('scan')
        .set({ uid: scanUid(s.study_id, s.scan_id) })
        .where('study_id', '=', s.study_id)
        .where('scan_id', '=', s.scan_id)
        .execute();
    }
    await db.schema.createIndex('scan_uid').on('scan').column('uid').unique().execute();
  },
};
