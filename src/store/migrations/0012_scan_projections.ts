/**
 * Migration 0012: a scan's pictures are stored as image data, not as PNG (issue 13: the report builds
 * its own figures). `scan_picture` (PNG as base64 in JSON, migration 0011) is dropped and replaced by
 * `scan_projection`: per scan and kind ('mip': the coronal maximum-intensity projection of SUV with its
 * projected VOI and lesion outlines; 'fused': the transversal PET and CT planes through the first
 * lesion) a `meta_json` (geometry, labels and the layout of the arrays) and `data`, the arrays as bytes
 * (src/pipeline/panels.ts). The binary column is a BLOB on SQLite and bytea on PostgreSQL. Stored
 * pictures are not converted (a PNG holds no data to convert): every done scan job goes back to
 * `pending` (its result lacks the image data), so the next `carto run` / `carto import` quantifies those
 * scans again and `carto submit` enqueues them; the quantification code version (src/pipeline/
 * scan-job.ts) changed with this migration too.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../db.js';

export function scanProjections(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('scan_picture').execute();
      await db.schema
        .createTable('scan_projection')
        .addColumn('study_id', 'text', (c) => c.notNull().references('study.study_id').onDelete('cascade'))
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('meta_json', 'text', (c) => c.notNull())
        .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('scan_projection_pk', ['study_id', 'scan_id', 'kind'])
        .execute();
      await sql`update scan_job set state = 'pending', finished_at = null where state = 'done'`.execute(db);
    },
  };
}
